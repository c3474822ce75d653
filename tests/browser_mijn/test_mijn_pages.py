"""MijnGemeente in a real browser: axe-core on every page, keyboard only, small screens."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, Page, expect

pytestmark = pytest.mark.browser


async def test_axe_finds_no_violations_on_any_page(page: Page, service, concept_link, axe_violations):
    problems: list[str] = []
    link = await concept_link()
    await page.goto(link)
    await expect(
        page.get_by_role("heading", level=2, name="Ontwikkelomgeving: testpersonen, geen echte DigiD")
    ).to_be_visible()
    problems += await axe_violations(page)  # the login page

    await page.get_by_role("button", name="Inloggen als Eva de Boer").click()
    await expect(page.get_by_role("heading", level=1, name="Aanvraag toevoegen aan uw account?")).to_be_visible()
    problems += await axe_violations(page)  # the confirmation: a link never binds without it
    await page.get_by_role("button", name="Ja, voeg toe aan mijn account").click()
    await expect(page.get_by_role("heading", level=1, name="Energiesubsidie")).to_be_visible()
    detail = page.url
    problems += await axe_violations(page)  # the request, prefilled

    await page.get_by_label("Postcode").fill("")
    await page.get_by_role("button", name="Aanvraag versturen").click()
    await expect(page.get_by_role("heading", name="Controleer het formulier")).to_be_visible()
    problems += await axe_violations(page)  # the form with an error summary

    for path in ("/mijn", "/mijn/aanvragen", "/mijn/contacten", "/mijn/gegevens"):
        await page.goto(service.http + path)
        problems += await axe_violations(page)

    # The chat widget on the page has an e-mail field of its own.
    await page.locator("main").get_by_label("E-mailadres").fill("geen adres")
    await page.get_by_role("button", name="Gegevens opslaan").click()
    await expect(page.get_by_role("heading", name="Controleer het formulier")).to_be_visible()
    problems += await axe_violations(page)  # the preferences with an error summary

    await page.goto(service.http + "/mijn/aanvragen/999999")
    await expect(page.get_by_role("heading", level=1, name="Deze pagina bestaat niet")).to_be_visible()
    problems += await axe_violations(page)  # the 404 page

    await page.goto(detail)
    await page.get_by_label("Postcode").fill("1234 AB")
    await page.get_by_label("Ik heb de gegevens gecontroleerd").check()
    await page.get_by_role("button", name="Aanvraag versturen").click()
    await expect(page.get_by_role("heading", name="Uw aanvraag is verstuurd")).to_be_visible()
    problems += await axe_violations(page)  # the confirmation with the status history
    assert not problems, "\n".join(problems)


async def tab_to(page: Page, locator, limit: int = 40) -> None:  # type: ignore[no-untyped-def]
    """Press Tab until the element has focus; fail if it is not reachable by keyboard."""
    for _ in range(limit):
        if await locator.evaluate("el => el === document.activeElement"):
            return
        await page.keyboard.press("Tab")
    raise AssertionError(f"{locator} is not reachable with Tab")


async def assert_focus_visible(locator) -> None:  # type: ignore[no-untyped-def]
    style = await locator.evaluate("el => getComputedStyle(el).outlineStyle + ' ' + getComputedStyle(el).outlineWidth")
    assert style.startswith("solid") and not style.endswith(" 0px"), style


async def test_keyboard_only_login_and_submit(page: Page, concept_link):
    await page.goto(await concept_link())
    await page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Naar de inhoud")
    await expect(skip).to_be_focused()
    await assert_focus_visible(skip)
    await page.keyboard.press("Enter")

    persona = page.get_by_role("button", name="Inloggen als Eva de Boer")
    await tab_to(page, persona)
    await assert_focus_visible(persona)
    await page.keyboard.press("Enter")
    add = page.get_by_role("button", name="Ja, voeg toe aan mijn account")
    await tab_to(page, add)
    await assert_focus_visible(add)
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", level=1, name="Energiesubsidie")).to_be_visible()

    postcode = page.get_by_label("Postcode")
    await tab_to(page, postcode)
    await page.keyboard.press("Control+A")
    await page.keyboard.type("4321 ZX")
    confirm = page.get_by_label("Ik heb de gegevens gecontroleerd")
    await tab_to(page, confirm)
    await page.keyboard.press("Space")
    await expect(confirm).to_be_checked()
    submit = page.get_by_role("button", name="Aanvraag versturen")
    await tab_to(page, submit)
    await assert_focus_visible(submit)
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", name="Uw aanvraag is verstuurd")).to_be_visible()
    await expect(page.get_by_text("4321 ZX")).to_be_visible()
    await expect(page.get_by_role("status")).to_contain_text("Wij hebben uw aanvraag ontvangen")


async def test_the_error_summary_takes_focus_and_links_to_the_field(page: Page, concept_link):
    await page.goto(await concept_link())
    await page.get_by_role("button", name="Inloggen als Eva de Boer").click()
    await page.get_by_role("button", name="Ja, voeg toe aan mijn account").click()
    await page.get_by_label("Woonplaats").fill("")
    await page.get_by_role("button", name="Aanvraag versturen").click()
    summary = page.get_by_role("alert")
    await expect(summary).to_be_focused()
    await summary.get_by_role("link", name="Vul woonplaats in.").click()
    await expect(page.get_by_label("Woonplaats")).to_be_focused()
    await expect(page.get_by_label("Woonplaats")).to_have_attribute("aria-invalid", "true")


@pytest.mark.parametrize("size", [{"width": 320, "height": 640}, {"width": 640, "height": 450}])
async def test_no_horizontal_scrolling_at_320_px_and_200_percent_zoom(chromium: Browser, service, concept_link, size):
    """640x450 CSS pixels is a 1280x900 screen at 200% zoom."""
    link = await concept_link()
    context = await chromium.new_context(viewport=size)
    try:
        page = await context.new_page()
        await page.goto(link)
        await page.get_by_role("button", name="Inloggen als Eva de Boer").click()
        await expect(page.get_by_role("button", name="Nee, niet toevoegen")).to_be_visible()
        for path in (None, "/mijn", "/mijn/aanvragen", "/mijn/contacten", "/mijn/gegevens"):
            if path:
                await page.goto(service.http + path)
            overflow = await page.evaluate(
                "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px at {size}"
        button = page.get_by_role("button", name="Gegevens opslaan")
        await button.scroll_into_view_if_needed()
        await expect(button).to_be_in_viewport()
    finally:
        await context.close()
