"""Fault-test machinery: a private PostgreSQL cluster and Redis, handover instances as real processes.

The machine's shared PostgreSQL (5432) and Redis (6379) are never touched here: a fault test
restarts servers, so it gets its own on free ports. Instances are real subprocesses
(`python -m handover.server`, the one start path) so they can be killed with SIGKILL.

Runs: each fault runs once by default; `--fault-runs N` (or FAULT_RUNS=N) runs each N times.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import stack
from required_inputs import missing
from waiting import eventually_blocking

ROOT = Path(__file__).resolve().parents[2]
PYTHON = ROOT / ".venv" / "bin" / "python"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--fault-runs", type=int, default=None, help="run each fault test N times (env FAULT_RUNS)")


def fault_runs(config: pytest.Config) -> int:
    try:
        option = config.getoption("--fault-runs")
    except ValueError:
        option = None
    return int(option or os.environ.get("FAULT_RUNS", "1"))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "fault_run" in metafunc.fixturenames:
        runs = fault_runs(metafunc.config)
        metafunc.parametrize("fault_run", range(1, runs + 1), ids=[f"run{i}" for i in range(1, runs + 1)])


# --- private PostgreSQL --------------------------------------------------------------------------


def _pg_bin(name: str) -> str:
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    if found:
        return str(found[-1])
    binary = shutil.which(name)
    if binary is None:
        missing(f"PostgreSQL server binaries ({name}) are not installed")
    return binary


class PrivateCluster:
    """initdb + pg_ctl in a temp dir; as the postgres user when we are root (initdb refuses root)."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="handover-faults-pg-"))
        self.port = stack.free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self.options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
        )

    def _run(self, *args: str) -> None:
        subprocess.run(
            [*self.as_user, *args],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,  # noqa: S603
            timeout=120,
        )

    def init(self) -> PrivateCluster:
        self._run(
            _pg_bin("initdb"), "-D", str(self.dir / "data"), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"
        )
        self.start()
        return self

    def start(self) -> None:
        self._run(
            _pg_bin("pg_ctl"),
            "-D",
            str(self.dir / "data"),
            "-o",
            self.options,
            "-l",
            str(self.dir / "server.log"),
            "-w",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        self._run(_pg_bin("pg_ctl"), "-D", str(self.dir / "data"), "-m", mode, "-w", "stop")

    def restart(self, down_seconds: float = 1.0) -> None:
        self.stop("fast")
        time.sleep(down_seconds)  # not a wait: how long the database stays down is the fault
        self.start()

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        name = f"faults_{uuid.uuid4().hex[:8]}"
        subprocess.run(
            [
                _pg_bin("psql"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "-q",
                "-c",  # noqa: S603
                f'CREATE DATABASE "{name}"',
            ],
            check=True,
            timeout=60,
        )
        return self.url(name)

    def destroy(self) -> None:
        try:
            self.stop("immediate")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="session")
def private_pg() -> Iterator[PrivateCluster]:
    cluster = PrivateCluster().init()
    yield cluster
    cluster.destroy()


@pytest.fixture
def fault_database(private_pg: PrivateCluster) -> str:
    from handover.cli import migrate

    url = private_pg.create_database()
    migrate(url)
    return url


# --- private Redis -------------------------------------------------------------------------------


class PrivateRedis:
    def __init__(self) -> None:
        self.port = stack.free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="handover-faults-redis-"))
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> PrivateRedis:
        binary = shutil.which("redis-server")
        if binary is None:
            missing("redis-server is not installed")
        self.process = subprocess.Popen(  # noqa: S603
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        eventually_blocking(lambda: stack.port_open("127.0.0.1", self.port), what="the private redis-server")
        return self

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None

    def restart(self, down_seconds: float = 1.0) -> None:
        self.kill()
        time.sleep(down_seconds)  # not a wait: how long Redis stays down is the fault
        self.start()


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis().start()
    yield server
    server.kill()
    shutil.rmtree(server.dir, ignore_errors=True)


# --- handover instances as processes -------------------------------------------------------------


@dataclass
class Instance:
    name: str
    port: int
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/chat"

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> Instance:
        with self.log.open("ab") as log:  # the child keeps its own copy of the descriptor
            self.process = subprocess.Popen(  # noqa: S603
                [
                    str(PYTHON),
                    "-m",
                    "handover.server",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--log-level",
                    "warning",
                ],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

        def healthy() -> bool:
            assert self.alive, f"{self.name} exited at start:\n{self.tail()}"
            try:
                return httpx.get(self.http + "/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        try:
            eventually_blocking(healthy, what=f"{self.name} to start", timeout=60, interval=0.1)
        except AssertionError as exc:
            raise AssertionError(f"{exc}:\n{self.tail()}") from None
        return self

    def kill9(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.alive:
            assert self.process is not None
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)

    def tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def errors(self) -> list[str]:
        """Tracebacks and ERROR lines in the log (a follower dying on a DB error shows here)."""
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return []
        return [line for line in text.splitlines() if "Traceback" in line or " ERROR " in line]


@dataclass
class Deployment:
    database_url: str
    redis: PrivateRedis
    workdir: Path
    namespace: str = field(default_factory=lambda: "f" + uuid.uuid4().hex[:10])
    instances: list[Instance] = field(default_factory=list)

    def instance(self, **settings: Any) -> Instance:
        name = f"fault-{len(self.instances) + 1}"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "RASA_"))}
        env.update(
            {
                "ENVIRONMENT": "test",
                "DATABASE_URL": self.database_url,
                "REDIS_URL": self.redis.url,
                "REDIS_NAMESPACE": self.namespace,
                "INSTANCE_NAME": name,
                "RASA_URL": "http://127.0.0.1:9",
                "HEARTBEAT_SECONDS": "5",
                "LIMIT_STARTS_PER_ADDRESS": "100000",
                "LIMIT_STARTS_GLOBAL": "100000",
                "LIMIT_HANDOVERS_PER_ADDRESS": "100000",
                "LIMIT_HANDOVERS_GLOBAL": "100000",
                "RATE_LIMIT_MESSAGES": "1000",
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.update({k.upper(): str(v) for k, v in settings.items()})
        instance = Instance(name, stack.free_port(), env, self.workdir / f"{name}.log").start()
        self.instances.append(instance)
        return instance

    def live(self) -> list[Instance]:
        return [i for i in self.instances if i.alive]


@pytest.fixture
def deployment(fault_database: str, private_redis: PrivateRedis, tmp_path: Path) -> Iterator[Deployment]:
    deployed = Deployment(fault_database, private_redis, tmp_path)
    yield deployed
    for instance in deployed.instances:
        instance.stop()


@pytest.fixture
async def fault_db(fault_database: str) -> Any:
    from handover.store.db import Database

    database = Database(fault_database)
    yield database
    await database.dispose()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/faults/" in str(item.fspath):
            item.add_marker(pytest.mark.postgres)
