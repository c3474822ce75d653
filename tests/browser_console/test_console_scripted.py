"""The agent console against a scripted /ws/agent: every action by keyboard, frames checked exactly."""

from __future__ import annotations

import os

import pytest
from console_support import ORIGIN, ScriptedConsole, axe_violations, log_in
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
        "c1",
        "paspoort",
        context={
            "page": "https://www.example.nl/paspoort",
            "channel": "social",
            "utm": {"source": "facebook", "campaign": "energiesubsidie"},
        },
        form={"naam": "Fatima", "woont_in_gemeente": True},
        handover={"reason": "wil een medewerker", "summary": "Vraag over spoedaanvraag"},
        transcript=[
            {"type": "message", "author": "resident", "text": "Ik wil een paspoort"},
            {
                "type": "message",
                "author": "bot",
                "text": "Wil je een afspraak maken?",
                "buttons": [{"title": "Ja", "payload": "/bevestig"}, {"title": "Nee", "payload": "/ontken"}],
            },
            {"type": "message", "author": "resident", "text": XSS},
            {"type": "state", "state": "queued", "team": "burgerzaken"},
        ],
    )
    scripted.add_conversation(
        "c2",
        "grofvuil",
        team="afval",
        transcript=[
            {"type": "message", "author": "resident", "text": "Wanneer komt het grofvuil?"},
            {"type": "state", "state": "queued", "team": "afval"},
        ],
    )


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
    scripted.push(
        {
            "type": "queue",
            "teams": {
                "burgerzaken": [
                    {
                        "conversation_id": "c1",
                        "position": 1,
                        "waiting_seconds": 65,
                        "topic": "paspoort",
                        "reason": "wil een medewerker",
                        "priority": False,
                    }
                ],
                "afval": [
                    {
                        "conversation_id": "c2",
                        "position": 1,
                        "waiting_seconds": 10,
                        "topic": "grofvuil",
                        "reason": "vraag",
                        "priority": False,
                    }
                ],
            },
        }
    )
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
    assert sent == {
        "type": "message",
        "id": sent["id"],
        "conversation_id": "c1",
        "text": "Goedemiddag, ik kijk even mee.",
    }
    typing = [f for f in scripted.frames if f["type"] == "typing"]
    assert [f["active"] for f in typing] == [True, False]
    await expect(transcript.locator(".event--agent")).to_contain_text("Goedemiddag, ik kijk even mee.")
    await expect(message_box).to_have_value("")

    # The resident types and answers; a screen reader hears the message.
    scripted.push(
        {"type": "typing", "conversation_id": "c1", "seq": scripted.seq["c1"], "author": "resident", "active": True}
    )
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
    await scripted.wait_frame(
        lambda f: (
            scripted.frames.index(f) >= frames_before
            and f["type"] == "read"
            and f["conversation_id"] == "c2"
            and f["seq"] == scripted.seq["c2"]
        )
    )

    # The socket drops: the console reconnects and reopens both chats from their last seq.
    opened_before = len([f for f in scripted.frames if f["type"] == "open"])
    await scripted.ws.close(code=1012)
    await expect(page.locator("#connection")).to_have_text("Verbonden", timeout=5000)
    opens = [
        await scripted.wait_frame(lambda f, c=c: f["type"] == "open" and f["conversation_id"] == c)
        for c in ("c1", "c2")
    ]
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
        "c2",
        "burgerzaken",
        "Vraag is eigenlijk voor burgerzaken",
    )
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
        "c1",
        "terugbelverzoek",
        "Spoedaanvraag uitgelegd, terugbellen over afspraak",
    )
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
    scripted.push(
        {
            "type": "queue",
            "teams": {
                "afval": [
                    {
                        "conversation_id": "c2",
                        "position": 1,
                        "waiting_seconds": 3,
                        "topic": "grofvuil",
                        "reason": "vraag",
                        "priority": True,
                    }
                ]
            },
        }
    )
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
    await page.wait_for_function("window.innerWidth === 640 && document.documentElement.clientWidth <= 640")
    overflow = await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    await expect(page.locator("#send")).to_be_visible()
    assert await axe_violations(page) == []
    if os.environ.get("CONSOLE_SCREENSHOTS"):
        await page.screenshot(path=os.environ["CONSOLE_SCREENSHOTS"] + "/console-200.png", full_page=True)


