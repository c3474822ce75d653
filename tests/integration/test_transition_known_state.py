"""A transition handed the state its caller just read (``known``) ends as one that reads it.

The resident's ``request_human`` reads the state (to acknowledge a second press), then queues
the chat; the queueing reuses that read. These tests hold it to the same outcome when the read
has gone stale. Real SQLite and PostgreSQL, the real event log.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from handover.core import lifecycle
from handover.services.conversations import ConversationService
from handover.store import repo
from handover.store.eventlog import EventLog
from handover.store.models import Message

WISH = lifecycle.HandoverRequested(team="klantcontact", reason="verzoek_medewerker")
IN_BOT = lifecycle.Snapshot(lifecycle.State.BOT, None, None)


async def _service(db):  # type: ignore[no-untyped-def]
    log = EventLog(db.engine, is_sqlite=db.is_sqlite, on_committed=lambda events: None)
    return ConversationService(db.sessions, None, None, log, frozenset()), log  # type: ignore[arg-type]


async def _state_events(db, conversation_id: str) -> int:  # type: ignore[no-untyped-def]
    async with db.sessions() as session:
        return int(
            await session.scalar(
                select(func.count())
                .select_from(Message)
                .where(Message.conversation_id == conversation_id, Message.kind == "state")
            )
            or 0
        )


async def test_a_known_state_that_holds_queues_with_one_state_event(db):
    conversation, _ = await repo.create_conversation(
        db.sessions, channel="website", lang="nl", page=None, referrer=None, utm=None
    )
    service, log = await _service(db)
    try:
        decision = await service.transition(conversation.id, WISH, values={"priority": 0}, known=IN_BOT)
        assert decision.snapshot.state is lifecycle.State.QUEUED
        assert await service.snapshot(conversation.id) == lifecycle.Snapshot(
            lifecycle.State.QUEUED, "klantcontact", None
        )
        assert await _state_events(db, conversation.id) == 1
    finally:
        await log.close()


async def test_a_stale_known_state_ends_as_a_fresh_read_would(db):
    """Known: "with the bot"; in fact already queued (another tab, the bot's own handover).
    Without ``known`` the second request is illegal; with a stale ``known`` it must be too,
    not a conflict and not a second queueing."""
    conversation, _ = await repo.create_conversation(
        db.sessions, channel="website", lang="nl", page=None, referrer=None, utm=None
    )
    service, log = await _service(db)
    try:
        await service.transition(conversation.id, WISH, values={"priority": 0})
        with pytest.raises(lifecycle.IllegalTransition):
            await service.transition(conversation.id, WISH, values={"priority": 0})
        with pytest.raises(lifecycle.IllegalTransition):
            await service.transition(conversation.id, WISH, values={"priority": 0}, known=IN_BOT)
        assert (await service.snapshot(conversation.id)).state is lifecycle.State.QUEUED  # type: ignore[union-attr]
        assert await _state_events(db, conversation.id) == 1
    finally:
        await log.close()
