"""Offers: a waiting chat is offered to the present agent of its team with room who has been
idle longest; an offer nobody accepts in time expires and the chat is offered to someone else.

With several instances, an agent whose console is on the same instance as the resident's socket
comes first (``ROUTE_SAME_INSTANCE_FIRST``, on by default): then none of the chat's messages has
to cross Redis, which on two processes cost about a fifth of their CPU per message (eleventh
round, docs/performance.md). Sockets are spread evenly over instances, so over many chats each
agent still gets its share; when every agent is busy the next free one takes the head of the
queue wherever it is.

The router calls these once per tick with what it read (`Router.tick`); a transfer to a named
colleague sends its offer directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from ..bus.fanout import Fanout
from ..core.lifecycle import State
from ..settings import Settings
from ..store import repo
from ..store.models import Conversation, as_utc, utcnow
from ..store.repo import Sessions
from .presence import Presence


class Offers:
    def __init__(self, sessions: Sessions, fanout: Fanout, presence: Presence, settings: Settings) -> None:
        self.sessions = sessions
        self.fanout = fanout
        self.presence = presence
        self.settings = settings

    async def send(self, conversation_id: str, agent_id: int, team: str) -> None:
        await self.fanout.ephemeral(
            f"agent:{agent_id}",
            {
                "type": "offer",
                "conversation_id": conversation_id,
                "team": team,
                "expires_in_seconds": int(self.settings.offer_timeout_seconds),
            },
        )

    async def expire(self, rows: Sequence[Any]) -> None:
        """``rows``: (id, offered_agent_id, declined_by) of queued chats whose offer expired."""
        for row in rows:
            declined = list(row.declined_by or []) + [row.offered_agent_id]
            if await repo.compare_and_set(
                self.sessions,
                row.id,
                expect_state=State.QUEUED,
                values={"offered_agent_id": None, "offer_expires_at": None, "declined_by": declined},
            ):
                await self.fanout.ephemeral(
                    f"agent:{row.offered_agent_id}", {"type": "offer_expired", "conversation_id": row.id}
                )

    async def offer_waiting(self, rows: Sequence[Any]) -> None:
        """Offer waiting chats to free agents: a fixed number of queries per tick, however long the queue.

        ``rows``: (id, max_chats, last_assigned_at, team_key) of the agents marked online.
        Nothing is read about the queue unless some present agent has room.
        """
        if not rows:
            return
        present = await self.presence.present(sorted({row.id for row in rows}))
        rows = [row for row in rows if row.id in present]
        if not rows:
            return
        async with self.sessions() as session:
            load: dict[int, int] = {
                a: n
                for a, n in (
                    await session.execute(
                        select(Conversation.agent_id, func.count())
                        .where(Conversation.state == State.ASSIGNED)
                        .group_by(Conversation.agent_id)
                    )
                ).all()
                if a is not None
            }
            for agent_id, count in (
                await session.execute(
                    select(Conversation.offered_agent_id, func.count())
                    .where(Conversation.state == State.QUEUED, Conversation.offered_agent_id.is_not(None))
                    .group_by(Conversation.offered_agent_id)
                )
            ).all():
                if agent_id is not None:
                    load[agent_id] = load.get(agent_id, 0) + count
            capacity = {row.id: row.max_chats for row in rows}
            if all(load.get(a, 0) >= c for a, c in capacity.items()):
                return
            waiting = (
                await session.execute(
                    select(Conversation.id, Conversation.team, Conversation.declined_by)
                    .where(Conversation.state == State.QUEUED, Conversation.offered_agent_id.is_(None))
                    .order_by(Conversation.priority.desc(), Conversation.queued_at)
                )
            ).all()
        epoch = datetime(1970, 1, 1, tzinfo=UTC)
        idle_since = {row.id: as_utc(row.last_assigned_at) or epoch for row in rows}
        # Where each agent's console is: the instances following its own topic.
        homes = (
            {a: self.fanout.instances_following(f"agent:{a}") for a in capacity}
            if self.settings.route_same_instance_first
            else None
        )
        by_team: dict[str, set[int]] = {}
        for row in rows:
            by_team.setdefault(row.team_key, set()).add(row.id)
        for conversation in waiting:
            declined = set(conversation.declined_by or [])
            candidates = [
                a
                for a in by_team.get(conversation.team or "", ())
                if a not in declined and load.get(a, 0) < capacity[a]
            ]
            if not candidates:
                continue
            if homes is not None:
                near = self.fanout.instances_following(conversation.id)
                agent_id = min(candidates, key=lambda a: (not homes[a] & near, idle_since[a], a))
            else:
                agent_id = min(candidates, key=lambda a: (idle_since[a], a))
            expires = utcnow() + timedelta(seconds=self.settings.offer_timeout_seconds)
            if await repo.compare_and_set(
                self.sessions,
                conversation.id,
                expect_state=State.QUEUED,
                values={"offered_agent_id": agent_id, "offer_expires_at": expires},
            ):
                load[agent_id] = load.get(agent_id, 0) + 1
                await self.send(conversation.id, agent_id, conversation.team or "")
