"""The fast relay paths stay correct: group commit, delivery from memory, catch-up, coalesced queues.

Real sockets, real Redis, SQLite and PostgreSQL. Waits are conditions (wait_for), never sleeps
that hope something happened.
"""

from __future__ import annotations

import asyncio

import httpx
import websockets
from agents_helper import login
from sqlalchemy import func, select
from waiting import eventually
from wsclient import ChatClient

from handover.services.conversations import RESIDENT_MAY_SPEAK
from handover.store import repo
from handover.store.db import Database
from handover.store.eventlog import EventLog, Guard, NewEvent
from handover.store.models import CallbackTask, Conversation, Message


async def _queued(service, text: str = "Ik wil iemand spreken", **headers: str) -> ChatClient:  # type: ignore[no-untyped-def]
    client = await ChatClient(service.ws, headers=headers or None).__aenter__()
    await client.start(page="https://www.example.nl/")
    await client.request({"type": "message", "text": text})
    ack = await client.request({"type": "request_human"})
    assert ack["type"] == "ack", ack
    return client


async def test_concurrent_appends_from_two_writers_keep_seq_gap_free(database_url, db):
    """Two event logs on two engines (two instances) append to one conversation at once."""
    conversation, _ = await repo.create_conversation(
        db.sessions, channel="website", lang="nl", page=None, referrer=None, utm=None
    )
    other = Database(database_url)
    committed: list[int] = []
    logs = [
        EventLog(d.engine, is_sqlite=d.is_sqlite, on_committed=lambda evs: committed.extend(e.seq for e in evs))
        for d in (db, other)
    ]
    try:

        async def writer(index: int, log: EventLog) -> list[int]:
            seqs = []
            for n in range(40):
                appended = await log.append(
                    conversation.id,
                    NewEvent(kind="message", author="resident", text=f"{index}-{n}", client_id=f"{index}-{n}"),
                    Guard(RESIDENT_MAY_SPEAK),
                )
                seqs.append(appended.event.seq)
            # A retransmission returns the original, never a second row.
            again = await log.append(
                conversation.id, NewEvent(kind="message", author="resident", text="dup", client_id=f"{index}-0")
            )
            assert not again.created and again.event.seq == seqs[0] and again.event.text == f"{index}-0"
            return seqs

        results = await asyncio.gather(*(writer(i, log) for i, log in enumerate(logs * 2)))
    finally:
        for log in logs:
            await log.close()
        await other.dispose()
    every = sorted(seq for seqs in results for seq in seqs)
    assert every == list(range(1, 161))
    stored = [m.seq for m in await repo.events_after(db.sessions, conversation.id, 0)]
    assert stored == list(range(1, 161))
    assert sorted(committed) == stored, "every committed event was announced exactly once"


async def test_resident_and_agent_on_two_instances_receive_every_event_once_in_order(start_service, database_url, db):
    a, b = (start_service(database_url, rate_limit_messages=100) for _ in range(2))
    agent = await login(b, db, ["klantcontact"], max_chats=5)
    console = await agent.socket(b).__aenter__()
    await console.request({"type": "presence", "status": "online"})
    resident = await _queued(a)
    offer = await console.wait_for(lambda e: e["type"] == "offer")
    conversation_id = offer["conversation_id"]
    assert (await console.request({"type": "accept", "conversation_id": conversation_id}))["type"] == "ack"
    await resident.wait_for(lambda e: e["type"] == "state" and e["state"] == "assigned")

    async def resident_says() -> None:
        for n in range(25):
            await resident.send({"type": "message", "id": f"r{n}", "text": f"bewoner {n}"})

    async def agent_says() -> None:
        for n in range(25):
            await console.send(
                {"type": "message", "id": f"a{n}", "conversation_id": conversation_id, "text": f"medewerker {n}"}
            )

    await asyncio.gather(resident_says(), agent_says())
    await resident.wait_for(lambda e: e.get("text") == "medewerker 24")
    await console.wait_for(lambda e: e.get("text") == "bewoner 24")
    last = (await repo.get_conversation(db.sessions, conversation_id)).last_seq  # type: ignore[union-attr]

    def seqs(client: ChatClient) -> list[int]:
        return [e["seq"] for e in client.recorded() if e.get("conversation_id", conversation_id) == conversation_id]

    await resident.wait_for(lambda e: e.get("seq") == last and e["type"] in ("message", "state"))
    await console.wait_for(lambda e: e.get("seq") == last and e["type"] in ("message", "state"))
    assert seqs(resident) == list(range(1, last + 1)), "the resident saw every event once, in order"
    # The agent's transcript snapshot covers the start; live events follow without gaps or repeats.
    snapshot = next(e for e in console.events if e["type"] == "conversation")
    live = [s for s in seqs(console) if s > snapshot["seq"]]
    assert [e["seq"] for e in snapshot["transcript"]] + live == list(range(1, last + 1))
    assert len([e for e in console.events if e["type"] == "conversation"]) == 1, "accept opens the chat once"
    for client in (resident, console):
        await client.close()


