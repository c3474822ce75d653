"""What one append batch costs PostgreSQL as the messages table grows (issue 9).

The event log's statement (`handover/store/eventlog.py`) runs directly on asyncpg against a
fresh, migrated database with `--conversations` conversations, on a connection set up as the
log's own (so the plan cached at the first batch is made on empty tables, as on a new
database). Between measurements the table is grown with the same statement. At each size it
runs `--batches` batches of `--batch` appends and reads the backend's own CPU time
(/proc/<pid>/schedstat, nanoseconds). Nothing runs ANALYZE (as in a fresh database, or one
without autovacuum), so the planner works from stale statistics.

    .venv/bin/python bench/append_cost.py [--service-root /tmp/baseline] [--sizes 0,5000,10000,20000,40000]
        [--batch 50] [--batches 100] [--conversations 100]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402


def backend_cpu_seconds(pid: int) -> float:
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) / 1e9


def columns(eventlog: Any, conversation_ids: list[str], text: str) -> list[list[Any]]:
    """The statement's arrays for one new resident message per conversation, built by the event
    log's own `_postgres_columns` (so the layout is always the served checkout's)."""
    loop = asyncio.get_running_loop()
    items = [
        eventlog._Item(
            cid,
            eventlog.NewEvent(kind="message", author="resident", text=text, client_id=uuid.uuid4().hex),
            None,
            False,
            loop.create_future(),
        )
        for cid in conversation_ids
    ]
    return eventlog._postgres_columns(items)


async def measure(args: argparse.Namespace, eventlog: Any, database_url: str) -> list[dict[str, Any]]:
    import asyncpg

    sql = eventlog._PG_APPEND_MANY
    # A checkout from before PG_SESSION planned every batch anew.
    session = getattr(eventlog, "PG_SESSION", "SET plan_cache_mode = force_custom_plan")

    connection = await asyncpg.connect(database_url)
    try:
        ids = [f"bench-{n:05d}" for n in range(args.conversations)]
        await connection.executemany(
            "INSERT INTO conversations (id, token_hash, state, last_seq, channel, lang, created_at, updated_at,"
            " priority, agent_read_seq) VALUES ($1, $2, 'assigned', 0, 'website', 'nl', now(), now(), 0, 0)",
            [(cid, uuid.uuid4().hex + uuid.uuid4().hex) for cid in ids],
        )
        await connection.execute(session)  # the event log's connection settings
        pid = await connection.fetchval("SELECT pg_backend_pid()")
        rows, results = 0, []
        for size in args.sizes:
            while rows < size:  # grow the table with the statement itself
                await connection.fetch(sql, *columns(eventlog, ids, "groei"), datetime.now(UTC))
                rows += len(ids)
            before = backend_cpu_seconds(pid)
            for n in range(args.batches):
                start = (n * args.batch) % len(ids)
                batch = (ids + ids)[start : start + args.batch]
                await connection.fetch(sql, *columns(eventlog, batch, "bericht"), datetime.now(UTC))
            cpu_ms = (backend_cpu_seconds(pid) - before) * 1000
            rows += args.batches * args.batch
            result = {
                "table_rows": size,
                "batch": args.batch,
                "database_cpu_ms_per_batch": round(cpu_ms / args.batches, 3),
                "database_cpu_ms_per_append": round(cpu_ms / (args.batches * args.batch), 4),
            }
            print(
                f"messages table {size:>7,} rows: {result['database_cpu_ms_per_batch']} ms PostgreSQL CPU per"
                f" {args.batch}-row batch ({result['database_cpu_ms_per_append']} ms per append)"
            )
            results.append(result)
        return results
    finally:
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    harness.common_args(parser)
    parser.add_argument("--sizes", default="0,5000,10000,20000,40000")
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--batches", type=int, default=100)
    parser.add_argument("--conversations", type=int, default=100)
    args = parser.parse_args()
    args.sizes = [int(s) for s in args.sizes.split(",")]
    if args.quick:
        args.sizes, args.batches = [0, 1000], 10
    sys.path.insert(0, args.service_root)
    from handover.cli import migrate
    from handover.store import eventlog

    with harness.fresh_database("postgresql") as url:
        migrate(url)
        results = asyncio.run(measure(args, eventlog, url))
    worst = max(r["database_cpu_ms_per_batch"] for r in results)
    harness.doc_line(
        args,
        f"append cost, {args.batch}-row batches, table {args.sizes[0]:,}-{args.sizes[-1]:,} rows",
        "postgresql",
        1,
        ", ".join(f"{r['table_rows']:,}: {r['database_cpu_ms_per_batch']} ms" for r in results) + f" (worst {worst})",
    )
    harness.write_report(
        args.report or "append-cost", {"code": harness.git_commit(args.service_root), "results": results}
    )


if __name__ == "__main__":
    main()
