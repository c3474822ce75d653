"""Two handover instances started at the same moment on an empty PostgreSQL database both come up,
and the migrations run once (a PostgreSQL advisory lock in alembic/env.py makes them take turns).

Real processes (`python -m handover.server` with MIGRATE_ON_START=true, JSON logs) on a database
created for this test; which instance migrated is read from their logs.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import asyncpg
import httpx
import pytest
import stack
from alembic.script import ScriptDirectory
from required_inputs import missing
from sqlalchemy.engine import make_url
from waiting import eventually

from handover.cli import alembic_config

ROOT = Path(__file__).resolve().parents[2]
# The same server tests/conftest.py uses (not imported: `from conftest` picks whichever loaded first).
POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
pytestmark = pytest.mark.postgres


async def _execute(dsn: str, sql: str) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(dsn)
    try:
        return await connection.fetch(sql)
    finally:
        await connection.close()


async def test_two_instances_starting_at_once_migrate_once(redis_url: str, tmp_path: Path) -> None:
    server = make_url(POSTGRES_ADMIN_URL)
    if not stack.port_open(server.host or "127.0.0.1", server.port or 5432):
        missing(f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}")
    admin = make_url(POSTGRES_ADMIN_URL).set(drivername="postgresql")
    admin_dsn = admin.render_as_string(hide_password=False)
    name = f"handover_race_{uuid.uuid4().hex[:10]}"
    await _execute(admin_dsn, f'CREATE DATABASE "{name}"')
    database_url = admin.set(database=name).render_as_string(hide_password=False)
    children: list[tuple[subprocess.Popen[bytes], Path, int]] = []
    try:
        assert await _execute(database_url, "SELECT 1 FROM pg_tables WHERE schemaname = 'public'") == []
        for number in (1, 2):
            port, log = stack.free_port(), tmp_path / f"instance-{number}.log"
            env = {
                **os.environ,
                "DATABASE_URL": database_url,
                "REDIS_URL": redis_url,
                "MIGRATE_ON_START": "true",
                "LOG_FORMAT": "json",
                "INSTANCE_NAME": f"race-{number}",
                "ENVIRONMENT": "test",
                "RASA_URL": "http://127.0.0.1:9",
                "REDIS_NAMESPACE": name,
            }
            with log.open("w") as out:  # both start before either has migrated
                child = await asyncio.to_thread(
                    subprocess.Popen,
                    [sys.executable, "-m", "handover.server", "--port", str(port)],
                    cwd=ROOT,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
                children.append((child, log, port))

        async with httpx.AsyncClient() as http:
            for child, log, port in children:

                async def healthy() -> bool:
                    assert child.poll() is None, f"an instance died:\n{log.read_text()}"  # noqa: B023 - awaited now
                    try:
                        return (await http.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200  # noqa: B023
                    except httpx.TransportError:
                        return False

                try:
                    await eventually(healthy, what=f"the instance on port {port}", timeout=90, interval=0.2)
                except AssertionError as exc:
                    raise AssertionError(f"{exc}\n{log.read_text()}") from None
                # Up and using the schema: the teams it creates at start-up are there.
                assert (await http.get(f"http://127.0.0.1:{port}/api/teams")).status_code == 401

        head = ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()
        outcomes = []
        for _, log, _ in children:
            events = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
            outcomes += [e["event"] for e in events if e["event"].startswith(("database migrated", "database schema"))]
        expected = [f"database migrated from empty to {head}", f"database schema is current ({head})"]
        assert sorted(outcomes) == expected, outcomes
        assert [tuple(r) for r in await _execute(database_url, "SELECT version_num FROM alembic_version")] == [(head,)]
        teams = await _execute(database_url, "SELECT count(*) FROM teams")
        assert teams[0][0] == 6
    finally:
        for child, _, _ in children:
            child.terminate()
            child.wait(20)
        await _execute(admin_dsn, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
