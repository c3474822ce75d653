"""The whole live handover in Chromium against the real service, Redis, SQL and trained Rasa.

A resident on the demo page asks the assistant for a person; agent Anna (klantcontact) takes the
offered chat in the console, they talk both ways, Anna transfers it to Burgerzaken with a note;
agent Bram picks it up with the full history and closes it with an outcome and a summary.
"""

from __future__ import annotations

import pytest
from console_support import axe_violations, log_in
from playwright.async_api import Browser, Page, expect
from sqlalchemy import select

from handover.services import agents
from handover.store.db import Database
from handover.store.models import Conversation

pytestmark = [pytest.mark.browser, pytest.mark.rasa]
PASSWORD = "een-lang-wachtwoord-2024"


async def console_for(browser: Browser, base: str, username: str) -> Page:
    context = await browser.new_context(viewport={"width": 1400, "height": 900}, locale="nl-NL")
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.errors = errors  # type: ignore[attr-defined]
    await page.goto(f"{base}/console")
    await log_in(page, username, PASSWORD)
    await expect(page.locator("#connection")).to_have_text("Verbonden")
    # Keyboard: Alt+P to the presence selector, then choose "Online" (a native select).
    await page.keyboard.press("Alt+P")
    await expect(page.locator("#presence")).to_be_focused()
    await page.locator("#presence").select_option("online")
    await expect(page.locator("#announcer")).to_contain_text("Je status is nu Online.")
    return page


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_resident_to_agent_transfer_to_colleague_and_close(
    browser: Browser, start_service, database_url: str, db: Database, rasa
) -> None:
    service = start_service(database_url, rasa_url=rasa.url)
    await agents.create_agent(db.sessions, "anna", "Anna Jansen", PASSWORD, ["klantcontact"])
    await agents.create_agent(db.sessions, "bram", "Bram de Boer", PASSWORD, ["burgerzaken"])

    anna = await console_for(browser, service.http, "anna")
    assert await axe_violations(anna) == []

    # The resident asks the assistant for a person.
    resident_context = await browser.new_context(locale="nl-NL")
    resident = await resident_context.new_page()
    await resident.goto(f"{service.http}/?utm_source=facebook&utm_campaign=paspoort")
    await expect(resident.locator("#status")).to_have_text("Verbonden.")
    await resident.get_by_label("Je bericht").fill("Ik wil een medewerker spreken")
    await resident.get_by_label("Je bericht").press("Enter")
    log = resident.locator("#log")
    await expect(log).to_contain_text("Ik zet je door naar een medewerker", timeout=30_000)

    # Anna is offered the chat (or sees it in the queue) and takes it with Alt+A.
    await expect(anna.locator("#offers, #queue-teams .queue-item").first).to_be_visible(timeout=15_000)
    await anna.keyboard.press("Alt+A")
    await expect(anna.locator("#conversation-title")).to_contain_text("in gesprek", timeout=10_000)
    transcript = anna.locator("#transcript")
    await expect(transcript.locator(".event--resident").first).to_contain_text("Ik wil een medewerker spreken")
    await expect(transcript.locator(".event--bot .badge--bot").first).to_have_text("bot")
    await expect(anna.locator("#context-list")).to_contain_text(f"{service.http}/?utm_source=facebook")
    await expect(anna.locator("#message")).to_be_focused()
    assert await axe_violations(anna) == []

    # Both ways: Anna types (the resident sees it), sends; the resident answers.
    await anna.keyboard.type("Goedemiddag, u spreekt met Anna.")
    await expect(resident.locator("#typing")).not_to_have_text("")
    await anna.keyboard.press("Control+Enter")
    await expect(log).to_contain_text("Goedemiddag, u spreekt met Anna.")
    await expect(log.locator("li.agent .who").last).to_have_text("Anna Jansen")
    await resident.get_by_label("Je bericht").fill("Mijn paspoort is verlopen en ik reis volgende week.")
    await resident.get_by_label("Je bericht").press("Enter")
    await expect(transcript).to_contain_text("Mijn paspoort is verlopen en ik reis volgende week.")
    await expect(anna.locator("#announcer")).to_contain_text("Inwoner: Mijn paspoort is verlopen")

    # A private note, then a transfer to Burgerzaken with a note for the colleague.
    await anna.keyboard.press("Alt+N")
    await anna.keyboard.type("Spoed: reist volgende week")
    await anna.keyboard.press("Control+Enter")
    await expect(transcript.locator(".event--note")).to_contain_text("Spoed: reist volgende week")

    bram = await console_for(browser, service.http, "bram")
    await anna.keyboard.press("Alt+T")
    await expect(anna.get_by_role("dialog", name="Doorverbinden")).to_be_visible()
    await anna.locator("#transfer-team").select_option("burgerzaken")
    await anna.locator("#transfer-note").focus()
    await anna.keyboard.type("Graag overnemen: spoedaanvraag paspoort")
    await anna.keyboard.press("Tab")  # to "Doorverbinden"
    await expect(anna.get_by_role("button", name="Doorverbinden", exact=True).last).to_be_focused()
    await anna.keyboard.press("Enter")
    await expect(anna.locator("#chat-list li")).to_have_count(0, timeout=10_000)
    await expect(anna.locator("#announcer")).to_contain_text("doorverbonden")

    # Bram takes it and sees the whole history, including Anna's notes.
    await expect(bram.locator("#offers, #queue-teams .queue-item").first).to_be_visible(timeout=15_000)
    await bram.keyboard.press("Alt+A")
    await expect(bram.locator("#conversation-title")).to_contain_text("Burgerzaken", timeout=10_000)
    history = bram.locator("#transcript")
    await expect(history).to_contain_text("Ik wil een medewerker spreken")
    await expect(history.locator(".event--bot").first).to_be_visible()
    await expect(history).to_contain_text("Goedemiddag, u spreekt met Anna.")
    await expect(history).to_contain_text("Mijn paspoort is verlopen en ik reis volgende week.")
    await expect(history.locator(".event--note")).to_contain_text(
        ["Spoed: reist volgende week", "Graag overnemen: spoedaanvraag paspoort"]
    )
    await bram.keyboard.type("Ik neem het van Anna over.")
    await bram.keyboard.press("Control+Enter")
    await expect(log).to_contain_text("Ik neem het van Anna over.")
    assert "Spoed: reist volgende week" not in await log.text_content()

    # Bram closes with an outcome and a summary.
    await bram.keyboard.press("Alt+C")
    await expect(bram.get_by_role("dialog", name="Gesprek afsluiten")).to_be_visible()
    await bram.locator("#close-outcome").select_option("opgelost")
    await bram.locator("#close-summary").fill("Spoedafspraak paspoort gemaakt.")
    await bram.locator("#close-summary").press("Tab")
    await bram.keyboard.press("Enter")
    await expect(bram.locator("#chat-list li")).to_have_count(0, timeout=10_000)

    async with db.sessions() as session:
        conversation = (await session.execute(select(Conversation))).scalar_one()
    assert conversation.state == "closed"
    assert (conversation.outcome, conversation.summary) == ("opgelost", "Spoedafspraak paspoort gemaakt.")
    for page in (anna, bram):
        assert page.errors == []  # type: ignore[attr-defined]
    for page in (anna, bram, resident):
        await page.context.close()
