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

An instance publishes a conversation's committed events and wake-ups only when another
instance follows that conversation: nobody else would read them, and publishing them and
reading them back cost a lone process a tenth of its relay (ninth round) and two processes most
of what the second one added (tenth round, docs/performance.md). Every instance says ``hello``
on the batch channel when its subscription is made, with every conversation it follows, and
then ``beat`` every :data:`PEER_BEAT_SECONDS`; when it starts or stops following one it says
``follow`` or ``unfollow`` with what changed. An instance that hears ``hello`` answers ``sync``
with its own list, and both sides run a reconciliation (one set-based query that wakes every
follower behind the record), which finds whatever was committed, unpublished, before the
newcomer was heard. An instance that hears ``follow`` publishes a wake-up for each conversation
in it, so the new follower reads from SQL what was committed before its ``follow`` arrived.
Until our own beats come back (we cannot hear who is there), and while an instance is heard
whose list we do not have, everything is published. A peer unheard for three beats is gone.
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
        #: Called with a conversation id when this instance starts or stops following it (its
        #: first listener joined, its last one left): the fan-out tells the other instances.
        self.on_interest: Callable[[str], None] | None = None

    def join(self, conversation_id: str, listener: Listener) -> None:
        listeners = self._listeners[conversation_id]
        first = not listeners
        listeners.add(listener)
        if first and self.on_interest is not None:
            self.on_interest(conversation_id)

    def leave(self, conversation_id: str, listener: Listener) -> None:
        listeners = self._listeners.get(conversation_id)
        if listeners is not None:
            listeners.discard(listener)
            if not listeners:
                del self._listeners[conversation_id]
                if self.on_interest is not None:
                    self.on_interest(conversation_id)

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


