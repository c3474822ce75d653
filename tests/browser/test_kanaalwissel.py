"""The flagship journey (DESIGN.md section 1, steps 3 to 6) in Chromium, against the real service:
an agent takes over, prepares a concept request; the resident clicks through from the chat,
logs in to MijnGemeente, finds the request prefilled and submits it; the agent sees the status
change; the closed conversation is in the resident's klantbeeld."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from agents_helper import login
from playwright.async_api import Page, expect
from sqlalchemy import select
from widget_support import open_widget

from handover.store.db import Database
from handover.store.models import ConceptRequest, Klantcontact

pytestmark = pytest.mark.browser


@pytest.fixture
async def db(sqlite_url: str) -> AsyncIterator[Database]:
    database = Database(sqlite_url)
    yield database
    await database.dispose()


async def test_agent_prepares_resident_completes_in_mijngemeente(page: Page, start_service, sqlite_url, db):
    service = start_service(sqlite_url)
    agent = await login(service, db, ["klantcontact"], name="Anna")
    anna = await agent.socket(service).__aenter__()
    try:
        await anna.request({"type": "presence", "status": "online"})
        await page.goto(service.http + "/demo/social?utm_source=facebook&utm_campaign=energiesubsidie")
        await open_widget(page)
        await page.locator("#gc-input").fill("Ik wil energiesubsidie aanvragen")
        await page.locator("#gc-input").press("Enter")
        await page.locator(".gc-form .gc-secondary").click()  # "Medewerker"

        # Step 3-4: the agent gets the chat with its context and prepares the request.
        offer = await anna.wait_for(lambda e: e["type"] == "offer", 20)
        conversation_id = offer["conversation_id"]
        await anna.request({"type": "accept", "conversation_id": conversation_id})
        opened = await anna.wait_for(lambda e: e["type"] == "conversation")
        assert opened["context"]["utm"] == {"source": "facebook", "campaign": "energiesubsidie"}
        async with httpx.AsyncClient(base_url=service.http, cookies=agent.cookies,
                                     headers={"X-CSRF-Token": agent.csrf}) as http:
            response = await http.post(f"/api/conversations/{conversation_id}/concept-requests", json={
                "type": "energiesubsidie", "data": {"woonsituatie": "huurder", "postcode": "5038 AB"}})
        assert response.status_code == 201, response.text

        # Step 5: one click from the chat, log in, the request is there, prefilled.
        link = page.locator("a.gc-linkbutton")
        await expect(link).to_have_text("Verder in MijnGemeente")
        target = page
        if await link.get_attribute("target") == "_blank":
            async with page.context.expect_page() as new_page:
                await link.click()
            target = await new_page.value
        else:
            await link.click()
        await target.get_by_role("button", name="Inloggen als Eva de Boer").click()
        # Binding a request to an account is an explicit, CSRF-checked choice of the resident.
        await expect(target.get_by_role("heading", level=1, name="Aanvraag toevoegen aan uw account?")).to_be_visible()
        await target.get_by_role("button", name="Ja, voeg toe aan mijn account").click()
        await expect(target.get_by_role("heading", level=1, name="Energiesubsidie")).to_be_visible()
        await expect(target.get_by_label("Postcode")).to_have_value("5038 AB")
        await target.get_by_label("Ik heb de gegevens gecontroleerd").check()
        await target.get_by_role("button", name="Aanvraag versturen").click()
        await expect(target.get_by_role("heading", name="Uw aanvraag is verstuurd")).to_be_visible()

        # The agent sees the status change.
        status = await anna.wait_for(lambda e: e["type"] == "request_status", 10)
        assert (status["status"], status["conversation_id"]) == ("ingediend", conversation_id)

        await anna.request({"type": "close", "conversation_id": conversation_id, "outcome": "opgelost",
                            "summary": "Energiesubsidie klaargezet; inwoner heeft de aanvraag ingediend."})
    finally:
        await anna.close()

    # Step 6: the contact is registered in the klantbeeld of this (now identified) resident.
    async with db.sessions() as session:
        request = (await session.execute(select(ConceptRequest))).scalar_one()
        contact = (await session.execute(select(Klantcontact))).scalar_one()
    assert request.status == "ingediend" and request.partij_id is not None
    assert contact.conversation_id == conversation_id and contact.partij_id == request.partij_id
    assert contact.outcome == "opgelost" and contact.agent_name == "Anna"

    # And the resident finds it under "Mijn contacten".
    await target.goto(service.http + "/mijn/contacten")
    await expect(target.get_by_text("Energiesubsidie klaargezet; inwoner heeft de aanvraag ingediend.")).to_be_visible()
