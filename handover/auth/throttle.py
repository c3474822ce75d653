"""Login throttling per account and per client address, with exponential backoff.

After ``free`` failed logins (per account, and a larger number per address) every further
failure locks that account or address for ``base * 2**n`` seconds (capped). While locked, a
login is refused before its password is checked, so the right password does not help either,
and a flood costs no argon2 work. Counters live in Redis under the deployment's namespace, so
every instance sees them; when Redis is down this instance's memory takes over (still
throttled, per instance). A successful login clears the account's counter, not the address's.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ThrottlePolicy:
    free_per_account: int = 5
    free_per_address: int = 20
    base_seconds: float = 1.0
    max_seconds: float = 900.0
    window_seconds: float = 3600.0  # failures are forgotten after this long without a new one

    def delay(self, failures: int, free: int) -> float:
        if failures <= free:
            return 0.0
        return float(min(self.max_seconds, self.base_seconds * 2 ** min(failures - free - 1, 30)))


class LoginThrottle:
    def __init__(self, redis: Redis | None, namespace: str, policy: ThrottlePolicy | None = None) -> None:
        self.redis = redis
        self.prefix = f"{namespace}:login:"
        self.policy = policy or ThrottlePolicy()
        # Fallback while Redis is down: key -> (failures, locked until, forgotten at).
        self._memory: dict[str, tuple[int, float, float]] = {}

    def _keys(self, username: str, address: str) -> list[tuple[str, int]]:
        account = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
        return [
            (f"{self.prefix}account:{account}", self.policy.free_per_account),
            (f"{self.prefix}address:{address}", self.policy.free_per_address),
        ]

    async def retry_after(self, username: str, address: str) -> float:
        """Seconds until this account and address may try again (0: now)."""
        keys = [key for key, _ in self._keys(username, address)]
        if self.redis is not None:
            try:
                async with self.redis.pipeline(transaction=False) as pipe:
                    for key in keys:
                        pipe.pttl(key + ":lock")
                    ttls = await pipe.execute()
                return float(max([0.0] + [int(ttl) / 1000 for ttl in ttls if ttl and int(ttl) > 0]))
            except (RedisError, OSError) as exc:
                log.warning("login throttle: Redis unavailable, counting in memory: %s", exc)
        now = time.monotonic()
        return max([0.0] + [self._memory.get(key, (0, 0.0, 0.0))[1] - now for key in keys])

    async def failed(self, username: str, address: str) -> float:
        """Count a failed login; return the lock it causes (0: none yet)."""
        keys = self._keys(username, address)
        window = self.policy.window_seconds
        if self.redis is not None:
            try:
                async with self.redis.pipeline(transaction=False) as pipe:
                    for key, _ in keys:
                        pipe.incr(key)
                        pipe.expire(key, int(window))
                    counts = (await pipe.execute())[::2]
                    locks = [self.policy.delay(int(count), free) for count, (_, free) in zip(counts, keys, strict=True)]
                    for (key, _), lock in zip(keys, locks, strict=True):
                        if lock > 0:
                            pipe.set(key + ":lock", "1", px=int(lock * 1000))
                    await pipe.execute()
                return max(locks)
            except (RedisError, OSError) as exc:
                log.warning("login throttle: Redis unavailable, counting in memory: %s", exc)
        now = time.monotonic()
        locks = []
        for key, free in keys:
            failures, until, forgotten = self._memory.get(key, (0, 0.0, 0.0))
            failures = failures + 1 if forgotten > now else 1
            lock = self.policy.delay(failures, free)
            self._memory[key] = (failures, max(until, now + lock), now + window)
            locks.append(lock)
        if len(self._memory) > 100_000:  # bounded: drop what is forgotten anyway
            self._memory = {k: v for k, v in self._memory.items() if v[2] > now}
        return max(locks)

    async def succeeded(self, username: str, address: str) -> None:
        account, _ = self._keys(username, address)[0]
        self._memory.pop(account, None)
        if self.redis is not None:
            try:
                await self.redis.delete(account, account + ":lock")
            except (RedisError, OSError) as exc:
                log.warning("login throttle: Redis unavailable: %s", exc)
