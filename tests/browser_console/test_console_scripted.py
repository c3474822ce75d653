"""The agent console against a scripted /ws/agent: every action by keyboard, frames checked exactly."""

from __future__ import annotations

import asyncio
import os

import pytest
from conftest import ORIGIN, ScriptedConsole, axe_violations, log_in
from playwright.async_api import BrowserContext, Page, expect

pytestmark = pytest.mark.browser

XSS = '<img src=x onerror="window.pwned=1">'


async def open_logged_in(scripted: ScriptedConsole) -> Page:
    page = scripted.page
    await page.goto(f"{ORIGIN}/console")
    await log_in(page, "sanne", "geheim-wachtwoord")
    await expect(page.locator("#connection")).to_have_text("Verbonden")
    return page


def seed(scripted: ScriptedConsole) -> None:
    scripted.add_conversation(
        "c1", "paspoort",
        context={"page": "https://www.example.nl/paspoort", "channel": "social",
                 "utm": {"source": "facebook", "campaign": "energiesubsidie"}},
        form={"naam": "Fatima", "woont_in_gemeente": True},
        handover={"reason": "wil een medewerker", "summary": "Vraag over spoedaanvraag"},
        transcript=[
            {"type": "message", "author": "resident", "text": "Ik wil een paspoort"},
            {"type": "message", "author": "bot", "text": "Wil je een afspraak maken?",
             "buttons": [{"title": "Ja", "payload": "/bevestig"}, {"title": "Nee", "payload": "/ontken"}]},
            {"type": "message", "author": "resident", "text": XSS},
            {"type": "state", "state": "queued", "team": "burgerzaken"},
        ],
    )
    scripted.add_conversation("c2", "grofvuil", team="afval", transcript=[
        {"type": "message", "author": "resident", "text": "Wanneer komt het grofvuil?"},
        {"type": "state", "state": "queued", "team": "afval"},
    ])


async def test_login_page_is_accessible_and_rejects_a_wrong_password(scripted: ScriptedConsole) -> None:
    page = scripted.page
    await page.goto(f"{ORIGIN}/console")
    await expect(page.get_by_role("heading", name="Inloggen")).to_be_visible()
    assert await axe_violations(page) == []
    await expect(page.get_by_label("Gebruikersnaam")).to_be_focused()

    await log_in(page, "sanne", "fout")
    await expect(page.locator("#login-error")).to_have_text("Gebruikersnaam of wachtwoord klopt niet.")
    await expect(page.get_by_label("Wachtwoord")).to_be_focused()

    await log_in(page, "sanne", "geheim-wachtwoord")
    await expect(page.locator("#agent-name")).to_have_text("Sanne de Vries")
    await expect(page.locator("#connection")).to_have_text("Verbonden")
    await expect(page.locator("#callback-list")).to_contain_text("Piet <b>Jansen</b>")  # as text

    await page.get_by_role("button", name="Uitloggen").click()
    await expect(page.get_by_role("heading", name="Inloggen")).to_be_visible()
    await expect(page.locator("#login-error")).to_have_text("Je bent uitgelogd.")


