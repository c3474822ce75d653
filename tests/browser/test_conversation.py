"""A resident chats through the widget with the real service and the real bot."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Page, expect
from sqlalchemy import select
from widget_support import log_items, open_widget, say, stored, transcript, wait_for_turn

from handover.store.db import Database
from handover.store.models import Conversation, Message

pytestmark = [pytest.mark.browser, pytest.mark.rasa]


async def test_send_receive_and_press_a_button(page: Page, service, sqlite_url):
    url = service.http + "/demo/social?utm_source=facebook&utm_campaign=energiesubsidie"
    await page.goto(url)
    await open_widget(page)
    await expect(page.locator(".gc-privacy a")).to_have_attribute("href", re.compile(r"/demo/privacy$"))

    await say(page, "Hallo")
    await wait_for_turn(page, 0)
    await say(page, "Kan ik energiesubsidie krijgen?")
    await wait_for_turn(page, 2)
    choices = page.locator(".gc-log .gc-choice")
    await expect(choices.first).to_be_visible()
    title = (await choices.last.text_content()) or ""
    before = await log_items(page, "li.gc-msg[data-seq]").count()
    await choices.last.click()
    await wait_for_turn(page, before)

    shown = await transcript(page)
    assert shown[0][1] == "Hallo"
    assert [text for _seq, text in shown].count(title) == 1
    assert [seq for seq, _ in shown] == sorted({seq for seq, _ in shown}), "in order, nothing twice"

    # The campaign context travelled with `start`.
    database = Database(sqlite_url)
    try:
        async with database.sessions() as session:
            conversation = (await session.execute(select(Conversation))).scalar_one()
            pressed = (await session.execute(select(Message).where(Message.text == title))).scalar_one()
    finally:
        await database.dispose()
    assert conversation.channel == "social"
    assert conversation.utm == {"source": "facebook", "campaign": "energiesubsidie"}
    assert "/demo/social" in (conversation.page or "")
    assert pressed.payload, "a button press is sent as a `button` frame with the payload"


@pytest.mark.parametrize("cache", ["kept", "emptied"])
async def test_reload_brings_back_the_whole_history_once(page: Page, service, cache):
    await page.goto(service.http + "/demo/website")
    await open_widget(page)
    await say(page, "Hallo")
    await wait_for_turn(page, 0)
    await say(page, "Hoe vraag ik een paspoort aan?")
    await wait_for_turn(page, 2)
    before = await transcript(page)

    if cache == "emptied":  # the history must then come from the server, resumed from seq 0
        await page.evaluate(
            """() => {
                const k = Object.keys(sessionStorage).find(k => k.startsWith('gemeente-chat:'));
                const d = JSON.parse(sessionStorage.getItem(k)); d.events = []; d.lastSeq = 0;
                       sessionStorage.setItem(k, JSON.stringify(d)); }"""
        )
    await page.reload()
    await expect(page.locator(".gc-panel")).to_be_visible()  # it stays open across pages
    await expect(log_items(page, "li[data-seq]")).to_have_count(len(before))
    assert await transcript(page) == before
    assert (await stored(page))["lastSeq"] == before[-1][0]

    # And the conversation simply goes on.
    await say(page, "Bedankt")
    await wait_for_turn(page, len(before))
    after = await transcript(page)
    assert after[: len(before)] == before
    assert len({seq for seq, _ in after}) == len(after)
