"""Untrusted text, from the resident or an agent, is shown as text and runs nothing."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect
from widget_support import log_items, open_widget, say, stored

from handover.store import repo
from handover.store.db import Database

pytestmark = pytest.mark.browser

RESIDENT = [
    "<img src=x onerror=alert(1)>",
    "<script>alert(2)</script>",
    "javascript:alert(3)",
    '<a href="javascript:alert(4)">klik</a> [klik](javascript:alert(5))',
]
AGENT_NAME = "<img src=x onerror=alert(6)>"
AGENT_TEXT = "<svg onload=alert(7)></svg> javascript:alert(8) https://www.example.nl/ok"


async def test_markup_and_script_urls_render_as_text(page: Page, start_service, sqlite_url):
    service = start_service(sqlite_url)  # no bot needed: the resident's words are stored anyway
    await page.goto(service.http + "/demo/website")
    await open_widget(page)
    for text in RESIDENT:
        await say(page, text)
    await expect(log_items(page, "li.gc-resident[data-seq]")).to_have_count(len(RESIDENT))

    database = Database(sqlite_url)
    try:
        conversation = await repo.find_by_token(database.sessions, (await stored(page))["token"])
        assert conversation is not None
        await repo.append(
            database.sessions,
            conversation.id,
            repo.NewEvent(
                kind="message",
                author="agent",
                author_name=AGENT_NAME,
                text=AGENT_TEXT,
                buttons=[{"title": "<b onmouseover=alert(9)>knop</b>", "payload": "/x"}],
            ),
        )
    finally:
        await database.dispose()
    await page.reload()  # the agent's message arrives by resuming from the last seq
    agent = log_items(page, "li.gc-agent")
    await expect(agent).to_have_count(1)

    bubbles = [await b.text_content() for b in await log_items(page, "li.gc-resident .gc-bubble").all()]
    assert bubbles == RESIDENT
    await expect(agent.locator(".gc-bubble")).to_have_text(AGENT_TEXT)
    await expect(agent.locator(".gc-author")).to_contain_text(AGENT_NAME)
    await expect(agent.locator(".gc-choice")).to_have_text("<b onmouseover=alert(9)>knop</b>")
    await agent.locator(".gc-choice").hover()

    found = await page.evaluate(
        """() => { const root = document.querySelector('[data-gemeente-chat]').shadowRoot;
                   const bad = '.gc-log img, .gc-log script, .gc-log svg, .gc-log b';
                   return { elements: root.querySelectorAll(bad).length,
                            hrefs: [...root.querySelectorAll('a')].map(a => a.href) }; }"""
    )
    assert found["elements"] == 0
    assert all(h.startswith(("http://", "https://")) for h in found["hrefs"]), found["hrefs"]
    assert "https://www.example.nl/ok" in found["hrefs"]
    assert page.dialogs == []  # type: ignore[attr-defined]
