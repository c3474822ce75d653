"""Relay throughput and latency: a resident's message to the agent's socket (issue 9).

Scenarios (all on loopback, bounded by --seconds):
  echo    a bare `websockets` echo server in a subprocess, closed loop, same client pattern
  closed  N assigned chats, closed loop: the resident says, we wait for the `message` event on
          the agent's socket, then the next; messages/s and p50/p95/p99; ratio to the echo
          (with --rounds K: K pairs of an echo run and a relay run back to back, median ratio)
  open    N chats, each sending 1 message/s in both directions (resident->agent, agent->resident)

With several instances, --placement split (the default) puts the residents on the first and the
agent on the last, so every message crosses Redis; --placement together gives each instance an
agent with its own residents, so none has to (the best case of a deployment's placement);
--placement routed puts two agents per process online, spreads the residents over the instances
(as uvicorn workers the kernel spreads every socket) and lets the router's offers decide.

    .venv/bin/python bench/relay.py [--quick] [--database sqlite,postgresql] [--processes 1,2]
        [--mode instances|workers] [--placement split|together|routed] [--chats 10,100] [--seconds 10]
        [--open-seconds 20] [--rounds 1] [--service-root /tmp/baseline]
        [--profile bench/reports/profile.txt]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402
import websockets  # noqa: E402

ECHO_SERVER = """
import asyncio, sys, websockets
async def echo(ws):
    async for m in ws:
        await ws.send(m)
async def main():
    async with websockets.serve(echo, "127.0.0.1", int(sys.argv[1]), compression=None):
        await asyncio.Future()
