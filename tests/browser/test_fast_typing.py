"""Messages sent before the server has answered the start all arrive, once, in order.

A resident who types quickly right after opening the widget (or a slow server) must not leave
the widget waiting for an answer that never comes: a second start on the same socket is
refused, so the widget sends one and holds the rest in its outbox until it is answered.
"""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect
from sqlalchemy import select
from widget_support import log_items, open_widget, stored

from handover.store.db import Database
from handover.store.models import Message

pytestmark = pytest.mark.browser

TEXTS = ["Eerste vraag", "Tweede vraag", "Derde vraag"]

# All three submits run in one JavaScript task, so no server answer can arrive in between.
SUBMIT_AT_ONCE = """(texts) => {
    const root = document.querySelector('[data-gemeente-chat]').shadowRoot;
    const input = root.querySelector('#gc-input');
    for (const text of texts) { input.value = text; root.querySelector('.gc-form').requestSubmit(); }
}"""


async def test_messages_sent_before_the_start_is_answered(page: Page, start_service, sqlite_url):
    service = start_service(sqlite_url)  # no bot needed: the resident's words are stored anyway
    await page.goto(service.http + "/demo/website")
    await open_widget(page)
    await page.evaluate(SUBMIT_AT_ONCE, TEXTS)

    confirmed = log_items(page, "li.gc-resident[data-seq] .gc-bubble")
    await expect(confirmed).to_have_text(TEXTS)
    await expect(log_items(page, ".gc-pending")).to_have_count(0)
    assert (await stored(page))["outbox"] == []

    database = Database(sqlite_url)
    try:
        async with database.sessions() as session:
            rows = (
                await session.scalars(select(Message.text).where(Message.author == "resident").order_by(Message.seq))
            ).all()
    finally:
        await database.dispose()
    assert rows == TEXTS
