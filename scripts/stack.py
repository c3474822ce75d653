"""Run the whole system on one machine: Redis, Rasa, the action server and the handover service.

`make run` calls `python scripts/stack.py run`; the test suite imports this module to train the
model and start Rasa the same way. Environments are created beforehand by `scripts/bootstrap.sh`.

The Rasa model is trained only when the bot's training data or configuration changed: its file
name is a hash of `bot/config.yml`, `bot/domain*`, `bot/data/` and `bot/uv.lock`. The product
catalogue is left out on purpose: answers are rendered from it at run time, without retraining.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
BOT = ROOT / "bot"
MODELS = BOT / "models"
VAR = ROOT / "var"
BOT_BIN = BOT / ".venv" / "bin"
SERVICE_BIN = ROOT / ".venv" / "bin"
TRAINING_INPUTS = ("config.yml", "domain.yml", "domain", "data", "uv.lock")
KEEP_MODELS = 3


def say(text: str) -> None:
    # Progress goes to stderr, so `MODEL=$(stack.py train)` captures only the model path.
    print(f"[stack] {text}", file=sys.stderr, flush=True)


# --- the model -------------------------------------------------------------------------------


def _training_files() -> Iterator[Path]:
    for name in TRAINING_INPUTS:
        path = BOT / name
        if path.is_file():
            yield path
        elif path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def model_hash() -> str:
    digest = hashlib.sha256()
    for path in _training_files():
        digest.update(str(path.relative_to(BOT)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


@contextlib.contextmanager
def _exclusive(lock_name: str) -> Iterator[None]:
    """Serialise work across processes (a `make run` and a test session training at once)."""
    MODELS.mkdir(parents=True, exist_ok=True)
    with open(MODELS / lock_name, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_model(quiet: bool = False) -> Path:
    """Return the trained model for the current bot content, training it when missing."""
    name = f"bot-{model_hash()}"
    model = MODELS / f"{name}.tar.gz"
    if model.exists():
        if not quiet:
            say(f"model up to date: {model.relative_to(ROOT)}")
        return model
    with _exclusive(".train.lock"):
        if model.exists():
            return model
        say("training the Rasa model (bot content changed; 7-8 minutes on 2 cores)...")
        started = time.monotonic()
        command = [str(BOT_BIN / "rasa"), "train", "--fixed-model-name", name, "--out", str(MODELS)]
        log = VAR / "logs" / "train.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with open(log, "w") as out:
            process = subprocess.Popen(command, cwd=BOT, stdout=out, stderr=subprocess.STDOUT, env=_bot_env())
            while process.poll() is None:
                time.sleep(5)
                if not quiet:
                    say(f"  training... {time.monotonic() - started:.0f}s ({_last_line(log)})")
        if process.returncode != 0 or not model.exists():
            raise SystemExit(f"training failed (exit {process.returncode}); see {log}:\n{_tail(log)}")
        say(f"trained {model.relative_to(ROOT)} in {time.monotonic() - started:.0f}s")
        for old in sorted(MODELS.glob("bot-*.tar.gz"), key=lambda p: p.stat().st_mtime)[:-KEEP_MODELS]:
            old.unlink()
    return model


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _last_line(path: Path) -> str:
    tail = [line for line in _tail(path, 5).replace("\r", "\n").splitlines() if line.strip()]
    return re.sub(r"\x1b\[[0-9;]*m", "", tail[-1]).strip()[:90] if tail else "starting"


def _bot_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    # TensorFlow and Rasa are chatty and phone home unless told not to.
    env.update(
        TF_CPP_MIN_LOG_LEVEL="2",
        RASA_TELEMETRY_ENABLED="false",
        SQLALCHEMY_SILENCE_UBER_WARNING="1",
        PYTHONWARNINGS="ignore",
    )
    env.update(extra)
    return env


# --- processes -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback URLs only
            return 200 <= response.status < 300
    except (urllib.error.URLError, OSError, ValueError):
        return False


@dataclass
class Child:
    name: str
    command: list[str]
    cwd: Path
    env: dict[str, str]
    ready_url: str | None = None
    log: Path = field(init=False)
    process: subprocess.Popen[bytes] | None = None
    _output: Any = None

    def __post_init__(self) -> None:
        self.log = VAR / "logs" / f"{self.name}.log"

    def start(self) -> Child:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self._output = open(self.log, "ab")  # noqa: SIM115 - lives as long as the child
        self.process = subprocess.Popen(
            self.command,
            cwd=self.cwd,
            env=self.env,
            stdout=self._output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def wait_ready(self, timeout: float, quiet: bool = False) -> None:
        started = time.monotonic()
        next_note = started + 10
        while time.monotonic() - started < timeout:
            if not self.alive():
                raise RuntimeError(f"{self.name} exited early; last lines of {self.log}:\n{_tail(self.log)}")
            if self.ready_url is None or http_ok(self.ready_url):
                return
            if not quiet and time.monotonic() > next_note:
                say(f"  waiting for {self.name}... {time.monotonic() - started:.0f}s")
                next_note += 10
            time.sleep(0.5)
        raise RuntimeError(f"{self.name} not ready after {timeout:.0f}s; see {self.log}:\n{_tail(self.log)}")

    def stop(self, timeout: float = 15) -> None:
        try:
            self._terminate(timeout)
        finally:
            if self._output is not None:
                self._output.close()
                self._output = None

    def _terminate(self, timeout: float) -> None:
        if not self.alive() or self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)


def action_server(port: int) -> Child:
    return Child(
        "actions",
        [str(BOT_BIN / "rasa"), "run", "actions", "--port", str(port), "--actions", "actions"],
        BOT,
        _bot_env(),
        ready_url=f"http://127.0.0.1:{port}/health",
    )


def rasa_server(port: int, model: Path, actions_port: int) -> Child:
    return Child(
        "rasa",
        [
            str(BOT_BIN / "rasa"),
            "run",
            "--enable-api",
            "--port",
            str(port),
            "--interface",
            "127.0.0.1",
            "--model",
            str(model),
            "--endpoints",
            "endpoints.yml",
            "--credentials",
            "credentials.yml",
        ],
        BOT,
        _bot_env(ACTION_SERVER_URL=f"http://127.0.0.1:{actions_port}/webhook"),
        ready_url=f"http://127.0.0.1:{port}/status",
    )


def redis_server(port: int) -> Child:
    data = VAR / "redis"
    data.mkdir(parents=True, exist_ok=True)
    binary = ensure_redis_binary()
    return Child(
        "redis",
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(data)],
        ROOT,
        dict(os.environ),
    )


def ensure_redis_binary() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        say("redis-server is missing; installing Debian's package redis-server...")
        subprocess.run(["apt-get", "update", "-qq"], check=False)
        subprocess.run(["apt-get", "install", "-y", "-qq", "redis-server"], check=True)
        found = shutil.which("redis-server")
        if found:
            return found
    raise SystemExit(
        "redis-server is not installed. Install it (Debian/Ubuntu: `sudo apt-get install redis-server`, "
        "macOS: `brew install redis`) or set REDIS_URL to a reachable Redis."
    )


def handover_server(port: int, env: dict[str, str]) -> Child:
    return Child(
        "handover",
        [str(SERVICE_BIN / "python"), "-m", "handover.server", "--host", "127.0.0.1", "--port", str(port)],
        ROOT,
        env,
        ready_url=f"http://127.0.0.1:{port}/healthz",
    )


def migrate(env: dict[str, str]) -> None:
    subprocess.run(
        [str(SERVICE_BIN / "handover-admin"), "migrate"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
    )


# --- `make run` ------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> int:
    children: list[Child] = []

    def stop_all(*_: object) -> None:
        for child in reversed(children):
            child.stop()

    # Ctrl-C and SIGTERM both end in the `finally` below, which stops every child. SIGINT is set
    # explicitly: a shell that started us in the background would have left it ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        env = dict(os.environ)
        redis_url = env.get("REDIS_URL", "redis://127.0.0.1:6379/0")
        parsed = urlparse(redis_url)
        if port_open(parsed.hostname or "127.0.0.1", parsed.port or 6379):
            say(f"using Redis at {redis_url}")
        else:
            port = args.redis_port
            say(f"no Redis at {redis_url}; starting a private redis-server on port {port}")
            children.append(redis_server(port).start())
            redis_url = f"redis://127.0.0.1:{port}/0"
            deadline = time.monotonic() + 15
            while not port_open("127.0.0.1", port):
                if time.monotonic() > deadline or not children[-1].alive():
                    raise RuntimeError(f"redis-server did not start; see {children[-1].log}")
                time.sleep(0.2)
        env["REDIS_URL"] = redis_url
        env.setdefault("DATABASE_URL", f"sqlite:///{VAR / 'handover.db'}")
        env["RASA_URL"] = f"http://127.0.0.1:{args.rasa_port}"

        model = ensure_model()
        say("starting the action server and Rasa (loading the model takes ~30s)...")
        actions = action_server(args.actions_port).start()
        children.append(actions)
        rasa = rasa_server(args.rasa_port, model, args.actions_port).start()
        children.append(rasa)

        say(f"migrating the database ({env['DATABASE_URL'].split('@')[-1]})")
        migrate(env)
        handover = handover_server(args.port, env).start()
        children.append(handover)

        actions.wait_ready(120)
        handover.wait_ready(60)
        rasa.wait_ready(600)  # the 46 MB model loads in ~2 min on 2 idle cores; more under load
        for _ in range(60):
            if http_ok(f"http://127.0.0.1:{args.port}/readyz"):
                break
            time.sleep(0.5)
        say("everything is up. Open:")
        say(f"  demo chat           http://localhost:{args.port}/")
        say(f"  readiness           http://localhost:{args.port}/readyz")
        say(f"  Rasa (API)          http://localhost:{args.rasa_port}/status")
        say(f"  logs                {VAR / 'logs'}")
        say("press Ctrl-C to stop everything")
        while True:
            for child in children:
                if not child.alive():
                    raise RuntimeError(f"{child.name} stopped; last lines of {child.log}:\n{_tail(child.log)}")
            time.sleep(1)
    except KeyboardInterrupt:
        say("stopping...")
        return 0
    except RuntimeError as exc:
        say(f"error: {exc}")
        return 1
    finally:
        stop_all()
        say("stopped")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    run_parser = sub.add_parser("run", help="start everything and wait for Ctrl-C")
    run_parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8000)))
    run_parser.add_argument("--rasa-port", type=int, default=int(os.environ.get("RASA_PORT", 5005)))
    run_parser.add_argument("--actions-port", type=int, default=int(os.environ.get("ACTIONS_PORT", 5055)))
    run_parser.add_argument("--redis-port", type=int, default=int(os.environ.get("PRIVATE_REDIS_PORT", 6390)))
    sub.add_parser("train", help="train the model if the bot changed; print its path")
    sub.add_parser("model-hash", help="print the content hash the model is named by")
    args = parser.parse_args(argv)
    if args.command == "run":
        return run(args)
    if args.command == "train":
        print(ensure_model())
        return 0
    print(model_hash())
    return 0


if __name__ == "__main__":
    sys.exit(main())
