"""The resident websocket against a real server, real Redis, SQLite and PostgreSQL.

Rasa is deliberately unreachable here (port 9): these tests are about the protocol and the
record. The conversations with the real trained model are in test_bot_conversation.py.
"""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from sqlalchemy import func, select
from waiting import eventually
from wsclient import ChatClient, new_id

from handover.services.conversations import BOT_UNAVAILABLE_TEXT
from handover.store.db import Database
from handover.store.models import Message


async def count_messages(db: Database) -> int:
    async with db.sessions() as session:
        return int((await session.execute(select(func.count()).select_from(Message))).scalar_one())


async def still_usable(client: ChatClient) -> None:
    pong = await client.request({"type": "ping"})
    assert pong["type"] == "pong"


BAD_FRAMES = [
    ("{not json", "malformed_json"),
    ("[1, 2, 3]", "malformed_json"),
    (json.dumps({"type": "message", "id": "big", "text": "x" * 70_000}), "frame_too_large"),
    (json.dumps({"type": "message", "id": "long", "text": "x" * 4097}), "text_too_long"),
    (json.dumps({"type": "shout", "id": "u1"}), "unknown_type"),
    (json.dumps({"id": "u2"}), "unknown_type"),
    (json.dumps({"type": "message", "text": "geen id"}), "invalid_message"),
    (json.dumps({"type": "message", "id": "e1", "text": "   "}), "invalid_message"),
    (json.dumps({"type": "message", "id": "e2", "text": 42}), "invalid_message"),
    (json.dumps({"type": "resume", "id": "r1", "token": "abc", "last_seq": -1}), "invalid_message"),
]


async def test_bad_frames_get_stable_errors_and_the_connection_stays_usable(start_service, database_url, db):
    service = start_service(database_url)
    async with ChatClient(service.ws) as client:
        await client.start()
        for raw, code in BAD_FRAMES:
            before = len(client.events)
            await client.send_raw(raw)
            error = await client.wait_for(lambda e, n=before: e["type"] == "error" and client.events.index(e) >= n)
            assert error["code"] == code, raw[:60]
            assert error["message"] and error["detail"]
            await still_usable(client)
        assert await count_messages(db) == 0, "a rejected frame must store nothing"


async def test_text_before_start_and_unknown_token(start_service, database_url):
    service = start_service(database_url)
    async with ChatClient(service.ws) as client:
        error = await client.request({"type": "message", "text": "Hallo"})
        assert (error["type"], error["code"]) == ("error", "not_started")
        error = await client.request({"type": "resume", "token": "does-not-exist", "last_seq": 0})
        assert (error["type"], error["code"]) == ("error", "unknown_conversation")
        started = await client.start()
        assert started["type"] == "started" and started["state"] == "bot" and len(started["token"]) >= 40
        error = await client.request({"type": "start"})
        assert error["code"] == "already_started"


async def test_rasa_unreachable_gives_a_dutch_notice_and_keeps_the_message(start_service, database_url, db):
    service = start_service(database_url)  # Rasa on a closed port
    async with ChatClient(service.ws) as client:
        await client.start()
        stored = await client.request({"type": "message", "text": "Hoe vraag ik een paspoort aan?"})
        # The stored message itself answers the frame: no separate ack (docs/protocol.md).
        assert (stored["type"], stored["seq"], stored["client_id"]) == ("message", 1, stored["reply_to"])
        assert not [e for e in client.events if e["type"] == "ack"]
        notice = await client.wait_for(lambda e: e["type"] == "message" and e["author"] == "system")
        assert notice["text"] == BOT_UNAVAILABLE_TEXT
        assert notice["seq"] == 2
        await client.wait_for(lambda e: e["type"] == "typing" and e["active"] is False)
    async with db.sessions() as session:
        stored = (await session.execute(select(Message).order_by(Message.seq))).scalars().all()
    assert [(m.author, m.text) for m in stored] == [
        ("resident", "Hoe vraag ik een paspoort aan?"),
        ("system", BOT_UNAVAILABLE_TEXT),
    ]


