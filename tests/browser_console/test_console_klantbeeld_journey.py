"""Klantbeeld and a concept request in the real console, against the real service and database.

Handover only (no Rasa needed): the resident on the demo page asks for a person over the real
resident socket; agent Anna takes the chat, opens the klantbeeld (audited), prepares an
energiesubsidie request with an edited answer and publishes it; the resident sees the link message
and the concept_requests row holds what Anna typed.
"""

from __future__ import annotations

import pytest
from console_support import axe_violations
from playwright.async_api import Browser, expect
from sqlalchemy import select, update
from test_console_journey import PASSWORD, console_for
from waiting import eventually

from handover.services import agents
from handover.store.db import Database
from handover.store.models import AuditEntry, ConceptRequest, Conversation

pytestmark = pytest.mark.browser

# Keeps a handle on the demo page's socket so the test can press "request_human" as a widget would.
CAPTURE_SOCKET = """
(() => {
  const Native = window.WebSocket;
  window.__sockets = [];
  window.WebSocket = function (url, protocols) {
    const socket = new Native(url, protocols);
    window.__sockets.push(socket);
    return socket;
  };
  window.WebSocket.prototype = Native.prototype;
  Object.assign(window.WebSocket, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });
})();
"""
# What the assistant's energiesubsidie check would have left on the conversation.
CHECK_ANSWERS = {"naam": "Fatima", "woonsituatie": "huiseigenaar", "inkomen_onder_grens": True}


async def wait_state(db: Database, state: str) -> Conversation:
    async def reached() -> Conversation | None:
        async with db.sessions() as session:
            conversation = (await session.execute(select(Conversation))).scalar_one_or_none()
        return conversation if conversation is not None and conversation.state == state else None

    return await eventually(reached, what=f"a conversation in state {state!r}")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_klantbeeld_and_concept_request_reach_the_resident(
    browser: Browser, start_service, database_url: str, db: Database
) -> None:
    service = start_service(database_url)  # Rasa unreachable: the resident asks for a person directly
    await agents.create_agent(db.sessions, "anna", "Anna Jansen", PASSWORD, ["klantcontact"])
    anna = await console_for(browser, service.http, "anna")

    resident_context = await browser.new_context(locale="nl-NL")
    await resident_context.add_init_script(CAPTURE_SOCKET)
    resident = await resident_context.new_page()
    await resident.goto(f"{service.http}/")
    await expect(resident.locator("#status")).to_have_text("Verbonden.")
    await resident.get_by_label("Je bericht").fill("Ik wil energiesubsidie aanvragen")
    await resident.get_by_label("Je bericht").press("Enter")
    log = resident.locator("#log")
    await expect(log).to_contain_text("Ik wil energiesubsidie aanvragen")
    await resident.evaluate("window.__sockets.at(-1).send(JSON.stringify({type: 'request_human', id: 'rh-1'}))")
    conversation = await wait_state(db, "queued")
    async with db.sessions.begin() as session:
        await session.execute(
            update(Conversation)
            .where(Conversation.id == conversation.id)
            .values(topic="energiesubsidie", form=CHECK_ANSWERS)
        )

    await expect(anna.locator("#offers, #queue-teams .queue-item").first).to_be_visible(timeout=15_000)
    await anna.keyboard.press("Alt+A")
    await expect(anna.locator("#conversation-title")).to_contain_text("in gesprek", timeout=10_000)
    await expect(anna.locator("#form-list")).to_contain_text("huiseigenaar")

    # Klantbeeld: opened on request only, and the opening is in the audit log.
    async with db.sessions() as session:
        assert (await session.execute(select(AuditEntry))).scalars().all() == []
    await anna.keyboard.press("Alt+K")
    panel = anna.get_by_role("region", name="Klantbeeld")
    await expect(panel).to_contain_text("Onbekende inwoner: nog niet ingelogd")
    await expect(panel).to_contain_text("Geen eerdere contacten.")
    async with db.sessions() as session:
        audit = (await session.execute(select(AuditEntry))).scalars().all()
    assert [(a.action, a.conversation_id) for a in audit] == [("klantbeeld.view", conversation.id)]
    assert audit[0].actor.startswith("agent:")
    assert await axe_violations(anna) == []

    # The concept request: type preselected from the topic, one answer edited, published.
    await anna.keyboard.press("Alt+Q")
    dialog = anna.get_by_role("dialog", name="Aanvraag klaarzetten")
    await expect(dialog).to_be_visible()
    await expect(anna.locator("#request-type")).to_have_value("energiesubsidie")
    await expect(anna.locator("#request-type")).to_be_focused()
    answer = dialog.get_by_label("woonsituatie", exact=True)
    await expect(answer).to_have_value("huiseigenaar")
    assert await axe_violations(anna) == []
    await answer.focus()
    await anna.keyboard.press("Control+a")
    await anna.keyboard.type("huurder, vraagt toestemming verhuurder")
    await anna.keyboard.press("Enter")
    await expect(dialog).to_be_hidden(timeout=10_000)
    await expect(anna.locator("#request-confirmation")).to_contain_text("is klaargezet")
    link = anna.locator("#transcript .event--agent").last
    await expect(link).to_contain_text("Ik heb de aanvraag 'Energiesubsidie' voor je klaargezet.")
    await expect(link).to_contain_text("Link voor de inwoner: Verder in MijnGemeente")
    await expect(link).not_to_contain_text("/mijn/aanvraag/")
    # The open panel reloads after publishing (a second, audited view) and lists the new request.
    await expect(anna.get_by_role("list", name="Aanvragen")).to_contain_text("EnergiesubsidieKlaar om in te vullen")

    # The resident sees the message with the link; the row holds what Anna edited.
    await expect(log).to_contain_text("Ik heb de aanvraag 'Energiesubsidie' voor je klaargezet.", timeout=10_000)
    async with db.sessions() as session:
        request = (await session.execute(select(ConceptRequest))).scalar_one()
    assert (request.conversation_id, request.request_type, request.title, request.status) == (
        conversation.id,
        "energiesubsidie",
        "Energiesubsidie",
        "open",
    )
    assert request.data == {
        "naam": "Fatima",
        "woonsituatie": "huurder, vraagt toestemming verhuurder",
        "inkomen_onder_grens": True,
    }

    # The transcript link (same session) serves the conversation as text, also audited.
    href = await anna.locator("#transcript-link").get_attribute("href")
    transcript = await anna.request.get(f"{service.http}{href}")
    assert transcript.ok and "Ik heb de aanvraag 'Energiesubsidie'" in await transcript.text()
    async with db.sessions() as session:
        actions = [a.action for a in (await session.execute(select(AuditEntry).order_by(AuditEntry.id))).scalars()]
    assert actions == ["klantbeeld.view", "concept_request.publish", "klantbeeld.view", "transcript.view"]

    assert anna.errors == []  # type: ignore[attr-defined]
    for page in (anna, resident):
        await page.context.close()