asyncio.run(main())
"""


def connect(url: str, **kwargs: Any) -> Any:
    # max_queue=None: a socket whose events nobody reads yet must still answer the server's pings
    return websockets.connect(url, max_size=2**20, open_timeout=60, ping_interval=None, max_queue=None, **kwargs)


# --- echo -------------------------------------------------------------------------------------


async def echo_closed_loop(connections: int, seconds: float) -> dict[str, Any]:
    port = harness.free_port()
    proc = subprocess.Popen([harness.PYTHON, "-c", ECHO_SERVER, str(port)])  # noqa: ASYNC220 (before timing)
    try:
        for _ in range(100):
            try:
                async with connect(f"ws://127.0.0.1:{port}"):
                    break
            except OSError:
                await asyncio.sleep(0.1)
        latencies: list[float] = []
        stop = time.monotonic() + seconds

        async def client() -> None:
            async with connect(f"ws://127.0.0.1:{port}", compression=None) as ws:
                while time.monotonic() < stop:
                    t = time.perf_counter()
                    await ws.send(json.dumps({"type": "message", "id": uuid.uuid4().hex, "text": "hallo"}))
                    await ws.recv()
                    latencies.append((time.perf_counter() - t) * 1000)

        t0 = time.monotonic()
        cpu = harness.CpuBreakdown([proc.pid])
        await asyncio.gather(*(client() for _ in range(connections)))
        elapsed = time.monotonic() - t0
        breakdown = cpu.per_message_ms(len(latencies))
        return {
            "connections": connections,
            "messages_per_s": round(len(latencies) / elapsed, 1),
            "server_cpu_ms_per_message": breakdown["service_cpu_ms_per_message"],
            "client_cpu_ms_per_message": breakdown["client_cpu_ms_per_message"],
            "machine_busy_percent": breakdown["machine_busy_percent"],
            **harness.latency_summary(latencies),
        }
    finally:
        proc.terminate()
        proc.wait(5)


# --- relay setup --------------------------------------------------------------------------------


class Agent:
    """One agent socket; events are routed to per-conversation queues."""

    def __init__(self, ws: Any, home: int | None) -> None:
        self.ws = ws
        self.home = home  # index of its instance in the cluster; None as uvicorn workers (unknown)
        self.replies: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.messages: dict[str, asyncio.Queue[dict[str, Any]]] = defaultdict(asyncio.Queue)
        self.offers: asyncio.Queue[str] = asyncio.Queue()  # conversation ids the router offered
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for raw in self.ws:
                event = json.loads(raw)
                reply_to = event.get("reply_to")
                if reply_to in self.replies and event["type"] in ("ack", "error"):
                    self.replies.pop(reply_to).set_result(event)
                elif event.get("type") == "message" and "conversation_id" in event:
                    self.messages[event["conversation_id"]].put_nowait(event)
                elif event.get("type") == "offer":
                    self.offers.put_nowait(event["conversation_id"])

    async def request(self, command: dict[str, Any], timeout: float = 60) -> dict[str, Any]:
        cid = uuid.uuid4().hex
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.replies[cid] = future
        await self.ws.send(json.dumps({**command, "id": cid}))
        return await asyncio.wait_for(future, timeout)


class Resident:
    def __init__(self, ws: Any, conversation_id: str, home: int | None) -> None:
        self.ws = ws
        self.conversation_id = conversation_id
        self.home = home  # as Agent.home
        self.messages: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.reader: asyncio.Task[None] | None = None
        self.agent: Agent | None = None

    def follow(self) -> None:
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for raw in self.ws:
                event = json.loads(raw)
                if event.get("type") == "message" and event.get("author") == "agent":
                    self.messages.put_nowait(event)


async def recv_until(ws: Any, predicate: Any, timeout: float = 60) -> dict[str, Any]:
    async with asyncio.timeout(timeout):
        while True:
            event = json.loads(await ws.recv())
            if predicate(event):
                return event


def home_of(cluster: harness.Cluster, service: harness.Service) -> int | None:
    """Which instance a socket to ``service`` is on (as uvicorn workers the kernel decides)."""
    return cluster.services.index(service) if cluster.mode == "instances" else None


async def open_resident(cluster: harness.Cluster, service: harness.Service) -> Resident:
    ws = await connect(f"{service.ws}/ws/chat")
    await ws.send(json.dumps({"type": "start", "id": "s"}))
    started = await recv_until(ws, lambda e: e.get("type") == "started")
    await ws.send(json.dumps({"type": "request_human", "id": "h"}))
    await recv_until(ws, lambda e: e.get("reply_to") == "h")
    resident = Resident(ws, started["conversation_id"], home_of(cluster, service))
    resident.follow()
    return resident


#: "split": the residents on the first process, the agent on the last (with two instances every
#: message crosses Redis); "together": one agent per instance, its residents on the same one;
#: "routed": two agents per process go online, residents are spread over the instances (as
#: uvicorn workers: the kernel spreads every socket) and the router's offers decide.
PLACEMENT = "split"


async def open_agent(cluster: harness.Cluster, service: harness.Service, chats: int) -> Agent:
    username = f"bench{uuid.uuid4().hex[:6]}"
    await asyncio.to_thread(harness.create_agent, cluster, username, chats + 5)
    cookie = await harness.login(service, username)
    ws = await connect(f"{service.ws}/ws/agent", additional_headers={"Cookie": cookie, "Origin": service.http})
    return Agent(ws, home_of(cluster, service))


async def routed_chats(cluster: harness.Cluster, chats: int) -> list[Resident]:
    """Placement "routed": the agents accept whatever the router offers them."""
    hosts = cluster.services
    agents: list[Agent] = []
    for k in range(2 * cluster.processes):
        agent = await open_agent(cluster, hosts[k % len(hosts)], chats // (2 * cluster.processes) + 5)
        reply = await agent.request({"type": "presence", "status": "online"})
        if reply["type"] != "ack":
            raise RuntimeError(f"going online failed: {reply}")
        agents.append(agent)
    residents: list[Resident] = []
    for start in range(0, chats, 20):
        residents += await asyncio.gather(
            *(open_resident(cluster, hosts[(start + i) % len(hosts)]) for i in range(min(20, chats - start)))
        )
    waiting = {r.conversation_id: r for r in residents}
    all_taken = asyncio.Event()

    async def take_offers(agent: Agent) -> None:
        while waiting:
            conversation_id = await agent.offers.get()
            reply = await agent.request({"type": "accept", "conversation_id": conversation_id})
            if reply["type"] == "ack" and conversation_id in waiting:
                waiting.pop(conversation_id).agent = agent
                if not waiting:
                    all_taken.set()

    takers = [asyncio.create_task(take_offers(agent)) for agent in agents]
    try:
        async with asyncio.timeout(120):
            await all_taken.wait()
    finally:
        for taker in takers:
            taker.cancel()
    return residents


async def assigned_chats(cluster: harness.Cluster, chats: int) -> list[Resident]:
    """`chats` residents queued and claimed by agents, placed as :data:`PLACEMENT` says; each
    resident's ``agent`` is the one that claimed it."""
    residents = await (routed_chats if PLACEMENT == "routed" else placed_chats)(cluster, chats)
    await asyncio.sleep(1)  # let the `conversation` snapshots and state events settle
    for agent in agents_of(residents):
        for queue in agent.messages.values():
            while not queue.empty():
                queue.get_nowait()
    return residents


