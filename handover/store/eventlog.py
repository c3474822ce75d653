"""The hot path of the record: append events to conversations, many per commit.

Every event gets the conversation's next sequence number in the same transaction that stores
it, and nothing is acknowledged before that transaction has committed. To make that cheap:

- **one statement per batch**: on PostgreSQL a data-modifying CTE over the batch's unnested
  arrays locks the conversations in id order, checks each append's guard (state, agent),
  inserts the rows with the next seqs (a retransmitted client id is caught by the unique
  index's conflict check, `ON CONFLICT DO NOTHING`, and only then is its original looked up),
  and bumps the counters of the conversations it inserted into, in one round trip (a
  conversation with several appends in one batch takes one statement per append of it, since
  an UPDATE changes a row once per statement); SQLite runs the same steps as five statements
  per batch in a writer process of its own (``sqlite_writer.py``);
- **one cached plan**: the log's connection rules out sequential scans (every access is by
  key) and keeps one generic plan, so no batch is planned again, whatever the statistics say;
- **group commit**: appends that arrive while a commit is in flight wait for the next batch,
  so one commit (one fsync) serves many conversations; a batch that fails is retried item by
  item, so one bad append never fails its neighbours;
- the driver directly (asyncpg's prepared statements; on SQLite the writer process's own
  connection, fed by a thread that takes the next batch from its queue as soon as the last one
  has committed and hands each batch's results to the event loop in one callback), no ORM
  objects.

Rows in a batch lock their conversations in id order (PostgreSQL: ``SELECT ... ORDER BY id FOR
UPDATE`` inside the statement), so two instances writing batches that touch the same
conversations do not deadlock; should one still fail, the batch is retried item by item.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import queue
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ..core.errors import HandoverError
from ..core.tasks import stop_task
from . import sqlite_writer
from .models import as_utc, utcnow

log = logging.getLogger(__name__)

MAX_BATCH = sqlite_writer.MAX_BATCH  # appends per batch at most, on either database


@dataclass(frozen=True, slots=True)
class NewEvent:
    """What to append to a conversation's record."""

    kind: str  # "message" | "state" | "note"
    author: str
    text: str | None = None
    payload: str | None = None
    client_id: str | None = None
    author_name: str | None = None
    buttons: list[dict[str, Any]] | None = None
    meta: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Guard:
    """Append only while the conversation is in one of ``states`` (and has ``agent_id``)."""

    states: frozenset[str]
    agent_id: int | None = None


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """One stored event; it has the attributes of :class:`handover.store.models.Message`."""

    conversation_id: str
    seq: int
    kind: str
    author: str
    author_name: str | None
    text: str | None
    payload: str | None
    client_id: str | None
    buttons: list[Any] | None
    meta: dict[str, Any] | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ConversationRow:
    """The conversation as the append found it (state before any decision on this event)."""

    state: str
    team: str | None
    agent_id: int | None
    channel: str
    page: str | None
    lang: str


@dataclass(frozen=True, slots=True)
class Appended:
    event: StoredEvent
    created: bool  # False: a retransmission, ``event`` is the original
    conversation: ConversationRow | None  # None for a retransmission


class AppendRefused(HandoverError):
    """The guard did not hold (``state`` is what the conversation is in), or no such conversation."""

    code = "conversation_closed"
    codes = frozenset({"conversation_closed", "unknown_conversation"})

    def __init__(self, conversation_id: str, state: str | None, agent_id: int | None) -> None:
        super().__init__(
            f"append to {conversation_id} refused in state {state!r}",
            code="unknown_conversation" if state is None else "conversation_closed",
        )
        self.conversation_id = conversation_id
        self.state = state
        self.agent_id = agent_id

    def __repr__(self) -> str:
        return f"AppendRefused(state={self.state!r}, agent_id={self.agent_id!r})"


@dataclass(slots=True)
class _Item:
    conversation_id: str
    new: NewEvent
    guard: Guard | None
    clear_left: bool
    future: asyncio.Future[Appended] = field(repr=False)


