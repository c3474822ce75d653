"""A resident sees everything held about them (inzage) and can erase what may go."""

from __future__ import annotations

import json

from sqlalchemy import func, select, update
from test_mijn import client, concept, csrf_of, log_in, open_link

from handover.services.klantbeeld.contacts import register_contact
from handover.store.models import AuditEntry, ConceptRequest, Conversation, Klantcontact, Message


async def test_export_holds_the_residents_chats_contacts_and_requests_and_nobody_elses(start_service, database_url, db):
    service = start_service(database_url)
    conversation_id, published = await concept(service, db)
    async with client(service) as eva:
        await open_link(eva, published.token)
        async with db.sessions.begin() as session:
            await session.execute(
                update(Conversation)
                .where(Conversation.id == conversation_id)
                .values(state="closed", summary="Energiesubsidie besproken")
            )
        await register_contact(db.sessions, conversation_id, "Anna")
        response = await eva.get("/mijn/gegevens/inzage")
        assert response.status_code == 200
        assert "attachment" in response.headers["content-disposition"]
        data = json.loads(response.text)
        assert [c["id"] for c in data["chats"]] == [conversation_id]
        assert data["chats"][0]["transcript"], "the transcript is part of the export"
        assert [r["title"] for r in data["requests"]] == ["Energiesubsidie"]
        assert data["contacts"] and data["profile"]["name"]
    async with client(service) as youssef:
        await log_in(youssef, "youssef")
        theirs = json.loads((await youssef.get("/mijn/gegevens/inzage")).text)
        assert theirs["chats"] == [] and theirs["requests"] == [] and theirs["contacts"] == []
    async with db.sessions() as session:
        actions = list((await session.execute(select(AuditEntry.action))).scalars())
    assert "resident.export" in actions


async def test_erase_removes_transcripts_and_open_requests_but_keeps_the_registered_contact(
    start_service, database_url, db
):
    service = start_service(database_url)
    conversation_id, published = await concept(service, db)
    async with client(service) as eva:
        await open_link(eva, published.token)
        async with db.sessions.begin() as session:
            await session.execute(
                update(Conversation)
                .where(Conversation.id == conversation_id)
                .values(state="closed", page="https://www.example.nl/energie")
            )
        await register_contact(db.sessions, conversation_id, "Anna")
        page = await eva.get("/mijn/gegevens")
        refused = await eva.post("/mijn/gegevens/verwijderen", data={"csrf": "wrong"})
        assert refused.status_code in (400, 403)
        done = await eva.post("/mijn/gegevens/verwijderen", data={"csrf": csrf_of(page)})
        assert done.status_code == 200 and "verwijderd" in done.text
    async with db.sessions() as session:
        messages = (
            await session.execute(
                select(func.count()).select_from(Message).where(Message.conversation_id == conversation_id)
            )
        ).scalar_one()
        requests = (await session.execute(select(func.count()).select_from(ConceptRequest))).scalar_one()
        contacts = (await session.execute(select(func.count()).select_from(Klantcontact))).scalar_one()
        row = await session.get(Conversation, conversation_id)
    assert messages == 0 and requests == 0 and contacts == 1
    assert row is not None and row.page is None
