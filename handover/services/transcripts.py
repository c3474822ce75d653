"""Transcripts: the text of a conversation, and the signed link that Open Klant points at.

A klantcontact in Open Klant carries the chat transcript as a ``bijlage`` whose object id is a
URL. Whoever reads Open Klant (KISS, a back-office system, an employee in another channel) must
be able to follow it without an agent-console session, so the URL is **signed and expiring**:

    /api/transcripts/<conversation id>?expires=<unix seconds>&signature=<HMAC-SHA256, 128 bits, base64url>

The HMAC key is ``TRANSCRIPT_LINK_KEY`` (default: derived from ``SECRET_KEY``), the lifetime
``TRANSCRIPT_LINK_DAYS`` (default 30). A changed conversation id or expiry breaks the signature
(403), an expired link answers 410, a deleted conversation 404. Every read, and every refused
attempt, is written to the append-only audit log with the reader's address.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timedelta

from ..core.errors import HandoverError
from ..core.transcript import render
from ..settings import Settings
from ..store import repo
from ..store.models import Conversation, utcnow
from ..store.repo import Sessions

PATH = "/api/transcripts/"


def link_key(settings: Settings) -> bytes:
    """The HMAC key of transcript links: its own setting, else derived from SECRET_KEY."""
    if settings.transcript_link_key:
        return settings.transcript_link_key.encode()
    return hmac.new(settings.secret_key.encode(), b"transcript-link-key", hashlib.sha256).digest()


def signature(key: bytes, conversation_id: str, expires: int) -> str:
    # 128 of the 256 bits: enough against forgery, and the URL stays under the 200 characters
    # that Open Klant allows in a bijlage's objectId.
    digest = hmac.new(key, f"transcript:{conversation_id}:{expires}".encode(), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def signed_url(settings: Settings, conversation_id: str, now: datetime | None = None) -> str:
    """The absolute, signed URL of a transcript, valid for ``transcript_link_days``."""
    expires = int(((now or utcnow()) + timedelta(days=settings.transcript_link_days)).timestamp())
    sig = signature(link_key(settings), conversation_id, expires)
    return f"{settings.public_base_url.rstrip('/')}{PATH}{conversation_id}?expires={expires}&signature={sig}"


class Refused(HandoverError):
    """A link that is not honoured: ``status`` is the HTTP status to answer with."""

    code = "link_refused"

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(status, reason)
        self.status = status
        self.reason = reason


def check(
    settings: Settings, conversation_id: str, expires: str | None, sig: str | None, now: datetime | None = None
) -> int:
    """Verify a link; return its expiry (unix seconds) or raise :class:`Refused`.

    The signature is checked first, so an expiry that was moved is "tampered", not "expired".
    """
    if not expires or not sig or not expires.isdigit() or len(expires) > 12:
        raise Refused(403, "link incomplete or malformed")
    if not hmac.compare_digest(sig.encode(), signature(link_key(settings), conversation_id, int(expires)).encode()):
        raise Refused(403, "signature does not match")
    if int(expires) <= (now or utcnow()).timestamp():
        raise Refused(410, "link expired")
    return int(expires)


async def text(sessions: Sessions, conversation: Conversation, *, notes: bool = True) -> str:
    """The transcript as plain text (:func:`handover.core.transcript.render`, local time).

    ``notes``: include the agents' private notes (console only)."""
    events = await repo.events_after(sessions, conversation.id, 0, 100_000)
    return render(conversation.id, conversation.channel, conversation.created_at, events, notes=notes)