@dataclass(slots=True)
class _Stop:
    """Queued by ``close``: the SQLite writer thread writes what came before, then stops (and
    with it the writer process)."""

    stopped: asyncio.Future[None]


_Done = list[tuple[_Item, Appended | BaseException]]


_COLUMNS = "conversation_id, seq, kind, author, author_name, text, payload, client_id, buttons, meta, created_at"

_PG_APPEND_MANY = f"""
WITH i AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                         $8::text[], $9::text[], $10::text[], $11::int[], $12::bool[])
        AS t(cid, client_id, kind, author, author_name, text, payload, buttons, meta, guard_states, guard_agent,
             clear_left)
),
locked AS MATERIALIZED (
    SELECT id, state, agent_id, last_seq FROM conversations WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE
),
allowed AS (
    SELECT i.*, locked.last_seq + 1 AS seq FROM i JOIN locked ON locked.id = i.cid
    WHERE (i.guard_states IS NULL OR locked.state = ANY(string_to_array(i.guard_states, ',')))
      AND (i.guard_agent IS NULL OR locked.agent_id = i.guard_agent)
),
m AS (
    INSERT INTO messages ({_COLUMNS})
    SELECT cid, seq, kind, author, author_name, text, payload, client_id, CAST(buttons AS JSON), CAST(meta AS JSON),
           $13
    FROM allowed
    ON CONFLICT (conversation_id, client_id) DO NOTHING
    RETURNING conversation_id, seq
),
c AS (
    UPDATE conversations SET last_seq = m.seq, updated_at = $13,
        resident_left_at = CASE WHEN i.clear_left THEN NULL ELSE conversations.resident_left_at END
    FROM m JOIN i ON i.cid = m.conversation_id
    WHERE conversations.id = m.conversation_id
    RETURNING conversations.id, conversations.state, conversations.team, conversations.agent_id,
              conversations.channel, conversations.page, conversations.lang
),
dup AS (
    SELECT d.conversation_id, d.seq, d.kind, d.author, d.author_name, d.text, d.payload, d.buttons, d.meta,
           d.created_at
    FROM i CROSS JOIN LATERAL (
        SELECT * FROM messages WHERE messages.conversation_id = i.cid AND messages.client_id = i.client_id LIMIT 1
    ) AS d
    WHERE i.client_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM m WHERE m.conversation_id = i.cid)
)
SELECT i.cid, m.seq, c.state, c.team, c.agent_id, c.channel, c.page, c.lang,
       d.seq AS dup_seq, d.kind, d.author, d.author_name, d.text, d.payload,
       CAST(d.buttons AS TEXT) AS dup_buttons, CAST(d.meta AS TEXT) AS dup_meta, d.created_at,
       cur.state AS current_state, cur.agent_id AS current_agent, a.cid IS NOT NULL AS allowed
FROM i
LEFT JOIN c ON c.id = i.cid LEFT JOIN m ON m.conversation_id = i.cid
LEFT JOIN dup AS d ON d.conversation_id = i.cid LEFT JOIN locked AS cur ON cur.id = i.cid
LEFT JOIN allowed AS a ON a.cid = i.cid
"""  # noqa: S608 - constant columns; every value is a parameter


# The log's own connection: see EventLog._postgres_batch.
PG_SESSION = "SET enable_seqscan = off; SET plan_cache_mode = force_generic_plan"


@functools.lru_cache(maxsize=64)
def _states_csv(states: frozenset[str]) -> str:
    """A guard's states as the statement's comma-separated text (a handful of distinct guards)."""
    return ",".join(sorted(states))


