"""Agent presence: which agents are here now, and since when an agent is gone.

An agent's socket refreshes a Redis key (``<namespace>:presence:<agent>``) that expires after
PRESENCE_TTL_SECONDS; an agent marked online whose key has lapsed is not present. The router
notes when it first saw an agent gone (``<namespace>:lost:<agent>``) and returns their chats to
the queue after the grace period.
"""

from __future__ import annotations

import logging
import time

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy import select

from ..settings import Settings
from ..store.models import Agent, AgentTeam
from ..store.repo import Sessions

log = logging.getLogger(__name__)

#: How long an instance reuses its read of a team's online agents (the SQL part; the Redis
#: presence keys are read every time). A handover storm read the same answer once per
#: handover, for its "no agent online" notice and each queue view's expected wait.
ONLINE_AGENTS_CACHE_SECONDS = 1.0

_status_generation = 0


def status_changed() -> None:
    """An agent's status changed in this process: its cached reads of online agents are stale
    now (other instances see the change within ONLINE_AGENTS_CACHE_SECONDS)."""
    global _status_generation
    _status_generation += 1


class Presence:
    def __init__(self, sessions: Sessions, redis: Redis, settings: Settings) -> None:
        self.sessions = sessions
        self.redis = redis
        self.settings = settings
        # Keys of this deployment; several deployments (or test databases) may share a Redis.
        namespace = settings.redis_namespace
        self.presence_key = f"{namespace}:presence:{{}}"
        self.lost_key = f"{namespace}:lost:{{}}"
        self._online: dict[str, tuple[float, int, list[int]]] = {}  # team -> (read at, generation, ids)

    async def touch(self, agent_id: int) -> None:
        try:
            await self.redis.set(
                self.presence_key.format(agent_id),
                self.settings.instance_name,
                ex=max(2, int(self.settings.presence_ttl_seconds)),
            )
            await self.redis.delete(self.lost_key.format(agent_id))
        except (RedisError, OSError) as exc:
            log.warning("presence not refreshed: %s", exc)

    async def present(self, agent_ids: list[int]) -> set[int]:
        if not agent_ids:
            return set()
        try:
            values = await self.redis.mget([self.presence_key.format(a) for a in agent_ids])
        except (RedisError, OSError):
            return set()
        return {a for a, v in zip(agent_ids, values, strict=True) if v is not None}

    async def online_agents(self, team: str) -> list[int]:
        """The team's agents marked online whose socket is here (its presence key is live)."""
        now = time.monotonic()
        cached = self._online.get(team)
        if cached is not None and now - cached[0] < ONLINE_AGENTS_CACHE_SECONDS and cached[1] == _status_generation:
            ids = cached[2]
        else:
            generation = _status_generation
            async with self.sessions() as session:
                ids = list(
                    (
                        await session.execute(
                            select(Agent.id)
                            .join(AgentTeam, AgentTeam.agent_id == Agent.id)
                            .where(AgentTeam.team_key == team, Agent.status == "online")
                        )
                    ).scalars()
                )
            self._online[team] = (now, generation, ids)
        present = await self.present(ids)
        return [a for a in ids if a in present]

    async def gone_for(self, agent_id: int, now: float) -> float:
        """Seconds since the router first saw this agent gone (0 the first time)."""
        key = self.lost_key.format(agent_id)
        await self.redis.set(key, str(now), nx=True, ex=3600)
        lost_since = float(await self.redis.get(key) or now)
        return now - lost_since

    async def forget_gone(self, agent_id: int) -> None:
        await self.redis.delete(self.lost_key.format(agent_id))
