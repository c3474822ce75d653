"""The integrated customer view (klantbeeld): residents, contacts, concept requests, audit.

These are the embedded default tables; when Klantinteracties/Objects API URLs are configured,
the same events are also registered remotely through the outbox (services/outbox.py).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ..core.masking import mask_data, mask_optional, mask_personal_numbers
from ..store import repo
from ..store.models import (
    AuditEntry,
    CallbackTask,
    ConceptRequest,
    ConceptRequestStatus,
    Conversation,
    Klantcontact,
    Message,
    OutboxItem,
    Partij,
    as_utc,
    utcnow,
)
from ..store.repo import Sessions, hash_token

OPEN_STATUSES = ("open", "ingediend")
STATUS_TEXT = {
    "open": "Klaar om in te vullen",
    "ingediend": "Ingediend",
    "in_behandeling": "In behandeling",
    "afgehandeld": "Afgehandeld",
    "ingetrokken": "Ingetrokken",
}


class NotAllowed(Exception):
    """The caller may not see or change this (another resident's data, an expired link)."""


class AlreadyBound(NotAllowed):
    """The request or its conversation already belongs to another resident: never re-bound."""


# --- request types from the product catalogue ----------------------------------------------


def request_types(catalogue: Path) -> list[dict[str, Any]]:
    """Topics of the catalogue an agent can prepare a request for."""
    data = yaml.safe_load(catalogue.read_text(encoding="utf-8")) if catalogue.is_file() else {}
    topics = (data or {}).get("onderwerpen") or {}
    return [
        {"key": key, "title": str(entry.get("titel", key)), "team": entry.get("team")}
        for key, entry in topics.items()
        if isinstance(entry, dict)
    ]


def catalogue_titles(catalogue: Path) -> dict[str, str]:
    """Product topic -> its title ("energiesubsidie" -> "Energiesubsidie")."""
    return {t["key"]: t["title"] for t in request_types(catalogue)}


GENERIC_SUBJECT = "Chatgesprek"


async def subject_topic(sessions: Sessions, conversation_id: str, products: frozenset[str] | set[str]) -> str | None:
    """What a conversation was about: the last *product* topic of its transcript.

    The bot tags every turn with ``meta.topic``; a request for a person is tagged ``medewerker``
    and small talk ``begroeting``. Those are not subjects: the last topic that is a catalogue
    product is. Falls back to the conversation's own topic when that is a product, then to the
    type of the latest concept request an agent prepared in it; None when the conversation never
    was about one. Does not trust ``conversations.topic`` alone, which older versions overwrote
    with every topic.
    """
    async with sessions() as session:
        conversation = await session.get(Conversation, conversation_id)
        metas = (
            (
                await session.execute(
                    select(Message.meta)
                    .where(Message.conversation_id == conversation_id, Message.meta.is_not(None))
                    .order_by(Message.seq.desc())
                )
            )
            .scalars()
            .all()
        )
        # An agent who prepared a request for a product says what the chat was about, also when
        # the bot never named it (the resident asked for a person at once, or the bot was down).
        requested = (
            (
                await session.execute(
                    select(ConceptRequest.request_type)
                    .where(ConceptRequest.conversation_id == conversation_id)
                    .order_by(ConceptRequest.id.desc())
                )
            )
            .scalars()
            .all()
        )
    for meta in metas:
        topic = meta.get("topic") if isinstance(meta, dict) else None
        if isinstance(topic, str) and topic in products:
            return topic
    if conversation is not None and conversation.topic in products:
        return conversation.topic
    return next((t for t in requested if t in products), None)


def subject_text(topic: str | None, titles: dict[str, str]) -> str:
    """The subject as a person reads it: the product's title, else a generic subject."""
    if topic is None:
        return GENERIC_SUBJECT
    return titles.get(topic) or topic.replace("_", " ")


# --- residents -----------------------------------------------------------------------------


def identifier_hash(secret: str, kind: str, value: str) -> str:
    return hmac.new(secret.encode(), f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


async def identify(
    sessions: Sessions,
    secret: str,
    *,
    kind: str,
    value: str,
    display_name: str,
    email: str | None = None,
    phone: str | None = None,
) -> int:
    """Find or create the partij for an identified resident; return its id."""
    digest = identifier_hash(secret, kind, value)
    async with sessions() as session:
        found = (await session.execute(select(Partij.id).where(Partij.identifier_hash == digest))).scalar()
    if found is not None:
        return int(found)
    hint = f"{kind.upper()} *******{value[-2:]}"
    try:
        async with sessions.begin() as session:
            partij = Partij(
                identifier_hash=digest, identifier_hint=hint, display_name=display_name, email=email, phone=phone
            )
            session.add(partij)
            await session.flush()
            return partij.id
    except IntegrityError:  # the same person logging in twice at once
        async with sessions() as session:
            return int((await session.execute(select(Partij.id).where(Partij.identifier_hash == digest))).scalar_one())


async def partij(sessions: Sessions, partij_id: int) -> dict[str, Any] | None:
    async with sessions() as session:
        row = await session.get(Partij, partij_id)
    if row is None:
        return None
    return {
        "id": row.id,
        "name": row.display_name,
        "identifier": row.identifier_hint,
        "email": row.email,
        "phone": row.phone,
        "preferred_language": row.preferred_language,
        "preferred_channel": row.preferred_channel,
    }


async def update_preferences(sessions: Sessions, partij_id: int, **values: Any) -> None:
    allowed = {"email", "phone", "preferred_language", "preferred_channel", "display_name"}
    changes = {k: v for k, v in values.items() if k in allowed}
    async with sessions.begin() as session:
        await session.execute(update(Partij).where(Partij.id == partij_id).values(**changes))
    await audit(sessions, f"resident:{partij_id}", "gegevens.wijzigen", partij_id, None, ", ".join(sorted(changes)))


# --- contacts ------------------------------------------------------------------------------


async def register_contact(
    sessions: Sessions,
    conversation_id: str,
    agent_name: str | None,
    titles: dict[str, str] | None = None,
) -> int | None:
    """Record a closed conversation as a klantcontact (once; a second call changes nothing).

    ``titles`` (product topic -> title, from the catalogue) decides the subject: the last product
    topic of the transcript (`subject_topic`). Without it the conversation's topic is used as is.
    """
    async with sessions() as session:
        conversation = await session.get(Conversation, conversation_id)
        existing = (
            await session.execute(select(Klantcontact.id).where(Klantcontact.conversation_id == conversation_id))
        ).scalar()
    if conversation is None or existing is not None:
        return None
    if titles is not None:
        subject = subject_text(await subject_topic(sessions, conversation_id, frozenset(titles)), titles)
    else:
        subject = (conversation.topic or "chatgesprek").replace("_", " ")
    onderwerp = mask_personal_numbers(subject)
    try:
        async with sessions.begin() as session:
            contact = Klantcontact(
                conversation_id=conversation_id,
                partij_id=conversation.partij_id,
                kanaal="chat",
                onderwerp=onderwerp[:200],
                summary=mask_optional(conversation.summary or conversation.handover_summary),
                outcome=conversation.outcome,
                agent_name=agent_name,
                started_at=conversation.created_at,
                closed_at=conversation.closed_at or utcnow(),
            )
            session.add(contact)
            await session.flush()
            return contact.id
    except IntegrityError:
        return None


def _contact(row: Klantcontact) -> dict[str, Any]:
    return {
        "id": row.id,
        "conversation_id": row.conversation_id,
        "source": "eigen",
        "kanaal": row.kanaal,
        "onderwerp": row.onderwerp,
        "summary": row.summary,
        "outcome": row.outcome,
        "agent": row.agent_name,
        "closed_at": as_utc(row.closed_at).isoformat() if row.closed_at else None,
    }


def _request(row: ConceptRequest) -> dict[str, Any]:
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


async def contacts_of(sessions: Sessions, partij_id: int) -> list[dict[str, Any]]:
    async with sessions() as session:
        rows = (
            (
                await session.execute(
                    select(Klantcontact)
                    .where(Klantcontact.partij_id == partij_id)
                    .order_by(Klantcontact.closed_at.desc())
                )
            )
            .scalars()
            .all()
        )
    return [_contact(r) for r in rows]


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
    return [_request(r) for r in rows]


async def klantbeeld_for_agent(sessions: Sessions, conversation_id: str, agent_id: int) -> dict[str, Any]:
    """The view an agent gets of the resident in a conversation; every opening is audited."""
    async with sessions() as session:
        conversation = await session.get(Conversation, conversation_id)
        if conversation is None:
            raise NotAllowed("unknown conversation")
        requests = (
            (await session.execute(select(ConceptRequest).where(ConceptRequest.conversation_id == conversation_id)))
            .scalars()
            .all()
        )
        callbacks = (
            (await session.execute(select(CallbackTask).where(CallbackTask.conversation_id == conversation_id)))
            .scalars()
            .all()
        )
    partij_id = conversation.partij_id
    await audit(
        sessions, f"agent:{agent_id}", "klantbeeld.view", partij_id, conversation_id, "opened from the conversation"
    )
    shown = await requests_of(sessions, partij_id) if partij_id else [_request(r) for r in requests]
    taken = await taak_states(sessions, [r["id"] for r in shown])
    view: dict[str, Any] = {
        "identified": partij_id is not None,
        "partij": await partij(sessions, partij_id) if partij_id else None,
        "contacts": await contacts_of(sessions, partij_id) if partij_id else [],
        "requests": [{**r, "taak": taken.get(r["id"])} for r in shown],
        "callbacks": [{"id": c.id, "status": c.status, "message": mask_optional(c.message)} for c in callbacks],
    }
    return view


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


async def audit(
    sessions: Sessions,
    actor: str,
    action: str,
    partij_id: int | None,
    conversation_id: str | None,
    detail: str | None = None,
) -> None:
    async with sessions.begin() as session:
        session.add(
            AuditEntry(
                actor=actor,
                action=action,
                partij_id=partij_id,
                conversation_id=conversation_id,
                detail=mask_optional(detail),
            )
        )


#: Answers that *are* the number or contact detail they ask for (a subsidy needs the IBAN to pay
#: out): kept as given. Every other answer is free text and masked like a chat message.
NUMBER_FIELDS = frozenset({"iban", "rekeningnummer", "bsn", "burgerservicenummer"})
CONTACT_FIELDS = frozenset({"email", "e-mail", "telefoon", "telefoonnummer", "phone"})


def mask_answers(data: dict[str, Any]) -> dict[str, Any]:
    """Mask personal numbers in the free-text answers of a request form (see NUMBER_FIELDS)."""
    masked: dict[str, Any] = {}
    for key, value in data.items():
        name = str(key).lower()
        if name in NUMBER_FIELDS:
            masked[key] = value
        elif name in CONTACT_FIELDS and isinstance(value, str):
            masked[key] = mask_personal_numbers(value, phone=False, email=False)
        else:
            masked[key] = mask_data(value)
    return masked


# --- concept requests ----------------------------------------------------------------------


@dataclass(frozen=True)
class Published:
    request_id: int
    token: str
    seq: int


LINK_BASE = "/mijn/aanvraag/"
LINK_TITLE = "Verder in MijnGemeente"
#: Until services/events.py renders the resident's link with `resident_link` (issue 10), the
#: stored message also keeps the ready URL, or the resident's chat would show no link. Set to
#: False in the same change: then the record holds only the request id and a random reference,
#: from which only someone with SECRET_KEY can derive the token.
STORE_LINK_URL = False


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
        **_request(request),
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
