"""Queue views: who waits where, and telling agents and waiting residents, once per batch.

A handover, a claim or a resident who leaves changes a team's queue. Recomputing and pushing
the whole queue on every change made a storm of n handovers cost O(n²) queries and pushes.
Here a change only marks the team dirty; one `Worker` (woken by the change, resting between
runs, services/worker.py) recomputes each dirty team at most
every ``queue_push_interval_seconds`` with a fixed number of queries (the waiting chats, the
team's recent pick-up times, its online agents), tells the team's agents once (the snapshot
rides in the event, so no agent socket queries), and sends a resident a ``queue`` event only
when their position or expected wait changed.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select

from ..bus.fanout import Fanout
from ..core.lifecycle import State
from ..store import repo
from ..store.models import Conversation, as_utc, utcnow
from .worker import Worker

log = logging.getLogger(__name__)

DEFAULT_HANDLE_SECONDS = 120
#: With no change, the queue views run this often, only to retry teams whose push failed.
IDLE_RETRY_SECONDS = 30.0


@dataclass(frozen=True)
class QueueItem:
    conversation_id: str
    team: str
    position: int
    waiting_seconds: int
    topic: str | None
    reason: str | None
    priority: int

    def public(self) -> dict[str, Any]:
        return asdict(self)


def expected_wait(mean_seconds: float, position: int, online: int) -> int:
    """Position times the mean wait of recent pick-ups, shared by the agents online."""
    return int(max(15.0, mean_seconds) * position / max(1, online))


class QueueViews:
    def __init__(
        self,
        sessions: repo.Sessions,
        fanout: Fanout,
        interval: float,
        online_agents: Callable[[str], Awaitable[list[int]]],
    ) -> None:
        self.sessions = sessions
        self.fanout = fanout
        self.interval = interval
        self.online_agents = online_agents
        self._dirty: set[str] = set()
        # Runs when a change wakes it, then rests ``interval`` so a burst of changes (a storm of
        # handovers) is pushed together; the idle timer only retries teams whose run failed.
        self._worker = Worker("queue-views", self._run, IDLE_RETRY_SECONDS, pause=interval, logger=log)
        # What each waiting resident was last told, so unchanged positions are not re-sent.
        self._told: dict[str, tuple[str, int, int]] = {}
        self.computations = 0

    async def start(self) -> None:
        self._worker.start()

    async def stop(self) -> None:
        await self._worker.stop()

    def changed(self, teams: Iterable[str]) -> None:
        self._dirty.update(teams)
        self._worker.wake()

    async def queue(self, teams: list[str]) -> dict[str, list[QueueItem]]:
        """The waiting chats of ``teams`` in order: priority first, then waiting time."""
        result: dict[str, list[QueueItem]] = {team: [] for team in teams}
        if not teams:
            return result
        async with self.sessions() as session:
            rows = (
                await session.execute(
                    select(
                        Conversation.id,
                        Conversation.team,
                        Conversation.queued_at,
                        Conversation.topic,
                        Conversation.handover_reason,
                        Conversation.priority,
                    )
                    .where(Conversation.state == State.QUEUED, Conversation.team.in_(teams))
                    .order_by(Conversation.priority.desc(), Conversation.queued_at)
                )
            ).all()
        now = utcnow()
        for row in rows:
            items = result.setdefault(row.team or "", [])
            queued_at = as_utc(row.queued_at) or now
            items.append(
                QueueItem(
                    row.id,
                    row.team or "",
                    len(items) + 1,
                    int((now - queued_at).total_seconds()),
                    row.topic,
                    row.handover_reason,
                    row.priority,
                )
            )
        return result

    async def mean_wait(self, team: str) -> float:
        """The mean wait of the team's last 20 pick-ups (120 s when unknown)."""
        async with self.sessions() as session:
            rows = (
                await session.execute(
                    select(Conversation.queued_at, Conversation.assigned_at)
                    .where(
                        Conversation.team == team,
                        Conversation.assigned_at.is_not(None),
                        Conversation.queued_at.is_not(None),
                    )
                    .order_by(Conversation.assigned_at.desc())
                    .limit(20)
                )
            ).all()
        waits = [((as_utc(b) or utcnow()) - (as_utc(a) or utcnow())).total_seconds() for a, b in rows]
        waits = [w for w in waits if w >= 0]
        return sum(waits) / len(waits) if waits else DEFAULT_HANDLE_SECONDS

    async def expected_wait(self, team: str, position: int) -> int:
        return expected_wait(await self.mean_wait(team), position, len(await self.online_agents(team)))

    async def publish(self, teams: Iterable[str]) -> None:
        """Recompute ``teams`` now and tell their agents and waiting residents."""
        teams = sorted(set(teams))
        if not teams:
            return
        self.computations += 1
        queues = await self.queue(teams)
        last_seqs = await repo.last_seqs(self.sessions, [i.conversation_id for q in queues.values() for i in q])
        pushes: list[tuple[str, dict[str, Any]]] = []
        for team in teams:
            items = queues.get(team, [])
            pushes.append(
                ("queue:" + team, {"type": "queue_changed", "team": team, "items": [i.public() for i in items]})
            )
            if not items:
                continue
            mean = await self.mean_wait(team)
            online = len(await self.online_agents(team))
            for item in items:
                wait = expected_wait(mean, item.position, online)
                told = (team, item.position, wait)
                if self._told.get(item.conversation_id) == told:
                    continue
                self._told[item.conversation_id] = told
                pushes.append(
                    (
                        item.conversation_id,
                        {
                            "type": "queue",
                            "seq": last_seqs.get(item.conversation_id, 0),
                            "position": item.position,
                            "expected_wait_seconds": wait,
                        },
                    )
                )
        waiting = {i.conversation_id for q in queues.values() for i in q}
        for conversation_id in [c for c, t in self._told.items() if t[0] in teams and c not in waiting]:
            del self._told[conversation_id]  # left the queue
        self.fanout.ephemeral_many(pushes)

    async def _run(self) -> None:
        teams, self._dirty = self._dirty, set()
        try:
            await self.publish(teams)
        except Exception:
            self._dirty.update(teams)  # the next run (a change, or the idle timer) tries again
            raise
