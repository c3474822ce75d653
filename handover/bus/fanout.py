"""Cross-instance fan-out over Redis pub/sub, and the local registry of listening sockets.

Committed events are delivered to this instance's listeners straight from memory and published
to the other instances *with* the events, so a listener that is exactly one behind never reads
SQL. Pub/sub is at-most-once, so it is still no more than a hint: a listener that sees a gap
(or a lost subscription) catches up from SQL by sequence number. Ephemeral events (typing,
queue positions) travel the same way and may be lost without harm. Publishing is batched: one
pipeline per loop turn, in commit order. Committed events and wake-ups of all conversations go in
one message on the batch channel (every instance receives its own messages too, and a message
costs each receiver a Redis reply to parse); ephemeral events keep their own topic's channel,
where a team queue's or an agent's events can be read by anyone.

An instance with no peers publishes no committed events and no wake-ups: nobody would read
them, and publishing them and reading them back was a tenth of a lone process's relay (ninth
round, docs/performance.md). Every instance says ``hello`` on the batch channel when its
subscription is made and then ``beat`` every :data:`PEER_BEAT_SECONDS`; it is alone while its
own beats come back (its subscription works) and no other instance's message has arrived for
three beats. An instance that hears ``hello`` publishes again at once and answers ``sync``;
both sides then run a reconciliation (one set-based query that wakes every follower behind the
record), which finds whatever was committed, unpublished, before the newcomer was heard.
Ephemeral events are always published: a topic's channel may have readers of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from typing import Any, Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from ..core.tasks import stop_task
from ..store.eventlog import StoredEvent, by_conversation

log = logging.getLogger(__name__)

#: Published messages waiting for Redis; past this, the oldest are dropped (listeners catch up).
MAX_OUTGOING = 50_000
#: Conversations per batch message at most (a receiver decodes one message in one go).
BATCH_MESSAGE = 200
#: Seconds between an instance's presence beats; a peer unheard for three beats is gone.
PEER_BEAT_SECONDS = 2.0


class Listener(Protocol):
    def wake(self) -> None: ...

    def deliver(self, events: list[StoredEvent]) -> None: ...

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

    def deliver(self, conversation_id: str, events: list[StoredEvent]) -> None:
        for listener in list(self._listeners.get(conversation_id, ())):
            listener.deliver(events)

    def conversations(self) -> list[str]:
        return list(self._listeners)

    def listening(self, conversation_id: str) -> bool:
        return bool(self._listeners.get(conversation_id))

    def behind(self, latest: dict[str, int]) -> int:
        """Wake every follower whose last sent seq is below ``latest`` (a reconciliation)."""
        woken = 0
        for conversation_id, seq in latest.items():
            for listener in list(self._listeners.get(conversation_id, ())):
                sent = getattr(listener, "sent_seq", None)
                if sent is not None and sent < seq:
                    listener.wake()
                    woken += 1
        return woken

    def wake_all(self) -> None:
        for conversation_id in list(self._listeners):
            self.wake(conversation_id)

    def ephemeral(self, conversation_id: str, event: dict[str, Any]) -> None:
        for listener in list(self._listeners.get(conversation_id, ())):
            listener.ephemeral(event)

    def __len__(self) -> int:
        return sum(len(v) for v in self._listeners.values())


def event_to_wire(event: StoredEvent) -> dict[str, Any]:
    return {
        "s": event.seq,
        "k": event.kind,
        "a": event.author,
        "n": event.author_name,
        "t": event.text,
        "p": event.payload,
        "c": event.client_id,
        "b": event.buttons,
        "m": event.meta,
        "at": event.created_at.isoformat(),
    }


def event_from_wire(conversation_id: str, wire: dict[str, Any]) -> StoredEvent:
    return StoredEvent(
        conversation_id,
        int(wire["s"]),
        wire["k"],
        wire["a"],
        wire.get("n"),
        wire.get("t"),
        wire.get("p"),
        wire.get("c"),
        wire.get("b"),
        wire.get("m"),
        datetime.fromisoformat(wire["at"]),
    )


class Fanout:
    """Delivers to the local hub at once and to other instances through Redis."""

    def __init__(
        self,
        redis: Redis,
        hub: Hub,
        instance: str,
        namespace: str = "handover",
        *,
        peer_beat_seconds: float = PEER_BEAT_SECONDS,
    ) -> None:
        self.redis = redis
        self.hub = hub
        #: Wakes the local followers behind the record (set by the app; else every follower
        #: reads SQL): run when another instance appears.
        self.reconcile: Callable[[], Awaitable[int]] | None = None
        self.peer_beat_seconds = peer_beat_seconds
        # Unique per process, also when uvicorn runs several workers under one INSTANCE_NAME:
        # a message is ignored only by the process that published it.
        self.instance = f"{instance}/{uuid.uuid4().hex[:8]}"
        # One deployment's channels; several deployments (or test databases) may share a Redis.
        self.prefix = f"{namespace}:conv:"
        # The empty conversation id: matched by the same pattern subscription as the others.
        self.batch_channel = self.prefix
        # A message of this instance starts with these bytes: skipped without being decoded.
        self._own = json.dumps({"o": self.instance}, separators=(",", ":"))[:-1].encode() + b","
        self._own_beat = _dumps({"o": self.instance, "x": "beat"}).encode()
        # Monotonic times: another instance's last message on the batch channel, our own last
        # beat read back. Alone needs the second recent and the first old.
        self._peer_heard = -float("inf")
        self._self_heard = -float("inf")
        self._task: asyncio.Task[None] | None = None
        self._publisher: asyncio.Task[None] | None = None
        self._beater: asyncio.Task[None] | None = None
        self._reconciling: asyncio.Task[None] | None = None
        self._reconcile_again = False
        self._outgoing: list[tuple[str, dict[str, Any]]] = []  # (conversation id, body)
        self._flush = asyncio.Event()
        self.subscribed = asyncio.Event()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._listen(), name="fanout-listen")
        self._publisher = asyncio.create_task(self._publish_loop(), name="fanout-publish")
        self._beater = asyncio.create_task(self._beat_loop(), name="fanout-beat")

    async def stop(self) -> None:
        for task in (self._beater, self._reconciling, self._publisher, self._task):
            await stop_task(task)

    @property
    def alone(self) -> bool:
        """No other instance is listening: our own beats come back, nobody else's for three beats."""
        now = time.monotonic()
        window = 3 * self.peer_beat_seconds
        return now - self._self_heard <= window and now - self._peer_heard > window

    def committed(self, events: Iterable[StoredEvent]) -> None:
        """Events just committed by this instance: deliver here, publish to the others."""
        publish = not self.alone
        for conversation_id, group in by_conversation(events).items():
            self.hub.deliver(conversation_id, group)
            if publish:
                self._enqueue(conversation_id, {"ev": [event_to_wire(e) for e in group]})

    async def wake(self, conversation_id: str) -> None:
        """Something was stored outside the event log: listeners read it from SQL."""
        self.hub.wake(conversation_id)
        if not self.alone:
            self._enqueue(conversation_id, {})

    async def ephemeral(self, conversation_id: str, event: dict[str, Any]) -> None:
        self.hub.ephemeral(conversation_id, event)
        self._enqueue(conversation_id, {"e": event})

    def ephemeral_many(self, items: Iterable[tuple[str, dict[str, Any]]]) -> None:
        for conversation_id, event in items:
            self.hub.ephemeral(conversation_id, event)
            self._enqueue(conversation_id, {"e": event})

    def _enqueue(self, conversation_id: str, body: dict[str, Any]) -> None:
        if len(self._outgoing) >= MAX_OUTGOING:
            # Redis is gone or too slow: the others catch up from SQL when it is back.
            del self._outgoing[: len(self._outgoing) // 2]
        self._outgoing.append((conversation_id, body))
        self._flush.set()

    async def _publish_loop(self) -> None:
        backoff = 0.2
        while True:
            await self._flush.wait()
            self._flush.clear()
            while self._outgoing:
                batch, self._outgoing = self._outgoing, []
                try:
                    async with self.redis.pipeline(transaction=False) as pipe:
                        for channel, message in self._messages(batch):
                            pipe.publish(channel, message)
                        await pipe.execute()
                    backoff = 0.2
                except (RedisError, OSError) as exc:
                    # Local sockets already have it; remote ones catch up when Redis is back
                    # (their subscription is re-made and every listener re-reads SQL).
                    log.warning("fan-out publish of %d failed, other instances catch up later: %s", len(batch), exc)
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 5.0)

    async def _beat_loop(self) -> None:
        while True:
            await asyncio.sleep(self.peer_beat_seconds)
            if self.subscribed.is_set():
                self._control("beat")

    def _control(self, kind: str) -> None:
        """A presence message on the batch channel: ``hello``, ``beat`` or ``sync``."""
        self._enqueue("", {"x": kind})

    def _peer_control(self, kind: Any) -> None:
        if kind == "hello":
            # A new instance: publish to it from now on, and have both sides catch up on what
            # was committed but not published before it was heard.
            self._control("sync")
            self._reconcile_soon()
        elif kind == "sync":
            self._reconcile_soon()

    def _reconcile_soon(self) -> None:
        if self._reconciling is not None:
            self._reconcile_again = True
            return
        self._reconciling = asyncio.create_task(self._reconcile(), name="fanout-reconcile")

    async def _reconcile(self) -> None:
        """Once, and once more for a hello heard meanwhile. A failure is left to the heartbeats'
        periodic reconciliation (Heartbeats in ws/connection.py), which repairs the same way."""
        try:
            self._reconcile_again = True
            while self._reconcile_again:
                self._reconcile_again = False
                if self.reconcile is None:
                    self.hub.wake_all()
                    continue
                try:
                    await self.reconcile()
                except Exception as exc:  # noqa: BLE001 - the database may be restarting
                    log.warning("reconciliation after a new instance failed (%s); the periodic one repairs", exc)
                    return
        finally:
            self._reconciling = None

    def _messages(self, batch: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, str]]:
        """Runs of committed events and wake-ups become one batch message each; an ephemeral
        event goes to its own channel in between, so the order of the whole stays as enqueued;
        a presence message goes to the batch channel on its own."""
        messages: list[tuple[str, str]] = []
        run: list[list[Any]] = []
        for conversation_id, body in batch:
            if "x" in body:
                if run:
                    messages.append((self.batch_channel, _dumps({"o": self.instance, "b": run})))
                    run = []
                messages.append((self.batch_channel, _dumps({"o": self.instance, **body})))
                continue
            if "e" not in body:
                run.append([conversation_id, body])
                if len(run) >= BATCH_MESSAGE:
                    messages.append((self.batch_channel, _dumps({"o": self.instance, "b": run})))
                    run = []
                continue
            if run:
                messages.append((self.batch_channel, _dumps({"o": self.instance, "b": run})))
                run = []
            messages.append((self.prefix + conversation_id, _dumps({"o": self.instance, **body})))
        if run:
            messages.append((self.batch_channel, _dumps({"o": self.instance, "b": run})))
        return messages

    async def _listen(self) -> None:
        backoff = 0.5
        while True:
            pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.psubscribe(self.prefix + "*")
                self.subscribed.set()
                # Publish until our own beat has come back and nobody else was heard; tell the
                # others we are here, so they publish to us.
                self._self_heard = self._peer_heard = -float("inf")
                self._control("hello")
                # Anything published while we were not subscribed is in SQL: catch up now.
                self.hub.wake_all()
                backoff = 0.5
                async for item in pubsub.listen():
                    self._dispatch(item)
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as exc:
                self.subscribed.clear()
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
        if isinstance(data, str):
            data = data.encode()
        if not isinstance(data, bytes):
            return
        if data.startswith(self._own):
            if data == self._own_beat:
                self._self_heard = time.monotonic()
            return
        try:
            body = json.loads(data)
        except ValueError:
            return
        if not isinstance(body, dict) or body.get("o") == self.instance:
            return
        if channel == self.batch_channel:
            self._peer_heard = time.monotonic()
            if "x" in body:
                self._peer_control(body["x"])
                return
            items = body.get("b")
            for entry in items if isinstance(items, list) else ():
                if isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], str):
                    if isinstance(entry[1], dict):
                        self._apply(entry[0], entry[1])
            return
        self._apply(channel[len(self.prefix) :], body)

    def _apply(self, conversation_id: str, body: dict[str, Any]) -> None:
        if not self.hub.listening(conversation_id):
            # Nobody here follows it (with several instances, most of a batch message is for
            # the others): skip building its events.
            return
        if isinstance(body.get("e"), dict):
            self.hub.ephemeral(conversation_id, body["e"])
        elif isinstance(body.get("ev"), list):
            try:
                events = [event_from_wire(conversation_id, wire) for wire in body["ev"]]
            except (KeyError, TypeError, ValueError):
                self.hub.wake(conversation_id)
                return
            self.hub.deliver(conversation_id, events)
        else:
            self.hub.wake(conversation_id)


def _dumps(body: dict[str, Any]) -> str:
    return json.dumps(body, separators=(",", ":"))
