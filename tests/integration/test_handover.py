"""Live handover through real sockets, real Redis, SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import websockets
from agents_helper import PASSWORD, LoggedIn, login, make_agent
from sqlalchemy import select
from wsclient import ChatClient

from handover.services import agents
from handover.store.models import CallbackTask, Conversation


async def queued_resident(service) -> tuple[ChatClient, dict]:  # type: ignore[no-untyped-def]
    resident = await ChatClient(service.ws).__aenter__()
    started = await resident.start(
        page="https://www.example.nl/energie", utm={"source": "facebook", "campaign": "energiesubsidie"}
    )
    await resident.request({"type": "message", "text": "Ik heb een vraag over de energietoeslag"})
    ack = await resident.request({"type": "request_human"})
    assert ack["type"] == "ack", ack
    await resident.wait_for(lambda e: e["type"] == "state" and e["state"] == "queued")
    return resident, started


async def online(agent: LoggedIn, service) -> ChatClient:  # type: ignore[no-untyped-def]
    client = await agent.socket(service).__aenter__()
    ack = await client.request({"type": "presence", "status": "online"})
    assert ack["type"] == "ack", ack
    return client


# --- authentication ------------------------------------------------------------------------

PROTECTED = [
    ("GET", "/api/me"),
    ("GET", "/api/teams"),
    ("GET", "/api/colleagues"),
    ("GET", "/api/canned-responses"),
    ("GET", "/api/callbacks"),
    ("POST", "/api/callbacks/1/done"),
    ("POST", "/api/auth/logout"),
    ("GET", "/api/request-types"),
    ("GET", "/api/conversations/x/klantbeeld"),
    ("POST", "/api/conversations/x/concept-requests"),
    ("GET", "/api/conversations/x/transcript"),
]


async def test_every_agent_endpoint_refuses_an_unauthenticated_call(start_service, database_url):
    service = start_service(database_url)
    async with httpx.AsyncClient(base_url=service.http) as http:
        for method, path in PROTECTED:
            response = await http.request(method, path)
            assert response.status_code == 401, (method, path)
    async with httpx.AsyncClient(base_url=service.http, cookies={"session": "forged"}) as http:
        for method, path in PROTECTED:
            response = await http.request(method, path)
            assert response.status_code == 401, (method, path)
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with websockets.connect(service.ws.replace("/ws/chat", "/ws/agent"), origin=service.http) as socket:
            await socket.recv()
    assert refused.value.response.status_code == 403


async def test_login_cookie_csrf_and_logout(start_service, database_url, db):
    service = start_service(database_url)
    _, username = await make_agent(db, ["burgerzaken"])
    async with httpx.AsyncClient(base_url=service.http) as http:
        wrong = await http.post("/api/auth/login", json={"username": username, "password": "nope-nope-nope"})
        assert wrong.status_code == 401
        unknown = await http.post("/api/auth/login", json={"username": "nobody", "password": PASSWORD})
        assert unknown.status_code == 401
        ok = await http.post("/api/auth/login", json={"username": username, "password": PASSWORD})
        assert ok.status_code == 200
        cookie = ok.headers.get_list("set-cookie")
        session_cookie = next(c for c in cookie if c.startswith("session="))
        assert "HttpOnly" in session_cookie and "SameSite=strict" in session_cookie
        assert (await http.get("/api/me")).json()["username"] == username
        assert (await http.post("/api/auth/logout")).status_code == 403, "state change without CSRF"
        csrf = ok.json()["csrf"]
        assert (await http.post("/api/auth/logout", headers={"X-CSRF-Token": csrf})).status_code == 204
        http.cookies.clear()
        http.cookies.set("session", dict(ok.cookies)["session"])
        assert (await http.get("/api/me")).status_code == 401, "the session ended at logout"


async def test_expired_session_and_foreign_origin_are_refused(start_service, database_url, db):
    service = start_service(database_url, session_hours=-1)
    agent = await login(service, db, ["burgerzaken"])
    async with httpx.AsyncClient(base_url=service.http, cookies=agent.cookies) as http:
        assert (await http.get("/api/me")).status_code == 401
    fresh = start_service(database_url)
    agent = await login(fresh, db, ["burgerzaken"])
    cookie = "; ".join(f"{k}={v}" for k, v in agent.cookies.items())
    with pytest.raises(websockets.InvalidStatus):
        async with websockets.connect(
            fresh.ws.replace("/ws/chat", "/ws/agent"),
            origin="https://evil.example",
            additional_headers={"Cookie": cookie},
        ):
            pass


# --- the journey ---------------------------------------------------------------------------


async def journey(resident_service, agent_service, db) -> None:  # type: ignore[no-untyped-def]
    first = await login(agent_service, db, ["klantcontact"], name="Anna")
    second = await login(agent_service, db, ["burgerzaken"], name="Bram")
    anna = await online(first, agent_service)
    resident, _ = await queued_resident(resident_service)

    offer = await anna.wait_for(lambda e: e["type"] == "offer")
    queue = await anna.wait_for(lambda e: e["type"] == "queue" and e["teams"]["klantcontact"])
    assert queue["teams"]["klantcontact"][0]["conversation_id"] == offer["conversation_id"]
    conversation_id = offer["conversation_id"]
    accept = {"type": "accept", "id": "accept-1", "conversation_id": conversation_id}
    assert (await anna.request(dict(accept)))["type"] == "ack"
    assert (await anna.request(dict(accept)))["type"] == "ack", "a resent accept of a won chat is not an error"
    opened = await anna.wait_for(lambda e: e["type"] == "conversation")
    assert opened["context"]["utm"] == {"source": "facebook", "campaign": "energiesubsidie"}
    assert [e["text"] for e in opened["transcript"] if e["type"] == "message" and e["author"] == "resident"] == [
        "Ik heb een vraag over de energietoeslag"
    ]
    taken = await resident.wait_for(lambda e: e["type"] == "state" and e["state"] == "assigned")
    assert taken["agent_name"] == "Anna"

    await anna.request({"type": "message", "conversation_id": conversation_id, "text": "Goedemiddag, ik help u."})
    seen = await resident.wait_for(lambda e: e["type"] == "message" and e["author"] == "agent")
    assert seen["text"] == "Goedemiddag, ik help u." and seen["author_name"] == "Anna"
    await resident.request({"type": "message", "text": "Dank u, het gaat om mijn paspoort."})
    await anna.wait_for(lambda e: e["type"] == "message" and e.get("text") == "Dank u, het gaat om mijn paspoort.")
    await anna.request({"type": "note", "conversation_id": conversation_id, "text": "privé notitie"})

    ack = await anna.request(
        {"type": "transfer", "conversation_id": conversation_id, "team": "burgerzaken", "note": "Paspoortvraag"}
    )
    assert ack["type"] == "ack", ack
    await anna.wait_for(lambda e: e["type"] == "released" and e["conversation_id"] == conversation_id)
    await resident.wait_for(
        lambda e: e["type"] == "state" and e["state"] == "queued" and e.get("team") == "burgerzaken"
    )

    bram = await online(second, agent_service)
    await bram.wait_for(lambda e: e["type"] == "offer" and e["conversation_id"] == conversation_id, 15)
    assert (await bram.request({"type": "accept", "conversation_id": conversation_id}))["type"] == "ack"
    history = await bram.wait_for(lambda e: e["type"] == "conversation")
    texts = [e.get("text") for e in history["transcript"]]
    assert "Goedemiddag, ik help u." in texts and "Paspoortvraag" in texts and "privé notitie" in texts
    ack = await bram.request(
        {
            "type": "close",
            "conversation_id": conversation_id,
            "outcome": "opgelost",
            "summary": "Uitgelegd hoe een paspoort aan te vragen.",
        }
    )
    assert ack["type"] == "ack"
    await resident.wait_for(lambda e: e["type"] == "state" and e["state"] == "closed")
    assert not [e for e in resident.events if e.get("private")], "notes never reach the resident"
    async with db.sessions() as session:
        row = await session.get(Conversation, conversation_id)
    assert (row.state, row.outcome, row.agent_id) == ("closed", "opgelost", None)
    for client in (resident, anna, bram):
        await client.close()


async def test_handover_transfer_and_close_on_one_instance(start_service, database_url, db):
    service = start_service(database_url)
    await journey(service, service, db)


async def test_handover_with_resident_and_agents_on_different_instances(start_service, database_url, db):
    await journey(start_service(database_url), start_service(database_url), db)


async def test_cancel_waiting_returns_to_the_bot(start_service, database_url):
    service = start_service(database_url)
    resident, _ = await queued_resident(service)
    assert (await resident.request({"type": "cancel_queue"}))["type"] == "ack"
    await resident.wait_for(lambda e: e["type"] == "state" and e["state"] == "bot")
    error = await resident.request({"type": "cancel_queue"})
    assert error["code"] == "not_queued"
    await resident.close()


async def test_no_agents_offers_a_call_back_that_agents_see(start_service, database_url, db):
    service = start_service(database_url)
    resident, _ = await queued_resident(service)
    offer = await resident.wait_for(lambda e: e["type"] == "availability")
    assert offer["available"] is False and offer["reason"] == "no_agents"
    notice = await resident.wait_for(
        lambda e: e["type"] == "message" and e["author"] == "system" and "terugbelverzoek" in e["text"]
    )
    assert notice
    bad = await resident.request({"type": "callback", "phone": "0612345678", "consent": False})
    assert bad["code"] == "invalid_message"
    ack = await resident.request(
        {
            "type": "callback",
            "name": "Sam",
            "phone": "0612345678",
            "message": "Bel mij over de energietoeslag",
            "consent": True,
        }
    )
    assert ack["type"] == "ack", ack
    await resident.wait_for(lambda e: e["type"] == "state" and e["state"] == "callback_requested")
    agent = await login(service, db, ["klantcontact"])
    async with httpx.AsyncClient(base_url=service.http, cookies=agent.cookies) as http:
        tasks = (await http.get("/api/callbacks")).json()
        assert [(t["name"], t["phone"], t["status"]) for t in tasks] == [("Sam", "0612345678", "te_verwerken")]
        done = await http.post(f"/api/callbacks/{tasks[0]['id']}/done", headers={"X-CSRF-Token": agent.csrf})
        assert done.json()["status"] == "verwerkt"
    await resident.close()


async def test_out_of_office_hours_offers_a_call_back(start_service, database_url, db):
    await agents.ensure_default_teams(db.sessions)
    # Open one minute a week, in the past: closed now whatever the day.
    await agents.ensure_team(db.sessions, "klantcontact", "Klantcontactcentrum", {"1": [["00:00", "00:01"]]})
    service = start_service(database_url)
    agent = await login(service, db, ["klantcontact"])
    agent_socket = await online(agent, service)
    resident, _ = await queued_resident(service)
    offer = await resident.wait_for(lambda e: e["type"] == "availability")
    assert offer["reason"] == "closed" and "ma 00:00-00:01" in offer["opening_hours"]
    await resident.request({"type": "callback", "email": "sam@example.nl", "consent": True})
    async with db.sessions() as session:
        stored = (await session.execute(select(CallbackTask))).scalars().all()
    assert [t.email for t in stored] == ["sam@example.nl"]
    for client in (resident, agent_socket):
        await client.close()


async def test_a_dropped_agent_loses_the_chat_to_the_front_of_the_queue(start_service, database_url, db):
    service = start_service(database_url, agent_grace_seconds=1.0, presence_ttl_seconds=2.0)
    first = await login(service, db, ["klantcontact"])
    anna = await online(first, service)
    resident, _ = await queued_resident(service)
    offer = await anna.wait_for(lambda e: e["type"] == "offer")
    await anna.request({"type": "accept", "conversation_id": offer["conversation_id"]})
    await anna.request({"type": "message", "conversation_id": offer["conversation_id"], "text": "Ik kijk even."})
    await anna.close()  # the socket dies mid-chat

    requeued = await resident.wait_for(
        lambda e: e["type"] == "state" and e["state"] == "queued" and e.get("reason") == "agent_lost", 20
    )
    assert requeued
    async with db.sessions() as session:
        row = await session.get(Conversation, offer["conversation_id"])
    assert row.priority == 1, "back at the front"
    second = await login(service, db, ["klantcontact"])
    bram = await online(second, service)
    await bram.wait_for(lambda e: e["type"] == "offer" and e["conversation_id"] == offer["conversation_id"], 15)
    await bram.request({"type": "accept", "conversation_id": offer["conversation_id"]})
    history = await bram.wait_for(lambda e: e["type"] == "conversation")
    assert "Ik kijk even." in [e.get("text") for e in history["transcript"]]
    for client in (resident, bram):
        await client.close()


async def test_an_offer_not_accepted_in_time_goes_to_the_next_agent(start_service, database_url, db):
    service = start_service(database_url, offer_timeout_seconds=1.0)
    first = await online(await login(service, db, ["klantcontact"]), service)
    resident, _ = await queued_resident(service)
    offer = await first.wait_for(lambda e: e["type"] == "offer")
    second = await online(await login(service, db, ["klantcontact"]), service)  # idle longest now: never assigned
    expired = await first.wait_for(lambda e: e["type"] == "offer_expired", 10)
    assert expired["conversation_id"] == offer["conversation_id"]
    again = await second.wait_for(
        lambda e: e["type"] == "offer" and e["conversation_id"] == offer["conversation_id"], 10
    )
    assert again["expires_in_seconds"] == 1
    assert not [e for e in first.events if e["type"] == "offer" and e is not offer], "not offered twice to the same"
    for client in (resident, first, second):
        await client.close()


@pytest.mark.parametrize("same_instance_first", [True, False])
async def test_a_chat_is_offered_to_a_free_agent_on_the_residents_instance_first(
    start_service, database_url, db, same_instance_first
):
    """Anna (on instance one) wins the first offer by the idle-longest rule (created first, both
    never assigned) and Bram the second (Anna was assigned since). Bram is on the residents'
    instance two: with the preference on he gets both, and none of their messages crosses Redis."""
    one = start_service(database_url, route_same_instance_first=same_instance_first)
    two = start_service(database_url, route_same_instance_first=same_instance_first)
    anna = await online(await login(one, db, ["klantcontact"], name="Anna"), one)
    bram = await online(await login(two, db, ["klantcontact"], name="Bram"), two)
    clients = [anna, bram]
    for expected in [bram, bram] if same_instance_first else [anna, bram]:
        resident, started = await queued_resident(two)
        clients.append(resident)
        conversation_id = started["conversation_id"]
        await expected.wait_for(lambda e, c=conversation_id: e["type"] == "offer" and e["conversation_id"] == c, 15)
        accepted = await expected.request({"type": "accept", "conversation_id": conversation_id})
        assert accepted["type"] == "ack", accepted
    offered = [e["conversation_id"] for agent in (anna, bram) for e in agent.events if e["type"] == "offer"]
    assert len(offered) == 2, "each chat was offered once, to the expected agent"
    for client in clients:
        await client.close()


@pytest.mark.postgres
# PostgreSQL only: SQLite serialises every writer, so a race there proves nothing.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_claim_race_exactly_one_winner(start_service, database_url, db):
    """20 agents on two instances accept the same queued chat at once, 200 times."""
    one, two = (
        start_service(database_url, router_interval_seconds=3600),
        start_service(database_url, router_interval_seconds=3600),
    )
    logged = [await login(one if i % 2 else two, db, ["klantcontact"], max_chats=1000) for i in range(20)]
    sockets = [await a.socket(one if i % 2 else two).__aenter__() for i, a in enumerate(logged)]
    resident = await ChatClient(one.ws).__aenter__()
    started = await resident.start()
    conversation_id = started["conversation_id"]
    winners_per_round = []
    for _ in range(200):
        async with db.sessions.begin() as session:
            row = await session.get(Conversation, conversation_id)
            row.state, row.agent_id, row.team = "queued", None, "klantcontact"
        replies = await asyncio.gather(
            *(s.request({"type": "accept", "conversation_id": conversation_id}) for s in sockets)
        )
        winners = [r for r in replies if r["type"] == "ack"]
        losers = [r for r in replies if r["type"] == "error"]
        assert all(r["code"] == "already_taken" for r in losers), {r["code"] for r in losers}
        winners_per_round.append(len(winners))
    assert winners_per_round == [1] * 200
    for client in (*sockets, resident):
        await client.close()