async def placed_chats(cluster: harness.Cluster, chats: int) -> list[Resident]:
    """Placements "split" and "together": each agent accepts its residents from the queue."""
    together = PLACEMENT == "together" and len(cluster.services) > 1
    hosts = cluster.services if together else [cluster.services[-1]]
    residents: list[Resident] = []
    for k, host in enumerate(hosts):
        count = chats // len(hosts) + (1 if k < chats % len(hosts) else 0)
        agent = await open_agent(cluster, host, count)
        home = host if together else cluster.services[0]
        mine: list[Resident] = []
        for start in range(0, count, 20):
            mine += await asyncio.gather(*(open_resident(cluster, home) for _ in range(min(20, count - start))))
        for resident in mine:
            resident.agent = agent
            reply = await agent.request({"type": "accept", "conversation_id": resident.conversation_id})
            if reply["type"] != "ack":
                raise RuntimeError(f"accept failed: {reply}")
        residents += mine
    return residents


def local_chats(residents: list[Resident]) -> int:
    return sum(1 for r in residents if r.agent is not None and r.home == r.agent.home)


def agents_of(residents: list[Resident]) -> list[Agent]:
    return list({id(r.agent): r.agent for r in residents if r.agent is not None}.values())


async def close_all(residents: list[Resident]) -> None:
    agents = agents_of(residents)
    if PLACEMENT == "routed":
        # The router offers to whoever is online: the next round's agents must not inherit these
        # chats (returned to the queue when their agent is lost) or the offers of agents gone.
        async def close(resident: Resident) -> None:
            assert resident.agent is not None
            done = {"type": "close", "conversation_id": resident.conversation_id, "outcome": "opgelost"}
            await resident.agent.request({**done, "summary": "bench"})

        await asyncio.gather(*(close(r) for r in residents))
        await asyncio.gather(*(a.request({"type": "presence", "status": "offline"}) for a in agents))
    for resident in residents:  # no close handshakes: a busy server would make them take minutes
        if resident.reader:
            resident.reader.cancel()
        resident.ws.transport.abort()
    for agent in agents:
        agent.reader.cancel()
        with contextlib.suppress(Exception):
            await agent.ws.close()


# --- relay scenarios --------------------------------------------------------------------------


async def relay_closed_loop(
    cluster: harness.Cluster, chats: int, seconds: float, on_ready: Any = None
) -> dict[str, Any]:
    residents = await assigned_chats(cluster, chats)
    if on_ready is not None:
        on_ready()  # e.g. start the profiler: only the relay, not the setup, is measured
    latencies: list[float] = []
    timeouts = 0
    stop = time.monotonic() + seconds

    async def chat(resident: Resident) -> None:
        nonlocal timeouts
        inbox = resident.agent.messages[resident.conversation_id]
        n = 0
        while time.monotonic() < stop:
            n += 1
            text = f"bericht {n}"
            t = time.perf_counter()
            try:
                await resident.ws.send(json.dumps({"type": "message", "id": uuid.uuid4().hex, "text": text}))
                async with asyncio.timeout(30):
                    while (await inbox.get()).get("text") != text:
                        pass
            except (TimeoutError, websockets.ConnectionClosed):
                timeouts += 1
                return
            latencies.append((time.perf_counter() - t) * 1000)

    t0 = time.monotonic()
    # Service CPU per relayed message: steadier than messages/s when the machine is shared; the
    # client's, the database's and Redis's show what else the two cores spent on each message.
    cpu = harness.CpuBreakdown(cluster.pids())
    await asyncio.gather(*(chat(r) for r in residents))
    elapsed = time.monotonic() - t0
    breakdown = cpu.per_message_ms(len(latencies))
    await close_all(residents)
    return {
        "chats": chats,
        "messages_per_s": round(len(latencies) / elapsed, 1),
        "timeouts": timeouts,
        # Chats whose resident and agent share an instance (unknown as uvicorn workers).
        **({"local_chats": local_chats(residents)} if cluster.mode == "instances" else {}),
        "server_cpu_ms_per_message": breakdown.pop("service_cpu_ms_per_message"),
        **breakdown,
        **harness.latency_summary(latencies),
    }