async def test_keyboard_only_agent_journey(scripted: ScriptedConsole) -> None:
    seed(scripted)
    page = await open_logged_in(scripted)
    kb = page.keyboard

    # The queue: waiting time counts up client-side from waiting_seconds.
    scripted.push({"type": "queue", "teams": {
        "burgerzaken": [{"conversation_id": "c1", "position": 1, "waiting_seconds": 65, "topic": "paspoort",
                         "reason": "wil een medewerker", "priority": False}],
        "afval": [{"conversation_id": "c2", "position": 1, "waiting_seconds": 10, "topic": "grofvuil",
                   "reason": "vraag", "priority": False}],
    }})
    queue = page.locator("#queue-teams")
    await expect(queue).to_contain_text("Burgerzaken (1)")
    await expect(queue).to_contain_text("wacht 1 min 05 s")
    await expect(queue).to_contain_text("wacht 1 min 07 s", timeout=4000)
    await expect(page.locator("#announcer")).to_contain_text("2 nieuwe chats in de wachtrij.")

    # Alt+A takes the longest waiting chat and puts the cursor in the message box.
    await kb.press("Alt+A")
    accept = await scripted.wait_frame(lambda f: f["type"] == "accept")
    assert accept["conversation_id"] == "c1"
    message_box = page.locator("#message")
    await expect(message_box).to_be_focused()
    transcript = page.locator("#transcript")
    await expect(transcript.locator(".event--bot")).to_contain_text("Wil je een afspraak maken?")
    await expect(transcript.locator(".event--bot .badge--bot")).to_have_text("bot")
    await expect(transcript.locator(".event--bot")).to_contain_text("Knoppen: Ja | Nee")
    await expect(transcript).to_contain_text(XSS)
    assert await transcript.locator("img").count() == 0
    assert await page.evaluate("window.pwned") is None
    context_list = page.locator("#context-list")
    await expect(context_list).to_contain_text("source: facebook, campaign: energiesubsidie")
    await expect(context_list).to_contain_text("https://www.example.nl/paspoort")
    await expect(context_list).to_contain_text("Vraag over spoedaanvraag")
    await expect(page.locator("#form-list")).to_contain_text("woont in gemeente")
    await expect(page.locator("#form-list")).to_contain_text("ja")
    read = await scripted.wait_frame(lambda f: f["type"] == "read" and f["conversation_id"] == "c1")
    assert read["seq"] == scripted.seq["c1"]

    # Typing is sent once per burst (not per key), then off when the message goes.
    await kb.type("Goedemiddag, ik kijk even mee.")
    await kb.press("Control+Enter")
    sent = await scripted.wait_frame(lambda f: f["type"] == "message")
    assert sent == {"type": "message", "id": sent["id"], "conversation_id": "c1",
                    "text": "Goedemiddag, ik kijk even mee."}
    typing = [f for f in scripted.frames if f["type"] == "typing"]
    assert [f["active"] for f in typing] == [True, False]
    await expect(transcript.locator(".event--agent")).to_contain_text("Goedemiddag, ik kijk even mee.")
    await expect(message_box).to_have_value("")

    # The resident types and answers; a screen reader hears the message.
    scripted.push({"type": "typing", "conversation_id": "c1", "seq": scripted.seq["c1"], "author": "resident",
                   "active": True})
    await expect(page.locator("#resident-typing")).to_have_text("Inwoner is aan het typen…")
    scripted.say("c1", "resident", "Dank je, het is spoed.")
    await expect(page.locator("#resident-typing")).to_have_text("")
    await expect(page.locator("#announcer")).to_contain_text("Inwoner: Dank je, het is spoed.")
    await scripted.wait_frame(lambda f: f["type"] == "read" and f["seq"] == scripted.seq["c1"])

    # Canned response with placeholders filled from the form and the agent.
    await kb.press("Alt+R")
    await expect(page.locator("#canned")).to_be_focused()
    await kb.press("ArrowDown")
    await kb.press("Enter")
    await expect(message_box).to_have_value("Hallo Fatima, ik ben Sanne de Vries. Ik help je met paspoort.")
    await expect(message_box).to_be_focused()
    await kb.press("Control+a")
    await kb.press("Delete")

    # A private note.
    await kb.press("Alt+N")
    await expect(page.locator("#note-mode")).to_be_checked()
    await expect(page.get_by_label("Interne notitie (alleen voor medewerkers)")).to_be_focused()
    await kb.type("Spoedaanvraag, let op reisdatum")
    await kb.press("Control+Enter")
    note = await scripted.wait_frame(lambda f: f["type"] == "note")
    assert note["text"] == "Spoedaanvraag, let op reisdatum"
    await expect(transcript.locator(".event--note")).to_contain_text("Notitie van Sanne de Vries")
    await expect(page.locator("#note-mode")).not_to_be_checked()

    # An offer: Alt+A accepts it; two chats, switch with Alt+1/Alt+2, unread counts.
    scripted.push({"type": "offer", "conversation_id": "c2", "team": "afval", "expires_in_seconds": 30})
    await expect(page.locator("#offers")).to_contain_text("Chat voor Afval")
    await expect(page.locator("#offers")).to_contain_text("nog 3")
    await kb.press("Alt+A")
    await scripted.wait_frame(lambda f: f["type"] == "accept" and f["conversation_id"] == "c2")
    await expect(page.locator("#conversation-title")).to_contain_text("grofvuil")
    await expect(page.locator("#offers")).to_be_hidden()
    await kb.press("Alt+1")
    await expect(page.locator("#conversation-title")).to_contain_text("paspoort")
    scripted.say("c2", "resident", "Hallo?")
    unread = page.locator("#chat-list .badge--unread")
    await expect(unread).to_have_attribute("aria-label", "1 ongelezen bericht")
    frames_before = len(scripted.frames)
    await kb.press("Alt+2")
    await expect(unread).to_have_count(0)
    await scripted.wait_frame(lambda f: scripted.frames.index(f) >= frames_before and f["type"] == "read"
                              and f["conversation_id"] == "c2" and f["seq"] == scripted.seq["c2"])

    # The socket drops: the console reconnects and reopens both chats from their last seq.
    opened_before = len([f for f in scripted.frames if f["type"] == "open"])
    await scripted.ws.close(code=1012)
    await expect(page.locator("#connection")).to_have_text("Verbonden", timeout=5000)
    opens = [await scripted.wait_frame(lambda f, c=c: f["type"] == "open" and f["conversation_id"] == c)
             for c in ("c1", "c2")]
    assert len([f for f in scripted.frames if f["type"] == "open"]) == opened_before + 2
    assert [o["last_seq"] for o in opens] == [scripted.seq["c1"], scripted.seq["c2"]]
    await expect(transcript).to_contain_text("Hallo?")

    # Transfer chat 2 to another team with a note, all by keyboard.
    await kb.press("Alt+T")
    dialog = page.get_by_role("dialog", name="Doorverbinden")
    await expect(dialog).to_be_visible()
    await expect(page.locator("#transfer-team")).to_be_focused()
    await page.locator("#transfer-team").select_option("burgerzaken")  # the keyboard path is the native select
    await kb.press("Tab")
    await kb.type("Vraag is eigenlijk voor burgerzaken")
    await kb.press("Tab")
    await kb.press("Enter")
    transfer = await scripted.wait_frame(lambda f: f["type"] == "transfer")
    assert (transfer["conversation_id"], transfer["team"], transfer["note"]) == (
        "c2", "burgerzaken", "Vraag is eigenlijk voor burgerzaken")
    await expect(page.locator("#chat-list li")).to_have_count(1)
    await expect(page.locator("#conversation-title")).to_contain_text("paspoort")

    # Close chat 1 with an outcome and summary.
    await page.locator("#message").focus()
    await kb.press("Alt+C")
    await expect(page.get_by_role("dialog", name="Gesprek afsluiten")).to_be_visible()
    await page.locator("#close-outcome").select_option("terugbelverzoek")
    await page.locator("#close-summary").focus()
    await kb.press("Control+a")
    await kb.type("Spoedaanvraag uitgelegd, terugbellen over afspraak")
    await kb.press("Tab")
    await kb.press("Enter")
    close = await scripted.wait_frame(lambda f: f["type"] == "close")
    assert (close["conversation_id"], close["outcome"], close["summary"]) == (
        "c1", "terugbelverzoek", "Spoedaanvraag uitgelegd, terugbellen over afspraak")
    await expect(page.locator("#chat-list li")).to_have_count(0)
    await expect(page.locator("#conversation-empty")).to_be_visible()

    # Presence by keyboard.
    await kb.press("Alt+P")
    await expect(page.locator("#presence")).to_be_focused()
    await page.locator("#presence").select_option("pauze")
    presence = await scripted.wait_frame(lambda f: f["type"] == "presence")
    assert presence["status"] == "pauze"


