"""Chromium through Playwright, and a scripted agent socket for console tests without a server.

The scripted tests serve the console's own files and answer /api and /ws/agent from Python, so
they pin the console's side of docs/protocol.md ("Agent console") exactly; the journey test in
test_console_journey.py runs the same page against the real handover service.
"""

from __future__ import annotations

import asyncio
import json
import mimetypes
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, BrowserContext, Page, Route, WebSocketRoute

ROOT = Path(__file__).resolve().parents[2]
CONSOLE = ROOT / "handover" / "web" / "console"
ORIGIN = "http://console.test"
Event = dict[str, Any]


@pytest.fixture(scope="session")
def browser(chromium: Browser) -> Browser:
    """The session's one Chromium (tests/conftest.py)."""
    return chromium


async def axe_violations(page: Page) -> list[str]:
    """WCAG 2.0/2.1 A and AA rules plus axe's best practices; one line per violation."""
    results = await Axe().run(page)
    return [f"{v['id']}: {v['help']} -> {[n['target'] for n in v['nodes']]}" for v in results.response["violations"]]


AGENT = {"id": 7, "name": "Sanne de Vries", "teams": ["burgerzaken", "afval"], "max_chats": 3, "status": "online"}
TEAMS = [
    {"key": "burgerzaken", "name": "Burgerzaken"},
    {"key": "afval", "name": "Afval"},
    {"key": "werk_inkomen", "name": "Werk en inkomen"},
]
CANNED = [
    {
        "team": "burgerzaken",
        "title": "Begroeting",
        "text": "Hallo {naam}, ik ben {medewerker}. Ik help je met {onderwerp}.",
    },
    {"team": "afval", "title": "Grofvuil", "text": "Grofvuil meld je online."},
]
CALLBACKS = [
    {
        "id": 1,
        "conversation_id": "c-9",
        "team": "burgerzaken",
        "name": "Piet <b>Jansen</b>",
        "phone": "0612345678",
        "email": None,
        "message": "Bel me na 17 uur",
        "status": "open",
        "created_at": "2024-05-01T10:00:00Z",
    }
]
REQUEST_TYPES = [
    {"key": "paspoort_idkaart", "title": "Paspoort en ID-kaart", "team": "burgerzaken"},
    {"key": "energiesubsidie", "title": "Energiesubsidie", "team": "werk_inkomen"},
    {"key": "parkeervergunning", "title": "Parkeervergunning", "team": "burgerzaken"},
]
LINK_TEXT = (
    "Ik heb de aanvraag '{title}' voor je klaargezet. Je kunt hem bekijken, aanvullen en versturen in MijnGemeente."
)


