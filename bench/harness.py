"""Shared helpers of the load benchmarks (issue 9): the handover service as a real subprocess.

A run gets a fresh database (a new PostgreSQL database, dropped afterwards, or a SQLite file in a
temp dir), a unique Redis namespace, migrations, agents, and one or two service processes on
loopback. `--service-root DIR` runs the service code of another checkout (e.g. the pre-change
commit in /tmp/baseline) with this repository's .venv. Reports go to bench/reports/<name>.json
and one line per scenario to docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import platform
import resource
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
REPORTS = ROOT / "bench" / "reports"
PERFORMANCE = ROOT / "docs" / "performance.md"
PYTHON = str(ROOT / ".venv" / "bin" / "python")
PASSWORD = "benchmark-password-1"
PG_ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
CLK_TCK = os.sysconf("SC_CLK_TCK")


def common_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quick", action="store_true", help="small sizes for a smoke run")
    parser.add_argument(
        "--service-root", default=str(ROOT), help="checkout whose handover/ code is served (default: this repository)"
    )
    parser.add_argument("--label", default=None, help='label in docs/performance.md, e.g. "before (b3d2ce3)"')
    parser.add_argument("--no-doc", action="store_true", help="do not append to docs/performance.md")
    parser.add_argument("--report", default=None, help="report name (default: the benchmark's name)")


def raise_nofile(target: int = 65536) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    new = min(max(soft, target), hard)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def latency_summary(ms: list[float]) -> dict[str, float]:
    return {
        "n": len(ms),
        "p50_ms": round(percentile(ms, 50), 2),
        "p95_ms": round(percentile(ms, 95), 2),
        "p99_ms": round(percentile(ms, 99), 2),
        "max_ms": round(max(ms), 2) if ms else float("nan"),
    }


def git_commit(root: str) -> str:
    out = subprocess.run(["git", "-C", root, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return out.stdout.strip() or "unknown"


# --- databases -------------------------------------------------------------------------------


def _psql(sql: str) -> None:
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", PG_ADMIN_URL, "-c", sql], check=True, capture_output=True)


@contextlib.contextmanager
def fresh_database(kind: str) -> Iterator[str]:
    """A new empty database: `sqlite` (a file in a temp dir) or `postgresql` (created and dropped)."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
            yield f"sqlite:///{tmp}/bench.db"
        return
    name = f"bench_{uuid.uuid4().hex[:10]}"
    _psql(f"CREATE DATABASE {name}")
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            _psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


# --- the service -----------------------------------------------------------------------------


def service_env(
    service_root: str, database_url: str, namespace: str, instance: str, extra: dict[str, str] | None = None
) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "PYTHONPATH": service_root,
            "DATABASE_URL": database_url,
            "REDIS_URL": REDIS_URL,
            "REDIS_NAMESPACE": namespace,
            "RASA_URL": "http://127.0.0.1:9",
            "ENVIRONMENT": "development",
            "INSTANCE_NAME": instance,
            # the benchmarks are one client address sending far more than a resident would
            "RATE_LIMIT_MESSAGES": "10000000",
            "LIMIT_STARTS_PER_ADDRESS": "10000000",
            "LIMIT_HANDOVERS_PER_ADDRESS": "10000000",
            "LIMIT_CALLBACKS_PER_ADDRESS": "10000000",
            "LIMIT_STARTS_GLOBAL": "10000000",
            "LIMIT_HANDOVERS_GLOBAL": "10000000",
            "LIMIT_TYPING_PER_CONNECTION": "10000000",
        }
    )
    env.update(extra or {})
    return env


def admin(service_root: str, database_url: str, *args: str, password: str | None = None) -> None:
    env = service_env(service_root, database_url, "bench-admin", "bench-admin")
    if password:
        env["HANDOVER_PASSWORD"] = password
    subprocess.run(
        [PYTHON, "-c", "import sys; from handover.cli import main; sys.exit(main())", *args],
        cwd=service_root,
        env=env,
        check=True,
        capture_output=True,
    )


@dataclass
class Service:
    port: int
    proc: subprocess.Popen[bytes]
    log: Path

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def pids(self) -> list[int]:
        """The uvicorn process and its descendants (workers, SQLite writer processes)."""
        return descendants(self.proc.pid)


def children(pid: int) -> list[int]:
    """The direct children of ``pid`` (of any of its threads)."""
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError):
                found += [int(c) for c in Path(f"/proc/{pid}/task/{task}/children").read_text().split()]
    return list(dict.fromkeys(found))


