"""Messages typed while the connection is gone are sent once, in order, when it comes back."""

from __future__ import annotations

import pytest
from playwright.async_api import BrowserContext, Page, expect
from sqlalchemy import select
from widget_support import log_items, open_widget, say, stored, transcript, wait_for_turn

from handover.store.db import Database
from handover.store.models import Message

pytestmark = [pytest.mark.browser, pytest.mark.rasa]

BOT_ANSWERED_LAST = """() => {
    const root = document.querySelector('[data-gemeente-chat]').shadowRoot;
    const items = [...root.querySelectorAll('.gc-log > li.gc-msg[data-seq]')];
    const last = items.map(li => li.classList.contains('gc-resident')).lastIndexOf(true);
    return last >= 0 && items.slice(last + 1).some(li => li.classList.contains('gc-bot'))
        && root.querySelector('.gc-typing').hidden;
}"""


async def test_offline_messages_arrive_once_in_order(context: BrowserContext, page: Page, service, sqlite_url):
    await page.goto(service.http + "/demo/website")
    await open_widget(page)
    await say(page, "Hallo")
    await wait_for_turn(page, 0)

    await context.set_offline(True)
    await expect(page.locator(".gc-offline")).to_be_visible()
    await say(page, "Hoe vraag ik een paspoort aan?")
    await say(page, "Wanneer wordt grofvuil opgehaald?")
    await expect(log_items(page, ".gc-pending")).to_have_count(2)
    assert [f["text"] for f in (await stored(page))["outbox"]] == [
        "Hoe vraag ik een paspoort aan?",
        "Wanneer wordt grofvuil opgehaald?",
    ]

    await context.set_offline(False)
    await expect(page.locator(".gc-offline")).to_be_hidden(timeout=40_000)
    await expect(log_items(page, ".gc-pending")).to_have_count(0, timeout=20_000)
    await page.wait_for_function(BOT_ANSWERED_LAST, timeout=40_000)

    shown = [text for _seq, text in await transcript(page)]
    first = shown.index("Hoe vraag ik een paspoort aan?")
    second = shown.index("Wanneer wordt grofvuil opgehaald?")
    assert first < second
    assert shown.count("Hoe vraag ik een paspoort aan?") == shown.count("Wanneer wordt grofvuil opgehaald?") == 1
    assert (await stored(page))["outbox"] == []

    database = Database(sqlite_url)
    try:
        async with database.sessions() as session:
            rows = (
                (await session.execute(select(Message).where(Message.author == "resident").order_by(Message.seq)))
                .scalars()
                .all()
            )
            bot = (await session.execute(select(Message).where(Message.author == "bot"))).scalars().all()
    finally:
        await database.dispose()
    assert [r.text for r in rows] == [
        "Hallo",
        "Hoe vraag ik een paspoort aan?",
        "Wanneer wordt grofvuil opgehaald?",
    ]
    assert max(b.seq for b in bot) > rows[-1].seq, "the bot answered after the messages came in"
    assert any("paspoort" in (b.text or "").lower() for b in bot if b.seq > rows[1].seq)
