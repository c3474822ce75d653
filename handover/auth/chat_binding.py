"""A chat started inside MijnGemeente belongs to the logged-in resident from its first message.

Every MijnGemeente page of a logged-in resident sets the cookie ``mijn_chat`` (HttpOnly,
``SameSite=Strict``, path ``/ws/chat``, one hour): ``<partij id>.<expiry>.<HMAC>``, where the
HMAC under ``SECRET_KEY`` covers the partij, the expiry and the hash of the resident's session
token. The widget on those pages (``data-channel="mijngemeente"``) opens its websocket on the
same origin, so the browser sends the cookie with the handshake; a ``start`` with channel
``mijngemeente`` then creates the conversation already bound to that partij, before any
message. The binding holds only while the session lives (logout or expiry ends it, the HMAC no
longer matches a live session), is never sent cross-site (``SameSite=Strict`` and the Origin
allow-list of the websocket), and a chat started on another channel stays anonymous until the
resident binds it explicitly (the request link).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from sqlalchemy import select, update

from ..store.models import Conversation, ResidentSession, utcnow
from ..store.repo import Sessions, hash_token

COOKIE = "mijn_chat"
COOKIE_PATH = "/ws/chat"
LIFETIME = timedelta(hours=1)
CHANNEL = "mijngemeente"


def _signature(secret: str, partij_id: int, expires: int, session_hash: str) -> str:
    message = f"mijn-chat:{partij_id}:{expires}:{session_hash}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:32]


def issue(secret: str, partij_id: int, session_token: str, now: datetime | None = None) -> str:
    """The cookie value for the resident of this session."""
    expires = int(((now or utcnow()) + LIFETIME).timestamp())
    return f"{partij_id}.{expires}.{_signature(secret, partij_id, expires, hash_token(session_token))}"


async def verify(sessions: Sessions, secret: str, value: str | None, now: datetime | None = None) -> int | None:
    """The partij id the cookie vouches for, or None (absent, malformed, expired, tampered with,
    or its session has ended)."""
    if not value or len(value) > 100:
        return None
    parts = value.split(".")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit() or len(parts[0]) > 10:
        return None
    partij_id, expires, sent = int(parts[0]), int(parts[1]), parts[2]
    moment = now or utcnow()
    if expires <= moment.timestamp():
        return None
    async with sessions() as session:
        live = (
            (
                await session.execute(
                    select(ResidentSession.token_hash).where(
                        ResidentSession.partij_id == partij_id, ResidentSession.expires_at > moment
                    )
                )
            )
            .scalars()
            .all()
        )
    for token_hash in live:
        if hmac.compare_digest(sent.encode(), _signature(secret, partij_id, expires, token_hash).encode()):
            return partij_id
    return None


async def bind_new(sessions: Sessions, conversation_id: str, partij_id: int) -> bool:
    """Bind a conversation that was just started (and belongs to nobody) to the resident."""
    async with sessions.begin() as session:
        changed = await session.execute(
            update(Conversation)
            .where(Conversation.id == conversation_id, Conversation.partij_id.is_(None))
            .values(partij_id=partij_id)
        )
    return getattr(changed, "rowcount", 0) == 1
