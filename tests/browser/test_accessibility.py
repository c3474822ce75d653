"""axe-core on both demo pages with the widget open, small screens, zoom and reduced motion."""

from __future__ import annotations

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page, expect
from widget_support import open_widget, say, wait_for_turn

pytestmark = pytest.mark.browser

PAGES = ["/demo/website", "/demo/social?utm_source=facebook&utm_campaign=energiesubsidie"]


@pytest.mark.rasa
@pytest.mark.parametrize("path", PAGES)
async def test_axe_finds_no_violations_with_the_widget_open(page: Page, service, path):
    await page.goto(service.http + path)
    await open_widget(page)
    await say(page, "Hallo")
    await wait_for_turn(page, 0)
    results = await Axe().run(page)  # axe-core descends into open shadow roots
    assert results.violations_count == 0, report(results.response["violations"])


async def test_axe_finds_no_violations_in_the_call_back_form(page: Page, start_service, sqlite_url):
    """No agent online: the call-back form, first as offered, then with its errors showing."""
    service = start_service(sqlite_url)
    await page.goto(service.http + "/demo/website")
    await open_widget(page)
    await page.locator(".gc-form .gc-secondary").click()  # "Medewerker"
    await expect(page.locator("#gc-cb-name")).to_be_focused()
    results = await Axe().run(page)
    assert results.violations_count == 0, report(results.response["violations"])

    await page.locator("#gc-cb-email").fill("geen-adres")
    await page.locator("#gc-cb-email").press("Enter")
    await expect(page.locator("#gc-cb-consent-error")).to_be_visible()
    await expect(page.locator("#gc-cb-email-error")).to_be_visible()
    results = await Axe().run(page)
    assert results.violations_count == 0, report(results.response["violations"])


def report(violations: list[dict]) -> str:
    """axe-playwright-python's own report cannot print shadow-DOM targets (nested lists)."""
    lines = []
    for violation in violations:
        for node in violation["nodes"]:
            lines.append(f"{violation['id']} ({violation['impact']}) {node['target']}: {node.get('failureSummary')}")
    return "\n".join(lines)


@pytest.mark.parametrize("size", [{"width": 320, "height": 640}, {"width": 640, "height": 400}])
async def test_usable_at_320_px_and_200_percent_zoom(chromium: Browser, start_service, sqlite_url, size):
    """640x400 CSS pixels is a 1280x800 screen at 200% zoom."""
    service = start_service(sqlite_url)
    context = await chromium.new_context(viewport=size)
    try:
        page = await context.new_page()
        await page.goto(service.http + "/demo/website")
        await open_widget(page)
        # Measure the resting layout, not a frame of the opening animation.
        await page.locator(".gc-panel").evaluate(
            "el => Promise.all(el.getAnimations({subtree: true}).map(a => a.finished))"
        )
        panel = await page.locator(".gc-panel").bounding_box()
        assert panel and panel["x"] >= 0 and panel["y"] >= 0
        assert panel["x"] + panel["width"] <= size["width"] and panel["y"] + panel["height"] <= size["height"]
        for part in (
            ".gc-close",
            "#gc-input",
            ".gc-form .gc-primary",
            ".gc-form .gc-secondary",
            ".gc-privacy a",
        ):
            await page.locator(part).scroll_into_view_if_needed()
            await expect(page.locator(part)).to_be_in_viewport()
        overflow = await page.locator(".gc-panel").evaluate("el => el.scrollWidth - el.clientWidth")
        assert overflow == 0, "no horizontal scrolling inside the widget"
    finally:
        await context.close()


async def test_reduced_motion_is_respected(chromium: Browser, start_service, sqlite_url):
    service = start_service(sqlite_url)
    context = await chromium.new_context(reduced_motion="reduce")
    try:
        page = await context.new_page()
        await page.goto(service.http + "/demo/website")
        await open_widget(page)
        animation = await page.locator(".gc-panel").evaluate("el => getComputedStyle(el).animationName")
        assert animation == "none"
    finally:
        await context.close()
