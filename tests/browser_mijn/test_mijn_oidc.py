"""Chromium signs a resident in to MijnGemeente through a DigiD-style OIDC broker (oidc-provider).

No test personas; one button "Inloggen met DigiD"; the provider's login form; back on MijnGemeente
as the person whose BSN the broker released. A token that fails its checks gets the refusal page.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from oidc_provider import OpenIdProvider
from playwright.async_api import Page, expect

pytestmark = pytest.mark.browser


@pytest.fixture
def provider(tmp_path: Path) -> Iterator[OpenIdProvider]:
    op = OpenIdProvider(tmp_path)
    yield op
    op.stop()


@pytest.fixture
def service(start_service: Any, provider: OpenIdProvider, sqlite_url: str) -> Any:
    client_id, secret = provider.client()
    running = start_service(
        sqlite_url,
        resident_idp="oidc",
        resident_oidc_issuer=provider.issuer,
        resident_oidc_client_id=client_id,
        resident_oidc_client_secret=secret,
        resident_oidc_scope="openid profile bsn",
    )
    provider.start([running.http + "/mijn/inloggen/terug"])
    return running


async def sign_in(page: Page, service: Any, login: str) -> None:
    await page.goto(service.http + "/mijn")
    await expect(page.get_by_text("testpersoon")).to_have_count(0)
    await page.get_by_role("link", name="Inloggen met DigiD").click()
    await page.locator('input[name="login"]').fill(login)
    await page.locator('input[name="password"]').fill("geheim")
    await page.get_by_role("button", name="Sign-in").click()


async def test_a_resident_signs_in_with_digid_through_the_broker(service: Any, page: Page) -> None:
    await sign_in(page, service, "eva")
    await expect(page.get_by_text("Eva de Boer").first).to_be_visible()
    assert page.url == service.http + "/mijn"


async def test_an_expired_token_is_refused_with_a_clear_page(service: Any, page: Page, axe_violations: Any) -> None:
    await page.goto(service.http + "/mijn/inloggen")
    assert await axe_violations(page) == []
    await sign_in(page, service, "expired")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Inloggen is niet gelukt")
    await expect(page.get_by_text("We konden niet controleren wie u bent.")).to_be_visible()
    assert await axe_violations(page) == []