def descendants(pid: int) -> list[int]:
    """``pid``, its children, then theirs."""
    pids = [pid]
    for parent in pids:  # grows while it is walked
        pids += [c for c in children(parent) if c not in pids]
    return pids


class CpuCap:
    """Each service process in a cgroup of its own, limited to ``cores`` of CPU by the kernel's CFS
    quota (``--cpu-per-process``). Whatever the process starts later (its SQLite writer) joins its
    group and shares the quota.

    On this 2-core machine one uncapped service process no longer uses its core (the bench client
    and the database take the rest of the machine), so one and two processes run level: the
    machine, not the service, is full. With every process held to the same share of a core, the
    service is the bottleneck again, as it would be with the clients and the database on other
    machines, and one against two shows what a second process adds.

    cgroup v1 (``/sys/fs/cgroup/cpu``) or v2 (``cpu.max``, the ``cpu`` controller enabled for
    children); without write access (not root, a v2 hierarchy not delegated) it stops with the reason.
    """

    PERIOD_US = 10_000  # a short period: a throttled process waits at most this long

    def __init__(self, cores: float) -> None:
        if cores <= 0:
            raise SystemExit("--cpu-per-process must be above 0")
        self.quota_us = max(1000, round(cores * self.PERIOD_US))
        self.root, self.v2 = _cpu_cgroup_root()
        self.groups: list[Path] = []

    def confine(self, pids: list[int]) -> Path:
        group = self.root / f"handover-bench-{os.getpid()}-{len(self.groups)}"
        group.mkdir()
        self.groups.append(group)
        if self.v2:
            (group / "cpu.max").write_text(f"{self.quota_us} {self.PERIOD_US}")
        else:
            (group / "cpu.cfs_period_us").write_text(str(self.PERIOD_US))
            (group / "cpu.cfs_quota_us").write_text(str(self.quota_us))
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                (group / "cgroup.procs").write_text(str(pid))
        return group

    def release(self) -> None:
        """Remove the groups (their processes have ended; a group still in use stays)."""
        for group in self.groups:
            with contextlib.suppress(OSError):
                group.rmdir()
        self.groups = []


def _cpu_cgroup_root() -> tuple[Path, bool]:
    """Where this process may create a CPU-limited cgroup: (directory, is cgroup v2)."""
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if "cpu" in controllers.split(","):
            v1 = Path("/sys/fs/cgroup/cpu") / path.lstrip("/")
            if (v1 / "cpu.cfs_quota_us").exists() and os.access(v1, os.W_OK):
                return v1, False
    v2 = Path("/sys/fs/cgroup")
    if (v2 / "cgroup.controllers").exists() and "cpu" in (v2 / "cgroup.controllers").read_text().split():
        control = v2 / "cgroup.subtree_control"
        with contextlib.suppress(OSError):
            if "cpu" not in control.read_text().split():
                control.write_text("+cpu")
            if os.access(v2, os.W_OK):
                return v2, True
    raise SystemExit(
        "--cpu-per-process needs a writable cgroup CPU controller (/sys/fs/cgroup/cpu, or cgroup v2 with "
        "cpu delegated): run as root, or leave the option out"
    )


