"""Shared fixtures: real Redis, real SQLite and PostgreSQL, a real trained Rasa, real servers.

Expensive things (training, starting Rasa) happen once per test session and are cached by
content hash (scripts/stack.py), so a second run starts in seconds.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import socket
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import stack
import uvicorn
from required_inputs import missing
from sqlalchemy.engine import make_url
from waiting import eventually_blocking

from handover.cli import migrate
from handover.main import create_app
from handover.server import uvicorn_options
from handover.settings import Settings
from handover.store.db import Database

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _reachable(url: str, default_port: int) -> bool:
    parsed = make_url(url)
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((parsed.host or "127.0.0.1", parsed.port or default_port)) == 0


# --- Redis -----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """The machine's Redis, or a private redis-server when none runs (never a fake)."""
    if _reachable(REDIS_URL, 6379):
        yield REDIS_URL
        return
    port = stack.free_port()
    child = stack.redis_server(port).start()
    eventually_blocking(lambda: stack.port_open("127.0.0.1", port), what="the private redis-server", timeout=10)
    yield f"redis://127.0.0.1:{port}/0"
    child.stop()


# --- databases -------------------------------------------------------------------------------


def _postgres_database() -> Iterator[str]:
    if not _reachable(POSTGRES_ADMIN_URL, 5432):
        message = f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL} (set TEST_POSTGRES_URL)"
        missing(message)
    import asyncpg

    name = f"handover_test_{uuid.uuid4().hex[:10]}"
    admin = make_url(POSTGRES_ADMIN_URL)
    dsn = admin.set(drivername="postgresql").render_as_string(hide_password=False)

    async def execute(sql: str) -> None:
        connection = await asyncpg.connect(dsn)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    asyncio.run(execute(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.set(drivername="postgresql", database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database: SQLite file and PostgreSQL, each test on both."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'handover.db'}"
        migrate(url)
        yield url
    else:
        for url in _postgres_database():
            migrate(url)
            yield url


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """A handle on the same database the server under test uses, for assertions."""
    database = Database(database_url)
    yield database
    await database.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh, migrated SQLite database only (browser tests: one database is enough there)."""
    url = f"sqlite:///{tmp_path / 'handover.db'}"
    migrate(url)
    return url


@pytest.fixture
def postgresql_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database only (what only PostgreSQL has: its query plans)."""
    for url in _postgres_database():
        migrate(url)
        yield url


# --- the browser -----------------------------------------------------------------------------

# Debian's Chromium; without the background-networking flags it keeps dialling out (no network).
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
async def chromium() -> AsyncIterator[Any]:
    """One headless Chromium for the whole session; each test opens its own context."""
    from playwright.async_api import async_playwright, expect

    # Two shared cores and a Rasa in the background: give assertions room (they return as soon
    # as the condition holds, so this only changes how long a real failure takes to report).
    expect.set_options(timeout=15_000)

    if not os.path.exists(CHROMIUM):  # noqa: ASYNC240 - once per session
        pytest.fail(f"{CHROMIUM} is missing: run `apt-get install chromium` (scripts/bootstrap.sh --browser does)")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


# --- Rasa ------------------------------------------------------------------------------------


@dataclass
class RasaStack:
    url: str
    model: Path


@pytest.fixture(scope="session")
def rasa() -> Iterator[RasaStack]:
    """The real trained model behind `rasa run` and `rasa run actions`, once per session.

    TEST_RASA_URL points at a Rasa that is already running (with its action server), for quick
    reruns during development: `make run` in one terminal, `TEST_RASA_URL=http://127.0.0.1:5005`.
    """
    if os.environ.get("TEST_RASA_URL"):
        yield RasaStack(os.environ["TEST_RASA_URL"], stack.ensure_model(quiet=True))
        return
    model = stack.ensure_model(quiet=True)
    actions_port, rasa_port = stack.free_port(), stack.free_port()
    actions = stack.action_server(actions_port).start()
    server = stack.rasa_server(rasa_port, model, actions_port).start()
    try:
        actions.wait_ready(120, quiet=True)
        server.wait_ready(600, quiet=True)  # Rasa loading its model: ~2 min, more under load
        yield RasaStack(f"http://127.0.0.1:{rasa_port}", model)
    finally:
        server.stop()
        actions.stop()


# --- the handover service --------------------------------------------------------------------


@dataclass
class RunningService:
    settings: Settings
    port: int
    server: uvicorn.Server | None = None

    def busy(self) -> int:
        """Connections and request tasks the server still holds (0: every client has been let go)."""
        if self.server is None:
            return 0
        return len(self.server.server_state.connections) + len(self.server.server_state.tasks)

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/chat"


class _ThreadedServer:
    """uvicorn in a thread with its own event loop: real sockets, no subprocess start-up cost."""

    def __init__(self, settings: Settings) -> None:
        self.port = stack.free_port()
        config = uvicorn.Config(
            create_app(settings), host="127.0.0.1", port=self.port, log_level="warning", **uvicorn_options(settings)
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> _ThreadedServer:
        self.thread.start()

        def started() -> bool:
            assert self.thread.is_alive(), "handover server failed to start"
            return bool(self.server.started)

        eventually_blocking(started, what="the handover server to start", timeout=20)
        return self

    def __exit__(self, *_: Any) -> None:
        self.server.should_exit = True
        self.thread.join(20)


@pytest.fixture
def start_service(redis_url: str) -> Iterator[Any]:
    """Start a handover instance; several may run at once (they share the database and Redis)."""
    servers: list[_ThreadedServer] = []

    def start(database_url: str, rasa_url: str = "http://127.0.0.1:9", **overrides: Any) -> RunningService:
        settings = Settings(
            environment="test",
            database_url=database_url,
            redis_url=redis_url,
            rasa_url=rasa_url,
            instance_name=f"test-{uuid.uuid4().hex[:6]}",
            # Instances on one database form one deployment; others on the same Redis stay apart.
            redis_namespace="t" + hashlib.sha256(database_url.encode()).hexdigest()[:12],
            **overrides,
        )
        server = _ThreadedServer(settings).__enter__()
        servers.append(server)
        return RunningService(settings, server.port, server.server)

    yield start
    for server in servers:
        server.__exit__()
