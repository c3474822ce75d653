"""One batch of the event log, whatever it holds, ends as appending one event at a time would.

The log writes everything queued while a commit is in flight as one batch: SQLite's writer
thread in one transaction, PostgreSQL in one statement. Each case here holds the writer on a
lock, queues a batch behind it, and checks the results, the stored rows, the counters and what
was announced. Real SQLite and PostgreSQL, the real event log.
"""

from __future__ import annotations

import asyncio
import fcntl
import inspect
import os
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from sqlalchemy import text
from waiting import eventually

from handover.services.conversations import RESIDENT_MAY_SPEAK
from handover.store import repo, sqlite_writer
from handover.store.db import Database
from handover.store.eventlog import Appended, AppendRefused, EventLog, Guard, NewEvent

GUARD = Guard(RESIDENT_MAY_SPEAK)


def _said(text_: str, client_id: str | None = None) -> NewEvent:
    return NewEvent(kind="message", author="resident", text=text_, client_id=client_id or text_)


async def _conversation(db: Database, *, state: str = "bot", left: bool = False) -> str:
    conversation, _ = await repo.create_conversation(
        db.sessions, channel="website", lang="nl", page=None, referrer=None, utm=None
    )
    async with db.sessions() as session, session.begin():
        await session.execute(
            text("UPDATE conversations SET state = :state, resident_left_at = :left WHERE id = :id"),
            {"state": state, "left": datetime.now(UTC) if left else None, "id": conversation.id},
        )
    return conversation.id


@asynccontextmanager
async def _writer_held(db: Database, database_url: str, log: EventLog, blocked_id: str) -> AsyncIterator[None]:
    """Hold the log's writer on a lock while the body queues a batch; let it go at the end."""
    if db.is_sqlite:
        lock = sqlite3.connect(database_url.split("///", 1)[1], isolation_level=None, check_same_thread=False)
        lock.execute("BEGIN IMMEDIATE")  # the writer's own BEGIN IMMEDIATE waits for this
        try:
            held = log.append(blocked_id, _said("voorop"))
            blocker = asyncio.ensure_future(held)
            queue = log._sqlite_queue
            assert queue is not None
            await eventually(
                lambda: inspect.getcoroutinestate(held) == inspect.CORO_SUSPENDED and queue.empty(),
                what="the writer thread holding the first append, alone",
            )
            yield
            lock.execute("COMMIT")
        finally:
            lock.close()
    else:
        dsn = database_url.replace("postgresql+asyncpg://", "postgresql://")
        lock, watcher = await asyncpg.connect(dsn), await asyncpg.connect(dsn)
        try:
            transaction = lock.transaction()
            await transaction.start()
            await lock.execute("SELECT 1 FROM conversations WHERE id = $1 FOR UPDATE", blocked_id)
            blocker = asyncio.ensure_future(log.append(blocked_id, _said("voorop")))

            async def writer_waits() -> bool:
                waiting = await watcher.fetchval(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> $1",
                    lock.get_server_pid(),
                )
                return bool(waiting)

            await eventually(writer_waits, what="the writer waiting for the conversation's lock")
            yield
            await transaction.commit()
        finally:
            await lock.close()
            await watcher.close()
    assert (await blocker).created


def _queued(log: EventLog) -> int:
    return log._sqlite_queue.qsize() if log._sqlite_queue is not None else len(log._pending)


async def _one_batch(
    db: Database, database_url: str, log: EventLog, appends: list[Callable[[], Any]]
) -> list[Appended | BaseException]:
    held = await _conversation(db)
    async with _writer_held(db, database_url, log, held):
        before = log.batches
        tasks = [asyncio.ensure_future(append()) for append in appends]
        await eventually(lambda: _queued(log) == len(appends), what="every append queued behind the held one")
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert log.batches - before == 2, "the held append, then everything queued behind it as one batch"
    return results


async def _stored(db: Database, conversation_id: str) -> tuple[list[tuple[int, str]], int, bool]:
    async with db.sessions() as session:
        rows = (
            await session.execute(
                text("SELECT seq, client_id FROM messages WHERE conversation_id = :id ORDER BY seq"),
                {"id": conversation_id},
            )
        ).all()
        last_seq, left = (
            await session.execute(
                text("SELECT last_seq, resident_left_at FROM conversations WHERE id = :id"), {"id": conversation_id}
            )
        ).one()
    return [(seq, client_id) for seq, client_id in rows], last_seq, left is not None


@pytest.fixture
async def log(db: Database) -> AsyncIterator[tuple[EventLog, list[tuple[str, int]]]]:
    announced: list[tuple[str, int]] = []
    event_log = EventLog(
        db.engine,
        is_sqlite=db.is_sqlite,
        on_committed=lambda events: announced.extend((e.conversation_id, e.seq) for e in events),
    )
    yield event_log, announced
    await event_log.close()