async def relay_open_loop(cluster: harness.Cluster, chats: int, seconds: float, rate: float = 1.0) -> dict[str, Any]:
    residents = await assigned_chats(cluster, chats)
    sent: dict[str, float] = {}
    to_agent: list[float] = []
    to_resident: list[float] = []

    async def drain_agent(resident: Resident) -> None:
        inbox = resident.agent.messages[resident.conversation_id]
        while True:
            event = await inbox.get()
            t = sent.pop(event.get("text", ""), None)
            if t is not None and event.get("author") == "resident":
                to_agent.append((time.perf_counter() - t) * 1000)

    async def drain_resident(resident: Resident) -> None:
        while True:
            event = await resident.messages.get()
            t = sent.pop(event.get("text", ""), None)
            if t is not None:
                to_resident.append((time.perf_counter() - t) * 1000)

    async def pace(resident: Resident, offset: float) -> None:
        await asyncio.sleep(offset)
        n = 0
        stop = time.monotonic() + seconds
        next_at = time.monotonic()
        while time.monotonic() < stop:
            n += 1
            r_text, a_text = f"r {resident.conversation_id[:8]} {n}", f"a {resident.conversation_id[:8]} {n}"
            sent[r_text] = sent[a_text] = time.perf_counter()
            await resident.ws.send(json.dumps({"type": "message", "id": uuid.uuid4().hex, "text": r_text}))
            await resident.agent.ws.send(
                json.dumps(
                    {
                        "type": "message",
                        "id": uuid.uuid4().hex,
                        "conversation_id": resident.conversation_id,
                        "text": a_text,
                    }
                )
            )
            next_at += 1 / rate
            await asyncio.sleep(max(0, next_at - time.monotonic()))

    drains = [asyncio.create_task(d(r)) for r in residents for d in (drain_agent, drain_resident)]
    await asyncio.gather(*(pace(r, i / max(1, chats)) for i, r in enumerate(residents)))
    await asyncio.sleep(3)  # late deliveries still count; what is still missing is reported as lost
    for d in drains:
        d.cancel()
    lost = len(sent)
    await close_all(residents)
    both = to_agent + to_resident
    return {
        "chats": chats,
        "rate_per_chat_each_way": rate,
        "seconds": seconds,
        "lost_or_late": lost,
        "both": harness.latency_summary(both),
        "resident_to_agent": harness.latency_summary(to_agent),
        "agent_to_resident": harness.latency_summary(to_resident),
    }


async def profile_while(cluster: harness.Cluster, chats: int, seconds: float, out: str) -> dict[str, Any]:
    """Closed-loop relay load while py-spy records every service process: the first to ``out``,
    the others to ``out`` with ``-2``, ``-3``... before its suffix."""
    pyspy = Path(harness.os.environ.get("PYSPY", "/tmp/pyspy/bin/py-spy"))  # noqa: S108
    duration = max(5, int(seconds))
    procs: list[subprocess.Popen[bytes]] = []

    def start() -> None:
        for i, service in enumerate(cluster.services):
            target = Path(out) if i == 0 else Path(out).with_stem(f"{Path(out).stem}-{i + 1}")
            command = [str(pyspy), "record", "--nonblocking", "-o", str(target), "--format", "raw"]
            # uvicorn workers are children of the one service process: py-spy follows them too.
            command += ["--subprocesses"] if cluster.mode == "workers" else []
            command += ["-d", str(duration), "-p", str(service.proc.pid)]
            procs.append(subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))

    result = await relay_closed_loop(cluster, chats, duration + 2, on_ready=start)
    for proc in procs:
        await asyncio.to_thread(proc.wait, 60)
    return result