async def test_a_follower_that_missed_the_announcement_catches_up_from_sql(start_service, database_url, db):
    """An event stored without any pub/sub message (as if Redis lost it) still arrives."""
    service = start_service(database_url, heartbeat_seconds=0.3)
    async with ChatClient(service.ws) as resident:
        started = await resident.start()
        await repo.append(
            db.sessions,
            started["conversation_id"],
            repo.NewEvent(kind="message", author="system", text="stil opgeslagen"),
        )
        event = await resident.wait_for(lambda e: e.get("text") == "stil opgeslagen", 15)
        assert event["seq"] == 1


async def test_a_storm_of_handovers_gives_every_resident_a_consistent_position(start_service, database_url, db):
    service = start_service(
        database_url, queue_push_interval_seconds=0.1, limit_starts_per_address=1000, limit_handovers_per_address=1000
    )
    residents = await asyncio.gather(*(_queued(service, f"vraag {n}") for n in range(50)))
    ids = [r.events[1]["conversation_id"] for r in residents]

    async def settled() -> bool:
        queue = await service_queue(db)
        for client, conversation_id in zip(residents, ids, strict=True):
            told = [e for e in client.events if e["type"] == "queue"]
            if not told or told[-1]["position"] != queue.index(conversation_id) + 1:
                return False
        return True

    await eventually(settled, what="every resident told their queue position", timeout=30)
    positions = sorted(next(e for e in reversed(c.events) if e["type"] == "queue")["position"] for c in residents)
    assert positions == list(range(1, 51))
    for client in residents:
        await client.close()


async def service_queue(db: Database) -> list[str]:
    async with db.sessions() as session:
        return list(
            (
                await session.execute(
                    select(Conversation.id)
                    .where(Conversation.state == "queued", Conversation.team == "klantcontact")
                    .order_by(Conversation.priority.desc(), Conversation.queued_at)
                )
            ).scalars()
        )


async def test_a_resident_who_left_the_queue_is_abandoned_after_the_grace_period(start_service, database_url, db):
    service = start_service(
        database_url, resident_grace_seconds=1, router_interval_seconds=0.2, queue_push_interval_seconds=0.1
    )
    leaver = await _queued(service, "eerst")
    leaver_id = leaver.events[1]["conversation_id"]
    comes_back = await _queued(service, "tweede")
    stays = await _queued(service, "derde")
    await stays.wait_for(lambda e: e["type"] == "queue" and e["position"] == 3)
    token = comes_back.events[1]["token"]
    await leaver.close()
    await comes_back.close()
    async with ChatClient(service.ws) as back:
        assert (await back.request({"type": "resume", "token": token, "last_seq": 0}))["type"] == "resumed"

        async def abandoned() -> bool:
            row = await repo.get_conversation(db.sessions, leaver_id)
            return row is not None and row.state == "abandoned"

        await eventually(abandoned, what="the leaver abandoned", timeout=15)
        await stays.wait_for(lambda e: e["type"] == "queue" and e["position"] == 2)
        row = await repo.get_conversation(db.sessions, comes_back.events[1]["conversation_id"])
        assert row is not None and row.state == "queued", "a resident who resumed in time keeps their place"
    await stays.close()