async def test_an_ended_session_shows_the_login_and_logout_closes_the_socket(scripted: ScriptedConsole) -> None:
    # The widget's reconnecting connection hands the close code on: 4401 is "log in again".
    await scripted.page.add_init_script("""
      window.__closes = [];
      const close = WebSocket.prototype.close;
      WebSocket.prototype.close = function (code) { window.__closes.push(code); return close.apply(this, arguments); };
    """)
    page = await open_logged_in(scripted)
    await scripted.ws.close(code=4401)
    await expect(page.locator("#login-view")).to_be_visible()
    await expect(page.locator("#login-error")).to_have_text("Je sessie is verlopen. Log opnieuw in.")
    await expect(page.get_by_label("Gebruikersnaam")).to_be_focused()

    # Logging in again connects again (a new hello); logging out closes that socket normally, once.
    await page.evaluate("document.getElementById('connection').textContent = ''")
    await log_in(page, "sanne", "geheim-wachtwoord")
    await expect(page.locator("#connection")).to_have_text("Verbonden")
    assert len(scripted.sockets) == 2
    await page.get_by_role("button", name="Uitloggen").click()
    await expect(page.locator("#login-error")).to_have_text("Je bent uitgelogd.")
    await page.wait_for_function("window.__closes.length === 1 && window.__closes[0] === 1000")


# --- klantbeeld and concept requests -----------------------------------------------------------

ENERGY_FORM = {"naam": "Fatima", "woonsituatie": "huiseigenaar", "inkomen_onder_grens": True, "aantal_personen": 3}
KNOWN_RESIDENT = {
    "identified": True,
    "partij": {
        "id": 4,
        "name": "Fatima El Amrani",
        "identifier": "BSN *******42",
        "email": "fatima@example.nl",
        "phone": None,
        "preferred_language": "nl",
        "preferred_channel": "email",
    },
    "contacts": [
        {
            "id": 1,
            "kanaal": "chat",
            "onderwerp": "afval grofvuil",
            "summary": XSS,
            "outcome": "opgelost",
            "agent": "Bram de Boer",
            "closed_at": "2024-03-12T09:30:00Z",
        }
    ],
    "requests": [
        {
            "id": 8,
            "type": "parkeervergunning",
            "title": "Parkeervergunning",
            "status": "ingediend",
            "status_text": "Ingediend",
            "data": {},
            "created_at": "2024-04-02T10:00:00Z",
            "expires_at": "2024-04-16T10:00:00Z",
            "submitted_at": "2024-04-03T08:00:00Z",
        }
    ],
    "callbacks": [{"id": 3, "status": "open", "message": "Bel me na 17 uur"}],
}


async def accepted_energy_chat(scripted: ScriptedConsole) -> Page:
    scripted.add_conversation(
        "c3",
        "energiesubsidie",
        team="burgerzaken",
        form=dict(ENERGY_FORM),
        handover={"reason": "check klaar", "summary": "Energiesubsidie: check gedaan"},
        transcript=[
            {"type": "message", "author": "resident", "text": "Ik wil energiesubsidie aanvragen"},
            {"type": "state", "state": "queued", "team": "burgerzaken"},
        ],
    )
    scripted.klantbeeld["c3"] = KNOWN_RESIDENT
    page = await open_logged_in(scripted)
    scripted.push(
        {
            "type": "queue",
            "teams": {
                "burgerzaken": [
                    {
                        "conversation_id": "c3",
                        "position": 1,
                        "waiting_seconds": 5,
                        "topic": "energiesubsidie",
                        "reason": "check klaar",
                        "priority": False,
                    }
                ]
            },
        }
    )
    await expect(page.locator("#queue-teams")).to_contain_text("energiesubsidie")
    await page.keyboard.press("Alt+A")
    await expect(page.locator("#message")).to_be_focused()
    return page


