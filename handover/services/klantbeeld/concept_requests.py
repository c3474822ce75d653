"""Concept requests: an agent prepares one in a chat, the resident finds it in MijnGemeente,
completes and submits it; its taak in the Objects API is followed through the outbox."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select

from ...core.masking import mask_personal_numbers
from ...store import repo
from ...store.models import ConceptRequest, ConceptRequestStatus, Conversation, OutboxItem, as_utc, utcnow
from ...store.repo import Sessions, hash_token
from .answers import mask_answers
from .audit import audit
from .errors import NotAllowed
from .links import LINK_BASE, LINK_TITLE, link_token

OPEN_STATUSES = ("open", "ingediend")
STATUS_TEXT = {
    "open": "Klaar om in te vullen",
    "ingediend": "Ingediend",
    "in_behandeling": "In behandeling",
    "afgehandeld": "Afgehandeld",
    "ingetrokken": "Ingetrokken",
}


def request_view(row: ConceptRequest) -> dict[str, Any]:
    return {
        "id": row.id,
        "type": row.request_type,
        "title": row.title,
        "status": row.status,
        "status_text": STATUS_TEXT.get(row.status, row.status),
        "data": row.data,
        "conversation_id": row.conversation_id,
        "created_by": row.created_by,
        "created_at": as_utc(row.created_at).isoformat(),
        "expires_at": as_utc(row.expires_at).isoformat(),
        "submitted_at": as_utc(row.submitted_at).isoformat() if row.submitted_at else None,
    }


async def requests_of(sessions: Sessions, partij_id: int) -> list[dict[str, Any]]:
    async with sessions() as session:
        rows = (
            (
                await session.execute(
                    select(ConceptRequest)
                    .where(ConceptRequest.partij_id == partij_id)
                    .order_by(ConceptRequest.created_at.desc())
                )
            )
            .scalars()
            .all()
        )
    return [request_view(r) for r in rows]


async def taak_states(sessions: Sessions, request_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Where each request's taak in the Objects API stands, from the outbox (items ``taak:<id>``
    and ``taak:<id>:<status>``): ``state`` is ``bezig`` (being sent), ``gepubliceerd`` or
    ``mislukt`` (stopped, an operator must act); ``status`` is the taak's last status sent.
    A request without an entry has no taak (no Objects API, or the resident is not known yet)."""
    if not request_ids:
        return {}
    keys = [f"taak:{i}" for i in request_ids]
    async with sessions() as session:
        rows = (
            (
                await session.execute(
                    select(OutboxItem)
                    .where(or_(OutboxItem.key.in_(keys), *(OutboxItem.key.like(f"{k}:%") for k in keys)))
                    .order_by(OutboxItem.id)
                )
            )
            .scalars()
            .all()
        )
    states: dict[int, dict[str, Any]] = {}
    for row in rows:
        request_id = int(row.key.split(":")[1])
        state = states.setdefault(request_id, {"state": "gepubliceerd", "status": None})
        if row.status == "failed":
            state["state"] = "mislukt"
        elif row.status == "pending" and state["state"] != "mislukt":
            state["state"] = "bezig"
        if row.status == "done" and not (row.result or {}).get("skipped"):
            state["status"] = (row.result or {}).get("status") or state["status"]
    published = {r.key for r in rows}
    return {i: s for i, s in states.items() if f"taak:{i}" in published}


@dataclass(frozen=True)
class Published:
    request_id: int
    token: str
    seq: int


#: Until services/events.py renders the resident's link with `resident_link` (issue 10), the
#: stored message also keeps the ready URL, or the resident's chat would show no link. Set to
#: False in the same change: then the record holds only the request id and a random reference,
#: from which only someone with SECRET_KEY can derive the token.
STORE_LINK_URL = False


async def publish_concept_request(
    sessions: Sessions,
    conversation_id: str,
    *,
    agent_id: int,
    agent_name: str,
    request_type: str,
    title: str,
    data: dict[str, Any],
    lifetime: timedelta,
    secret: str | None = None,
) -> Published:
    """Store the request and put a "Verder in MijnGemeente" link in the chat.

    With ``secret`` (the service's SECRET_KEY) the token is derived from the request id and a
    random reference (`link_token`); only its hash is kept in ``concept_requests``.
    """
    ref = secrets.token_urlsafe(16)
    token = secrets.token_urlsafe(32)
    title = mask_personal_numbers(title)
    data = mask_answers(data)
    async with sessions.begin() as session:
        conversation = await session.get(Conversation, conversation_id)
        if conversation is None:
            raise NotAllowed("unknown conversation")
        request = ConceptRequest(
            token_hash=hash_token(token),
            conversation_id=conversation_id,
            partij_id=conversation.partij_id,
            request_type=request_type,
            title=title,
            data=data,
            status="open",
            created_by=agent_name,
            expires_at=utcnow() + lifetime,
        )
        session.add(request)
        await session.flush()
        if secret is not None:
            token = link_token(secret, request.id, ref)
            request.token_hash = hash_token(token)
        session.add(ConceptRequestStatus(concept_request_id=request.id, status="open", by=f"agent:{agent_id}"))
        request_id = request.id
    link: dict[str, Any] = {"title": LINK_TITLE}
    if secret is not None:
        link.update(concept_request=request_id, ref=ref)
    if STORE_LINK_URL or secret is None:
        link["url"] = LINK_BASE + token
    message, _ = await repo.append(
        sessions,
        conversation_id,
        repo.NewEvent(
            kind="message",
            author="agent",
            author_name=agent_name,
            text=f"Ik heb de aanvraag '{title}' voor je klaargezet. Je kunt hem bekijken, aanvullen en versturen "
            "in MijnGemeente.",
            meta={"link": link},
        ),
    )
    await audit(
        sessions,
        f"agent:{agent_id}",
        "concept_request.publish",
        conversation.partij_id if conversation else None,
        conversation_id,
        f"{request_type} #{request_id}",
    )
    return Published(request_id, token, message.seq)


async def request_for(sessions: Sessions, request_id: int, partij_id: int) -> dict[str, Any]:
    async with sessions() as session:
        request = await session.get(ConceptRequest, request_id)
        history = (
            (
                await session.execute(
                    select(ConceptRequestStatus)
                    .where(ConceptRequestStatus.concept_request_id == request_id)
                    .order_by(ConceptRequestStatus.at)
                )
            )
            .scalars()
            .all()
        )
    if request is None or request.partij_id != partij_id:
        raise NotAllowed("not your request")
    return {
        **request_view(request),
        "history": [
            {"status": h.status, "status_text": STATUS_TEXT.get(h.status, h.status), "at": as_utc(h.at).isoformat()}
            for h in history
        ],
    }


async def submit(sessions: Sessions, request_id: int, partij_id: int, data: dict[str, Any]) -> dict[str, Any]:
    async with sessions.begin() as session:
        request = await session.get(ConceptRequest, request_id)
        if request is None or request.partij_id != partij_id:
            raise NotAllowed("not your request")
        if request.status != "open":
            raise NotAllowed("this request was already submitted")
        if as_utc(request.expires_at) <= utcnow():
            raise NotAllowed("this request has expired")
        request.data = {**request.data, **mask_answers(data)}
        request.status = "ingediend"
        request.submitted_at = utcnow()
        session.add(ConceptRequestStatus(concept_request_id=request_id, status="ingediend", by=f"resident:{partij_id}"))
        conversation_id = request.conversation_id
    await audit(
        sessions, f"resident:{partij_id}", "concept_request.submit", partij_id, conversation_id, f"#{request_id}"
    )
    return await request_for(sessions, request_id, partij_id)
