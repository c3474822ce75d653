"""Live handover end to end: the widget in Chromium against the real service, an agent on the
real agent socket and the real HTTP API, and the database as the judge.

No Rasa is needed (the unreachable default): "Medewerker" hands over without the bot.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from agents_helper import login
from playwright.async_api import Page, expect
from sqlalchemy import select
from waiting import eventually
from widget_support import log_items, open_widget, stored

from handover.store.db import Database
from handover.store.models import CallbackTask, Conversation

pytestmark = pytest.mark.browser
XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture
async def db(sqlite_url: str) -> AsyncIterator[Database]:
    database = Database(sqlite_url)
    yield database
    await database.dispose()


async def press_medewerker(page: Page) -> None:
    """From the message field: Tab to "Verstuur", Tab to "Medewerker", Enter."""
    await page.keyboard.press("Tab")
    await page.keyboard.press("Tab")
    await expect(page.locator(".gc-form .gc-secondary")).to_be_focused()
    await page.keyboard.press("Enter")


async def test_no_agent_call_back_by_keyboard_is_stored(page: Page, start_service, sqlite_url, db):
    service = start_service(sqlite_url)
    await page.goto(service.http + "/demo/website")
    await open_widget(page)
    await press_medewerker(page)

    # The service has no agent online: its notice, then the form, with focus on the first field.
    await expect(log_items(page, "li.gc-system")).to_contain_text("terugbelverzoek")
    form = page.locator(".gc-callback-form")
    await expect(form).to_be_visible()
    await expect(page.locator("#gc-cb-intro")).to_have_text(
        "Er is nu geen medewerker vrij. Laat je gegevens achter. Dan bellen of mailen we je."
    )
    await expect(page.locator("#gc-cb-name")).to_be_focused()
    await expect(page.locator("#gc-cb-consent")).to_have_accessible_name(
        "Ik geef toestemming dat de gemeente mij hierover belt of mailt"
    )

    # Nothing filled in: both errors inline, described, announced; focus on the first.
    await page.keyboard.press("Tab")  # phone
    await page.keyboard.press("Tab")  # e-mail
    await page.keyboard.press("Tab")  # message
    await page.keyboard.press("Tab")  # consent
    await page.keyboard.press("Tab")  # submit
    await expect(form.locator(".gc-primary")).to_be_focused()
    await page.keyboard.press("Enter")
    phone = page.locator("#gc-cb-phone")
    await expect(phone).to_be_focused()
    await expect(phone).to_have_attribute("aria-invalid", "true")
    await expect(phone).to_have_accessible_description(
        "Vul je telefoonnummer of je e-mailadres in. Eén van de twee is genoeg. "
        "Vul je telefoonnummer of je e-mailadres in."
    )
    await expect(page.locator("#gc-cb-consent")).to_have_accessible_description(
        "Zet een vinkje bij toestemming. Anders mogen we je niet bellen of mailen."
    )
    live = page.locator(".gc-sr[aria-live]")
    await expect(live).to_contain_text("Vul je telefoonnummer of je e-mailadres in.")
    await expect(live).to_contain_text("Zet een vinkje bij toestemming.")

    # A wrong number is refused too, then corrected.
    await page.keyboard.type("06-12")
    await page.keyboard.press("Shift+Tab")  # name
    await page.keyboard.type("Sam de Vries")
    for _ in range(3):
        await page.keyboard.press("Tab")  # phone, e-mail, message
    await page.keyboard.type("Bel mij over de energietoeslag")
    await page.keyboard.press("Tab")
    await page.keyboard.press("Space")
    await expect(page.locator("#gc-cb-consent")).to_be_checked()
    await page.keyboard.press("Tab")
    await page.keyboard.press("Enter")
    await expect(phone).to_be_focused()
    await expect(page.locator("#gc-cb-phone-error")).to_have_text(
        "Dit telefoonnummer klopt niet. Gebruik alleen cijfers, bijvoorbeeld 0612345678."
    )
    assert await page.locator("#gc-cb-consent-error").is_hidden()
    await page.keyboard.press("ControlOrMeta+a")
    await page.keyboard.type("06 12345678")
    await page.keyboard.press("Enter")  # submits the form

    done = page.locator(".gc-callback .gc-thanks")
    await expect(done).to_be_focused()
    await expect(done).to_have_text(
        "Bedankt! We hebben je terugbelverzoek ontvangen. We bellen of mailen je zo snel mogelijk."
    )
    await expect(form).to_be_hidden()
    await expect(log_items(page, ".gc-notice").last).to_have_text("We nemen zo snel mogelijk contact met je op.")
    assert (await stored(page))["outbox"] == []

    async with db.sessions() as session:
        tasks = (await session.execute(select(CallbackTask))).scalars().all()
    assert [(t.name, t.phone, t.email, t.message) for t in tasks] == [
        ("Sam de Vries", "06 12345678", None, "Bel mij over de energietoeslag")
    ]
    agent = await login(service, db, ["klantcontact"])
    async with httpx.AsyncClient(base_url=service.http, cookies=agent.cookies) as http:
        listed = (await http.get("/api/callbacks")).json()
    assert [(t["name"], t["phone"], t["status"]) for t in listed] == [("Sam de Vries", "06 12345678", "te_verwerken")]

    # After a reload the confirmation is still there, not the form.
    await page.reload()
    await expect(page.locator(".gc-callback .gc-thanks")).to_be_visible()
    await expect(form).to_be_hidden()


async def test_call_back_form_in_english_with_e_mail_only(page: Page, start_service, sqlite_url, db):
    service = start_service(sqlite_url)
    # An English page. (A page fulfilled by a route may not open a socket to 127.0.0.1 under
    # Chromium's local-network checks, so the demo page's <html lang> is switched instead.)
    await page.add_init_script(
        "new MutationObserver((_, o) => { if (document.documentElement) {"
        " document.documentElement.lang = 'en'; o.disconnect(); } })"
        ".observe(document, { childList: true });"
    )
    await page.goto(service.http + "/demo/website")
    await open_widget(page)
    await press_medewerker(page)
    await expect(page.locator("#gc-cb-name")).to_be_focused()
    await expect(page.locator(".gc-callback h3")).to_have_text("Call-back request")
    await expect(page.locator("#gc-cb-consent")).to_have_accessible_name(
        "I agree that the municipality calls or emails me about this"
    )
    await page.locator("#gc-cb-email").fill("sam@example")
    await page.locator("#gc-cb-email").press("Enter")
    await expect(page.locator("#gc-cb-email-error")).to_have_text(
        "This email address is not correct. For example: name@example.com"
    )
    await page.locator("#gc-cb-email").fill("sam@example.nl")
    await page.locator("#gc-cb-consent").press("Space")
    await page.keyboard.press("Tab")
    await page.keyboard.press("Enter")
    await expect(page.locator(".gc-callback .gc-thanks")).to_have_text(
        "Thank you! We have received your call-back request. We will call or email you as soon as possible."
    )

    async def emails() -> list[str | None]:
        async with db.sessions() as session:
            return [t.email for t in (await session.execute(select(CallbackTask))).scalars()]

    assert await eventually(emails, what="the stored call-back request") == ["sam@example.nl"]


async def test_agent_takes_over_sends_a_concept_request_and_closes(page: Page, start_service, sqlite_url, db):
    service = start_service(sqlite_url)
    agent = await login(service, db, ["klantcontact"], name="Anna")
    anna = await agent.socket(service).__aenter__()
    try:
        assert (await anna.request({"type": "presence", "status": "online"}))["type"] == "ack"
        await page.goto(service.http + "/demo/website")
        await open_widget(page)
        await press_medewerker(page)

        offer = await anna.wait_for(lambda e: e["type"] == "offer", 20)
        conversation_id = offer["conversation_id"]
        accepted = await anna.request({"type": "accept", "conversation_id": conversation_id})
        assert accepted["type"] == "ack", accepted
        await anna.wait_for(lambda e: e["type"] == "conversation")
        await expect(log_items(page, ".gc-notice").last).to_have_text(
            "Anna neemt het gesprek over. Anna is een medewerker van de gemeente."
        )
        await expect(page.locator(".gc-who")).to_have_text("Je praat met Anna, medewerker van de gemeente.")
        await expect(page.locator(".gc-callback")).to_be_hidden()

        typing = {"type": "typing", "id": "typing-1", "conversation_id": conversation_id}
        await anna.send({**typing, "active": True})  # ephemeral: no ack
        await expect(page.locator(".gc-typing")).to_have_text("Anna typt…")
        sent = await anna.request({"type": "message", "conversation_id": conversation_id, "text": XSS})
        assert sent["type"] == "ack", sent
        agent_message = log_items(page, "li.gc-agent")
        await expect(agent_message.locator(".gc-bubble")).to_have_text(XSS)
        await expect(agent_message.locator(".gc-author")).to_have_text("Anna (medewerker)")
        assert await page.locator("img").count() == 0

        await page.locator("#gc-input").fill("Ik wil de energietoeslag aanvragen.")
        await page.locator("#gc-input").press("Enter")
        await anna.wait_for(lambda e: e["type"] == "message" and e.get("text") == "Ik wil de energietoeslag aanvragen.")

        async with httpx.AsyncClient(base_url=service.http, cookies=agent.cookies) as http:
            response = await http.post(
                f"/api/conversations/{conversation_id}/concept-requests",
                json={"type": "energiesubsidie", "data": {"woonsituatie": "huurder"}},
                headers={"X-CSRF-Token": agent.csrf},
            )
        assert response.status_code == 201, response.text
        link = page.locator("a.gc-linkbutton")
        await expect(link).to_have_text("Verder in MijnGemeente")
        href = await link.get_attribute("href")
        assert href and href.startswith(service.http + "/mijn/aanvraag/"), href

        closed = await anna.request(
            {
                "type": "close",
                "conversation_id": conversation_id,
                "outcome": "opgelost",
                "summary": "Aanvraag energietoeslag klaargezet.",
            }
        )
        assert closed["type"] == "ack", closed
    finally:
        await anna.close()

    # The satisfaction question takes focus (the message field is gone); answer 4 by keyboard.
    await expect(page.locator(".gc-feedback")).to_be_visible()
    await expect(page.locator("#gc-input")).to_be_hidden()
    first = page.locator(".gc-score input").first
    await expect(first).to_be_focused()
    for _ in range(3):
        await page.keyboard.press("ArrowRight")
    await expect(page.locator(".gc-score input").nth(3)).to_be_checked()
    await page.keyboard.press("Tab")
    await expect(page.locator("#gc-comment")).to_be_focused()
    await page.keyboard.type("Snel geholpen")
    await page.keyboard.press("Tab")
    await page.keyboard.press("Enter")
    await expect(page.locator(".gc-feedback .gc-thanks")).to_be_focused()

    async def feedback() -> tuple[int | None, str | None] | None:
        async with db.sessions() as session:
            row = await session.get(Conversation, conversation_id)
            await session.refresh(row)
        return (row.feedback_score, row.feedback_comment) if row.feedback_score else None

    assert await eventually(feedback, what="the stored feedback") == (4, "Snel geholpen")
    assert page.dialogs == []  # type: ignore[attr-defined]
