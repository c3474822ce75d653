"""The Content-Security-Policy blocks nothing our own pages need (console, demo pages, widget)."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect
from widget_support import open_widget

pytestmark = pytest.mark.browser

WATCH = """window.__csp = []; document.addEventListener('securitypolicyviolation',
  e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"""


async def violations(page: Page) -> list[str]:
    return list(await page.evaluate("() => window.__csp"))


async def test_no_csp_violation_on_the_demo_pages_with_the_widget_and_the_console(
    page: Page, start_service, sqlite_url
):
    service = start_service(sqlite_url)
    await page.add_init_script(WATCH)
    for path in ("/demo/website", "/demo/social"):
        response = await page.goto(service.http + path)
        assert response is not None and "frame-ancestors 'none'" in response.headers["content-security-policy"]
        if path == "/demo/website":
            await open_widget(page)  # the next page restores the open chat
        await page.locator("#gc-input").fill("Hallo")
        await page.locator("#gc-input").press("Enter")
        await expect(page.locator(".gc-log > li.gc-msg[data-seq]").first).to_be_visible()  # the socket works
        assert await violations(page) == [], path
    await page.goto(service.http + "/")
    await page.goto(service.http + "/console")
    await expect(page.get_by_label("Gebruikersnaam")).to_be_visible()
    assert await violations(page) == []