async def test_personal_numbers_are_masked_before_storage(start_service, database_url, db):
    service = start_service(database_url)
    async with ChatClient(service.ws) as client:
        await client.start()
        await client.request({"type": "message", "text": "Mijn BSN is 111222333"})
        echo = await client.wait_for(lambda e: e["type"] == "message" and e["author"] == "resident")
    assert "111222333" not in echo["text"]
    async with db.sessions() as session:
        stored = (await session.execute(select(Message.text))).scalars().all()
    assert all("111222333" not in (text or "") for text in stored)


async def test_distress_gets_the_emergency_numbers_even_without_the_bot(start_service, database_url):
    service = start_service(database_url)  # Rasa unreachable: the safety net must not need it
    async with ChatClient(service.ws) as client:
        await client.start()
        ack = await client.request({"type": "message", "text": "Ik wil er een eind aan maken"})
        notice = await client.wait_for(
            lambda e: e["type"] == "message" and e["author"] == "system" and "0800-0113" in e["text"]
        )
        assert notice["seq"] == ack["seq"] + 1, "right after the resident's message"


async def test_markup_is_stored_and_returned_as_plain_text(start_service, database_url):
    service = start_service(database_url)
    payload = '<img src=x onerror=alert(1)><script>alert("x")</script>'
    async with ChatClient(service.ws) as client:
        await client.start()
        await client.request({"type": "message", "text": payload})
        echo = await client.wait_for(lambda e: e["type"] == "message" and e["author"] == "resident")
    assert echo["text"] == payload  # unchanged: clients render it with textContent


async def test_retransmitted_client_id_is_answered_with_the_original_and_stored_once(start_service, database_url, db):
    service = start_service(database_url)
    async with ChatClient(service.ws) as client:
        started = await client.start()
        first = await client.request({"type": "message", "id": "same-id", "text": "Hallo"})
        assert (first["type"], first["seq"]) == ("message", 1)  # the stored message answers it
        await client.send({"type": "message", "id": "same-id", "text": "Hallo"})
        again = await client.wait_for(lambda e: e["type"] == "ack" and e["reply_to"] == "same-id")
        assert again["seq"] == 1  # a retransmission: an ack with the original's seq
    # The retransmission may also arrive on a new connection after a drop.
    async with ChatClient(service.ws) as client:
        # Resumed after the original (seq 1), so the catch-up does not carry it again.
        await client.request({"type": "resume", "token": started["token"], "last_seq": 1})
        third = await client.request({"type": "message", "id": "same-id", "text": "Hallo"})
        assert (third["type"], third["seq"]) == ("ack", 1)
    async with db.sessions() as session:
        residents = (await session.execute(select(Message).where(Message.author == "resident"))).scalars().all()
    assert len(residents) == 1


async def test_resume_returns_exactly_the_missed_events(start_service, database_url, db):
    service = start_service(database_url)
    async with ChatClient(service.ws) as client:
        started = await client.start()
        await client.request({"type": "message", "text": "eerste"})
        await client.wait_for(lambda e: e["type"] == "message" and e["seq"] == 2)  # the notice
        seen = max(e["seq"] for e in client.recorded())
        # Send and drop at once: what is stored after this is missed by this socket.
        await client.send({"type": "message", "id": new_id(), "text": "tweede"})
        await client.send({"type": "message", "id": new_id(), "text": "derde"})

    # The server finishes storing and answering meanwhile: wait until both turns are stored.
    async def both_turns_stored() -> bool:
        return await count_messages(db) >= 6

    await eventually(both_turns_stored, what="6 stored events")

    async with ChatClient(service.ws) as client:
        resumed = await client.request({"type": "resume", "token": started["token"], "last_seq": seen})
        assert resumed["type"] == "resumed" and resumed["recovered"] is True
        total = resumed["seq"]
        assert total == 6  # 2 before + (message + notice) * 2
        await client.wait_for(lambda e: e.get("seq") == total and e["type"] == "message")
        # A new turn is a barrier: its events come after anything the replay could still repeat.
        await client.request({"type": "message", "text": "vierde"})
        await client.wait_for(lambda e: e.get("seq") == total + 2 and e["type"] == "message")
        replayed = [e["seq"] for e in client.recorded()]
        assert replayed == list(range(seen + 1, total + 3)), "each missed event once, in order"
        texts = [e["text"] for e in client.recorded() if e["author"] == "resident"]
        assert texts == ["tweede", "derde", "vierde"]