async def test_klantbeeld_panel_labels_other_channels_and_says_when_open_klant_is_down(
    scripted: ScriptedConsole,
) -> None:
    phone = {
        "id": None,
        "source": "openklant",
        "kanaal": "telefoon",
        "onderwerp": "Afvalpas kwijt",
        "summary": "Gebeld over de afvalpas",
        "outcome": None,
        "agent": None,
        "closed_at": "2024-05-02T09:00:00Z",
    }
    page = await accepted_energy_chat(scripted)
    scripted.klantbeeld["c3"] = {
        **KNOWN_RESIDENT,
        "contacts": [phone, *KNOWN_RESIDENT["contacts"]],
        "other_channels": {"status": "ok", "note": None, "count": 1},
    }
    await page.keyboard.press("Alt+K")
    contacts = page.get_by_role("list", name="Eerdere contacten")
    await expect(contacts.locator("li").first).to_contain_text("Afvalpas kwijt")
    await expect(contacts.locator("li").first).to_contain_text("telefoon · uit Open Klant")
    await expect(contacts.locator("li").nth(1)).not_to_contain_text("uit Open Klant")
    await expect(page.locator("#kb-contacts-note")).to_be_hidden()
    assert await axe_violations(page) == []

    # Open Klant does not answer: the own contacts and the service's note.
    note = "Contacten via andere kanalen (telefoon, e-mail, balie) kunnen we nu niet ophalen."
    scripted.klantbeeld["c3"] = {
        **KNOWN_RESIDENT,
        "other_channels": {"status": "unavailable", "note": note, "count": 0},
    }
    await page.keyboard.press("Alt+K")  # close
    await page.keyboard.press("Alt+K")  # and open again: fetched again
    await expect(page.locator("#kb-contacts-note")).to_have_text(note)
    await expect(contacts).not_to_contain_text("Afvalpas")
    await expect(contacts).to_contain_text("afval grofvuil")


async def test_klantbeeld_panel_loads_once_per_opening_and_follows_request_status(scripted: ScriptedConsole) -> None:
    page = await accepted_energy_chat(scripted)
    kb = page.keyboard
    panel = page.get_by_role("region", name="Klantbeeld")
    await expect(panel).to_be_hidden()
    assert scripted.klantbeeld_gets == []  # nothing is fetched (or audited) before the agent asks

    await kb.press("Alt+K")
    await expect(panel).to_be_visible()
    await expect(panel).to_be_focused()
    await expect(page.locator("#klantbeeld-button")).to_have_attribute("aria-expanded", "true")
    await expect(panel).to_contain_text("Ingelogd: Fatima El Amrani (BSN *******42)")
    await expect(panel).to_contain_text("fatima@example.nl")
    contacts = page.get_by_role("list", name="Eerdere contacten")
    await expect(contacts).to_contain_text("afval grofvuil")
    await expect(contacts).to_contain_text("Bram de Boer")
    await expect(contacts).to_contain_text(XSS)  # a summary is shown as text
    assert await panel.locator("img").count() == 0
    requests = page.get_by_role("list", name="Aanvragen")
    await expect(requests).to_contain_text("Parkeervergunning")
    await expect(requests.locator(".kb-status")).to_have_text("Ingediend")
    await expect(page.get_by_role("list", name="Terugbelverzoeken", exact=True).last).to_contain_text(
        "Bel me na 17 uur"
    )
    await expect(page.locator("#announcer")).to_contain_text("Klantbeeld geladen.")
    assert scripted.klantbeeld_gets == ["c3"]
    assert await axe_violations(page) == []

    # New messages re-render the conversation but do not fetch the klantbeeld again.
    scripted.say("c3", "resident", "Hallo?")
    await expect(page.locator("#transcript")).to_contain_text("Hallo?")
    assert scripted.klantbeeld_gets == ["c3"]

    # A resident submits a request in MijnGemeente: a notice, spoken, and the open panel reloads.
    submitted = {
        **KNOWN_RESIDENT,
        "requests": [
            {
                **KNOWN_RESIDENT["requests"][0],
                "id": 9,
                "title": "Energiesubsidie",
                "status": "ingediend",
                "status_text": "Ingediend",
            }
        ],
    }
    scripted.klantbeeld["c3"] = submitted
    scripted.push({"type": "request_status", "request_id": 9, "status": "ingediend", "conversation_id": "c3"})
    notice = page.locator("#notice")
    await expect(notice).to_have_text("Aanvraag #9 is nu: ingediend (gesprek 1: energiesubsidie).")
    await expect(page.locator("#announcer")).to_contain_text("Aanvraag #9 is nu: ingediend")
    await scripted.wait_for(lambda: scripted.klantbeeld_gets == ["c3", "c3"])
    await expect(requests).to_contain_text("Energiesubsidie")

    # Alt+K closes it (focus back to the message box); opening again is a new, audited load.
    await kb.press("Alt+K")
    await expect(panel).to_be_hidden()
    await expect(page.locator("#message")).to_be_focused()
    await page.get_by_role("button", name="Klantbeeld").click()
    await expect(panel).to_be_visible()
    await scripted.wait_for(lambda: len(scripted.klantbeeld_gets) == 3)


