"""The klantbeeld an agent sees of the resident in a conversation; every opening is audited."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ...core.masking import mask_optional
from ...store.models import CallbackTask, ConceptRequest, Conversation
from ...store.repo import Sessions
from .audit import audit
from .concept_requests import request_view, requests_of, taak_states
from .contacts import contacts_of
from .errors import NotAllowed
from .residents import partij


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
    shown = await requests_of(sessions, partij_id) if partij_id else [request_view(r) for r in requests]
    taken = await taak_states(sessions, [r["id"] for r in shown])
    view: dict[str, Any] = {
        "identified": partij_id is not None,
        "partij": await partij(sessions, partij_id) if partij_id else None,
        "contacts": await contacts_of(sessions, partij_id) if partij_id else [],
        "requests": [{**r, "taak": taken.get(r["id"])} for r in shown],
        "callbacks": [{"id": c.id, "status": c.status, "message": mask_optional(c.message)} for c in callbacks],
    }
    return view