async def test_help_dialog_opens_with_question_mark_and_returns_focus(scripted: ScriptedConsole) -> None:
    page = await open_logged_in(scripted)
    await page.get_by_role("button", name="Volgende aannemen").focus()
    await page.keyboard.press("Shift+Slash")  # "?" on a US layout
    dialog = page.get_by_role("dialog", name="Sneltoetsen")
    await expect(dialog).to_be_visible()
    await expect(dialog).to_contain_text("Volgende chat aannemen")
    assert await axe_violations(page) == []
    await page.keyboard.press("Escape")
    await expect(dialog).to_be_hidden()
    await expect(page.get_by_role("button", name="Volgende aannemen")).to_be_focused()
    await page.get_by_role("button", name="Sneltoetsen").click()
    await expect(dialog).to_be_visible()
    await page.get_by_role("button", name="Sluiten").click()
    await expect(dialog).to_be_hidden()


async def test_logged_in_view_with_a_chat_is_accessible_and_fits_at_200_percent(
    scripted: ScriptedConsole, context: BrowserContext
) -> None:
    seed(scripted)
    page = await open_logged_in(scripted)
    scripted.push({"type": "queue", "teams": {"afval": [{"conversation_id": "c2", "position": 1,
                   "waiting_seconds": 3, "topic": "grofvuil", "reason": "vraag", "priority": True}]}})
    scripted.push({"type": "offer", "conversation_id": "c2", "team": "afval", "expires_in_seconds": 30})
    await page.get_by_role("button", name="Volgende aannemen").click()  # takes the offer
    await expect(page.locator("#conversation-title")).to_contain_text("grofvuil")
    scripted.ws.send('{"type":"accept-me-not"}')  # unknown events are ignored
    await page.evaluate("document.getElementById('note-mode').click()")
    await page.locator("#message").fill("Concept")
    assert await axe_violations(page) == []
    if os.environ.get("CONSOLE_SCREENSHOTS"):
        await page.screenshot(path=os.environ["CONSOLE_SCREENSHOTS"] + "/console.png", full_page=True)

    # 200% zoom of a 1280x900 screen is a 640x450 CSS viewport: nothing scrolls sideways.
    await page.set_viewport_size({"width": 640, "height": 450})
    await asyncio.sleep(0.2)
    overflow = await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    await expect(page.locator("#send")).to_be_visible()
    assert await axe_violations(page) == []
    if os.environ.get("CONSOLE_SCREENSHOTS"):
        await page.screenshot(path=os.environ["CONSOLE_SCREENSHOTS"] + "/console-200.png", full_page=True)