async def test_resume_from_the_future_is_not_recovered_and_replays_everything(start_service, database_url):
    service = start_service(database_url)
    async with ChatClient(service.ws) as client:
        started = await client.start()
        await client.request({"type": "message", "text": "Hallo"})
        await client.wait_for(lambda e: e.get("seq") == 2)
    async with ChatClient(service.ws) as client:
        resumed = await client.request({"type": "resume", "token": started["token"], "last_seq": 99})
        assert resumed["recovered"] is False
        await client.wait_for(lambda e: e.get("seq") == 2 and e["type"] == "message")
        assert [e["seq"] for e in client.recorded()] == [1, 2]


async def test_concurrent_senders_get_gapless_unique_sequence_numbers(start_service, database_url):
    service = start_service(database_url, rate_limit_messages=1000)
    async with ChatClient(service.ws) as first:
        started = await first.start()
        async with ChatClient(service.ws) as second:
            await second.request({"type": "resume", "token": started["token"], "last_seq": 0})
            acks = await asyncio.gather(
                *(
                    c.request({"type": "message", "text": f"{name} {i}"})
                    for i in range(15)
                    for name, c in (("a", first), ("b", second))
                )
            )
    seqs = sorted(ack["seq"] for ack in acks)
    assert len(set(seqs)) == 30
    # Each message also causes a notice from the (unreachable) bot: together 1..60 without gaps.
    async with ChatClient(service.ws) as reader:
        resumed = await reader.request({"type": "resume", "token": started["token"], "last_seq": 0})
        await reader.wait_for(lambda e: e["type"] == "message" and e["seq"] == 60, timeout=20)
        assert [e["seq"] for e in reader.recorded()] == list(range(1, 61))
        assert resumed["seq"] >= 30


async def test_a_flood_is_rate_limited_and_nothing_limited_is_stored(start_service, database_url, db):
    service = start_service(database_url, rate_limit_messages=5, rate_limit_window_seconds=60)
    async with ChatClient(service.ws) as client:
        await client.start()
        replies = [await client.request({"type": "message", "text": f"bericht {i}"}) for i in range(8)]
    kinds = [r["type"] if r["type"] == "message" else r["code"] for r in replies]
    assert kinds == ["message"] * 5 + ["rate_limited"] * 3
    assert all(r.get("retry_after", 1) > 0 for r in replies[5:])
    async with db.sessions() as session:
        residents = (await session.execute(select(Message).where(Message.author == "resident"))).scalars().all()
    assert len(residents) == 5


async def test_two_instances_share_a_conversation_through_redis(start_service, database_url):
    one = start_service(database_url)
    two = start_service(database_url)
    async with ChatClient(one.ws) as tab_one:
        started = await tab_one.start()
        async with ChatClient(two.ws) as tab_two:
            await tab_two.request({"type": "resume", "token": started["token"], "last_seq": 0})
            await tab_one.request({"type": "message", "text": "vanaf instantie een"})
            seen = await tab_two.wait_for(lambda e: e["type"] == "message" and e["author"] == "resident", 5)
            assert seen["text"] == "vanaf instantie een"
            typing = await tab_two.wait_for(lambda e: e["type"] == "typing" and e["author"] == "bot", 5)
            assert typing["active"] is True


async def test_origin_allow_list(start_service, database_url):
    import websockets

    service = start_service(database_url, allowed_origins=["https://www.example.nl"])
    async with websockets.connect(service.ws, origin="https://www.example.nl") as ok:
        assert json.loads(await ok.recv())["type"] == "hello"
    with pytest.raises(websockets.InvalidStatus):
        async with websockets.connect(service.ws, origin="https://evil.example"):
            pass


async def test_readiness_names_the_part_that_is_down(start_service, database_url):
    service = start_service(database_url)
    async with httpx.AsyncClient() as http:
        assert (await http.get(service.http + "/healthz")).json() == {"status": "ok"}
        response = await http.get(service.http + "/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["down"] == ["rasa"]
    assert body["parts"]["database"] == "ok" and body["parts"]["redis"] == "ok"
