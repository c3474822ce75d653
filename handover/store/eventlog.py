"""The hot path of the record: append events to conversations, many per commit.

Every event gets the conversation's next sequence number in the same transaction that stores
it, and nothing is acknowledged before that transaction has committed. To make that cheap:

- **one statement per append**: on PostgreSQL a data-modifying CTE bumps the counter, checks
  the guard (state, agent) and the retransmitted client id, and inserts the row in one round
  trip; SQLite runs the same steps as three in-process statements;
- **group commit**: appends that arrive while a commit is in flight wait for the next batch,
  so one commit (one fsync) serves many conversations; a batch that fails is retried item by
  item, so one bad append never fails its neighbours;
- SQLAlchemy Core with precompiled text statements, no ORM objects.

Rows in a batch lock their conversations in id order, so two instances writing batches that
touch the same conversations cannot deadlock.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, bindparam, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from .models import as_utc, utcnow

log = logging.getLogger(__name__)

MAX_BATCH = 256


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


class AppendRefused(Exception):
    """The guard did not hold (``state`` is what the conversation is in), or no such conversation."""

    def __init__(self, conversation_id: str, state: str | None, agent_id: int | None) -> None:
        super().__init__(f"append to {conversation_id} refused in state {state!r}")
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


_COLUMNS = "conversation_id, seq, kind, author, author_name, text, payload, client_id, buttons, meta, created_at"

_PG_APPEND = """
WITH dup AS (
    SELECT seq, kind, author, author_name, text, payload, buttons, meta, created_at
    FROM messages WHERE conversation_id = :cid AND client_id = :client_id
),
c AS (
    UPDATE conversations SET last_seq = last_seq + 1, updated_at = :now{clear_left}
    WHERE id = :cid AND NOT EXISTS (SELECT 1 FROM dup){guard}
    RETURNING id, last_seq, state, team, agent_id, channel, page, lang
),
m AS (
    INSERT INTO messages ({columns})
    SELECT c.id, c.last_seq, :kind, :author, :author_name, :text, :payload, :client_id,
           CAST(:buttons AS JSON), CAST(:meta AS JSON), :now
    FROM c
    RETURNING seq
)
SELECT m.seq, c.state, c.team, c.agent_id, c.channel, c.page, c.lang,
       d.seq AS dup_seq, d.kind, d.author, d.author_name, d.text, d.payload,
       CAST(d.buttons AS TEXT) AS dup_buttons, CAST(d.meta AS TEXT) AS dup_meta, d.created_at,
       (SELECT state FROM conversations WHERE id = :cid) AS current_state,
       (SELECT agent_id FROM conversations WHERE id = :cid) AS current_agent
