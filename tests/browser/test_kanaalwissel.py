"""The flagship journey (DESIGN.md section 1, steps 3 to 6) in Chromium, against the real service:
an agent takes over, prepares a concept request; the resident clicks through from the chat,
logs in to MijnGemeente, finds the request prefilled and submits it; the agent sees the status
change; the closed conversation is in the resident's klantbeeld, and in Open Klant (the
spec-driven server of the contract tests) as a klantcontact with the product subject, the agent
as medewerker actor, the outcome, the partij of the logged-in resident and the channel context."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from agents_helper import login
from openklant_fake import FakeApi, open_klant, settings_for
from playwright.async_api import Page, expect
from sqlalchemy import select
from waiting import eventually
from widget_support import open_widget

from handover.store.db import Database
from handover.store.models import ConceptRequest, Klantcontact

pytestmark = pytest.mark.browser


@pytest.fixture
async def db(sqlite_url: str) -> AsyncIterator[Database]:
    database = Database(sqlite_url)
    yield database
    await database.dispose()


def by_uuid(api: FakeApi, collection: str, uuid: str) -> dict[str, Any]:
    return next(item for item in api.stored(collection) if item["uuid"] == uuid)


async def test_agent_prepares_resident_completes_in_mijngemeente(page: Page, start_service, sqlite_url, db):
    with open_klant() as api:
        await journey(page, start_service, sqlite_url, db, api)


async def journey(page: Page, start_service, sqlite_url, db, api: FakeApi) -> None:  # type: ignore[no-untyped-def]
    # Open Klant knows nobody yet: the resident's partij is created at her first login.
    service = start_service(sqlite_url, **settings_for(api, klantinteracties_create_partij=True))
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
        async with httpx.AsyncClient(
            base_url=service.http, cookies=agent.cookies, headers={"X-CSRF-Token": agent.csrf}
        ) as http:
            response = await http.post(
                f"/api/conversations/{conversation_id}/concept-requests",
                json={"type": "energiesubsidie", "data": {"woonsituatie": "huurder", "postcode": "5038 AB"}},
            )
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

        await anna.request(
            {
                "type": "close",
                "conversation_id": conversation_id,
                "outcome": "opgelost",
                "summary": "Energiesubsidie klaargezet; inwoner heeft de aanvraag ingediend.",
            }
        )
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

    # Step 6 in Open Klant: exactly one chat klantcontact, complete (the outbox registers it).
    contact = await eventually(
        lambda: (
            [c for c in api.stored("klantcontacten") if c["kanaal"] == "chat"]
            and api.stored("bijlagen")
            and api.stored("actorklantcontacten")
            and [c for c in api.stored("klantcontacten") if c["kanaal"] == "chat"]
        ),
        what="the chat klantcontact registered in Open Klant",
        timeout=20,
    )
    assert len(contact) == 1
    [contact] = contact
    assert contact["onderwerp"] == "Energiesubsidie", "the product, not 'medewerker'"
    assert contact["indicatieContactGelukt"] is True
    assert contact["reactie"].startswith("Opgelost") and "ingediend" in contact["reactie"]
    assert contact["taal"] == "nld" and contact["referentienummer"]
    metadata = contact["metadata"]
    assert metadata["kanaal_detail"] == "social" and metadata["product"] == "energiesubsidie"
    assert metadata["utm_source"] == "facebook" and metadata["utm_campaign"] == "energiesubsidie"
    assert "/demo/social" in metadata["pagina"] and metadata["reden_overdracht"]

    # The agent as medewerker actor (and the bot), both linked to this klantcontact.
    links = [link for link in api.stored("actorklantcontacten") if link["klantcontact"]["uuid"] == contact["uuid"]]
    actors = {
        by_uuid(api, "actoren", link["actor"]["uuid"])["soortActor"]: by_uuid(api, "actoren", link["actor"]["uuid"])
        for link in links
    }
    assert set(actors) == {"medewerker", "geautomatiseerde_actor"}
    assert actors["medewerker"]["naam"] == "Anna"
    assert actors["medewerker"]["actoridentificator"]["objectId"] == agent.username

    # The betrokkene is the logged-in resident's partij, the one with her BSN.
    [partij] = api.stored("partijen")
    assert [i["partijIdentificator"]["objectId"] for i in partij["partijIdentificatoren"]] == ["999993653"]
    [betrokkene] = [b for b in api.stored("betrokkenen") if b["hadKlantcontact"]["uuid"] == contact["uuid"]]
    assert betrokkene["wasPartij"]["uuid"] == partij["uuid"] and betrokkene["rol"] == "klant"

    # The transcript bijlage is a link that works without a console session.
    [bijlage] = [b for b in api.stored("bijlagen") if b["wasBijlageVanKlantcontact"]["uuid"] == contact["uuid"]]
    link = urlsplit(bijlage["bijlageidentificator"]["objectId"])
    async with httpx.AsyncClient(base_url=service.http) as anonymous:
        transcript = await anonymous.get(f"{link.path}?{link.query}")
    assert transcript.status_code == 200 and "Ik wil energiesubsidie aanvragen" in transcript.text
