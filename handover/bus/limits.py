"""Abuse limits per client address and per deployment, counted in Redis across instances.

A fixed one-minute window per kind of action ("start", "handover", "callback"): one pipelined
round trip per checked action. When Redis is down the counts fall back to this instance's
memory, so a flood is still limited (per instance) instead of let through.
"""

from __future__ import annotations

import ipaddress
import logging
import time
from collections import Counter

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

WINDOW_SECONDS = 60


def client_address(peer: str | None, forwarded_for: str | None, trusted_proxies: list[str]) -> str:
    """The resident's address: the peer's, or, behind a trusted proxy, the last untrusted hop."""
    address = peer or "unknown"
    if not forwarded_for or address not in trusted_proxies:
        return address
    for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return address  # a forged or garbled header: count the proxy instead
        if hop not in trusted_proxies:
            return hop
    return address


class AbuseLimits:
    def __init__(self, redis: Redis, namespace: str, per_address: dict[str, int], global_: dict[str, int]) -> None:
        self.redis = redis
        self.prefix = f"{namespace}:limit:"
        self.per_address = per_address
        self.global_ = global_
        self._local: Counter[str] = Counter()
        self._local_window = 0

    async def take(self, kind: str, address: str) -> float:
        """Count one ``kind`` action of ``address``: 0 when allowed, else seconds to wait."""
        now = time.time()
        window = int(now // WINDOW_SECONDS)
        retry_after = (window + 1) * WINDOW_SECONDS - now
        own = f"{self.prefix}{kind}:{address}:{window}"
        every = f"{self.prefix}{kind}:*:{window}"
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.incr(own)
                pipe.expire(own, WINDOW_SECONDS * 2)
                pipe.incr(every)
                pipe.expire(every, WINDOW_SECONDS * 2)
                counts = await pipe.execute()
            own_count, every_count = int(counts[0]), int(counts[2])
        except (RedisError, OSError) as exc:
            log.warning("abuse limits counted in memory (Redis: %s)", exc)
            if window != self._local_window:
                self._local.clear()
                self._local_window = window
            self._local[own] += 1
            self._local[every] += 1
            own_count, every_count = self._local[own], self._local[every]
        if own_count > self.per_address.get(kind, 1 << 30) or every_count > self.global_.get(kind, 1 << 30):
            return retry_after
        return 0.0
