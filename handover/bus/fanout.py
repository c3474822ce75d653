"""Cross-instance fan-out over Redis pub/sub, and the local registry of listening sockets.

Pub/sub is at-most-once, so it only *wakes* listeners: a woken listener reads what it has not
sent yet from SQL by sequence number. Ephemeral events (typing indicators) travel in the
message itself and may be lost without harm. Every instance subscribes to one pattern and
ignores conversations it has no socket for.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict
from typing import Any, Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)



class Listener(Protocol):
    def wake(self) -> None: ...

    def ephemeral(self, event: dict[str, Any]) -> None: ...


class Hub:
    """The sockets of this instance, by conversation id."""

    def __init__(self) -> None:
        self._listeners: dict[str, set[Listener]] = defaultdict(set)

    def join(self, conversation_id: str, listener: Listener) -> None:
        self._listeners[conversation_id].add(listener)

    def leave(self, conversation_id: str, listener: Listener) -> None:
        listeners = self._listeners.get(conversation_id)
        if listeners is not None:
            listeners.discard(listener)
            if not listeners:
                del self._listeners[conversation_id]

    def wake(self, conversation_id: str) -> None:
        for listener in list(self._listeners.get(conversation_id, ())):
            listener.wake()

    def wake_all(self) -> None:
        for conversation_id in list(self._listeners):
            self.wake(conversation_id)

    def ephemeral(self, conversation_id: str, event: dict[str, Any]) -> None:
        for listener in list(self._listeners.get(conversation_id, ())):
            listener.ephemeral(event)

    def __len__(self) -> int:
        return sum(len(v) for v in self._listeners.values())


class Fanout:
    """Publishes to the local hub at once and to other instances through Redis."""

    def __init__(self, redis: Redis, hub: Hub, instance: str, namespace: str = "handover") -> None:
        self.redis = redis
        self.hub = hub
        self.instance = instance
        # One deployment's channels; several deployments (or test databases) may share a Redis.
        self.prefix = f"{namespace}:conv:"
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._listen(), name="fanout-listen")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def wake(self, conversation_id: str) -> None:
        self.hub.wake(conversation_id)
        await self._publish(conversation_id, {"o": self.instance})

    async def ephemeral(self, conversation_id: str, event: dict[str, Any]) -> None:
        self.hub.ephemeral(conversation_id, event)
        await self._publish(conversation_id, {"o": self.instance, "e": event})

    async def _publish(self, conversation_id: str, body: dict[str, Any]) -> None:
        try:
            await self.redis.publish(self.prefix + conversation_id, json.dumps(body))
        except (RedisError, OSError) as exc:
            # Local sockets already have it; remote ones catch up on their next heartbeat.
            log.warning("fan-out publish failed, other instances catch up later: %s", exc)

    async def _listen(self) -> None:
        backoff = 0.5
        while True:
            pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.psubscribe(self.prefix + "*")
                # Anything published while we were not subscribed is in SQL: catch up now.
                self.hub.wake_all()
                backoff = 0.5
                async for item in pubsub.listen():
                    self._dispatch(item)
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as exc:
                log.warning("fan-out subscription lost (%s); retrying in %.1fs", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]

    def _dispatch(self, item: dict[str, Any]) -> None:
        channel = item.get("channel")
        data = item.get("data")
        if isinstance(channel, bytes):
            channel = channel.decode()
        if not isinstance(channel, str) or not channel.startswith(self.prefix):
            return
        if not isinstance(data, str | bytes):
            return
        try:
            body = json.loads(data)
        except ValueError:
            return
        if not isinstance(body, dict) or body.get("o") == self.instance:
            return
        conversation_id = channel[len(self.prefix) :]
        if isinstance(body.get("e"), dict):
            self.hub.ephemeral(conversation_id, body["e"])
        else:
            self.hub.wake(conversation_id)