FROM (SELECT 1 AS one) AS one
LEFT JOIN c ON true LEFT JOIN m ON true LEFT JOIN dup AS d ON true
"""

def _typed(sql: str) -> Any:
    """A text statement whose ``now`` is bound as the models bind it (SQLite stores a string)."""
    return text(sql).bindparams(bindparam("now", type_=DateTime(timezone=True)))


_SQLITE_DUP = text(
    "SELECT seq, kind, author, author_name, text, payload, buttons, meta, created_at "
    "FROM messages WHERE conversation_id = :cid AND client_id = :client_id"
)
_SQLITE_BUMP = """
UPDATE conversations SET last_seq = last_seq + 1, updated_at = :now{clear_left}
WHERE id = :cid{guard}
RETURNING last_seq, state, team, agent_id, channel, page, lang
"""
_SQLITE_INSERT = _typed(
    f"INSERT INTO messages ({_COLUMNS}) VALUES"  # noqa: S608 - constant column list
    " (:cid, :seq, :kind, :author, :author_name, :text, :payload, "
    ":client_id, :buttons, :meta, :now)"
)
_STATE_OF = text("SELECT state, agent_id FROM conversations WHERE id = :cid")


def _guard_sql(guard: Guard | None) -> str:
    if guard is None:
        return ""
    states = ", ".join(f"'{s}'" for s in sorted(guard.states))  # enum values, never user input
    sql = f" AND state IN ({states})"
    if guard.agent_id is not None:
        sql += " AND agent_id = :guard_agent"
    return sql


def _json_or_none(value: Any) -> str | None:
    return None if value is None else json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _loaded(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


class EventLog:
    """Appends events with group commit. One per process, opened by the app's lifespan."""

    def __init__(self, engine: AsyncEngine, *, is_sqlite: bool, on_committed: Callable[[list[StoredEvent]], None]
                 ) -> None:
        self.engine = engine
        self.is_sqlite = is_sqlite
        self.on_committed = on_committed
        self._pending: list[_Item] = []
        self._ready = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None
        self._statements: dict[tuple[Any, ...], Any] = {}
        self.batches = 0
        self.appends = 0

    async def append(
        self, conversation_id: str, new: NewEvent, guard: Guard | None = None, *, clear_left: bool = False
    ) -> Appended:
        """Store ``new`` with the next seq once its batch has committed; raise AppendRefused."""
        future: asyncio.Future[Appended] = asyncio.get_running_loop().create_future()
        self._pending.append(_Item(conversation_id, new, guard, clear_left, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_loop(), name="eventlog-writer")
        self._ready.set()
        return await future

    async def close(self) -> None:
        if self._writer is not None:
            # Let what was accepted be written (their callers are waiting for the commit).
            await asyncio.gather(*(item.future for item in self._pending), return_exceptions=True)
            self._writer.cancel()
            try:
                await self._writer
            except asyncio.CancelledError:
                pass

    async def _write_loop(self) -> None:
        while True:
            await self._ready.wait()
            self._ready.clear()
            while self._pending:
                batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
                await self._write(batch)

    async def _write(self, batch: list[_Item]) -> None:
        done: list[tuple[_Item, Appended | BaseException]] = []
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
        self.batches += 1
        self.appends += len(batch)
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
        results: list[tuple[_Item, Appended | BaseException]] = []
        now = utcnow()
        async with self.engine.begin() as connection:
            for item in ordered:
                try:
                    if self.is_sqlite:
                        result: Appended | BaseException = await self._append_sqlite(connection, item, now)
                    else:
                        result = await self._append_postgres(connection, item, now)
                except AppendRefused as refused:
                    result = refused
                results.append((item, result))
        return results

    def _statement(self, dialect: str, guard: Guard | None, clear_left: bool) -> Any:
        key = (dialect, guard.states if guard else None, guard is not None and guard.agent_id is not None, clear_left)
        statement = self._statements.get(key)
        if statement is None:
            template = _PG_APPEND if dialect == "postgresql" else _SQLITE_BUMP
            sql = template.format(
                guard=_guard_sql(guard), columns=_COLUMNS, clear_left=", resident_left_at = NULL" if clear_left else "")
            statement = self._statements[key] = _typed(sql)
        return statement

    def _params(self, item: _Item, now: datetime) -> dict[str, Any]:
        new = item.new
        params: dict[str, Any] = {
            "cid": item.conversation_id, "client_id": new.client_id, "now": now, "kind": new.kind,
            "author": new.author, "author_name": new.author_name, "text": new.text, "payload": new.payload,
            "buttons": _json_or_none(new.buttons), "meta": _json_or_none(new.meta),
        }
        if item.guard is not None and item.guard.agent_id is not None:
            params["guard_agent"] = item.guard.agent_id
        return params

    def _event(self, item: _Item, seq: int, now: datetime) -> StoredEvent:
        new = item.new
        return StoredEvent(item.conversation_id, seq, new.kind, new.author, new.author_name, new.text, new.payload,
                           new.client_id, new.buttons, new.meta, now)

    async def _append_postgres(self, connection: AsyncConnection, item: _Item, now: datetime) -> Appended:
        statement = self._statement("postgresql", item.guard, item.clear_left)
        row = (await connection.execute(statement, self._params(item, now))).one()
        if row.seq is not None:
            return Appended(self._event(item, row.seq, now), True,
                            ConversationRow(row.state, row.team, row.agent_id, row.channel, row.page, row.lang))
        if row.dup_seq is not None:
            return Appended(StoredEvent(
                item.conversation_id, row.dup_seq, row.kind, row.author, row.author_name, row.text, row.payload,
                item.new.client_id, _loaded(row.dup_buttons), _loaded(row.dup_meta), as_utc(row.created_at),
            ), False, None)
        raise AppendRefused(item.conversation_id, row.current_state, row.current_agent)

    async def _append_sqlite(self, connection: AsyncConnection, item: _Item, now: datetime) -> Appended:
        params = self._params(item, now)
        if item.new.client_id is not None:
            dup = (await connection.execute(_SQLITE_DUP, params)).first()
            if dup is not None:
                return Appended(StoredEvent(
                    item.conversation_id, dup.seq, dup.kind, dup.author, dup.author_name, dup.text, dup.payload,
                    item.new.client_id, _loaded(dup.buttons), _loaded(dup.meta), _sqlite_time(dup.created_at),
                ), False, None)
        bumped = (await connection.execute(self._statement("sqlite", item.guard, item.clear_left), params)).first()
        if bumped is None:
            current = (await connection.execute(_STATE_OF, params)).first()
            raise AppendRefused(item.conversation_id, current.state if current else None,
                                current.agent_id if current else None)
        params["seq"] = bumped.last_seq
        await connection.execute(_SQLITE_INSERT, params)
        return Appended(self._event(item, bumped.last_seq, now), True, ConversationRow(
            bumped.state, bumped.team, bumped.agent_id, bumped.channel, bumped.page, bumped.lang))


def _sqlite_time(value: Any) -> datetime:
    if isinstance(value, datetime):
        return as_utc(value)
    return as_utc(datetime.fromisoformat(str(value)))


def by_conversation(events: Iterable[StoredEvent]) -> dict[str, list[StoredEvent]]:
    grouped: dict[str, list[StoredEvent]] = {}
    for event in events:
        grouped.setdefault(event.conversation_id, []).append(event)
    return grouped


__all__: Sequence[str] = [
    "AppendRefused", "Appended", "ConversationRow", "EventLog", "Guard", "NewEvent", "StoredEvent", "by_conversation",
]