def paired_rounds(cluster: harness.Cluster, chats: int, args: argparse.Namespace) -> tuple[dict[str, Any], dict]:
    """`--rounds` pairs of (echo, relay) run back to back, each relay run's ratio against the echo
    just before it: the machine's speed drifts by tens of percent within minutes, so a ratio
    against one echo at the start says more about the drift than about the relay. The run with
    the median ratio is the result; every round is in it."""
    rounds = []
    for _ in range(args.rounds):
        echo = asyncio.run(echo_closed_loop(chats, args.seconds))
        result = asyncio.run(relay_closed_loop(cluster, chats, args.seconds))
        result["ratio_to_echo"] = round(result["messages_per_s"] / echo["messages_per_s"], 4)
        result["echo_messages_per_s"] = echo["messages_per_s"]
        rounds.append((result, echo))
        print(
            f"  round {len(rounds)}: echo {echo['messages_per_s']}/s, relay {fmt(result)}, "
            f"ratio {result['ratio_to_echo']}, Redis sent {result['redis_out_bytes_per_message']} bytes per message"
        )
    rounds.sort(key=lambda pair: pair[0]["ratio_to_echo"])
    median, echo = rounds[len(rounds) // 2]
    ratios = [r["ratio_to_echo"] for r, _ in rounds]
    return {**median, "rounds": [r for r, _ in rounds], "ratios": ratios}, echo


def fmt(r: dict[str, Any]) -> str:
    return f"{r['messages_per_s']}/s, p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms, p99 {r['p99_ms']} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    harness.common_args(parser)
    parser.add_argument("--database", default="sqlite,postgresql")
    parser.add_argument("--processes", default="1,2")
    parser.add_argument(
        "--mode",
        choices=("instances", "workers"),
        default="instances",
        help="several processes as instances on their own ports (residents on the first, the agent on the "
        "last: every message crosses Redis) or as uvicorn workers on one port (the kernel spreads the sockets)",
    )
    parser.add_argument(
        "--placement",
        choices=("split", "together", "routed"),
        default="split",
        help="instances: the residents on the first, the agent on the last (split), or one agent per "
        "instance with its residents on the same one (together: no message needs to cross Redis); "
        "routed: two agents per process online, residents spread, the router's offers decide",
    )
    parser.add_argument(
        "--cpu-per-process",
        type=float,
        default=None,
        metavar="CORES",
        help="hold each service process (with its SQLite writer) to this many cores by a cgroup CPU quota, so the "
        "service, not the rest of the machine, is the bottleneck (needs root; harness.CpuCap)",
    )
    parser.add_argument("--chats", default="10,100")
    parser.add_argument("--seconds", type=float, default=8, help="duration of each closed-loop run")
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="closed loop: pairs of (echo, relay) per scenario; the median ratio counts",
    )
    parser.add_argument("--open-chats", type=int, default=100)
    parser.add_argument("--open-seconds", type=float, default=20, help="0 skips the open-loop scenario")
    parser.add_argument(
        "--profile",
        default=None,
        help="py-spy raw output file: profile a closed loop (the last of --chats, the last of --processes; "
        "a second instance's profile goes to OUT-2.txt) instead",
    )
    args = parser.parse_args()
    global PLACEMENT
    PLACEMENT = args.placement
    harness.raise_nofile()
    if args.quick:
        args.chats, args.seconds, args.open_chats, args.open_seconds = "5", 2, 5, 3
    databases = args.database.split(",")
    processes = [int(p) for p in args.processes.split(",")]
    chats = [int(c) for c in args.chats.split(",")]
    report: dict[str, Any] = {
        "service_root": args.service_root,
        "service_commit": harness.git_commit(args.service_root),
        "label": args.label,
        "mode": args.mode,
        "placement": args.placement,
        "cpu_per_process": args.cpu_per_process,
        "echo": {},
        "closed": {},
        "open": {},
    }

    if args.profile:
        procs = processes[-1]
        with (
            harness.fresh_database(databases[0]) as url,
            harness.Cluster(
                args.service_root, url, procs, mode=args.mode, cpu_per_process=args.cpu_per_process
            ) as cluster,
        ):
            result = asyncio.run(profile_while(cluster, chats[-1], args.seconds, args.profile))
        print(f"profiled {databases[0]} {chats[-1]} chats: {fmt(result)} -> {args.profile}")
        report["profile"] = {"file": args.profile, "database": databases[0], **result}
        harness.write_report(args.report or "relay_profile", report)
        return 0

    for n in sorted({min(chats), max(chats)}):
        report["echo"][str(n)] = asyncio.run(echo_closed_loop(n, args.seconds))
        print(f"echo {n} connections: {fmt(report['echo'][str(n)])}")
    capped = f" ({args.cpu_per_process:g} cores each)" if args.cpu_per_process else ""
    for database in databases:
        for procs in processes:
            with (
                harness.fresh_database(database) as url,
                harness.Cluster(
                    args.service_root, url, procs, mode=args.mode, cpu_per_process=args.cpu_per_process
                ) as cluster,
            ):
                for n in chats:
                    echo = report["echo"][str(min(report["echo"], key=lambda k: abs(int(k) - n)))]
                    if args.rounds == 1:
                        result = asyncio.run(relay_closed_loop(cluster, n, args.seconds))
                        result["ratio_to_echo"] = round(result["messages_per_s"] / echo["messages_per_s"], 4)
                    else:
                        result, echo = paired_rounds(cluster, n, args)
                    report["closed"][f"{database}/{procs}p/{n}"] = result
                    print(
                        f"relay closed {database} {procs}p{capped} {n} chats: {fmt(result)}, "
                        f"ratio {result['ratio_to_echo']}"
                        + (f" (median of {result['ratios']})" if "ratios" in result else "")
                        + f", timeouts {result['timeouts']}, "
                        + (f"{result['local_chats']} of {n} chats local, " if "local_chats" in result else "")
                        + f"server CPU {result['server_cpu_ms_per_message']} ms/message "
                        f"(client {result['client_cpu_ms_per_message']}, "
                        f"database {result['database_cpu_ms_per_message']}, "
                        f"redis {result['redis_cpu_ms_per_message']}; machine {result['machine_busy_percent']}% busy; "
                        f"Redis sent {result['redis_out_bytes_per_message']} bytes per message)"
                    )
                    harness.doc_line(
                        args,
                        f"relay closed loop, {n} chats{capped}",
                        database,
                        procs,
                        fmt(result) + (f", {result['timeouts']} timed out" if result["timeouts"] else ""),
                        f"{result['ratio_to_echo']} (echo {echo['messages_per_s']}/s)"
                        + (
                            f"; median of {args.rounds} paired rounds: {result['ratios']}" if "ratios" in result else ""
                        ),
                    )
                if args.open_seconds and procs == processes[0]:
                    result = asyncio.run(relay_open_loop(cluster, args.open_chats, args.open_seconds))
                    report["open"][f"{database}/{procs}p"] = result
                    b = result["both"]
                    text = (
                        f"p50 {b['p50_ms']} ms, p95 {b['p95_ms']} ms, p99 {b['p99_ms']} ms "
                        f"({b['n']} msgs, {result['lost_or_late']} lost/late)"
                    )
                    print(f"relay open {database} {procs}p {args.open_chats} chats x 1/s both ways: {text}")
                    harness.doc_line(
                        args,
                        f"relay open loop, {args.open_chats} chats x 1 msg/s each way, {args.open_seconds:g} s",
                        database,
                        procs,
                        text,
                    )
    for n, echo in report["echo"].items():
        harness.doc_line(args, f"echo baseline, {n} connections", "-", 1, fmt(echo))
    harness.write_report(args.report or "relay", report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
