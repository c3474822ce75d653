"""The agent's klantbeeld panel, concept requests and transcripts over real HTTP and sockets."""

from __future__ import annotations

import httpx
from agents_helper import login
from sqlalchemy import select
from test_handover import online, queued_resident

from handover.store.models import AuditEntry, ConceptRequest, Klantcontact


async def assigned_chat(service, db):  # type: ignore[no-untyped-def]
    agent = await login(service, db, ["klantcontact"], name="Anna")
    socket = await online(agent, service)
    resident, _ = await queued_resident(service)
    offer = await socket.wait_for(lambda e: e["type"] == "offer")
    await socket.request({"type": "accept", "conversation_id": offer["conversation_id"]})
    await socket.wait_for(lambda e: e["type"] == "conversation")
    return agent, socket, resident, offer["conversation_id"]


async def test_concept_request_reaches_the_resident_as_a_link(start_service, database_url, db):
    service = start_service(database_url)
    agent, socket, resident, conversation_id = await assigned_chat(service, db)
    async with httpx.AsyncClient(
        base_url=service.http, cookies=agent.cookies, headers={"X-CSRF-Token": agent.csrf}
    ) as http:
        types = (await http.get("/api/request-types")).json()
        assert "energiesubsidie" in {t["key"] for t in types}
        bad = await http.post(
            f"/api/conversations/{conversation_id}/concept-requests", json={"type": "bestaat_niet", "data": {}}
        )
        assert bad.status_code == 422
        created = await http.post(
            f"/api/conversations/{conversation_id}/concept-requests",
            json={"type": "energiesubsidie", "data": {"woonsituatie": "huurder"}},
        )
        assert created.status_code == 201, created.text
    link = await resident.wait_for(lambda e: e["type"] == "message" and e.get("link"))
    assert link["link"]["title"] == "Verder in MijnGemeente"
    assert link["link"]["url"].startswith("/mijn/aanvraag/") and len(link["link"]["url"]) > 50
    async with db.sessions() as session:
        request = (await session.execute(select(ConceptRequest))).scalar_one()
    assert request.data == {"woonsituatie": "huurder"} and request.status == "open"
    assert link["link"]["url"].split("/")[-1] not in request.token_hash, "only the hash is stored"
    for client in (socket, resident):
        await client.close()


async def test_another_agent_cannot_prepare_requests_or_read_the_klantbeeld(start_service, database_url, db):
    service = start_service(database_url)
    _, socket, resident, conversation_id = await assigned_chat(service, db)
    other = await login(service, db, ["belastingen"])
    async with httpx.AsyncClient(
        base_url=service.http, cookies=other.cookies, headers={"X-CSRF-Token": other.csrf}
    ) as http:
        assert (
            await http.post(f"/api/conversations/{conversation_id}/concept-requests", json={"type": "energiesubsidie"})
        ).status_code == 404
        assert (await http.get(f"/api/conversations/{conversation_id}/klantbeeld")).status_code == 404
        assert (await http.get(f"/api/conversations/{conversation_id}/transcript")).status_code == 404
    for client in (socket, resident):
        await client.close()


async def test_klantbeeld_views_are_audited_and_closing_registers_a_contact(start_service, database_url, db):
    service = start_service(database_url)
    agent, socket, resident, conversation_id = await assigned_chat(service, db)
    async with httpx.AsyncClient(base_url=service.http, cookies=agent.cookies) as http:
        view = (await http.get(f"/api/conversations/{conversation_id}/klantbeeld")).json()
        assert view["identified"] is False and view["contacts"] == []
        transcript = (await http.get(f"/api/conversations/{conversation_id}/transcript")).text
        assert "Ik heb een vraag over de energietoeslag" in transcript
    await socket.request(
        {
            "type": "close",
            "conversation_id": conversation_id,
            "outcome": "opgelost",
            "summary": "Uitleg gegeven over de energietoeslag.",
        }
    )
    await resident.wait_for(lambda e: e["type"] == "state" and e["state"] == "closed")
    async with db.sessions() as session:
        audit = (await session.execute(select(AuditEntry).order_by(AuditEntry.id))).scalars().all()
        contact = (await session.execute(select(Klantcontact))).scalar_one()
    assert [(a.actor, a.action, a.conversation_id) for a in audit] == [
        (f"agent:{agent.agent_id}", "klantbeeld.view", conversation_id),
        (f"agent:{agent.agent_id}", "transcript.view", conversation_id),
    ]
    assert (contact.conversation_id, contact.summary, contact.outcome, contact.agent_name) == (
        conversation_id,
        "Uitleg gegeven over de energietoeslag.",
        "opgelost",
        "Anna",
    )
    for client in (socket, resident):
        await client.close()