async def test_anonymous_resident_and_no_request_type_preselected(scripted: ScriptedConsole) -> None:
    seed(scripted)  # c1: topic "paspoort" is not a request type key
    scripted.klantbeeld["c1"] = {"identified": False, "partij": None, "contacts": [], "requests": [], "callbacks": []}
    page = await open_logged_in(scripted)
    scripted.push({"type": "offer", "conversation_id": "c1", "team": "burgerzaken", "expires_in_seconds": 30})
    await expect(page.locator("#offers")).to_be_visible()
    await page.keyboard.press("Alt+A")
    await expect(page.locator("#message")).to_be_focused()
    await page.keyboard.press("Alt+K")
    panel = page.get_by_role("region", name="Klantbeeld")
    await expect(panel).to_contain_text("Onbekende inwoner: nog niet ingelogd")
    await expect(panel).to_contain_text("Geen eerdere contacten.")
    await expect(panel).to_contain_text("Geen aanvragen.")
    await expect(page.locator("#transcript-link")).to_have_attribute("href", "/api/conversations/c1/transcript")

    await page.keyboard.press("Alt+Q")
    dialog = page.get_by_role("dialog", name="Aanvraag klaarzetten")
    await expect(dialog).to_be_visible()
    await expect(page.locator("#request-type")).to_be_focused()
    await expect(page.locator("#request-type")).to_have_value("")
    await expect(page.get_by_label("naam", exact=True)).to_have_value("Fatima")
    await expect(page.get_by_label("woont in gemeente", exact=True)).to_have_value("ja")
    # Publishing without a type: the error is announced (role=alert) and focus goes to the select.
    await page.get_by_label("naam", exact=True).focus()
    await page.keyboard.press("Enter")
    await expect(page.locator("#request-error")).to_have_text("Kies een soort aanvraag.")
    await expect(page.locator("#request-error")).to_have_attribute("role", "alert")
    await expect(page.locator("#request-type")).to_be_focused()
    assert scripted.concept_posts == []
    await page.keyboard.press("Escape")
    await expect(dialog).to_be_hidden()
    await expect(panel).to_be_focused()  # back where Alt+Q was pressed


