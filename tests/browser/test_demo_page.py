"""The plain demo page (`/`) keeps a message until the server has answered it, and no longer.

Its own stored message answers a resident's frame (`reply_to`, docs/protocol.md): a page that
waited for an `ack` instead would send the message again after every reconnect.
"""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

pytestmark = pytest.mark.browser

# Keep the page's sockets reachable, so the test can drop one (a network failure).
KEEP_SOCKETS = """window.__sockets = []; const Native = window.WebSocket;
window.WebSocket = function (url) { const s = new Native(url); window.__sockets.push(s); return s; };
window.WebSocket.prototype = Native.prototype;"""


async def test_a_message_answered_by_its_own_event_is_not_sent_again_after_a_reconnect(
    page: Page, start_service, sqlite_url
):
    service = start_service(sqlite_url)  # no bot: each message gets the "assistant unavailable" notice
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sent: list[str] = []
    page.on("websocket", lambda socket: socket.on("framesent", lambda payload: sent.append(str(payload))))
    await page.add_init_script(KEEP_SOCKETS)
    await page.goto(service.http + "/")
    status, items = page.locator("#status"), page.locator("#log li")
    await expect(status).to_have_text("Verbonden.")
    await page.locator("#text").fill("Eerste vraag")
    await page.locator("#text").press("Enter")
    await expect(items).to_have_count(2)  # the message and the notice

    await page.evaluate("() => window.__sockets[0].close()")
    await expect(status).not_to_have_text("Verbonden.")
    await expect(status).to_have_text("Verbonden.", timeout=15_000)  # resumed: whatever is pending is sent
    await page.locator("#text").fill("Tweede vraag")
    await page.locator("#text").press("Enter")
    await expect(items).to_have_count(4)  # after the resume's own frames: a barrier

    assert sum("Eerste vraag" in frame for frame in sent) == 1, sent
    assert sum("Tweede vraag" in frame for frame in sent) == 1, sent
    assert errors == []
