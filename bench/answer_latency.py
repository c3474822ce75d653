"""Answer latency through /ws/chat with the real trained Rasa model.

Starts Rasa, the action server and one handover instance (SQLite, the machine's Redis or a
private one), then asks product questions over real websockets and measures the time from
sending a message to receiving the bot's first reply. Prints the numbers and writes
bench/reports/answer_latency.json. Loopback only; bounded by --questions.

    .venv/bin/python bench/answer_latency.py [--questions 50]
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]

import stack  # noqa: E402
import uvicorn  # noqa: E402
import websockets  # noqa: E402

from handover.cli import migrate  # noqa: E402
from handover.main import create_app  # noqa: E402
from handover.settings import Settings  # noqa: E402

QUESTIONS = [
    "Hoe vraag ik een nieuw paspoort aan?",
    "Wanneer wordt het grofvuil opgehaald?",
    "Ik ga verhuizen, wat moet ik doen?",
    "Hoe krijg ik een parkeervergunning?",
    "Kan ik kwijtschelding krijgen voor de gemeentelijke belastingen?",
]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


async def measure(url: str, count: int) -> list[float]:
    latencies: list[float] = []
    async with websockets.connect(url) as socket:
        await socket.recv()  # hello
        await socket.send(json.dumps({"type": "start", "id": "s"}))
        while json.loads(await socket.recv())["type"] != "started":
            pass
        for i in range(count):
            sent = time.perf_counter()
            await socket.send(json.dumps({"type": "message", "id": f"q{i}", "text": QUESTIONS[i % len(QUESTIONS)]}))
            while True:
                event = json.loads(await asyncio.wait_for(socket.recv(), 60))
                if event["type"] == "message" and event["author"] in ("bot", "system"):
                    latencies.append((time.perf_counter() - sent) * 1000)
                    break
            # Let the rest of the turn arrive before the next question (its events may come in
            # any order: the typing indicator is sent directly, messages via the record).
            while True:
                try:
                    await asyncio.wait_for(socket.recv(), 0.5)
                except TimeoutError:
                    break
    return latencies


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=int, default=50)
    args = parser.parse_args()

    model = stack.ensure_model()
    actions_port, rasa_port, port = stack.free_port(), stack.free_port(), stack.free_port()
    actions = stack.action_server(actions_port).start()
    rasa = stack.rasa_server(rasa_port, model, actions_port).start()
    redis_child = None
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    if not stack.port_open("127.0.0.1", 6379):
        redis_port = stack.free_port()
        redis_child = stack.redis_server(redis_port).start()
        redis_url = f"redis://127.0.0.1:{redis_port}/0"
    try:
        started = time.monotonic()
        actions.wait_ready(120)
        rasa.wait_ready(600)  # the 46 MB model loads in ~2 min on 2 idle cores; more under load
        rasa_start = time.monotonic() - started
        with tempfile.TemporaryDirectory() as tmp:
            database_url = f"sqlite:///{tmp}/bench.db"
            migrate(database_url)
            settings = Settings(
                environment="test",
                database_url=database_url,
                redis_url=redis_url,
                rasa_url=f"http://127.0.0.1:{rasa_port}",
                rate_limit_messages=10_000,
            )
            server = uvicorn.Server(
                uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
            )
            thread = threading.Thread(target=server.run, daemon=True)
            thread.start()
            while not server.started:
                time.sleep(0.05)
            asyncio.run(measure(f"ws://127.0.0.1:{port}/ws/chat", 3))  # warm-up
            latencies = asyncio.run(measure(f"ws://127.0.0.1:{port}/ws/chat", args.questions))
            server.should_exit = True
            thread.join(10)
    finally:
        rasa.stop()
        actions.stop()
        if redis_child:
            redis_child.stop()

    report = {
        "benchmark": "answer_latency_ws_chat",
        "questions": len(latencies),
        "median_ms": round(statistics.median(latencies), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
        "min_ms": round(min(latencies), 1),
        "max_ms": round(max(latencies), 1),
        "rasa_start_seconds": round(rasa_start, 1),
        "model": model.name,
        "model_bytes": model.stat().st_size,
        "cpu_count": os.cpu_count(),
    }
    out = ROOT / "bench" / "reports" / "answer_latency.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    for key, value in report.items():
        print(f"{key:20} {value}")
    print(f"report: {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
