"""PostgreSQL's side of the event log's append: its cached plan and its conflict check.

The append statement stays an index plan, whatever PostgreSQL's statistics say.

The log's connection caches one generic plan, made at its first batch, which on a new database
is made on empty tables (and without autovacuum no statistics ever catch up). That plan must
not scan a table, and a batch of new messages must not read the stored messages at all: the
retransmission check is the unique index's own conflict check (`ON CONFLICT DO NOTHING`);
the stored original is looked up only for an append that was not inserted.
Before, the check was a join that scanned `messages`, or (in a plan made on empty tables)
walked every stored message of the conversation: `bench/append_cost.py` measures it.
"""

from __future__ import annotations

import asyncio

import asyncpg
from sqlalchemy.engine import make_url
from waiting import eventually

from handover.services.conversations import RESIDENT_MAY_SPEAK
from handover.store import repo
from handover.store.db import Database
from handover.store.eventlog import _PG_APPEND_MANY, PG_SESSION, EventLog, Guard, NewEvent, _Item, _postgres_columns

CONVERSATIONS = 100  # the relay benchmark's shape


# The statement's twelve arrays, then the timestamp.
KINDS = ["text"] * 10 + ["int", "bool"]


def _array(values: list[object], kind: str) -> str:
    items = ",".join("NULL" if v is None else str(v).lower() if isinstance(v, bool) else f"'{v}'" for v in values)
    return f"ARRAY[{items}]::{kind}[]"


def _batch(ids: list[str], tag: str) -> str:
    """A resident message per conversation, as the event log lays out its arguments, in literals
    (EXPLAIN EXECUTE takes no bound parameters)."""
    loop = asyncio.get_running_loop()
    items = [
        _Item(
            cid,
            NewEvent(kind="message", author="resident", text="hallo", client_id=f"{tag}-{i}"),
            None,
            False,
            loop.create_future(),
        )
        for i, cid in enumerate(ids)
    ]
    return ", ".join(_array(column, kind) for column, kind in zip(_postgres_columns(items), KINDS, strict=True))


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def test_the_cached_append_plan_made_on_empty_tables_reads_no_stored_message(postgresql_url):
    connection = await asyncpg.connect(_dsn(postgresql_url))
    try:
        ids = [f"plan-{n:03d}" for n in range(CONVERSATIONS)]
        await connection.executemany(
            "INSERT INTO conversations (id, token_hash, state, last_seq, channel, lang, created_at, updated_at,"
            " priority, agent_read_seq) VALUES ($1, $2, 'assigned', 0, 'website', 'nl', now(), now(), 0, 0)",
            [(cid, f"{n:064d}") for n, cid in enumerate(ids)],
        )
        await connection.execute(PG_SESSION)  # as the event log's connection
        await connection.execute(f"PREPARE append AS {_PG_APPEND_MANY}")
        await connection.execute(f"EXECUTE append({_batch(ids, 'first')}, now())")  # the plan, made now
        # Then the conversations grow to 10,000 stored messages that no ANALYZE has seen.
        for round_no in range(99):
            await connection.execute(f"EXECUTE append({_batch(ids, f'r{round_no}')}, now())")
        assert await connection.fetchval("SELECT count(*) FROM messages") == 10_000

        explained = await connection.fetch(f"EXPLAIN (ANALYZE) EXECUTE append({_batch(ids[:50], 'new')}, now())")
        plan = "\n".join(r[0] for r in explained)
        generic = await connection.fetch(f"EXPLAIN EXECUTE append({_batch(ids[:1], 'other')}, now())")
    finally:
        await connection.close()
    assert "$1" in "\n".join(r[0] for r in generic), plan  # the generic plan, not one made for these values
    assert "Seq Scan" not in plan, plan
    assert "Conflict Arbiter Indexes: uq_messages_conversation_client_id" in plan, plan
    assert "Rows Removed by Filter" not in plan, plan  # no stored message of the conversation was walked


async def test_a_retransmission_committed_by_another_writer_meanwhile_returns_that_original(postgresql_url):
    """The same client id, stored by another transaction (another instance) that commits while
    this append waits for the conversation's lock: the conflict check skips the insert, and the
    original, not yet in the statement's snapshot, is found by running the append once more."""
    db = Database(postgresql_url)
    committed: list[int] = []
    log = EventLog(db.engine, is_sqlite=False, on_committed=lambda events: committed.extend(e.seq for e in events))
    other = await asyncpg.connect(_dsn(postgresql_url))
    watcher = await asyncpg.connect(_dsn(postgresql_url))
    try:
        conversation, _ = await repo.create_conversation(
            db.sessions, channel="website", lang="nl", page=None, referrer=None, utm=None
        )
        await log.append(conversation.id, NewEvent(kind="message", author="resident", text="eerst", client_id="a"))
        # The other writer stores client id "b" as seq 2 and holds the conversation's row lock.
        transaction = other.transaction()
        await transaction.start()
        await other.execute("UPDATE conversations SET last_seq = 2 WHERE id = $1", conversation.id)
        await other.execute(
            "INSERT INTO messages (conversation_id, seq, kind, author, text, client_id, created_at)"
            " VALUES ($1, 2, 'message', 'resident', 'origineel', 'b', now())",
            conversation.id,
        )
        append = asyncio.create_task(
            log.append(
                conversation.id,
                NewEvent(kind="message", author="resident", text="opnieuw", client_id="b"),
                Guard(RESIDENT_MAY_SPEAK),
            )
        )

        async def append_waits_for_the_lock() -> bool:
            # Not on `other`: inside its transaction pg_stat_activity would be one cached snapshot.
            return bool(
                await watcher.fetchval(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%unnest%'"
                )
            )

        await eventually(append_waits_for_the_lock, what="the append waiting for the conversation's row lock")
        await transaction.commit()
        appended = await asyncio.wait_for(append, 10)
    finally:
        await other.close()
        await watcher.close()
        await log.close()
        await db.dispose()
    assert not appended.created
    assert (appended.event.seq, appended.event.text) == (2, "origineel")
    assert committed == [1], "the original was announced by its own writer, not again here"
    stored = [(m["seq"], m["client_id"]) for m in await _events(postgresql_url, conversation.id)]
    assert stored == [(1, "a"), (2, "b")]


async def _events(url: str, conversation_id: str) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(_dsn(url))
    try:
        return await connection.fetch(
            "SELECT seq, client_id FROM messages WHERE conversation_id = $1 ORDER BY seq", conversation_id
        )
    finally:
        await connection.close()
