"""Idle resident sockets: memory per socket, heartbeat CPU, /healthz while sockets connect (issue 9).

N resident sockets (default 10,000, spread over several client processes) each `start` a
conversation and then stay idle. We report the service's RSS delta per socket (KiB), its CPU
over --idle-seconds of idleness with HEARTBEAT_SECONDS set low (default 5) so the heartbeat cost
shows, and /healthz latency sampled while the sockets connect. Bounded by --connect-timeout.

    .venv/bin/python bench/idle.py [--quick] [--sockets 10000] [--clients 4] [--database sqlite]
        [--idle-seconds 30] [--heartbeat 5] [--service-root /tmp/baseline]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing as mp
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402


def client_process(url: str, count: int, hold_seconds: float, out: Any) -> None:
    """Open `count` started resident sockets, report, keep them open (reading) for hold_seconds."""
    import websockets

    harness.raise_nofile()

    async def run() -> None:
        sockets: list[Any] = []
        errors = 0
        gate = asyncio.Semaphore(50)

        async def one() -> None:
            nonlocal errors
            async with gate:
                try:
                    ws = await websockets.connect(
                        url, ping_interval=None, open_timeout=120, compression=None, max_queue=None
                    )
                    await ws.send(json.dumps({"type": "start", "id": "s"}))
                    async with asyncio.timeout(120):
                        while json.loads(await ws.recv()).get("type") != "started":
                            pass
                    sockets.append(ws)
                except (OSError, websockets.WebSocketException, TimeoutError):
                    errors += 1

        await asyncio.gather(*(one() for _ in range(count)))
        out.put(("connected", len(sockets), errors))

        async def drain(ws: Any) -> None:
            with contextlib.suppress(Exception):
                async for _ in ws:
                    pass

        drains = [asyncio.create_task(drain(ws)) for ws in sockets]
        await asyncio.sleep(hold_seconds)
        for d in drains:
            d.cancel()
        out.put(("done", len(sockets), 0))

    asyncio.run(run())


def healthz_ms(service: harness.Service) -> float:
    t = time.perf_counter()
    try:
        with urllib.request.urlopen(f"{service.http}/healthz", timeout=10) as r:  # noqa: S310 (loopback)
            r.read()
    except OSError:
        return 10_000.0
    return (time.perf_counter() - t) * 1000


def run(args: argparse.Namespace, database: str) -> dict[str, Any]:
    extra = {"HEARTBEAT_SECONDS": str(args.heartbeat)}
    with harness.fresh_database(database) as url, harness.Cluster(args.service_root, url, 1, extra_env=extra) as c:
        service = c.services[0]
        time.sleep(2)
        pids = c.pids()
        rss0 = harness.rss_kib(pids)
        per = [
            args.sockets // args.clients + (1 if i < args.sockets % args.clients else 0) for i in range(args.clients)
        ]
        queue: Any = mp.get_context("spawn").Queue()
        hold = args.connect_timeout + args.idle_seconds + 30
        procs = [
            mp.get_context("spawn").Process(target=client_process, args=(f"{service.ws}/ws/chat", n, hold, queue))
            for n in per
            if n
        ]
        t0 = time.monotonic()
        for p in procs:
            p.start()
        connected = errors = reported = 0
        health: list[float] = []
        while reported < len(procs) and time.monotonic() - t0 < args.connect_timeout:
            health.append(healthz_ms(service))
            with contextlib.suppress(Exception):
                while True:
                    _, n, e = queue.get_nowait()
                    connected, errors, reported = connected + n, errors + e, reported + 1
            time.sleep(0.2)
        connect_s = time.monotonic() - t0
        time.sleep(3)
        rss1 = harness.rss_kib(pids)
        meter = harness.CpuMeter(pids)
        time.sleep(args.idle_seconds)
        cpu = meter.percent()
        for p in procs:
            p.terminate()
        for p in procs:
            p.join(10)
    return {
        "sockets_target": args.sockets,
        "sockets_connected": connected,
        "errors": errors,
        "all_connected": reported == len(procs),
        "connect_s": round(connect_s, 1),
        "rss_before_kib": rss0,
        "rss_after_kib": rss1,
        "rss_per_socket_kib": round((rss1 - rss0) / max(1, connected), 1),
        "idle_cpu_percent": cpu,
        "idle_seconds": args.idle_seconds,
        "heartbeat_seconds": args.heartbeat,
        "healthz_while_connecting": harness.latency_summary(health),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    harness.common_args(parser)
    parser.add_argument("--sockets", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=4, help="client processes")
    parser.add_argument("--database", default="sqlite")
    parser.add_argument("--idle-seconds", type=float, default=30)
    parser.add_argument("--heartbeat", type=float, default=5, help="HEARTBEAT_SECONDS of the service")
    parser.add_argument("--connect-timeout", type=float, default=180)
    args = parser.parse_args()
    harness.raise_nofile()
    if args.quick:
        args.sockets, args.clients, args.idle_seconds, args.connect_timeout = 200, 2, 6, 60
    report: dict[str, Any] = {
        "service_root": args.service_root,
        "service_commit": harness.git_commit(args.service_root),
        "label": args.label,
        "runs": {},
    }
    for database in args.database.split(","):
        r = run(args, database)
        report["runs"][database] = r
        h = r["healthz_while_connecting"]
        text = (
            f"{r['sockets_connected']} of {r['sockets_target']} connected in {r['connect_s']} s"
            + ("" if r["all_connected"] else " (timed out)")
            + f"; {r['rss_per_socket_kib']} KiB/socket; {r['idle_cpu_percent']}% CPU idle over "
            f"{r['idle_seconds']:g} s (heartbeat {r['heartbeat_seconds']:g} s); /healthz while connecting "
            f"p50 {h['p50_ms']} ms, p99 {h['p99_ms']} ms, max {h['max_ms']} ms"
        )
        print(f"idle {database}: {text}")
        harness.doc_line(args, f"idle: {r['sockets_target']} resident sockets", database, 1, text)
    harness.write_report(args.report or "idle", report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