@dataclass
class Cluster:
    """One or two service processes sharing a database and a Redis namespace."""

    service_root: str
    database_url: str
    processes: int = 1
    mode: str = "instances"  # "instances": N uvicorn processes on N ports; "workers": uvicorn --workers N
    extra_env: dict[str, str] = field(default_factory=dict)
    cpu_per_process: float | None = None  # cores each service process may use (CpuCap); None: no limit
    services: list[Service] = field(default_factory=list)
    namespace: str = field(default_factory=lambda: f"bench-{uuid.uuid4().hex[:8]}")
    logdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="bench-logs-")))
    _cap: CpuCap | None = field(default=None, repr=False)

    def start(self) -> Cluster:
        # Before any process starts: a machine that cannot cap stops here, leaving nothing running.
        self._cap = CpuCap(self.cpu_per_process) if self.cpu_per_process is not None else None
        admin(self.service_root, self.database_url, "migrate")
        count = 1 if self.mode == "workers" else self.processes
        for i in range(count):
            port = free_port()
            log = self.logdir / f"service-{i}.log"
            if (Path(self.service_root) / "handover" / "server.py").is_file():
                # The service's own start path (python -m handover.server): the options it ships with.
                cmd = [
                    PYTHON,
                    "-c",
                    _SERVE_HANDOVER,
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--log-level",
                    "warning",
                ]
            else:
                cmd = [
                    PYTHON,
                    "-c",
                    _SERVE,
                    "--factory",
                    "handover.main:create_app",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--log-level",
                    "warning",
                    "--ws-max-queue",
                    "1024",
                    "--ws-ping-timeout",
                    "60",
                ]
            if self.mode == "workers" and self.processes > 1:
                cmd += ["--workers", str(self.processes)]
            env = service_env(self.service_root, self.database_url, self.namespace, f"bench-{i}", self.extra_env)
            with log.open("wb") as out:
                proc = subprocess.Popen(
                    cmd, cwd=self.service_root, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
                )
            self.services.append(Service(port, proc, log))
        for service in self.services:
            wait_healthy(service)
        if self._cap is not None:
            for service in self.services:
                # As uvicorn workers, each worker is a service process; the supervisor only watches.
                workers = self.mode == "workers" and self.processes > 1
                for root in children(service.proc.pid) if workers else [service.proc.pid]:
                    self._cap.confine(descendants(root))
        return self

    def stop(self) -> None:
        for service in self.services:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(service.proc.pid, signal.SIGTERM)
        for service in self.services:
            try:
                service.proc.wait(10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(service.proc.pid, signal.SIGKILL)
                service.proc.wait(5)
        if self._cap is not None:
            self._cap.release()

    def pids(self) -> list[int]:
        return [pid for s in self.services for pid in s.pids()]

    def __enter__(self) -> Cluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# Runs uvicorn with RLIMIT_NOFILE raised first (10,000 sockets need more than the default 1024).
_SERVE = (
    "import resource, sys\n"
    "soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)\n"
    "resource.setrlimit(resource.RLIMIT_NOFILE, (min(65536, hard), hard))\n"
    "from uvicorn.main import main\n"
    "sys.argv[0] = 'uvicorn'\n"
    "sys.exit(main())\n"
)


_SERVE_HANDOVER = (
    "import resource, sys\n"
    "soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)\n"
    "resource.setrlimit(resource.RLIMIT_NOFILE, (min(65536, hard), hard))\n"
    "from handover.server import main\n"
    "main(sys.argv[1:])\n"
)


def wait_healthy(service: Service, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if service.proc.poll() is not None:
            raise RuntimeError(f"service exited: {service.log.read_text()[-2000:]}")
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(f"{service.http}/healthz", timeout=2) as r:  # noqa: S310 (loopback)
                if r.status == 200:
                    return
        time.sleep(0.2)
    raise RuntimeError(f"service not healthy after {timeout} s: {service.log.read_text()[-2000:]}")


# --- /proc measurements -----------------------------------------------------------------------


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLK_TCK


def rss_kib(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total


def pids_named(*names: str) -> list[int]:
    """Processes whose command name (``/proc/PID/comm``) is one of ``names``: the database
    server's backends, Redis; their CPU is part of what a relayed message costs the machine."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError):
                if Path(f"/proc/{entry}/comm").read_text().strip() in names:
                    found.append(int(entry))
    return found


def machine_busy_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields) - idle) / CLK_TCK, sum(fields) / CLK_TCK


class CpuBreakdown:
    """Where the machine's CPU went over an interval: the service, this (client) process, the
    database server, Redis, and the machine as a whole (all cores, so 2 cores = 200%)."""

    def __init__(self, service_pids: list[int]) -> None:
        self.groups = {
            "service": service_pids,
            "database": pids_named("postgres"),
            "redis": pids_named("redis-server"),
        }
        self.start = self._sample()

    def _sample(self) -> dict[str, float]:
        busy, total = machine_busy_seconds()
        sample = {name: cpu_seconds(pids) for name, pids in self.groups.items()}
        sample["client"] = time.process_time()
        sample["redis_out"] = redis_output_bytes()
        sample["machine_busy"], sample["machine_total"] = busy, total
        sample["wall"] = time.monotonic()
        return sample

    def per_message_ms(self, messages: int) -> dict[str, float]:
        """CPU milliseconds per message for each group, plus the machine's busy % (of all cores)."""
        end = self._sample()
        delta = {k: end[k] - self.start[k] for k in end}
        out = {
            f"{k}_cpu_ms_per_message": round(1000 * delta[k] / max(1, messages), 3) for k in (*self.groups, "client")
        }
        out["machine_busy_percent"] = round(100 * delta["machine_busy"] / max(1e-9, delta["wall"]), 1)
        # Mostly pub/sub deliveries: how much of each message crossed between instances.
        out["redis_out_bytes_per_message"] = round(delta["redis_out"] / max(1, messages))
        return out


def redis_output_bytes() -> float:
    """Bytes Redis has sent to its clients since it started (INFO stats), 0 if unreadable."""
    import redis  # the service's dependency, in this .venv

    try:
        with redis.Redis.from_url(REDIS_URL) as client:
            return float(client.info("stats")["total_net_output_bytes"])
    except (redis.RedisError, OSError, KeyError):
        return 0.0


class CpuMeter:
    """CPU of the service processes over an interval, as % of one core."""

    def __init__(self, pids: list[int]) -> None:
        self.pids = pids
        self.cpu0 = cpu_seconds(pids)
        self.t0 = time.monotonic()

    def percent(self) -> float:
        return round(100 * (cpu_seconds(self.pids) - self.cpu0) / max(1e-9, time.monotonic() - self.t0), 1)


# --- clients ----------------------------------------------------------------------------------


async def login(service: Service, username: str) -> str:
    """Log an agent in over HTTP; returns the Cookie header for /ws/agent."""

    def post() -> str:
        req = urllib.request.Request(
            f"{service.http}/api/auth/login",
            method="POST",  # noqa: S310
            data=json.dumps({"username": username, "password": PASSWORD}).encode(),
            headers={"Content-Type": "application/json", "Origin": service.http},
        )
        with urllib.request.urlopen(req, timeout=30) as r:  # noqa: S310 (loopback)
            cookies = [h.split(";", 1)[0] for h in r.headers.get_all("Set-Cookie") or []]
        return "; ".join(cookies)

    return await asyncio.to_thread(post)


def create_agent(cluster: Cluster, username: str, max_chats: int, teams: str = "klantcontact") -> None:
    admin(
        cluster.service_root,
        cluster.database_url,
        "create-agent",
        username,
        f"Bench {username}",
        "--teams",
        teams,
        "--max-chats",
        str(max_chats),
        password=PASSWORD,
    )


# --- reports ----------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem_kib = 0
    with contextlib.suppress(OSError):
        mem_kib = int(Path("/proc/meminfo").read_text().split()[1])
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "ram_gib": round(mem_kib / 1024 / 1024, 1),
        "python": platform.python_version(),
    }


def write_report(name: str, report: dict[str, Any]) -> Path:
    REPORTS.mkdir(parents=True, exist_ok=True)
    out = REPORTS / f"{name}.json"
    report = {
        "benchmark": name,
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": shlex.join([Path(sys.argv[0]).name and f"bench/{Path(sys.argv[0]).name}", *sys.argv[1:]]),
        "machine": machine(),
        **report,
    }
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"report: {out}")
    return out


_HEADER = """# Performance

Load benchmarks of the handover service (issue 9): loopback only, bounded, on the machine below.
Each script in `bench/` prints its numbers, writes `bench/reports/<name>.json` (not committed)
and appends one line per scenario to the table below. `make bench` runs them all.
"Ratio" is relay throughput divided by a bare `websockets` echo measured in the same run.
"before (b3d2ce3)" rows ran the pre-change service from a pristine checkout
(`--service-root /tmp/baseline`).

## Machine

{machine}

## Results

| date | code | command | scenario | database | processes | numbers | ratio |
| --- | --- | --- | --- | --- | --- | --- | --- |
"""


def doc_line(
    args: argparse.Namespace, scenario: str, database: str, processes: int | str, numbers: str, ratio: str = ""
) -> None:
    if args.no_doc:
        return
    if not PERFORMANCE.exists():
        m = machine()
        PERFORMANCE.write_text(
            _HEADER.format(
                machine=f"nproc {m['nproc']}, CPU {m['cpu']}, RAM {m['ram_gib']} GiB, Python {m['python']}, "
                "shared with other work (numbers vary by +-20%)."
            )
        )
    label = args.label or f"{git_commit(args.service_root)}"
    command = shlex.join([f"bench/{Path(sys.argv[0]).name}", *sys.argv[1:]])
    date = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M")
    line = f"| {date} | {label} | `{command}` | {scenario} | {database} | {processes} | {numbers} | {ratio} |\n"
    text = PERFORMANCE.read_text()
    marker = "\n## Profile"
    if marker in text:
        head, tail = text.split(marker, 1)
        PERFORMANCE.write_text(head.rstrip("\n") + "\n" + line + "\n" + marker.lstrip("\n") + tail)
    else:
        with PERFORMANCE.open("a") as f:
            f.write(line)
