"""The "Verder in MijnGemeente" link of a concept request: its token, how the resident and the
agent see it, and binding it to the resident who confirms it."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ...store.models import ConceptRequest, Conversation, Klantcontact, as_utc, utcnow
from ...store.repo import Sessions, hash_token
from .errors import AlreadyBound, NotAllowed

LINK_BASE = "/mijn/aanvraag/"
LINK_TITLE = "Verder in MijnGemeente"


def link_token(secret: str, request_id: int, ref: str) -> str:
    """The link token of a request: derived, so the record never needs to hold it."""
    digest = hmac.new(secret.encode(), f"concept-request-link:{request_id}:{ref}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def resident_link(link: Any, secret: str) -> dict[str, str] | None:
    """The chat link for the resident's view of a stored message's ``meta.link`` (None: no link)."""
    if not isinstance(link, dict):
        return None
    request_id, ref = link.get("concept_request"), link.get("ref")
    if isinstance(request_id, int) and isinstance(ref, str) and ref:
        return {"url": LINK_BASE + link_token(secret, request_id, ref), "title": str(link.get("title") or LINK_TITLE)}
    url = str(link.get("url", ""))
    if url.startswith(("https://", "http://", "/")):
        return {"url": url, "title": str(link.get("title") or url)}
    return None


def agent_link(link: Any) -> dict[str, str] | None:
    """The agent's view of the same link: its title only; the address is the resident's key."""
    return {"title": str(link.get("title") or LINK_TITLE)} if isinstance(link, dict) else None


@dataclass(frozen=True)
class LinkPreview:
    """What a request link would bind, shown to the resident before they confirm."""

    request_id: int
    title: str
    created_by: str | None
    created_at: str
    expires_at: str
    conversation_started: str | None
    owned: bool  # already this resident's: nothing to confirm


async def _linked(session: AsyncSession, token: str) -> tuple[ConceptRequest, Conversation | None]:
    request = (
        await session.execute(select(ConceptRequest).where(ConceptRequest.token_hash == hash_token(token)))
    ).scalar_one_or_none()
    if request is None or as_utc(request.expires_at) <= utcnow():
        raise NotAllowed("this link does not exist or has expired")
    return request, await session.get(Conversation, request.conversation_id)


async def preview_link(sessions: Sessions, token: str, partij_id: int) -> LinkPreview:
    """Look a link up without changing anything (a GET never binds)."""
    async with sessions() as session:
        request, conversation = await _linked(session, token)
    owners = {request.partij_id, conversation.partij_id if conversation else None} - {None}
    if owners - {partij_id}:
        raise AlreadyBound("this request or its conversation belongs to someone else")
    return LinkPreview(
        request.id,
        request.title,
        request.created_by,
        as_utc(request.created_at).isoformat(),
        as_utc(request.expires_at).isoformat(),
        as_utc(conversation.created_at).isoformat() if conversation else None,
        owned=request.partij_id == partij_id,
    )


async def claim_by_link(sessions: Sessions, token: str, partij_id: int) -> int:
    """Bind a request link, its conversation and klantcontact to the resident who confirmed it.

    Only called on the resident's explicit, CSRF-checked confirmation. Every update is
    conditional (``partij_id IS NULL``), so a request or conversation that already belongs to
    someone else is never re-bound, also when two residents confirm at the same moment.
    """
    async with sessions.begin() as session:
        request, conversation = await _linked(session, token)
        if request.partij_id == partij_id:
            return request.id
        if request.partij_id is not None:
            raise AlreadyBound("this request belongs to someone else")
        if conversation is not None and conversation.partij_id not in (None, partij_id):
            raise AlreadyBound("this conversation belongs to someone else")
        request_id, conversation_id = request.id, request.conversation_id
        bound = await session.execute(
            update(ConceptRequest)
            .where(ConceptRequest.id == request_id, ConceptRequest.partij_id.is_(None))
            .values(partij_id=partij_id)
        )
        if getattr(bound, "rowcount", 0) != 1:
            raise AlreadyBound("this request was bound by someone else just now")
        # The conversation (and its klantcontact) now belong to this resident as well.
        moved = await session.execute(
            update(Conversation)
            .where(Conversation.id == conversation_id, Conversation.partij_id.is_(None))
            .values(partij_id=partij_id)
        )
        if getattr(moved, "rowcount", 0) != 1:
            owner = (
                await session.execute(select(Conversation.partij_id).where(Conversation.id == conversation_id))
            ).scalar()
            if owner != partij_id:
                raise AlreadyBound("this conversation was bound by someone else just now")
        await session.execute(
            update(Klantcontact)
            .where(Klantcontact.conversation_id == conversation_id, Klantcontact.partij_id.is_(None))
            .values(partij_id=partij_id)
        )
        return request_id