async def test_a_batch_of_new_appends_numbers_each_conversation_on(db, database_url, log):
    event_log, announced = log
    first, second = await _conversation(db, left=True), await _conversation(db)
    await event_log.append(second, _said("al eerder"), GUARD)
    appends = [
        lambda: event_log.append(first, _said("een"), GUARD, clear_left=True),
        lambda: event_log.append(second, _said("twee"), GUARD),
        lambda: event_log.append(first, _said("drie"), GUARD),
        lambda: event_log.append(second, NewEvent(kind="message", author="bot", text="antwoord")),
    ]
    results = await _one_batch(db, database_url, event_log, appends)
    assert all(isinstance(r, Appended) and r.created for r in results), results
    assert [(r.event.conversation_id, r.event.seq) for r in results] == [
        (first, 1),
        (second, 2),
        (first, 2),
        (second, 3),
    ]
    assert all(r.conversation is not None and r.conversation.state == "bot" for r in results)
    assert await _stored(db, first) == ([(1, "een"), (2, "drie")], 2, False), "counter bumped, left cleared"
    assert await _stored(db, second) == ([(1, "al eerder"), (2, "twee"), (3, None)], 3, False)
    assert sorted((c, s) for c, s in announced if c in (first, second)) == sorted(
        [(second, 1), (first, 1), (first, 2), (second, 2), (second, 3)]
    )


async def test_a_retransmission_in_a_batch_returns_its_original_and_the_rest_is_stored_once(db, database_url, log):
    event_log, announced = log
    first, second = await _conversation(db), await _conversation(db)
    original = await event_log.append(first, _said("hallo", "x"), GUARD)
    appends = [
        lambda: event_log.append(second, _said("nieuw"), GUARD),
        lambda: event_log.append(first, _said("hallo", "x"), GUARD),  # sent again after a drop
        lambda: event_log.append(first, _said("daarna"), GUARD),
    ]
    new, again, after = await _one_batch(db, database_url, event_log, appends)
    assert isinstance(again, Appended) and not again.created
    assert (again.event.seq, again.event.text, again.event.created_at) == (1, "hallo", original.event.created_at)
    assert isinstance(new, Appended) and isinstance(after, Appended)
    assert (new.event.seq, after.event.seq) == (1, 2)
    assert await _stored(db, first) == ([(1, "x"), (2, "daarna")], 2, False)
    assert await _stored(db, second) == ([(1, "nieuw")], 1, False)
    assert [s for c, s in announced if c == first] == [1, 2], "the retransmission is not announced again"


async def test_refused_and_unknown_appends_fail_alone_in_their_batch(db, database_url, log):
    event_log, announced = log
    open_, closed = await _conversation(db), await _conversation(db, state="closed")
    appends = [
        lambda: event_log.append(open_, _said("gaat door"), GUARD),
        lambda: event_log.append(closed, _said("te laat"), GUARD),
        lambda: event_log.append("bestaat-niet", _said("nergens"), GUARD),
        lambda: event_log.append(open_, _said("ook"), GUARD),
    ]
    kept, late, nowhere, also = await _one_batch(db, database_url, event_log, appends)
    assert isinstance(late, AppendRefused) and (late.code, late.state) == ("conversation_closed", "closed")
    assert isinstance(nowhere, AppendRefused) and nowhere.code == "unknown_conversation"
    assert isinstance(kept, Appended) and isinstance(also, Appended)
    assert (kept.event.seq, also.event.seq) == (1, 2)
    assert await _stored(db, open_) == ([(1, "gaat door"), (2, "ook")], 2, False)
    assert await _stored(db, closed) == ([], 0, False)
    assert not [s for c, s in announced if c == closed]


async def test_twins_in_one_batch_are_stored_once_with_their_buttons_and_meta(db, database_url, log):
    event_log, announced = log
    conversation = await _conversation(db)
    asked = NewEvent(
        kind="message",
        author="bot",
        text="Kies één",
        client_id="vraag-1",
        buttons=[{"title": "Paspoort", "payload": "/paspoort"}],
        meta={"intent": "id_kwijt", "confidence": 0.93},
    )
    appends = [
        lambda: event_log.append(conversation, asked),
        lambda: event_log.append(conversation, asked),  # the same frame twice, before either is stored
        lambda: event_log.append(conversation, _said("daarna")),
    ]
    first, twin, after = await _one_batch(db, database_url, event_log, appends)
    assert isinstance(first, Appended) and first.created
    assert isinstance(twin, Appended) and not twin.created and twin.conversation is None
    assert isinstance(after, Appended) and after.created
    assert (first.event.seq, twin.event.seq, after.event.seq) == (1, 1, 2)
    assert (twin.event.buttons, twin.event.meta, twin.event.text) == (asked.buttons, asked.meta, "Kies één")
    assert await _stored(db, conversation) == ([(1, "vraag-1"), (2, "daarna")], 2, False)
    assert [s for c, s in announced if c == conversation] == [1, 2]