class _Peer:
    """Another instance as heard on the batch channel."""

    __slots__ = ("heard", "follows", "asked")

    def __init__(self, heard: float) -> None:
        self.heard = heard
        #: The conversations it follows; None until its hello or sync told us (then it gets all).
        self.follows: set[str] | None = None
        self.asked = False


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
        # Monotonic time our own last beat was read back (our subscription works).
        self._self_heard = -float("inf")
        # When we last said hello: every instance answers it with its list.
        self._hello_at = -float("inf")
        self._task: asyncio.Task[None] | None = None
        self._publisher: asyncio.Task[None] | None = None
        self._beater: asyncio.Task[None] | None = None
        self._reconciling: asyncio.Task[None] | None = None
        self._reconcile_again = False
        self._peers: dict[str, _Peer] = {}
        #: Conversation id -> how many peers (with a known set) follow it.
        self._wanted: dict[str, int] = {}
        self._unknown_peers = 0
        #: Conversations this instance started or stopped following since the last publish.
        self._interest_changed: set[str] = set()
        hub.on_interest = self._interest
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
        """No other instance is listening: our own beats come back, and every instance heard
        before has been silent for three beats (forgotten at our next beat)."""
        return time.monotonic() - self._self_heard <= 3 * self.peer_beat_seconds and not self._peers

    @property
    def publishes_everything(self) -> bool:
        """Publish every conversation: our own beats do not come back (we cannot hear who is
        there), or an instance was heard whose followed conversations we do not know."""
        return time.monotonic() - self._self_heard > 3 * self.peer_beat_seconds or self._unknown_peers > 0

    def instances_following(self, topic: str) -> set[str]:
        """The instances (this one included) with a socket following ``topic``, as far as we
        know: a peer whose list we lack is left out. The router uses it to offer a chat to an
        agent on the resident's instance (services/offers.py)."""
        found = {self.instance} if self.hub.listening(topic) else set()
        if topic in self._wanted:
            found.update(s for s, peer in self._peers.items() if peer.follows is not None and topic in peer.follows)
        return found

    def followed_elsewhere(self, conversation_id: str) -> bool:
        """Another instance has told us it follows this conversation."""
        return conversation_id in self._wanted

    def committed(self, events: Iterable[StoredEvent]) -> None:
        """Events just committed by this instance: deliver here, publish to the others that follow them."""
        everything = self.publishes_everything
        wanted = self._wanted
        for conversation_id, group in by_conversation(events).items():
            self.hub.deliver(conversation_id, group)
            if everything or conversation_id in wanted:
                self._enqueue(conversation_id, {"ev": [event_to_wire(e) for e in group]})

    async def wake(self, conversation_id: str) -> None:
        """Something was stored outside the event log: listeners read it from SQL."""
        self.hub.wake(conversation_id)
        if conversation_id in self._wanted or self.publishes_everything:
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
            self._take_interest()
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
            self._forget_gone_peers()
            if self.subscribed.is_set():
                self._control("beat")

    def _control(self, kind: str, follows: Iterable[str] | None = None) -> None:
        """A presence message on the batch channel: ``hello``, ``beat``, ``sync`` (the last two
        with every conversation we follow), ``follow`` or ``unfollow`` (what changed)."""
        body: dict[str, Any] = {"x": kind}
        if follows is not None:
            body["c"] = list(follows)
        self._enqueue("", body)

    def _say_hello(self) -> None:
        """Our list to every instance; each answers with ``sync`` (its list) and reconciles."""
        self._hello_at = time.monotonic()
        self._control("hello", self.hub.conversations())

    def _interest(self, conversation_id: str) -> None:
        self._interest_changed.add(conversation_id)
        self._flush.set()

    def _take_interest(self) -> None:
        """Tell the others what we started and stopped following (as it is now: a join and a
        leave in one loop turn cancel out)."""
        if not self._interest_changed:
            return
        changed, self._interest_changed = self._interest_changed, set()
        follow = [c for c in changed if self.hub.listening(c)]
        unfollow = [c for c in changed if not self.hub.listening(c)]
        if follow:
            self._control("follow", follow)
        if unfollow:
            self._control("unfollow", unfollow)

    # --- what the other instances follow ------------------------------------------------------

    def _peer(self, sender: str, now: float) -> _Peer:
        peer = self._peers.get(sender)
        if peer is None:
            peer = self._peers[sender] = _Peer(now)
            self._unknown_peers += 1
            # Its answer to our recent hello may still be on its way: do not ask twice.
            peer.asked = now - self._hello_at <= 3 * self.peer_beat_seconds
        peer.heard = now
        return peer

    def _set_follows(self, peer: _Peer, follows: set[str] | None) -> None:
        if peer.follows is None:
            self._unknown_peers -= 1
        else:
            self._unwant(peer.follows)
        peer.follows = follows
        if follows is None:
            self._unknown_peers += 1
        else:
            self._want(follows)

    def _want(self, conversations: Iterable[str]) -> None:
        wanted = self._wanted
        for c in conversations:
            wanted[c] = wanted.get(c, 0) + 1

    def _unwant(self, conversations: Iterable[str]) -> None:
        wanted = self._wanted
        for c in conversations:
            left = wanted.get(c, 0) - 1
            if left > 0:
                wanted[c] = left
            else:
                wanted.pop(c, None)

    def _forget_gone_peers(self) -> None:
        cutoff = time.monotonic() - 3 * self.peer_beat_seconds
        for sender, peer in list(self._peers.items()):
            if peer.heard < cutoff:
                self._set_follows(peer, set())
                del self._peers[sender]

    def _peer_control(self, peer: _Peer, body: dict[str, Any]) -> None:
        kind = body["x"]
        listed = body.get("c")
        conversations = [c for c in listed if isinstance(c, str)] if isinstance(listed, list) else None
        if kind in ("hello", "sync") and conversations is not None:
            self._set_follows(peer, set(conversations))
        elif kind == "follow" and conversations is not None and peer.follows is not None:
            added = [c for c in conversations if c not in peer.follows]
            peer.follows.update(added)
            self._want(added)
            for c in added:
                # What we committed before we knew is in SQL: its followers read it now.
                self._enqueue(c, {})
        elif kind == "unfollow" and conversations is not None and peer.follows is not None:
            gone = [c for c in conversations if c in peer.follows]
            peer.follows.difference_update(gone)
            self._unwant(gone)
        if kind == "hello":
            # A new instance: publish to it from now on, and have both sides catch up on what
            # was committed but not published before it was heard.
            self._control("sync", self.hub.conversations())
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
                self._self_heard = -float("inf")
                # What the others follow may have changed while we did not hear them: everything
                # goes to them until their sync says what they follow.
                for peer in self._peers.values():
                    self._set_follows(peer, None)
                    peer.asked = True
                self._say_hello()
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
            sender = body.get("o")
            peer = self._peer(sender, time.monotonic()) if isinstance(sender, str) else None
            if peer is not None:
                if "x" in body:
                    self._peer_control(peer, body)
                if peer.follows is None and not peer.asked:
                    # Heard, but without its list (its sync was lost, or it is an older version):
                    # everything goes to it, and our hello asks for the list once.
                    peer.asked = True
                    self._say_hello()
            if "x" in body:
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
