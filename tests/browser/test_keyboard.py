"""The whole journey with the keyboard only: open, send, choose a button, close."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect
from widget_support import log_items, wait_for_turn

pytestmark = [pytest.mark.browser, pytest.mark.rasa]

ACTIVE = """() => { const host = document.activeElement;
    if (!host || !host.shadowRoot) return host ? host.tagName : null;
    const inner = host.shadowRoot.activeElement;
    return inner ? inner.className || inner.id : 'host'; }"""


async def active(page: Page) -> str | None:
    return await page.evaluate(ACTIVE)


async def test_keyboard_only_journey(page: Page, service):
    await page.goto(service.http + "/demo/website")
    for _ in range(40):  # Tab through the page until the launcher has focus
        await page.keyboard.press("Tab")
        if "gc-launcher" in (await active(page) or ""):
            break
    else:
        pytest.fail("the launcher cannot be reached with Tab")
    outline = await page.locator(".gc-launcher").evaluate("el => getComputedStyle(el).outlineStyle")
    assert outline != "none", "focus is visible"

    await page.keyboard.press("Enter")
    await expect(page.locator(".gc-panel")).to_be_visible()
    assert await active(page) == "gc-input", "focus moves to the input on open"

    await page.keyboard.type("Kan ik energiesubsidie krijgen?")
    await page.keyboard.press("Enter")
    await wait_for_turn(page, 0)
    await expect(log_items(page, "li").locator(".gc-choice").first).to_be_visible()

    for _ in range(10):  # the answer buttons sit just before the input
        await page.keyboard.press("Shift+Tab")
        if "gc-choice" in (await active(page) or ""):
            break
    else:
        pytest.fail("the answer buttons cannot be reached with Shift+Tab")
    title = await page.evaluate(
        "() => document.querySelector('[data-gemeente-chat]').shadowRoot.activeElement.textContent"
    )
    count = await log_items(page, "li.gc-msg[data-seq]").count()
    await page.keyboard.press("Enter")
    await wait_for_turn(page, count)
    await expect(log_items(page, "li.gc-resident").last.locator(".gc-bubble")).to_have_text(title)
    assert await active(page) == "gc-input", "after a choice the resident can type on"

    await page.keyboard.press("Escape")
    await expect(page.locator(".gc-panel")).to_be_hidden()
    assert "gc-launcher" in (await active(page) or ""), "focus returns to the launcher on close"
