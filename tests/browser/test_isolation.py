"""The host page's CSS cannot change the widget, and the page language picks the UI language.

(Transforms on <html> or <body> themselves are out of any widget's reach: they move every
fixed-position element on the page.)
"""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect
from widget_support import open_widget

pytestmark = pytest.mark.browser

AGGRESSIVE = """
* { all: unset !important; }
html, body { font-size: 40px !important; color: red !important; font-family: serif !important;
  line-height: 3 !important; letter-spacing: 1em !important; visibility: hidden !important; }
div, button, aside, textarea, section, ol, li, p {
  font-size: 40px !important; color: red !important;
  background: yellow !important; display: block !important; position: relative !important;
  transform: scale(2) !important; margin: 3em !important; padding: 2em !important; }
[data-gemeente-chat] { display: none !important; opacity: 0 !important; width: 1px !important; }
"""
PARTS = [
    ".gc-launcher",
    ".gc-panel",
    ".gc-header h2",
    "#gc-input",
    ".gc-form .gc-primary",
    ".gc-privacy",
]
STYLE = [
    "fontSize",
    "fontFamily",
    "color",
    "backgroundColor",
    "display",
    "position",
    "lineHeight",
    "visibility",
]


async def measure(page: Page, parts: list[str]) -> dict[str, object]:
    shown: dict[str, object] = {}
    await page.locator(parts[0]).evaluate("el => Promise.all(el.getAnimations().map(a => a.finished))")
    for part in parts:
        locator = page.locator(part)
        styles = await locator.evaluate(f"el => {{ const s = getComputedStyle(el); return {STYLE}.map(k => s[k]); }}")
        shown[part] = (await locator.bounding_box(), styles)
    return shown


async def test_aggressive_host_css_changes_nothing(page: Page, start_service, sqlite_url):
    service = start_service(sqlite_url)
    await page.goto(service.http + "/demo/website")
    launcher_before = await measure(page, PARTS[:1])
    await open_widget(page)
    before = await measure(page, PARTS[1:])

    # A host page's own stylesheet (the demo page's CSP refuses inline styles, a real host may not).
    await page.route("**/host-aggressive.css", lambda route: route.fulfill(content_type="text/css", body=AGGRESSIVE))
    await page.add_style_tag(url=service.http + "/host-aggressive.css")
    await page.locator(".gc-close").click()
    assert await measure(page, PARTS[:1]) == launcher_before
    await open_widget(page)
    assert await measure(page, PARTS[1:]) == before


async def test_english_ui_on_an_english_page(page: Page, start_service, sqlite_url):
    service = start_service(sqlite_url)
    html = (
        '<!doctype html><html lang="en-GB"><head><title>Test</title></head>'
        "<body><main><h1>Council</h1></main>"
        '<script src="/widget/widget.js"></script></body></html>'
    )
    await page.route(service.http + "/english", lambda route: route.fulfill(body=html, content_type="text/html"))
    await page.goto(service.http + "/english")
    await expect(page.locator(".gc-launcher")).to_have_text("Chat with the municipality")
    await open_widget(page)
    await expect(page.locator(".gc-form .gc-primary")).to_have_text("Send")
    await expect(page.locator(".gc-privacy a")).to_have_attribute("href", service.http + "/privacy")
