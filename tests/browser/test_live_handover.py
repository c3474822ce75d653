"""The resident side of live handover (docs/protocol.md), against a scripted server socket.

`test_handover_e2e.py` runs the same journey against the real service and a real agent; this
scripted socket covers what is hard to provoke there: queue position and waiting time, a
duplicate delivery, a `javascript:` link, and the transcript download. A Playwright WebSocket
route plays the server: it answers `start`, acknowledges and echoes frames, pushes events.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from playwright.async_api import Page, WebSocketRoute, expect
from widget_support import log_items, open_widget, say

pytestmark = pytest.mark.browser
AT = "2025-05-01T10:00:00+00:00"


class ScriptedServer:
    def __init__(self) -> None:
        self.frames: list[dict[str, Any]] = []
        self.seq = 0
        self.socket: WebSocketRoute | None = None
        self.changed = asyncio.Event()

    def attach(self, ws: WebSocketRoute) -> None:
        self.socket = ws
        ws.on_message(self.receive)
        self.send({"type": "hello", "protocol": 1, "server_time": AT, "limits": {}})

    def send(self, event: dict[str, Any]) -> None:
        assert self.socket is not None
        self.socket.send(json.dumps(event))

    def record(self, event: dict[str, Any]) -> dict[str, Any]:
        self.seq += 1
        event = {"seq": self.seq, "at": AT, **event}
        self.send(event)
        return event

    def receive(self, raw: str | bytes) -> None:
        frame = json.loads(raw)
        self.frames.append(frame)
        self.changed.set()
        kind = frame["type"]
        if kind == "start":
            self.send(
                {
                    "type": "started",
                    "reply_to": frame["id"],
                    "conversation_id": "c1",
                    "token": "tok",
                    "state": "bot",
                    "seq": self.seq,
                }
            )
        elif kind == "resume":
            self.send(
                {
                    "type": "resumed",
                    "reply_to": frame["id"],
                    "conversation_id": "c1",
                    "state": "bot",
                    "seq": self.seq,
                    "recovered": True,
                }
            )
        elif kind == "message":  # the stored message answers the frame (no ack)
            self.record(
                {
                    "type": "message",
                    "author": "resident",
                    "text": frame["text"],
                    "client_id": frame["id"],
                    "reply_to": frame["id"],
                }
            )
        elif kind in ("request_human", "feedback"):
            self.send({"type": "ack", "reply_to": frame["id"], "seq": self.seq})

    async def frame(self, kind: str) -> dict[str, Any]:
        async def scan() -> dict[str, Any]:
            while True:
                for frame in self.frames:
                    if frame["type"] == kind:
                        return frame
                self.changed.clear()
                await self.changed.wait()

        return await asyncio.wait_for(scan(), 10)


async def test_queue_agent_link_close_and_feedback(page: Page, start_service, sqlite_url):
    service = start_service(sqlite_url)
    server = ScriptedServer()
    await page.route_web_socket("**/ws/chat", server.attach)
    await page.goto(service.http + "/demo/website")
    await open_widget(page)

    await page.locator(".gc-form .gc-secondary").click()  # "Medewerker"
    assert (await server.frame("request_human"))["id"]
    server.record({"type": "state", "state": "queued", "team": "energie", "team_name": "Team Energie"})
    server.send({"type": "queue", "seq": server.seq, "position": 2, "expected_wait_seconds": 170})
    await expect(log_items(page, ".gc-notice").last).to_have_text("We zoeken een medewerker van Team Energie voor je.")
    await expect(page.locator(".gc-queue")).to_contain_text("Je bent nummer 2 in de rij. Je wacht ongeveer 3 minuten.")
    await expect(page.locator(".gc-form .gc-secondary")).to_be_hidden()

    server.record({"type": "state", "state": "assigned", "team": "energie", "agent_name": "Anne"})
    await expect(log_items(page, ".gc-notice").last).to_contain_text("Anne neemt het gesprek over.")
    await expect(page.locator(".gc-who")).to_have_text("Je praat met Anne, medewerker van de gemeente.")
    await expect(page.locator(".gc-queue")).to_be_hidden()
    server.send({"type": "typing", "seq": server.seq, "author": "agent", "active": True})
    await expect(page.locator(".gc-typing")).to_have_text("Anne typt…")

    agent = server.record(
        {
            "type": "message",
            "author": "agent",
            "author_name": "Anne",
            "text": "Ik zet een aanvraag klaar.",
        }
    )
    server.send(agent)  # a duplicate delivery shows once
    server.send({"type": "typing", "seq": server.seq, "author": "agent", "active": False})
    server.record(
        {
            "type": "message",
            "author": "agent",
            "author_name": "Anne",
            "text": "Hier is je aanvraag.",
            "link": {
                "url": "https://mijn.example.nl/aanvragen/1",
                "title": "Verder in MijnGemeente",
            },
        }
    )
    server.record(
        {
            "type": "message",
            "author": "agent",
            "author_name": "Anne",
            "text": "Niet klikken",
            "link": {"url": "javascript:alert(1)", "title": "Kwaad"},
        }
    )
    await expect(log_items(page, "li.gc-agent")).to_have_count(3)
    await expect(page.locator(".gc-typing")).to_be_hidden()
    await expect(log_items(page, "li.gc-agent").first.locator(".gc-author")).to_have_text("Anne (medewerker)")
    link = page.locator("a.gc-linkbutton")
    await expect(link).to_have_count(1)
    await expect(link).to_have_attribute("href", "https://mijn.example.nl/aanvragen/1")
    await expect(log_items(page, "li.gc-agent").last).to_contain_text("Kwaad (javascript:alert(1))")
    await expect(page.locator(".gc-sr[aria-live]")).to_contain_text("Anne (medewerker): Niet klikken")

    await say(page, "Dank je wel")
    assert (await server.frame("typing"))["active"] is True  # the agent sees the resident typing
    await expect(log_items(page, "li.gc-resident[data-seq]")).to_have_count(1)

    async with page.expect_download() as download_info:
        await page.locator(".gc-tool").first.click()
    download = await download_info.value
    text = (await download.path()).read_text(encoding="utf-8")
    assert "Anne (medewerker): Ik zet een aanvraag klaar." in text
    assert "Jij: Dank je wel" in text and "Verder in MijnGemeente https://mijn.example.nl/aanvragen/1" in text

    server.record({"type": "state", "state": "closed"})
    await expect(page.locator(".gc-feedback")).to_be_visible()
    await expect(page.locator("#gc-input")).to_be_hidden()
    await page.locator(".gc-score").nth(3).click()
    await page.locator("#gc-comment").fill("Snel geholpen")
    await page.locator(".gc-feedback-form .gc-primary").click()
    feedback = await server.frame("feedback")
    assert feedback["score"] == 4 and feedback["comment"] == "Snel geholpen"
    await expect(page.locator(".gc-feedback .gc-thanks")).to_be_focused()
    await expect(page.locator(".gc-newchat")).to_be_visible()
    assert page.dialogs == []  # type: ignore[attr-defined]