class ScriptedConsole:
    """The server side of one console page: HTTP answers and a scripted /ws/agent."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.logged_in = False
        self.frames: list[Event] = []
        self.sockets: list[WebSocketRoute] = []
        self.conversations: dict[str, Event] = {}
        self.seq: dict[str, int] = {}
        self._changed = asyncio.Event()
        self.klantbeeld: dict[str, Event] = {}  # conversation id -> GET .../klantbeeld answer
        self.klantbeeld_gets: list[str] = []  # conversation ids, one per GET (each is audited)
        self.concept_posts: list[tuple[str, Event, str | None]] = []  # (conversation, body, X-CSRF-Token)
        self.concept_status = 201

    # -- wiring ----------------------------------------------------------------------------
    async def install(self) -> None:
        await self.page.route(f"{ORIGIN}/**", self._http)
        await self.page.route_web_socket("ws://console.test/ws/agent", self._socket)

    async def _http(self, route: Route) -> None:
        request = route.request
        path = request.url.removeprefix(ORIGIN).split("?")[0]
        if path == "/console":
            await route.fulfill(path=CONSOLE / "console.html", content_type="text/html")
        elif path.startswith("/console/static/"):
            file = CONSOLE / path.removeprefix("/console/static/")
            await route.fulfill(path=file, content_type=mimetypes.guess_type(file.name)[0])
        elif path == "/api/auth/login":
            body = request.post_data_json
            if body == {"username": "sanne", "password": "geheim-wachtwoord"}:
                self.logged_in = True
                await route.fulfill(json={"agent": AGENT, "csrf": "tok"}, headers={"Set-Cookie": "csrf=tok; Path=/"})
            else:
                await route.fulfill(status=401, json={"detail": "invalid credentials"})
        elif path == "/api/auth/logout":
            assert request.headers.get("x-csrf-token") == "tok"
            self.logged_in = False
            await route.fulfill(status=204)
        elif not self.logged_in:
            await route.fulfill(status=401, json={"detail": "not logged in"})
        elif path == "/api/me":
            await route.fulfill(json=AGENT)
        elif path == "/api/teams":
            await route.fulfill(json=TEAMS)
        elif path == "/api/canned-responses":
            await route.fulfill(json=CANNED)
        elif path == "/api/callbacks":
            await route.fulfill(json=CALLBACKS)
        elif path == "/api/request-types":
            await route.fulfill(json=REQUEST_TYPES)
        elif path.startswith("/api/conversations/") and path.endswith("/klantbeeld") and request.method == "GET":
            cid = path.split("/")[3]
            self.klantbeeld_gets.append(cid)
            self._changed.set()
            if cid in self.klantbeeld:
                await route.fulfill(json=self.klantbeeld[cid])
            else:
                await route.fulfill(status=404, json={"detail": "no such conversation among yours"})
        elif path.startswith("/api/conversations/") and path.endswith("/concept-requests") and request.method == "POST":
            await self._concept_request(route, path.split("/")[3])
        else:
            await route.fulfill(status=404, json={"detail": "Not Found"})

    async def _concept_request(self, route: Route, cid: str) -> None:
        body = route.request.post_data_json
        self.concept_posts.append((cid, body, route.request.headers.get("x-csrf-token")))
        self._changed.set()
        if self.concept_status != 201:
            await route.fulfill(status=self.concept_status, json={"detail": "scripted failure"})
            return
        # Like the server: the link message goes into the chat, the answer carries its seq.
        event = self.record(
            cid,
            {
                "type": "message",
                "author": "agent",
                "author_name": AGENT["name"],
                "text": LINK_TEXT.format(title=body["title"]),
                "link": {"url": "/mijn/aanvraag/tok-123", "title": "Verder in MijnGemeente"},
            },
        )
        await route.fulfill(status=201, json={"id": len(self.concept_posts), "seq": event["seq"]})
        self.push(event)

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 5) -> None:
        async def poll() -> None:
            while not predicate():
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(poll(), timeout)

    def _socket(self, ws: WebSocketRoute) -> None:
        self.sockets.append(ws)
        ws.on_message(lambda raw: self._frame(ws, raw))
        ws.send(json.dumps({"type": "hello", "protocol": 1, "agent": AGENT}))

    @property
    def ws(self) -> WebSocketRoute:
        return self.sockets[-1]

    def push(self, event: Event) -> None:
        self.ws.send(json.dumps(event))

    # -- conversations ---------------------------------------------------------------------
    def add_conversation(self, cid: str, topic: str, team: str = "burgerzaken", **extra: Any) -> None:
        transcript = extra.pop("transcript", [])
        self.conversations[cid] = {
            "conversation_id": cid,
            "state": "queued",
            "team": team,
            "topic": topic,
            "context": {},
            "form": {},
            "handover": {"reason": "vraag", "summary": ""},
            **extra,
        }
        self.seq[cid] = 0
        for event in transcript:
            self.record(cid, event)

    def record(self, cid: str, event: Event) -> Event:
        self.seq[cid] += 1
        event = {"conversation_id": cid, "seq": self.seq[cid], "at": "2024-05-01T10:00:00Z", **event}
        self.conversations[cid].setdefault("transcript", []).append(event)
        if event["type"] == "state":
            self.conversations[cid]["state"] = event["state"]
        return event

    def say(self, cid: str, author: str, text: str, **extra: Any) -> None:
        self.push(self.record(cid, {"type": "message", "author": author, "text": text, **extra}))

    def _frame(self, ws: WebSocketRoute, raw: str | bytes) -> None:
        frame = json.loads(raw)
        self.frames.append(frame)
        self._changed.set()
        kind, cid = frame["type"], frame.get("conversation_id")

        def reply(**fields: Any) -> None:
            ws.send(json.dumps({"type": "ack", "reply_to": frame["id"], **fields}))

        if kind == "typing":
            return
        if kind in ("presence", "read"):
            reply()
        elif kind == "accept":
            reply()
            ws.send(json.dumps(self.record(cid, {"type": "state", "state": "assigned", "agent_name": AGENT["name"]})))
            ws.send(json.dumps({"type": "conversation", **self.conversations[cid]}))
        elif kind == "open":  # like the server: only what the console missed
            reply()
            conversation = self.conversations[cid]
            missed = [e for e in conversation["transcript"] if e["seq"] > frame["last_seq"]]
            ws.send(json.dumps({"type": "conversation", **conversation, "transcript": missed}))
        elif kind in ("message", "note"):
            event = self.record(
                cid,
                {
                    "type": "message",
                    "author": "agent",
                    "author_name": AGENT["name"],
                    "text": frame["text"],
                    "client_id": frame["id"],
                    **({"private": True} if kind == "note" else {}),
                },
            )
            reply(seq=event["seq"])
            ws.send(json.dumps(event))
        elif kind in ("transfer", "hand_back", "close"):
            reply()
            state = {"transfer": "queued", "hand_back": "bot", "close": "closed"}[kind]
            ws.send(json.dumps(self.record(cid, {"type": "state", "state": state})))
            ws.send(json.dumps({"type": "released", "conversation_id": cid, "reason": state}))

    async def wait_frame(self, predicate: Callable[[Event], bool], timeout: float = 5) -> Event:
        async def find() -> Event:
            while True:
                for frame in self.frames:
                    if predicate(frame):
                        return frame
                self._changed.clear()
                await self._changed.wait()

        return await asyncio.wait_for(find(), timeout)


@pytest.fixture
async def context(browser: Browser) -> AsyncIterator[BrowserContext]:
    ctx = await browser.new_context(viewport={"width": 1400, "height": 900}, locale="nl-NL")
    yield ctx
    await ctx.close()


@pytest.fixture
async def scripted(context: BrowserContext) -> AsyncIterator[ScriptedConsole]:
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    console = ScriptedConsole(page)
    await console.install()
    yield console
    assert not errors, f"JavaScript errors on the console page: {errors}"


async def log_in(page: Page, username: str, password: str) -> None:
    await page.get_by_label("Gebruikersnaam").fill(username)
    await page.get_by_label("Wachtwoord").fill(password)
    await page.get_by_role("button", name="Inloggen").click()
