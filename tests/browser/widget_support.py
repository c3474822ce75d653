"""The resident widget in Chromium against the real handover service (SQLite only, for speed).

Locators pierce the widget's open shadow root (Playwright's CSS engine does), so tests select
widget parts by class. Every wait is on a condition, never on a fixed sleep.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

STORAGE_PREFIX = "gemeente-chat:"


@pytest.fixture
async def context(chromium: Browser) -> AsyncIterator[BrowserContext]:
    ctx = await chromium.new_context(viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(15_000)
    yield ctx
    await ctx.close()


@pytest.fixture
async def page(context: BrowserContext) -> AsyncIterator[Page]:
    """A page that fails the test on any JavaScript dialog (alert, confirm, prompt)."""
    tab = await context.new_page()
    dialogs: list[str] = []

    async def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        await dialog.dismiss()

    tab.on("dialog", on_dialog)
    tab.dialogs = dialogs  # type: ignore[attr-defined]
    yield tab


# --- helpers ---------------------------------------------------------------------------------


def log_items(page: Page, selector: str = "li") -> Any:
    return page.locator(f".gc-log > {selector}")


async def open_widget(page: Page) -> None:
    await page.locator(".gc-launcher").click()
    await expect(page.locator("#gc-input")).to_be_focused()


async def say(page: Page, text: str) -> None:
    await page.locator("#gc-input").fill(text)
    await page.locator("#gc-input").press("Enter")


async def confirmed_count(page: Page) -> int:
    return await log_items(page, "li.gc-msg[data-seq]").count()


async def wait_for_turn(page: Page, before: int, wait_ms: float = 40_000) -> None:
    """Wait until, after `before` recorded messages, the resident's message and a reply show."""
    await expect(log_items(page, "li.gc-msg[data-seq]").nth(before + 1)).to_be_attached(timeout=wait_ms)
    await expect(page.locator(".gc-typing")).to_be_hidden(timeout=wait_ms)
    await expect(log_items(page, ".gc-pending")).to_have_count(0)


async def transcript(page: Page) -> list[tuple[int, str]]:
    """(seq, text) of every recorded item in the order shown."""
    return await page.evaluate(
        """() => {
            const root = document.querySelector('[data-gemeente-chat]').shadowRoot;
            return [...root.querySelectorAll('.gc-log > li[data-seq]')].map(li => [
                Number(li.dataset.seq), (li.querySelector('.gc-bubble') || li).textContent]);
        }"""
    )


async def stored(page: Page) -> dict[str, Any]:
    raw = await page.evaluate(
        "() => { const k = Object.keys(sessionStorage)"
        f".find(k => k.startsWith('{STORAGE_PREFIX}'));"
        " return k ? sessionStorage.getItem(k) : 'null'; }"
    )
    return json.loads(raw) or {}


@pytest.fixture(scope="session")
def bot_url(request: pytest.FixtureRequest) -> str:
    """The shared real Rasa (`rasa` fixture; TEST_RASA_URL reuses one that is already running)."""
    return str(request.getfixturevalue("rasa").url)


@pytest.fixture
def service(start_service: Any, sqlite_url: str, bot_url: str) -> Any:
    return start_service(sqlite_url, rasa_url=bot_url)
