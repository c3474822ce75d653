"""Agent presence: which agents are here now, and since when an agent is gone.

An agent's socket refreshes a Redis key (``<namespace>:presence:<agent>``) that expires after
PRESENCE_TTL_SECONDS; an agent marked online whose key has lapsed is not present. The router
notes when it first saw an agent gone (``<namespace>:lost:<agent>``) and returns their chats to
the queue after the grace period.
"""

from __future__ import annotations

import logging

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy import select

from ..settings import Settings
from ..store.models import Agent, AgentTeam
from ..store.repo import Sessions

log = logging.getLogger(__name__)


class Presence:
    def __init__(self, sessions: Sessions, redis: Redis, settings: Settings) -> None:
        self.sessions = sessions
        self.redis = redis
        self.settings = settings
        # Keys of this deployment; several deployments (or test databases) may share a Redis.
        namespace = settings.redis_namespace
        self.presence_key = f"{namespace}:presence:{{}}"
        self.lost_key = f"{namespace}:lost:{{}}"

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
