"""Cross-instance fan-out through a real Redis: committed events of many conversations travel in
one batch message, ephemeral events on their topic's channel, and nothing comes back twice."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

from redis.asyncio import Redis
from waiting import eventually

from handover.bus.fanout import Fanout, Hub
from handover.store.eventlog import StoredEvent


class Recorder:
    changed: asyncio.Event  # set by every recorder when something arrives

    def __init__(self) -> None:
        self.delivered: list[tuple[int, str | None]] = []
        self.ephemerals: list[dict[str, Any]] = []
        self.wakes = 0

    def wake(self) -> None:
        self.wakes += 1
        Recorder.changed.set()

    def deliver(self, events: list[StoredEvent]) -> None:
        self.delivered.extend((event.seq, event.text) for event in events)
        Recorder.changed.set()

    def ephemeral(self, event: dict[str, Any]) -> None:
        self.ephemerals.append(event)
        Recorder.changed.set()


def event(conversation_id: str, seq: int) -> StoredEvent:
    return StoredEvent(
        conversation_id, seq, "message", "resident", None, f"tekst {seq}", None, None, None, None, datetime.now(UTC)
    )


async def nothing_behind() -> int:
    return 0


async def until(condition: Any) -> None:
    async with asyncio.timeout(10):
        while not condition():
            Recorder.changed.clear()
            await Recorder.changed.wait()


async def test_committed_events_reach_the_other_instance_in_order_and_never_return_to_their_own(redis_url):
    Recorder.changed = asyncio.Event()
    namespace = f"test-{uuid.uuid4().hex[:8]}"
    redis = Redis.from_url(redis_url)
    hub_a, hub_b = Hub(), Hub()
    a = Fanout(redis, hub_a, "a", namespace)
    b = Fanout(redis, hub_b, "b", namespace)
    a.reconcile = b.reconcile = nothing_behind  # each one's hello makes both reconcile
    await a.start()
    await b.start()
    conversations = [str(uuid.uuid4()) for _ in range(5)]
    here = {c: Recorder() for c in conversations}
    there = {c: Recorder() for c in conversations}
    for c in conversations:
        hub_a.join(c, here[c])
        hub_b.join(c, there[c])
    topic = "queue:team"
    queue_here, queue_there = Recorder(), Recorder()
    hub_a.join(topic, queue_here)
    hub_b.join(topic, queue_there)
    raw = redis.pubsub(ignore_subscribe_messages=True)
    await raw.subscribe(f"{namespace}:conv:{topic}")
    try:
        await asyncio.wait_for(asyncio.gather(a.subscribed.wait(), b.subscribed.wait()), 10)
        for recorder in [*here.values(), *there.values()]:
            recorder.wakes = 0  # a new subscription wakes every listener (a catch-up from SQL)
        # Several commit batches of several conversations, an ephemeral event in between.
        a.committed([event(c, 1) for c in conversations])
        a.ephemeral_many([(topic, {"type": "queue", "waiting": 3})])
        a.committed([event(c, seq) for seq in (2, 3) for c in conversations])
        await a.wake(conversations[0])

        await until(lambda: all(len(there[c].delivered) == 3 for c in conversations))
        await until(lambda: there[conversations[0]].wakes >= 1 and queue_there.ephemerals)
        for c in conversations:
            assert [seq for seq, _ in there[c].delivered] == [1, 2, 3]
            assert there[c].delivered[0][1] == "tekst 1"
        assert queue_there.ephemerals == [{"type": "queue", "waiting": 3}]
        # A topic's ephemeral events are still readable on the topic's own channel.
        message = await raw.get_message(timeout=5)
        while message is None:
            message = await raw.get_message(timeout=5)
        assert b'"waiting":3' in message["data"]

        # The publishing instance delivered from memory once; its own messages did not come back.
        b.committed([event(conversations[0], 4)])
        await until(lambda: len(here[conversations[0]].delivered) == 4)
        for c in conversations:
            expected = [1, 2, 3, 4] if c == conversations[0] else [1, 2, 3]
            assert [seq for seq, _ in here[c].delivered] == expected
        assert queue_here.ephemerals == [{"type": "queue", "waiting": 3}]
        assert here[conversations[0]].wakes == 1  # its own wake(), not an echo of it
    finally:
        await raw.aclose()  # type: ignore[no-untyped-call]
        await a.stop()
        await b.stop()
        await redis.aclose()


async def test_a_lone_instance_publishes_no_committed_events_until_another_says_hello(redis_url):
    """Alone, an instance delivers locally and publishes nothing but its beats and ephemeral
    events; a newcomer's hello makes it publish again and both sides reconcile; once the
    newcomer is gone for three beats, it is alone again."""
    Recorder.changed = asyncio.Event()
    namespace = f"test-{uuid.uuid4().hex[:8]}"
    redis = Redis.from_url(redis_url)
    conversation = str(uuid.uuid4())
    hub_a, hub_b = Hub(), Hub()
    here, there = Recorder(), Recorder()
    hub_a.join(conversation, here)
    hub_b.join(conversation, there)
    reconciled = {"a": 0, "b": 0}

    def counting(name: str) -> Any:
        async def reconcile() -> int:
            reconciled[name] += 1
            return 0

        return reconcile

    a = Fanout(redis, hub_a, "a", namespace, peer_beat_seconds=0.05)
    b = Fanout(redis, hub_b, "b", namespace, peer_beat_seconds=0.05)
    a.reconcile, b.reconcile = counting("a"), counting("b")
    raw = redis.pubsub(ignore_subscribe_messages=True)
    await raw.psubscribe(f"{namespace}:conv:*")  # a reader that is not an instance
    try:
        await a.start()
        await eventually(lambda: a.alone, what="the lone instance to notice it is alone")

        a.committed([event(conversation, 1)])
        await a.ephemeral("queue:team", {"type": "queue", "waiting": 1})  # always published
        assert [seq for seq, _ in here.delivered] == [1]  # delivered here, from memory
        published = []
        async with asyncio.timeout(10):
            while not published or b'"waiting":1' not in published[-1]:
                message = await raw.get_message(timeout=5)
                if message is not None:
                    published.append(message["data"])
        assert not [data for data in published if b'"ev"' in data], published
        assert any(b'"x":"beat"' in data for data in published)

        await b.start()
        await eventually(lambda: not a.alone, what="the first instance to hear the second")
        await eventually(lambda: reconciled["a"] >= 1 and reconciled["b"] >= 1, what="both to reconcile")
        a.committed([event(conversation, 2)])
        await until(lambda: there.delivered == [(2, "tekst 2")])
        b.committed([event(conversation, 3)])
        await until(lambda: [seq for seq, _ in here.delivered] == [1, 2, 3])

        await b.stop()
        await eventually(lambda: a.alone, what="the first instance to be alone once the second is gone")
    finally:
        await raw.aclose()  # type: ignore[no-untyped-call]
        await a.stop()
        await b.stop()
        await redis.aclose()


async def test_an_instance_publishes_only_what_another_instance_follows(redis_url):
    """Committed events go to Redis only for conversations another instance follows; a new
    follower elsewhere gets a wake-up (it reads from SQL what it missed) and the events from
    then on; once it stops following, they are not published any more."""
    Recorder.changed = asyncio.Event()
    namespace = f"test-{uuid.uuid4().hex[:8]}"
    redis = Redis.from_url(redis_url)
    shared, mine = str(uuid.uuid4()), str(uuid.uuid4())
    hub_a, hub_b = Hub(), Hub()
    here = {c: Recorder() for c in (shared, mine)}
    there = {c: Recorder() for c in (shared, mine)}
    for c in (shared, mine):
        hub_a.join(c, here[c])
    hub_b.join(shared, there[shared])
    a = Fanout(redis, hub_a, "a", namespace, peer_beat_seconds=0.05)
    b = Fanout(redis, hub_b, "b", namespace, peer_beat_seconds=0.05)
    a.reconcile = b.reconcile = nothing_behind
    raw = redis.pubsub(ignore_subscribe_messages=True)
    await raw.subscribe(a.batch_channel)  # a reader that is not an instance

    async def published_by_a(until_text: bytes) -> list[bytes]:
        seen: list[bytes] = []
        async with asyncio.timeout(10):
            while not seen or until_text not in seen[-1]:
                message = await raw.get_message(timeout=5)
                if message is not None and message["data"].startswith(a._own):
                    seen.append(message["data"])
        return [data for data in seen if b'"ev"' in data]

    try:
        await a.start()
        await b.start()
        await eventually(lambda: not a.publishes_everything, what="the first to know what the second follows")
        assert a.followed_elsewhere(shared) and not a.followed_elsewhere(mine)
        # Where each conversation is followed, as the router asks (services/offers.py).
        await eventually(lambda: not b.publishes_everything, what="the second to know what the first follows")
        assert a.instances_following(shared) == {a.instance, b.instance} == b.instances_following(shared)
        assert a.instances_following(mine) == {a.instance} == b.instances_following(mine)
        assert a.instances_following(str(uuid.uuid4())) == set()

        a.committed([event(mine, 1), event(shared, 1)])
        await until(lambda: there[shared].delivered == [(1, "tekst 1")])
        batches = await published_by_a(b'"tekst 1"')
        assert shared.encode() in batches[-1] and mine.encode() not in b"".join(batches)
        assert [seq for seq, _ in here[mine].delivered] == [1]  # delivered here all the same

        # The second instance starts following the other conversation: a wake-up, then events.
        there[mine].wakes = 0
        hub_b.join(mine, there[mine])
        await eventually(lambda: a.followed_elsewhere(mine), what="the follow to arrive")
        await until(lambda: there[mine].wakes >= 1)
        a.committed([event(mine, 2)])
        await until(lambda: there[mine].delivered == [(2, "tekst 2")])

        # It stops following the first: its events stay here.
        hub_b.leave(shared, there[shared])
        await eventually(lambda: not a.followed_elsewhere(shared), what="the unfollow to arrive")
        assert a.instances_following(shared) == {a.instance}
        a.committed([event(shared, 3), event(mine, 3)])
        await until(lambda: [seq for seq, _ in there[mine].delivered] == [2, 3])
        batches = await published_by_a(b'"tekst 3"')
        assert shared.encode() not in batches[-1] and mine.encode() in batches[-1]
        assert there[shared].delivered == [(1, "tekst 1")]
    finally:
        await raw.aclose()  # type: ignore[no-untyped-call]
        await a.stop()
        await b.stop()
        await redis.aclose()