def _postgres_columns(items: list[_Item]) -> list[list[Any]]:
    """The batch as twelve parallel arrays (the statement unnests them into rows)."""
    columns: list[list[Any]] = [[] for _ in range(12)]
    (cids, client_ids, kinds, authors, names, texts, payloads, buttons, metas, states, agents, clears) = columns
    for item in items:
        new = item.new
        cids.append(item.conversation_id)
        client_ids.append(new.client_id)
        kinds.append(new.kind)
        authors.append(new.author)
        names.append(new.author_name)
        texts.append(new.text)
        payloads.append(new.payload)
        buttons.append(_json_or_none(new.buttons))
        metas.append(_json_or_none(new.meta))
        guard = item.guard
        states.append(None if guard is None else _states_csv(guard.states))
        agents.append(None if guard is None else guard.agent_id)
        clears.append(item.clear_left)
    return columns


def _json_or_none(value: Any) -> str | None:
    return None if value is None else json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _loaded(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


class EventLog:
    """Appends events with group commit. One per process, opened by the app's lifespan."""

    def __init__(
        self, engine: AsyncEngine, *, is_sqlite: bool, on_committed: Callable[[list[StoredEvent]], None]
    ) -> None:
        self.engine = engine
        self.is_sqlite = is_sqlite
        self.on_committed = on_committed
        # SQLite: a thread drains the log's queue and hands each batch to the writer process
        # (sqlite_writer.py), which has its own connection and its own GIL. Through SQLAlchemy's
        # async adapter every statement was several thread hops; when the event loop handed
        # each batch over and back, a batch waited 5.6 ms for 3.0 ms of SQLite work (seventh
        # round); with the statements in this process's thread, a batch took 5.7 ms for 2 ms of
        # CPU, waiting for the GIL and cores the loop held (eighth round, docs/performance.md).
        self.sqlite_path = engine.url.database or ""
        if is_sqlite and self.sqlite_path in ("", ":memory:"):
            raise ValueError("the event log needs a SQLite file: its writer is a process of its own")
        self._sqlite: subprocess.Popen[bytes] | None = None  # the writer process
        self._sqlite_queue: queue.SimpleQueue[_Item | _Stop] | None = queue.SimpleQueue() if is_sqlite else None
        self._sqlite_writer: threading.Thread | None = None
        self._pg: AsyncConnection | None = None
        self._pending: list[_Item] = []
        self._ready = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None
        self.batches = 0
        self.appends = 0

    async def append(
        self, conversation_id: str, new: NewEvent, guard: Guard | None = None, *, clear_left: bool = False
    ) -> Appended:
        """Store ``new`` with the next seq once its batch has committed; raise AppendRefused."""
        future: asyncio.Future[Appended] = asyncio.get_running_loop().create_future()
        item = _Item(conversation_id, new, guard, clear_left, future)
        if self._sqlite_queue is not None:
            if self._sqlite_writer is None:
                self._sqlite_writer = threading.Thread(
                    target=self._sqlite_write_loop, args=(self._sqlite_queue,), name="eventlog-sqlite", daemon=True
                )
                self._sqlite_writer.start()
            self._sqlite_queue.put(item)
            return await future
        self._pending.append(item)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_loop(), name="eventlog-writer")
        self._ready.set()
        return await future

    async def close(self) -> None:
        if self._writer is not None:
            # Let what was accepted be written (their callers are waiting for the commit).
            await asyncio.gather(*(item.future for item in self._pending), return_exceptions=True)
            await stop_task(self._writer)
        if self._pg is not None:
            connection, self._pg = self._pg, None
            with contextlib.suppress(Exception):
                await connection.invalidate()  # not back to the pool: it carries the log's SET
        if self._sqlite_writer is not None and self._sqlite_queue is not None:
            # What was queued before is written first (its callers are waiting for the commit).
            stopped: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._sqlite_queue.put(_Stop(stopped))
            await stopped
            self._sqlite_writer = None

    async def _write_loop(self) -> None:
        while True:
            await self._ready.wait()
            self._ready.clear()
            while self._pending:
                batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
                await self._write(batch)

    async def _write(self, batch: list[_Item]) -> None:
        done: _Done = []
        try:
            done = await self._transaction(batch)
        except asyncio.CancelledError:
            for item in batch:
                if not item.future.done():
                    item.future.cancel()
            raise
        except Exception as exc:
            if len(batch) == 1:
                done = [(batch[0], exc)]
            else:
                # One bad append (a duplicate client id racing its twin, a vanished row) must not
                # fail the others: redo them one per transaction.
                log.debug("batch of %d failed (%r); retrying one by one", len(batch), exc)
                for item in batch:
                    try:
                        done.extend(await self._transaction([item]))
                    except Exception as one:  # noqa: BLE001 - handed to the caller's future
                        done.append((item, one))
        self._finish(done)

    def _finish(self, done: _Done) -> None:
        """On the event loop: hand a written batch to the followers, then to its callers."""
        self.batches += 1
        self.appends += len(done)
        committed = [r.event for _, r in done if isinstance(r, Appended) and r.created]
        if committed:
            try:
                self.on_committed(committed)
            except Exception:
                log.exception("delivering committed events failed; followers catch up from SQL")
        for item, result in done:
            if item.future.done():
                continue
            if isinstance(result, BaseException):
                item.future.set_exception(result)
            else:
                item.future.set_result(result)

    async def _transaction(self, batch: list[_Item]) -> list[tuple[_Item, Appended | BaseException]]:
        # Lock rows in id order (stable: one conversation's items keep their order).
        ordered = sorted(batch, key=lambda item: item.conversation_id)
        now = utcnow()
        rows = await self._postgres_batch(ordered, now)
        return [(item, self._result(item, row, now)) for item, row in zip(ordered, rows, strict=True)]

    def _result(self, item: _Item, row: tuple[Any, ...] | BaseException, now: datetime) -> Appended | BaseException:
        """Turn one driver row (seq, state, team, agent, channel, page, lang, dup..., current...) into a result."""
        if isinstance(row, BaseException):
            return row
        (
            seq,
            state,
            team,
            agent_id,
            channel,
            page,
            lang,
            dup_seq,
            kind,
            author,
            author_name,
            text_,
            payload,
            buttons,
            meta,
            created_at,
            current_state,
            current_agent,
        ) = row
        new = item.new
        if seq is not None:
            return Appended(
                StoredEvent(
                    item.conversation_id,
                    seq,
                    new.kind,
                    new.author,
                    new.author_name,
                    new.text,
                    new.payload,
                    new.client_id,
                    new.buttons,
                    new.meta,
                    now,
                ),
                True,
                ConversationRow(state, team, agent_id, channel, page, lang),
            )
        if dup_seq is not None:
            return Appended(
                StoredEvent(
                    item.conversation_id,
                    dup_seq,
                    kind,
                    author,
                    author_name,
                    text_,
                    payload,
                    new.client_id,
                    _loaded(buttons),
                    _loaded(meta),
                    _as_time(created_at),
                ),
                False,
                None,
            )
        return AppendRefused(item.conversation_id, current_state, current_agent)

    # --- PostgreSQL: asyncpg directly on the log's own connection -------------------------

    async def _postgres_batch(self, ordered: list[_Item], now: datetime) -> list[tuple[Any, ...] | BaseException]:
        # The log keeps one pooled connection checked out: no pre-ping and no reset-on-return
        # round trips per batch (they were three of the five round trips of a batch).
        fresh = self._pg is None
        if self._pg is None:
            self._pg = await self.engine.connect()
        connection = self._pg
        try:
            raw = (await connection.get_raw_connection()).driver_connection
            assert raw is not None
            if fresh:
                # Every table access of the append is by key (a conversation by id, the
                # foreign key's check) or is the unique index's conflict check, so this
                # connection never wants a sequential scan, whatever the statistics say (a
                # fresh database, autovacuum off), and one generic plan serves every batch.
                # Before, a generic plan made while the tables were small scanned `messages`
                # (open-loop p95 1.3-3.4 s after 20,000 appends); the custom plans used instead
                # cost 0.5-0.6 ms of planning per batch, and the session setting made the
                # foreign-key check plan again for every row (50 rows: 0.8-1.1 ms against
                # 0.25-0.4 ms now). bench/append_cost.py; tests/integration/test_append_postgres.py.
                await raw.execute(PG_SESSION)
            return await self._postgres_rows(raw, ordered, now)
        except BaseException:
            # The driver was used past SQLAlchemy: make sure a broken or busy connection is
            # not used again (a database restart, a cancelled batch); the next batch connects.
            self._pg = None
            with contextlib.suppress(Exception):
                await connection.invalidate()
            raise

    async def _postgres_rows(
        self, raw: Any, ordered: list[_Item], now: datetime
    ) -> list[tuple[Any, ...] | BaseException]:
        """One multi-row statement per round: a round holds at most one item per conversation
        (an UPDATE changes a row once per statement), so almost every batch is one round trip."""
        rows: list[tuple[Any, ...] | BaseException | None] = [None] * len(ordered)

        async def run(indexes: list[int]) -> None:
            items = [ordered[i] for i in indexes]
            records = await raw.fetch(_PG_APPEND_MANY, *_postgres_columns(items), now)
            by_cid = {record[0]: tuple(record.values())[1:] for record in records}
            for i, item in zip(indexes, items, strict=True):
                rows[i] = by_cid[item.conversation_id]

        async def store(indexes: list[int]) -> None:
            rounds: list[list[int]] = []
            seen: dict[str, int] = {}
            for index in indexes:
                cid = ordered[index].conversation_id
                round_no = seen.get(cid, 0)
                seen[cid] = round_no + 1
                if round_no == len(rounds):
                    rounds.append([])
                rounds[round_no].append(index)
            if len(rounds) == 1:
                await run(rounds[0])  # one statement is its own transaction: no BEGIN/COMMIT trips
            else:
                async with raw.transaction():
                    for round_indexes in rounds:
                        await run(round_indexes)

        def raced(indexes: list[int]) -> list[int]:
            # Allowed, not inserted and no original in the statement's snapshot: the same client
            # id was stored by another transaction that committed while this one waited for it.
            return [
                i
                for i in indexes
                if isinstance(row := rows[i], tuple) and row[-1] and row[0] is None and row[7] is None
            ]

        pending = list(range(len(ordered)))
        for _ in range(3):
            await store(pending)
            pending = raced(pending)
            if not pending:
                break
        for i in pending:
            rows[i] = RuntimeError("a retransmission raced its original; send it again")
        # The last column (allowed) only served the check above.
        return [row if isinstance(row, BaseException) else row[:-1] for row in rows if row is not None]

    # --- SQLite: a thread with its own queue, feeding the writer process ---------------------

    def _sqlite_write_loop(self, items: queue.SimpleQueue[_Item | _Stop]) -> None:
        """The writer thread: everything queued (up to MAX_BATCH) to the writer process as one
        batch, its results to the event loop in one callback, and at once the next batch."""
        stop: _Stop | None = None
        while stop is None:
            batch: list[_Item] = []
            entry = items.get()
            while True:
                if isinstance(entry, _Stop):
                    stop = entry
                    break
                batch.append(entry)
                if len(batch) >= MAX_BATCH:
                    break
                try:
                    entry = items.get_nowait()
                except queue.Empty:
                    break
            if batch:
                done = self._sqlite_write(batch)
                _call_soon(batch[0].future.get_loop(), self._finish, done)
        self._sqlite_close()
        _call_soon(stop.stopped.get_loop(), _resolve, stop.stopped)

    def _sqlite_write(self, batch: list[_Item]) -> _Done:
        """Have the writer process store the batch (one transaction, or one per append should it
        fail) and turn its answers into results."""
        ordered = sorted(batch, key=lambda item: item.conversation_id)
        now = utcnow()
        stamp = now.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
        requests = [_sqlite_request(item) for item in ordered]
        try:
            answers = self._sqlite_call(requests, stamp)
        except (OSError, EOFError, ValueError, RuntimeError) as exc:
            # The writer process is gone (killed, out of memory): its callers get an error, though
            # the batch may have committed before it died (a retransmission with the same client
            # id then gets the stored original); the next batch starts a new writer.
            log.error("SQLite writer process failed (%r); %d appends answered with an error", exc, len(ordered))
            self._sqlite_close()
            failed = RuntimeError(f"the event log's writer failed: {exc!r}")
            return [(item, failed) for item in ordered]
        return [
            (item, self._result(item, RuntimeError(answer) if isinstance(answer, str) else answer, now))
            for item, answer in zip(ordered, answers, strict=True)
        ]

    def _sqlite_call(self, requests: list[sqlite_writer.Request], stamp: str) -> list[sqlite_writer.Answer]:
        try:
            process = self._sqlite_send((requests, stamp))
        except OSError as exc:
            # The writer had exited (its end of the pipe is closed), so it cannot have read, let
            # alone stored, any of this batch: start another and send the batch again. Found
            # here rather than by polling the process before every batch (a waitpid per batch
            # was 2% of the relay's profile).
            log.warning("SQLite writer process is gone (%r); starting a new one", exc)
            self._sqlite_close()
            process = self._sqlite_send((requests, stamp))
        assert process.stdout is not None
        answers: list[sqlite_writer.Answer] = sqlite_writer.receive(process.stdout)
        return answers

    def _sqlite_send(self, message: Any) -> subprocess.Popen[bytes]:
        process = self._sqlite_process()
        assert process.stdin is not None
        sqlite_writer.send(process.stdin, message)
        return process

    def _sqlite_process(self) -> subprocess.Popen[bytes]:
        if self._sqlite is None:
            # The file by path: the writer imports only the standard library.
            process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                [sys.executable, sqlite_writer.__file__, self.sqlite_path],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
            )
            assert process.stdout is not None
            try:
                ready = sqlite_writer.receive(process.stdout)
            except EOFError:
                ready = None
            if ready != "ready":
                process.kill()
                process.wait()
                raise RuntimeError(f"the SQLite writer did not start (exit code {process.returncode})")
            self._sqlite = process
        return self._sqlite

    def _sqlite_close(self) -> None:
        """Close the writer's pipe: it stops once it has answered what it was sent."""
        process, self._sqlite = self._sqlite, None
        if process is None:
            return
        with contextlib.suppress(OSError):
            assert process.stdin is not None
            process.stdin.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def _sqlite_request(item: _Item) -> sqlite_writer.Request:
    new, guard = item.new, item.guard
    return (
        item.conversation_id,
        new.kind,
        new.author,
        new.author_name,
        new.text,
        new.payload,
        new.client_id,
        _json_or_none(new.buttons),
        _json_or_none(new.meta),
        None if guard is None else tuple(guard.states),
        None if guard is None else guard.agent_id,
        item.clear_left,
    )


def _call_soon(loop: asyncio.AbstractEventLoop, callback: Callable[..., None], *args: Any) -> None:
    try:
        loop.call_soon_threadsafe(callback, *args)
    except RuntimeError:  # the loop is closed: nobody is waiting any more
        log.debug("event loop closed; dropped an event log callback")


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _as_time(value: Any) -> datetime:
    if isinstance(value, datetime):
        return as_utc(value)
    return as_utc(datetime.fromisoformat(str(value)))


def by_conversation(events: Iterable[StoredEvent]) -> dict[str, list[StoredEvent]]:
    grouped: dict[str, list[StoredEvent]] = {}
    for event in events:
        grouped.setdefault(event.conversation_id, []).append(event)
    return grouped


__all__: Sequence[str] = [
    "AppendRefused",
    "Appended",
    "ConversationRow",
    "EventLog",
    "Guard",
    "NewEvent",
    "StoredEvent",
    "by_conversation",
]
