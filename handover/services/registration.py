"""Every contact lands in the klantbeeld: record closed conversations and call-back requests.

Listens to state changes; writes the own tables at once and hands remote registration to the
outbox (which does nothing when no remote API is configured).
"""

from __future__ import annotations

from sqlalchemy import select

from ..core import lifecycle
from ..store.models import CallbackTask
from ..store.repo import Sessions
from . import agents, klantbeeld
from .outbox import Outbox


class Registration:
    def __init__(self, sessions: Sessions, outbox: Outbox) -> None:
        self.sessions = sessions
        self.outbox = outbox

    async def after_transition(
        self, conversation_id: str, before: lifecycle.Snapshot, decision: lifecycle.Decision
    ) -> None:
        state = decision.snapshot.state
        if state is lifecycle.State.CLOSED:
            agent = await agents.view(self.sessions, before.agent_id) if before.agent_id else None
            await klantbeeld.register_contact(self.sessions, conversation_id, agent.name if agent else None)
            await self.outbox.contact_closed(conversation_id)
        elif state is lifecycle.State.CALLBACK_REQUESTED:
            async with self.sessions() as session:
                task_id = (await session.execute(
                    select(CallbackTask.id).where(CallbackTask.conversation_id == conversation_id)
                    .order_by(CallbackTask.id.desc()).limit(1))).scalar()
            if task_id is not None:
                await self.outbox.callback_requested(conversation_id, int(task_id))
