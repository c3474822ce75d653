"""When a Follower reads SQL and when it sends from memory (a unit test of handover.ws.connection).

A storm of new conversations made every new follower read the record at once (and often
twice); a conversation this socket just created cannot hold anything yet, so it reads nothing.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from waiting import eventually

from handover.store import repo
from handover.store.eventlog import StoredEvent
from handover.ws import connection
from handover.ws.connection import Follower


class Recorder:
    """Stands in for the socket's Outbound: keeps what would be sent."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def send(self, event: dict[str, Any]) -> None:
        self.sent.append(event)


def event(seq: int) -> StoredEvent:
    return StoredEvent("c1", seq, "message", "bot", None, f"tekst {seq}", None, None, None, None, datetime.now(UTC))


class Record:
    """The conversation's stored events; every read is noted, and can be held until released."""

    def __init__(self, stored: list[StoredEvent]) -> None:
        self.stored = stored
        self.reads: list[int] = []
        self.release = asyncio.Event()
        self.release.set()

    async def events_after(self, _sessions: object, conversation_id: str, seq: int, limit: int) -> list[StoredEvent]:
        assert conversation_id == "c1"
        self.reads.append(seq)
        await self.release.wait()
        return [e for e in self.stored if e.seq > seq][:limit]


def follower(outbound: Recorder, after_seq: int, *, catch_up: bool = True) -> Follower:
    view = lambda e: {"type": "message", "seq": e.seq}  # noqa: E731
    return Follower(outbound, None, "c1", after_seq, view, lambda e: e, catch_up=catch_up)  # type: ignore[arg-type]


@pytest.fixture
def record(monkeypatch: pytest.MonkeyPatch) -> Record:
    stored = Record([])
    monkeypatch.setattr(repo, "events_after", stored.events_after)
    assert connection.repo is repo
    return stored


async def test_a_new_conversation_reads_nothing_and_sends_its_first_events_from_memory(record: Record):
    outbound = Recorder()
    follower(outbound, 0, catch_up=False).deliver([event(1), event(2)])
    assert [e["seq"] for e in outbound.sent] == [1, 2]
    # No catch-up task was started (one would read when it first runs), and nothing was read.
    assert not [t for t in asyncio.all_tasks() if t.get_name().startswith("follow-")]
    assert record.reads == []


async def test_a_gap_still_reads_the_record_from_the_last_seq_sent(record: Record):
    record.stored = [event(1), event(2), event(3)]
    outbound = Recorder()
    f = follower(outbound, 0, catch_up=False)
    f.deliver([event(1)])
    f.deliver([event(3)])  # 2 was lost on the way (another instance, a dropped pub/sub message)
    await eventually(lambda: len(outbound.sent) == 3, what="the gap filled from SQL", timeout=5)
    assert [e["seq"] for e in outbound.sent] == [1, 2, 3]
    assert record.reads == [1]


async def test_a_resumed_conversation_catches_up_at_once_and_again_for_what_arrived_meanwhile(record: Record):
    record.stored = [event(1), event(2)]
    record.release.clear()
    outbound = Recorder()
    f = follower(outbound, 1)  # resumed after seq 1
    await eventually(lambda: record.reads == [1], what="the catch-up read", timeout=5)
    record.stored.append(event(3))
    f.deliver([event(3)])  # committed while the read was in flight: it may have missed it
    record.release.set()
    await eventually(lambda: len(outbound.sent) == 2, what="2 and 3 sent", timeout=5)
    assert [e["seq"] for e in outbound.sent] == [2, 3]
    assert record.reads == [1, 3]
