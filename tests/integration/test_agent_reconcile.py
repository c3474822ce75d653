"""Agent-side events survive a lost pub/sub message (issue 13).

"assigned" and "released" reach an agent's socket only over pub/sub. The socket now re-reads its
chats from SQL every AGENT_RECONCILE_SECONDS, so a change that was never published (here: made
straight in the database, as if the message had been lost) still reaches the console.
"""

from __future__ import annotations

from agents_helper import login
from sqlalchemy import update

from handover.core.lifecycle import State
from handover.store import repo
from handover.store.db import Database
from handover.store.models import Conversation


async def test_an_unpublished_assignment_and_release_reach_the_agent(start_service, database_url):
    service = start_service(database_url, agent_reconcile_seconds=1.0)
    db = Database(database_url)
    try:
        agent = await login(service, db, ["klantcontact"])
        conversation, _ = await repo.create_conversation(
            db.sessions, channel="website", lang="nl", page=None, referrer=None, utm=None
        )
        async with agent.socket(service) as console:
            await console.wait_for(lambda e: e["type"] == "hello", 10)
            async with db.sessions.begin() as session:
                await session.execute(
                    update(Conversation)
                    .where(Conversation.id == conversation.id)
                    .values(state=State.ASSIGNED, agent_id=agent.agent_id, team="klantcontact")
                )
            opened = await console.wait_for(
                lambda e: e["type"] == "conversation" and e["conversation_id"] == conversation.id, 15
            )
            assert opened["state"] == "assigned"
            async with db.sessions.begin() as session:
                await session.execute(
                    update(Conversation)
                    .where(Conversation.id == conversation.id)
                    .values(state=State.CLOSED, agent_id=None, closed_at=None)
                )
            released = await console.wait_for(
                lambda e: e["type"] == "released" and e["conversation_id"] == conversation.id, 15
            )
            assert released["reason"] == "closed"
            # Repaired once: two later rounds (each ends with a queue snapshot) neither reopen nor
            # release it again.
            rounds = sum(1 for e in console.events if e["type"] == "queue")
            await console.wait_for(
                lambda e: e["type"] == "queue" and sum(1 for x in console.events if x["type"] == "queue") >= rounds + 2,
                15,
            )
            later = [e for e in console.events if e.get("conversation_id") == conversation.id]
            assert [e["type"] for e in later] == ["conversation", "released"], later
    finally:
        await db.dispose()
