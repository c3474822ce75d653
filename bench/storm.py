"""Handover storm: many residents start, say one thing and ask for a person at once (issue 9).

For each size (default 200 in 2 s and 1,000 in 10 s) the residents arrive evenly spread over
the window; we time until every one has received its `queue` event (its position), capped by
--timeout. Nobody is online (or --agent adds one online agent with max 1 chat). Afterwards the
service's CPU is measured while the chats wait idle (--idle-seconds): the router's cost.

    .venv/bin/python bench/storm.py [--quick] [--sizes 200:2,1000:10] [--database sqlite,postgresql]
        [--timeout 60] [--idle-seconds 10] [--agent] [--service-root /tmp/baseline]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402
import websockets  # noqa: E402


async def storm(
    cluster: harness.Cluster, size: int, window: float, timeout: float, idle_seconds: float, agent: bool
) -> dict[str, Any]:
    service = cluster.services[0]
    agent_ws = None
    if agent:
        username = f"storm{uuid.uuid4().hex[:6]}"
        await asyncio.to_thread(harness.create_agent, cluster, username, 1)
        cookie = await harness.login(service, username)
        agent_ws = await websockets.connect(
            f"{service.ws}/ws/agent",
            ping_interval=None,
            max_size=2**24,
            additional_headers={"Cookie": cookie, "Origin": service.http},
        )
        await agent_ws.send(json.dumps({"type": "presence", "id": "p", "status": "online"}))

        async def drain() -> None:
            with contextlib.suppress(websockets.ConnectionClosed):
                async for _ in agent_ws:
                    pass

        drainer = asyncio.create_task(drain())
    t0 = time.monotonic()
    cpu0 = harness.cpu_seconds(cluster.pids())
    queued_at: list[float] = []
    sockets: list[Any] = []
    errors = 0

    async def resident(i: int) -> None:
        nonlocal errors
        await asyncio.sleep(window * i / size)
        try:
            ws = await websockets.connect(f"{service.ws}/ws/chat", ping_interval=None, open_timeout=timeout)
            sockets.append(ws)
            await ws.send(json.dumps({"type": "start", "id": "s"}))
            await ws.send(json.dumps({"type": "message", "id": "m", "text": "Ik wil een medewerker spreken"}))
            await ws.send(json.dumps({"type": "request_human", "id": "h"}))
            async for raw in ws:
                if json.loads(raw).get("type") == "queue":
                    queued_at.append(time.monotonic() - t0)
                    break
            async for _ in ws:  # keep reading so the server never sees a stalled client
                pass
        except (OSError, websockets.WebSocketException, TimeoutError):
            errors += 1

    tasks = [asyncio.create_task(resident(i)) for i in range(size)]
    deadline = t0 + timeout
    while len(queued_at) < size and time.monotonic() < deadline and errors + len(queued_at) < size:  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    all_queued = len(queued_at) == size
    # Service CPU per handover (start, one message, request_human, queue position): steadier than
    # wall-clock times when the machine is shared.
    cpu_ms = round(1000 * (harness.cpu_seconds(cluster.pids()) - cpu0) / max(1, len(queued_at)), 2)
    result: dict[str, Any] = {
        "size": size,
        "window_s": window,
        "queued": len(queued_at),
        "errors": errors,
        "all_queued": all_queued,
        "all_queued_after_s": round(max(queued_at), 2) if all_queued else None,
        "timeout_s": timeout,
        "median_queued_after_s": round(harness.percentile(queued_at, 50), 2) if queued_at else None,
        "server_cpu_ms_per_handover": cpu_ms,
    }
    if idle_seconds:
        meter = harness.CpuMeter(cluster.pids())
        await asyncio.sleep(idle_seconds)
        result["idle_cpu_percent"] = meter.percent()
        result["idle_seconds"] = idle_seconds
        result["idle_waiting"] = len(sockets)
    for t in tasks:
        t.cancel()
    for ws in sockets:  # no close handshakes: a busy server would make them take minutes
        ws.transport.abort()
    if agent_ws is not None:
        drainer.cancel()
        await agent_ws.close()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    harness.common_args(parser)
    parser.add_argument("--sizes", default="200:2,1000:10", help="SIZE:WINDOW_SECONDS,...")
    parser.add_argument("--database", default="sqlite,postgresql")
    parser.add_argument("--timeout", type=float, default=60, help="give up waiting for positions after this")
    parser.add_argument("--idle-seconds", type=float, default=10, help="CPU measured while the chats wait")
    parser.add_argument("--agent", action="store_true", help="one agent online (max 1 chat)")
    args = parser.parse_args()
    harness.raise_nofile()
    if args.quick:
        args.sizes, args.timeout, args.idle_seconds = "20:1", 20, 2
    report: dict[str, Any] = {
        "service_root": args.service_root,
        "service_commit": harness.git_commit(args.service_root),
        "label": args.label,
        "runs": {},
    }
    for database in args.database.split(","):
        for spec in args.sizes.split(","):
            size, window = int(spec.split(":")[0]), float(spec.split(":")[1])
            # a fresh service per size: waiting chats of an earlier storm would distort the next
            with harness.fresh_database(database) as url, harness.Cluster(args.service_root, url, 1) as cluster:
                r = asyncio.run(storm(cluster, size, window, args.timeout, args.idle_seconds, args.agent))
            report["runs"][f"{database}/{size}"] = r
            if r["all_queued"]:
                text = f"all {size} queued after {r['all_queued_after_s']} s (median {r['median_queued_after_s']} s)"
            else:
                text = f"not all queued after {args.timeout:g} s: {r['queued']} of {size}" + (
                    f" ({r['errors']} errors)" if r["errors"] else ""
                )
            text += f"; service CPU {r['server_cpu_ms_per_handover']} ms per handover"
            if "idle_cpu_percent" in r:
                text += f"; then {r['idle_cpu_percent']}% CPU over {r['idle_seconds']:g} s with them waiting"
            print(f"storm {database} {size} in {window:g} s: {text}")
            harness.doc_line(
                args,
                f"storm: {size} handovers in {window:g} s" + (", 1 agent" if args.agent else ", no agent"),
                database,
                1,
                text,
            )
    harness.write_report(args.report or "storm", report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
