"""Time from a handover request to the chat appearing in an online agent's console.

Runs one or two handover instances (threads, real sockets, real Redis, SQLite or PostgreSQL
from --database-url), logs an agent in on the last instance, and repeats: a resident on the
first instance presses "Medewerker"; we time until the agent's socket receives the `queue`
snapshot that lists the chat, and until it receives the `offer`. The agent closes each chat
so capacity stays free. Rounds follow each other at once, so most handovers arrive while the
queue views rest after the previous round's change (``queue_push_interval_seconds``, 0.25 s):
the numbers are the busy case, not a handover into a quiet queue. Prints numbers and writes
bench/reports/handover_latency.json.
Loopback only; bounded by --rounds.

    .venv/bin/python bench/handover_latency.py [--rounds 50] [--database-url postgresql://...] [--report NAME]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "scripts"), str(ROOT / "tests")]

import httpx  # noqa: E402
import stack  # noqa: E402
import uvicorn  # noqa: E402
from wsclient import ChatClient  # noqa: E402

from handover.cli import migrate  # noqa: E402
from handover.main import create_app  # noqa: E402
from handover.services import agents  # noqa: E402
from handover.settings import Settings  # noqa: E402
from handover.store.db import Database  # noqa: E402

PASSWORD = "benchmark-password-1"


def serve(settings: Settings) -> tuple[uvicorn.Server, int]:
    port = stack.free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server, port


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


async def run(ports: list[int], database_url: str, rounds: int) -> dict[str, list[float]]:
    db = Database(database_url)
    await agents.ensure_default_teams(db.sessions)
    username = f"bench{uuid.uuid4().hex[:6]}"
    await agents.create_agent(db.sessions, username, "Bench", PASSWORD, ["klantcontact"], max_chats=5)
    await db.dispose()
    agent_http = f"http://127.0.0.1:{ports[-1]}"
    async with httpx.AsyncClient(base_url=agent_http) as http:
        response = await http.post("/api/auth/login", json={"username": username, "password": PASSWORD})
        cookies = dict(response.cookies)
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    queue_ms: list[float] = []
    offer_ms: list[float] = []
    async with ChatClient(f"ws://127.0.0.1:{ports[-1]}/ws/agent", {"Cookie": cookie, "Origin": agent_http}) as agent:
        await agent.request({"type": "presence", "status": "online"})
        for _ in range(rounds):
            async with ChatClient(f"ws://127.0.0.1:{ports[0]}/ws/chat") as resident:
                started = await resident.start()
                conversation_id = started["conversation_id"]
                mark = len(agent.events)
                sent = time.perf_counter()
                await resident.send({"type": "request_human", "id": "h"})

                def listed(e: dict[str, Any], n: int = mark, cid: str = conversation_id) -> bool:
                    return (
                        agent.events.index(e) >= n
                        and e["type"] == "queue"
                        and any(i["conversation_id"] == cid for items in e["teams"].values() for i in items)
                    )

                await agent.wait_for(listed, 30)
                queue_ms.append((time.perf_counter() - sent) * 1000)
                await agent.wait_for(
                    lambda e, cid=conversation_id: e["type"] == "offer" and e["conversation_id"] == cid, 30
                )
                offer_ms.append((time.perf_counter() - sent) * 1000)
                await agent.request({"type": "accept", "conversation_id": conversation_id})
                await agent.request({"type": "close", "conversation_id": conversation_id, "outcome": "opgelost"})
    return {"queue_ms": queue_ms, "offer_ms": offer_ms}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--report", default="handover_latency", help="bench/reports/NAME.json")
    args = parser.parse_args()
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    report: dict[str, Any] = {"benchmark": "handover_to_console", "rounds": args.rounds, "cpu_count": os.cpu_count()}
    with tempfile.TemporaryDirectory() as tmp:
        database_url = args.database_url or f"sqlite:///{tmp}/bench.db"
        migrate(database_url)
        report["database"] = database_url.split("://")[0]
        for instances in (1, 2):
            namespace = f"bench{instances}-{uuid.uuid4().hex[:6]}"  # shared by the instances of this run
            servers = [
                serve(
                    Settings(
                        environment="test",
                        database_url=database_url,
                        redis_url=redis_url,
                        rasa_url="http://127.0.0.1:9",
                        instance_name=f"bench-{i}",
                        redis_namespace=namespace,
                        rate_limit_messages=10_000,
                        # Every resident here comes from 127.0.0.1: the per-address abuse limits
                        # (20 handovers a minute) would refuse the 21st round.
                        limit_starts_per_address=10_000,
                        limit_handovers_per_address=10_000,
                    )
                )
                for i in range(instances)
            ]
            numbers = asyncio.run(run([port for _, port in servers], database_url, args.rounds))
            for server, _ in servers:
                server.should_exit = True
            time.sleep(1)
            for name, values in numbers.items():
                report[f"{instances}_instance_{name}"] = {
                    "median": round(statistics.median(values), 1),
                    "p95": round(percentile(values, 95), 1),
                    "max": round(max(values), 1),
                }
    out = ROOT / "bench" / "reports" / f"{args.report}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    for key, value in report.items():
        print(f"{key:28} {value}")
    print(f"report: {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