async def test_an_agent_guard_refuses_another_agent_in_the_same_batch(db, database_url, log):
    event_log, _ = log
    conversation = await _conversation(db, state="assigned")
    async with db.sessions() as session, session.begin():
        await session.execute(text("UPDATE conversations SET agent_id = 7 WHERE id = :id"), {"id": conversation})
    states = frozenset({"assigned"})
    appends = [
        lambda: event_log.append(conversation, NewEvent(kind="message", author="agent", text="ik"), Guard(states, 7)),
        lambda: event_log.append(conversation, NewEvent(kind="message", author="agent", text="niet"), Guard(states, 8)),
    ]
    mine, other = await _one_batch(db, database_url, event_log, appends)
    assert isinstance(mine, Appended) and mine.event.seq == 1 and mine.conversation is not None
    assert mine.conversation.agent_id == 7
    assert isinstance(other, AppendRefused) and (other.state, other.agent_id) == ("assigned", 7)
    assert await _stored(db, conversation) == ([(1, None)], 1, False)


async def test_a_nul_character_is_kept_by_sqlite_and_refused_alone_by_postgresql(db, database_url, log):
    event_log, _ = log
    conversation = await _conversation(db)
    appends = [
        lambda: event_log.append(conversation, _said("voor\x00na", "nul")),
        lambda: event_log.append(conversation, _said("gewoon")),
    ]
    odd, plain = await _one_batch(db, database_url, event_log, appends)
    assert isinstance(plain, Appended) and plain.created
    async with db.sessions() as session:
        texts = (
            (
                await session.execute(
                    text("SELECT text FROM messages WHERE conversation_id = :id ORDER BY seq"), {"id": conversation}
                )
            )
            .scalars()
            .all()
        )
    if db.is_sqlite:
        assert isinstance(odd, Appended) and odd.event.text == "voor\x00na"
        assert texts == ["voor\x00na", "gewoon"], "the text is stored whole, not cut at the NUL"
    else:  # PostgreSQL's text cannot hold NUL: that append fails, its neighbour does not
        assert isinstance(odd, Exception) and not isinstance(odd, AppendRefused)
        assert texts == ["gewoon"]


async def test_sqlite_writer_process_is_replaced_when_killed_and_stopped_on_close(sqlite_url):
    # SQLite's appends only: on PostgreSQL the database server writes them, no process of ours.
    db = Database(sqlite_url)
    event_log = EventLog(db.engine, is_sqlite=True, on_committed=lambda events: None)
    try:
        conversation = await _conversation(db)
        first = await event_log.append(conversation, _said("een"))
        process = event_log._sqlite
        assert process is not None and process.poll() is None
        process.kill()
        process.wait()
        second = await event_log.append(conversation, _said("twee"))  # a new writer takes over
        assert (first.event.seq, second.event.seq) == (1, 2)
        replacement = event_log._sqlite
        assert replacement is not None and replacement is not process and replacement.poll() is None
        await event_log.close()
        assert replacement.poll() == 0, "the writer stops by itself once its pipe is closed"
        assert await _stored(db, conversation) == ([(1, "een"), (2, "twee")], 2, False)
    finally:
        await event_log.close()
        await db.dispose()


def _waiting_on_flock(pid: int) -> bool:
    """Whether process ``pid`` waits for an flock (``/proc/locks`` lists waiters behind ``->``)."""
    with open("/proc/locks") as locks:
        return any(
            fields[1] == "->" and fields[2] == "FLOCK" and fields[5] == str(pid)
            for fields in (line.split() for line in locks)
            if len(fields) > 5
        )


@pytest.mark.skipif(not os.path.exists("/proc/locks"), reason="needs Linux's /proc/locks to see who waits")
async def test_sqlite_writers_take_turns_on_the_flock_beside_the_database(sqlite_url):
    # Two service processes on one SQLite file each have a writer; they wait for each other on
    # this flock, which the kernel hands over at once, not in SQLite's sleeping busy handler.
    path = sqlite_url.split("///", 1)[1]
    db = Database(sqlite_url)
    event_log = EventLog(db.engine, is_sqlite=True, on_committed=lambda events: None)
    other_writer = os.open(sqlite_writer.lock_path(path), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        conversation = await _conversation(db)
        await event_log.append(conversation, _said("een"))
        process = event_log._sqlite
        assert process is not None
        fcntl.flock(other_writer, fcntl.LOCK_EX)  # another process's writer is in its transaction
        try:
            pending = asyncio.ensure_future(event_log.append(conversation, _said("twee")))
            await eventually(lambda: _waiting_on_flock(process.pid), what="the writer waiting on the flock")
            assert not pending.done()
            assert await _stored(db, conversation) == ([(1, "een")], 1, False), "nothing written past the lock"
        finally:
            fcntl.flock(other_writer, fcntl.LOCK_UN)
        second = await pending
        assert second.event.seq == 2
        assert await _stored(db, conversation) == ([(1, "een"), (2, "twee")], 2, False)
        # Between transactions the writer does not hold it: another writer gets it at once.
        fcntl.flock(other_writer, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(other_writer, fcntl.LOCK_UN)
    finally:
        os.close(other_writer)
        await event_log.close()
        await db.dispose()
