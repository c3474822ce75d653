"""A resident's rights over their own data (AVG): see everything held (inzage), erase what may go.

`export` gathers everything this service holds about one partij: profile and preferences,
contacts, concept requests, the chats bound to them (transcripts without the agents' private
notes), call-back requests and who looked at their klantbeeld. `erase` removes what the
municipality does not have to keep: transcripts and context of finished chats, call-back
details, requests that were never submitted, contact details. Registered contacts
(klantcontacten) and submitted requests stay: they are the municipality's record of what was
asked and decided, and are removed by the retention purge (`handover-admin purge`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update

from ..core.lifecycle import State
from ..store import repo
from ..store.models import AuditEntry, CallbackTask, ConceptRequest, Conversation, Message, Partij, as_utc
from .events import to_event
from .klantbeeld.audit import audit
from .klantbeeld.concept_requests import requests_of
from .klantbeeld.contacts import contacts_of

#: Chats still being handled (or waiting for a call-back) are not erased under the agent's hands.
ACTIVE_STATES = (State.BOT, State.QUEUED, State.ASSIGNED, State.CALLBACK_REQUESTED)
#: Requests the resident may erase: never sent, so nobody works on them (their taak is closed).
ERASABLE_REQUESTS = ("open", "ingetrokken")


def _iso(moment: datetime | None) -> str | None:
    return as_utc(moment).isoformat() if moment is not None else None


async def export(sessions: repo.Sessions, partij_id: int) -> dict[str, Any]:
    async with sessions() as session:
        partij = await session.get(Partij, partij_id)
        conversations = (
            (
                await session.execute(
                    select(Conversation).where(Conversation.partij_id == partij_id).order_by(Conversation.created_at)
                )
            )
            .scalars()
            .all()
        )
        ids = [c.id for c in conversations]
        callbacks = (
            (await session.execute(select(CallbackTask).where(CallbackTask.conversation_id.in_(ids)))).scalars().all()
            if ids
            else []
        )
        views = (
            (await session.execute(select(AuditEntry).where(AuditEntry.partij_id == partij_id).order_by(AuditEntry.at)))
            .scalars()
            .all()
        )
    chats = []
    for conversation in conversations:
        messages = await repo.events_after(sessions, conversation.id, 0, 100_000)
        chats.append(
            {
                "id": conversation.id,
                "started_at": _iso(conversation.created_at),
                "state": conversation.state,
                "channel": conversation.channel,
                "page": conversation.page,
                "topic": conversation.topic,
                "outcome": conversation.outcome,
                "summary": conversation.summary,
                "feedback": {"score": conversation.feedback_score, "comment": conversation.feedback_comment},
                "transcript": [to_event(m) for m in messages if m.kind != "note"],
            }
        )
    return {
        "profile": None
        if partij is None
        else {
            "name": partij.display_name,
            "identifier": partij.identifier_hint,
            "email": partij.email,
            "phone": partij.phone,
            "preferred_language": partij.preferred_language,
            "preferred_channel": partij.preferred_channel,
            "known_since": _iso(partij.created_at),
        },
        "contacts": await contacts_of(sessions, partij_id),
        "requests": await requests_of(sessions, partij_id),
        "chats": chats,
        "callbacks": [
            {
                "conversation_id": c.conversation_id,
                "name": c.name,
                "phone": c.phone,
                "email": c.email,
                "message": c.message,
                "status": c.status,
                "created_at": _iso(c.created_at),
            }
            for c in callbacks
        ],
        "access_log": [{"at": _iso(v.at), "who": v.actor, "action": v.action} for v in views],
    }


@dataclass(frozen=True)
class Erased:
    chats: int
    messages: int
    callbacks: int
    requests: int
    kept_active_chats: int


async def erase(sessions: repo.Sessions, partij_id: int) -> Erased:
    async with sessions.begin() as session:
        rows = (
            await session.execute(
                select(Conversation.id, Conversation.state).where(Conversation.partij_id == partij_id)
            )
        ).all()
        finished = [r.id for r in rows if r.state not in ACTIVE_STATES]
        messages = callbacks = 0
        if finished:
            messages = (
                await session.execute(delete(Message).where(Message.conversation_id.in_(finished)))
            ).rowcount or 0  # type: ignore[attr-defined]
            callbacks = (
                await session.execute(delete(CallbackTask).where(CallbackTask.conversation_id.in_(finished)))
            ).rowcount or 0  # type: ignore[attr-defined]
            await session.execute(
                update(Conversation)
                .where(Conversation.id.in_(finished))
                .values(
                    page=None,
                    referrer=None,
                    utm=None,
                    form=None,
                    handover_summary=None,
                    summary=None,
                    feedback_comment=None,
                )
            )
        requests = (
            await session.execute(
                delete(ConceptRequest).where(
                    ConceptRequest.partij_id == partij_id, ConceptRequest.status.in_(ERASABLE_REQUESTS)
                )
            )
        ).rowcount or 0  # type: ignore[attr-defined]
        await session.execute(update(Partij).where(Partij.id == partij_id).values(email=None, phone=None))
    result = Erased(len(finished), messages, callbacks, requests, len(rows) - len(finished))
    await audit(
        sessions,
        f"resident:{partij_id}",
        "resident.erase",
        partij_id,
        None,
        f"chats {result.chats}, messages {result.messages}, call-backs {result.callbacks}, requests {result.requests}",
    )
    return result