async def test_a_flood_from_one_address_cannot_push_real_residents_back(start_service, database_url):
    service = start_service(
        database_url, trusted_proxies=["127.0.0.1"], limit_handovers_per_address=5, limit_starts_per_address=8
    )
    flood = [await ChatClient(service.ws, headers={"X-Forwarded-For": "198.51.100.7"}).__aenter__() for _ in range(12)]
    started = [await c.request({"type": "start", "context": {}}) for c in flood]
    assert [s["type"] for s in started].count("started") == 8
    refused = [s for s in started if s["type"] == "error"]
    assert {s["code"] for s in refused} == {"rate_limited"} and all(s["retry_after"] > 0 for s in refused)
    answers = [
        await c.request({"type": "request_human"})
        for c, s in zip(flood, started, strict=True)
        if s["type"] == "started"
    ]
    assert [a["type"] for a in answers].count("ack") == 5
    assert {a.get("code") for a in answers if a["type"] == "error"} == {"rate_limited"}
    resident = await _queued(service, "echte vraag", **{"X-Forwarded-For": "203.0.113.9"})
    told = await resident.wait_for(lambda e: e["type"] == "queue")
    assert told["position"] <= 6
    for client in [*flood, resident]:
        await client.close()


async def test_typing_floods_are_limited_per_connection(start_service, database_url):
    service = start_service(database_url, limit_typing_per_connection=5)
    async with ChatClient(service.ws) as resident:
        await resident.start()
        for n in range(20):
            await resident.send({"type": "typing", "id": f"ty{n}", "active": n % 2 == 0})
        error = await resident.wait_for(lambda e: e["type"] == "error" and e["code"] == "rate_limited")
        assert error["reply_to"].startswith("ty")
        assert (await resident.request({"type": "ping"}))["type"] == "pong"


async def test_an_agent_socket_is_closed_when_the_session_ends(start_service, database_url, db):
    service = start_service(database_url, presence_ttl_seconds=3)
    agent = await login(service, db, ["klantcontact"])
    cookie = "; ".join(f"{k}={v}" for k, v in agent.cookies.items())
    async with websockets.connect(
        service.http.replace("http", "ws") + "/ws/agent", additional_headers={"Cookie": cookie, "Origin": service.http}
    ) as socket:
        async with httpx.AsyncClient(base_url=service.http, cookies=agent.cookies) as http:
            response = await http.post("/api/auth/logout", headers={"X-CSRF-Token": agent.csrf})
            assert response.status_code in (200, 204), response.text
        try:
            async with asyncio.timeout(15):
                async for _ in socket:
                    pass
        except websockets.ConnectionClosed:
            pass
        assert socket.close_code == 4401


async def test_a_callback_pressed_twice_leaves_one_task(start_service, database_url, db):
    service = start_service(database_url)
    resident = await _queued(service)
    details = {"name": "Sam", "phone": "0612345678", "message": "Bel me terug", "consent": True}
    first = await resident.request({"type": "callback", **details})
    second = await resident.request({"type": "callback", **details})
    assert first["type"] == "ack" and second["type"] == "error", (first, second)
    async with db.sessions() as session:
        count = (await session.execute(select(func.count()).select_from(CallbackTask))).scalar_one()
        messages = (await session.execute(select(func.count()).select_from(Message))).scalar_one()
    assert count == 1 and messages > 0
    await resident.close()


async def test_the_agent_socket_refuses_the_widgets_allowed_sites(start_service, database_url, db):
    """ALLOWED_ORIGINS lists sites that embed the resident widget; agents only work from the console."""
    service = start_service(database_url, allowed_origins=["https://www.gemeente.example"])
    agent = await login(service, db, ["klantcontact"])
    cookie = "; ".join(f"{k}={v}" for k, v in agent.cookies.items())
    url = service.http.replace("http", "ws") + "/ws/agent"
    try:
        async with websockets.connect(
            url, additional_headers={"Cookie": cookie, "Origin": "https://www.gemeente.example"}
        ) as socket:
            await socket.recv()
        raise AssertionError("a widget site opened an agent socket")
    except (websockets.InvalidStatus, websockets.ConnectionClosed):
        pass
    async with websockets.connect(url, additional_headers={"Cookie": cookie, "Origin": service.http}) as socket:
        assert '"hello"' in await socket.recv()
