"""Faults with two handover instances, ~20 live conversations (some with agents), PostgreSQL.

Each test: kill -9 of an instance, a Redis restart, a PostgreSQL restart, an agent's network
drop, 200 residents reconnecting at once. Each asserts that no acknowledged message was lost or
duplicated, that every connected client received every event exactly once, and that every
conversation is in a sane state. The counts go to stdout (`-s`) as a `FAULT-REPORT` line.

Run each N times: `pytest tests/faults --fault-runs 3` (or FAULT_RUNS=3).
"""

from __future__ import annotations

import asyncio
import itertools
import random

import pytest
from agents_helper import LoggedIn, login
from fault_harness import Agent, Resident, abort, check, traffic
from sqlalchemy import select
from waiting import eventually

from handover.store.models import Conversation

pytestmark = [pytest.mark.timeout(240)]

RESIDENTS = 20
WITH_AGENT = 6
AGENTS = 3
ROUNDS = 6


def rotating(deployment):  # type: ignore[no-untyped-def]
    """A url picker: the live instances in turn (so clients spread over both)."""
    counter = itertools.count()

    def pick() -> str:
        live = deployment.live()
        return live[next(counter) % len(live)].ws

    return pick


async def setup_scene(deployment, db, residents: int = RESIDENTS, with_agent: int = WITH_AGENT):  # type: ignore[no-untyped-def]
    one, two = deployment.instance(), deployment.instance()
    pick = rotating(deployment)
    people = [Resident(f"r{i}", pick) for i in range(residents)]
    await asyncio.gather(*(p.connect() for p in people))
    logged: list[LoggedIn] = [await login(one, db, ["klantcontact"], max_chats=4) for _ in range(AGENTS)]
    agents = []
    for i, agent in enumerate(logged):
        home = (one, two)[i % 2]
        # Its own instance while that lives, else any live one (after a kill -9).
        agents.append(Agent(f"a{i}", lambda a=agent, h=home: a.socket(h if h.alive else deployment.live()[0])))
    await asyncio.gather(*(a.connect() for a in agents))
    for person in people[:with_agent]:
        await person.say("Ik wil graag een medewerker spreken")
        await person.request_human()
    await wait_assigned(db, {p.conversation_id for p in people[:with_agent]}, agents)
    return (one, two), people, agents


async def wait_assigned(db, ids: set[str], agents: list[Agent], timeout: float = 30) -> None:  # type: ignore[no-untyped-def]
    async def all_accepted() -> bool:
        async with db.sessions() as session:
            rows = (await session.execute(select(Conversation).where(Conversation.id.in_(ids)))).scalars().all()
        held = set().union(*(a.held for a in agents))
        return all(r.state == "assigned" for r in rows) and ids <= held

    await eventually(all_accepted, what="the handed-over chats all accepted", timeout=timeout, interval=0.3)


async def finish(db, people, agents, what: str, run: int, deployment) -> None:  # type: ignore[no-untyped-def]
    report = await check(db, people, agents)
    print(f"\nFAULT-REPORT {what} run{run} {report.summary()}")
    for instance in deployment.instances:
        text = instance.log.read_text(errors="replace") if instance.log.exists() else ""
        print(
            f"FAULT-LOG {what} run{run} {instance.name}: {text.count('Traceback')} tracebacks, "
            f"{text.count(' ERROR ')} ERROR lines, {text.count('catch-up of')} catch-up retries"
        )
    for agent in agents:
        doubled = agent.snapshots_twice()
        if doubled:
            print(f"FAULT-INFO {what} {agent.name} got the conversation snapshot more than once: {doubled}")
    for agent in agents:
        await agent.close()
    for person in people:
        if person.client is not None:
            await person.client.close()
    failures = report.failures()
    if failures:
        logs = "\n".join(f"--- {i.name} errors: {i.errors()[:20]}" for i in deployment.instances)
        raise AssertionError(f"{what}: {report.summary()}\n" + "\n".join(failures[:40]) + "\n" + logs)
    assert report.acked > 0


async def during(fault, people, agents, rounds: int = ROUNDS, delay: float = 0.6) -> None:  # type: ignore[no-untyped-def]
    async def inject() -> None:
        await asyncio.sleep(delay)  # not a wait: the fault strikes while the traffic is under way
        await fault()

    await asyncio.gather(traffic(people, agents, rounds), inject())


async def test_kill9_one_of_two_instances(deployment, fault_db, fault_run):
    (one, two), people, agents = await setup_scene(deployment, fault_db)

    on_two = {p.name for p in people if p.client is not None and p.client.url == two.ws}
    assert len(on_two) >= RESIDENTS // 2 - 1, "the residents are spread over both instances"

    async def fault() -> None:
        two.kill9()

    await during(fault, people, agents)
    # One more round: a resident whose writing was done before the kill notices it now.
    await traffic(people, agents, 1)
    # Everyone whose socket died resumed on the surviving instance.
    assert all(p.client is not None and p.client.url == one.ws for p in people if p.reconnects)
    assert on_two <= {p.name for p in people if p.reconnects}
    await finish(fault_db, people, agents, "kill9", fault_run, deployment)


async def test_redis_restart(deployment, fault_db, fault_run):
    _, people, agents = await setup_scene(deployment, fault_db)

    async def fault() -> None:
        await asyncio.to_thread(deployment.redis.restart, 1.0)

    await during(fault, people, agents)
    await finish(fault_db, people, agents, "redis-restart", fault_run, deployment)


async def test_postgres_restart_every_open_socket_keeps_receiving(deployment, fault_db, fault_run, private_pg):
    _, people, agents = await setup_scene(deployment, fault_db)

    async def fault() -> None:
        await asyncio.to_thread(private_pg.restart, 2.0)

    await during(fault, people, agents)
    # After the restart: one more round, so every open socket must receive new events.
    await traffic(people, agents, 2)
    await finish(fault_db, people, agents, "postgres-restart", fault_run, deployment)


async def test_agent_network_drop(deployment, fault_db, fault_run):
    _, people, agents = await setup_scene(deployment, fault_db)
    dropped = agents[0]
    assert dropped.held, "the dropped agent holds chats"

    async def fault() -> None:
        await dropped.drop()
        await asyncio.sleep(1.0)  # not a wait: the length of the outage, shorter than the grace period
        await dropped.connect()

    await during(fault, people, agents)
    async with fault_db.sessions() as session:
        for conversation_id in dropped.held:
            row = await session.get(Conversation, conversation_id)
            assert row.state == "assigned", "within the grace period the agent keeps the chat"
    await finish(fault_db, people, agents, "agent-drop", fault_run, deployment)


async def test_200_residents_reconnect_at_once(deployment, fault_db, fault_run):
    (one, two), people, agents = await setup_scene(deployment, fault_db, residents=200, with_agent=4)
    await asyncio.gather(*(p.say("eerste") for p in people))
    await asyncio.gather(*(abort(p.client) for p in people))
    # While every resident is gone, the agents write: the residents must get it on resume.
    for agent in agents:
        for conversation_id in sorted(agent.held):
            await agent.say(conversation_id, "Bent u er nog?")
    random.shuffle(people)
    await asyncio.gather(*(p.connect(60) for p in people))
    assert all(p.reconnects == 1 for p in people)
    await asyncio.gather(*(p.say("weer terug") for p in people))
    await finish(fault_db, people, agents, "reconnect-200", fault_run, deployment)