async def test_concept_request_by_keyboard_with_the_exact_post_body(scripted: ScriptedConsole) -> None:
    page = await accepted_energy_chat(scripted)
    kb = page.keyboard
    focused_label = (
        "document.activeElement.labels && document.activeElement.labels[0] ? "
        "document.activeElement.labels[0].textContent : document.activeElement.getAttribute('aria-label')"
    )

    await kb.press("Alt+Q")
    dialog = page.get_by_role("dialog", name="Aanvraag klaarzetten")
    await expect(dialog).to_be_visible()
    await expect(page.locator("#request-type")).to_be_focused()
    await expect(page.locator("#request-type")).to_have_value("energiesubsidie")  # the chat's topic
    await expect(page.get_by_label("Titel (ziet de inwoner)")).to_have_value("Energiesubsidie")
    for label, value in (
        ("naam", "Fatima"),
        ("woonsituatie", "huiseigenaar"),
        ("inkomen onder grens", "ja"),
        ("aantal personen", "3"),
    ):
        await expect(dialog.get_by_label(label, exact=True)).to_have_value(value)
    assert await axe_violations(page) == []

    # Tab order: type, title, then each answer followed by its remove button.
    await kb.press("Tab")
    await kb.press("Tab")
    assert await page.evaluate(focused_label) == "naam"
    await kb.press("Tab")
    assert await page.evaluate(focused_label) == "Veld naam verwijderen"
    await kb.press("Tab")
    assert await page.evaluate(focused_label) == "woonsituatie"
    await kb.press("Control+a")
    await kb.type("huurder")
    await kb.press("Tab")
    await kb.press("Tab")
    assert await page.evaluate(focused_label) == "inkomen onder grens"
    await kb.press("Tab")
    await kb.press("Enter")  # removes "inkomen onder grens"; focus moves to the next field
    await expect(dialog.get_by_label("inkomen onder grens", exact=True)).to_have_count(0)
    assert await page.evaluate(focused_label) == "aantal personen"
    await expect(page.locator("#announcer")).to_contain_text("Veld inkomen onder grens verwijderd.")

    # Add a field: an existing name is refused (announced), a new one gets an input with focus.
    await kb.press("Tab")
    await kb.press("Tab")
    await expect(page.get_by_label("Nieuw veld (naam)")).to_be_focused()
    await kb.type("Naam")
    await kb.press("Enter")
    await expect(page.locator("#request-error")).to_have_text("Er is al een veld \u201cnaam\u201d.")
    await expect(page.get_by_label("Nieuw veld (naam)")).to_be_focused()
    await kb.press("Control+a")
    await kb.type("Toelichting")
    await kb.press("Enter")
    await expect(dialog.get_by_label("toelichting", exact=True)).to_be_focused()
    await expect(page.locator("#request-error")).to_have_text("")
    await kb.type("Dakisolatie, offerte volgt")

    # The server refuses once (422): the dialog stays, the error is announced, focus on Publiceren.
    scripted.concept_status = 422
    await kb.press("Enter")  # implicit submission from a text field
    await scripted.wait_for(lambda: len(scripted.concept_posts) == 1)
    await expect(page.locator("#request-error")).to_contain_text("Deze aanvraag klopt niet")
    await expect(page.get_by_role("button", name="Publiceren")).to_be_focused()
    await expect(dialog).to_be_visible()

    scripted.concept_status = 201
    await kb.press("Enter")
    await scripted.wait_for(lambda: len(scripted.concept_posts) == 2)
    cid, body, token = scripted.concept_posts[-1]
    assert (cid, token) == ("c3", "tok")
    assert body == {
        "type": "energiesubsidie",
        "title": "Energiesubsidie",
        "data": {
            "naam": "Fatima",
            "woonsituatie": "huurder",
            "aantal_personen": 3,
            "toelichting": "Dakisolatie, offerte volgt",
        },
    }
    await expect(dialog).to_be_hidden()
    await expect(page.locator("#message")).to_be_focused()  # where Alt+Q was pressed
    confirmation = page.locator("#request-confirmation")
    await expect(confirmation).to_have_text(
        "Aanvraag \u201cEnergiesubsidie\u201d is klaargezet. De inwoner krijgt een link naar MijnGemeente in de chat."
    )
    await expect(page.locator("#announcer")).to_contain_text("is klaargezet")
    link = page.locator("#transcript .event--agent").last
    await expect(link).to_contain_text("Ik heb de aanvraag 'Energiesubsidie' voor je klaargezet.")
    await expect(link).to_contain_text("Link voor de inwoner: Verder in MijnGemeente")
    await expect(link).not_to_contain_text("tok-123")  # the token is the resident's, not shown to agents
    assert scripted.klantbeeld_gets == []  # publishing does not open the (audited) klantbeeld


async def test_help_lists_the_klantbeeld_and_request_shortcuts(scripted: ScriptedConsole) -> None:
    page = await open_logged_in(scripted)
    await page.get_by_role("button", name="Sneltoetsen").click()
    dialog = page.get_by_role("dialog", name="Sneltoetsen")
    await expect(dialog).to_contain_text("Klantbeeld openen of sluiten")
    await expect(dialog).to_contain_text("Aanvraag klaarzetten")
