"""Chromium signs an agent in to the console through a real OpenID Provider (oidc-provider).

The console's login view offers the municipality's IdP; the provider's own login form; back in
the console as that agent. An account without a role for the console sees the refusal page.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from console_support import axe_violations
from oidc_provider import ROLE_MAP, OpenIdProvider
from playwright.async_api import BrowserContext, Page, expect

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
        agent_oidc_issuer=provider.issuer,
        agent_oidc_client_id=client_id,
        agent_oidc_client_secret=secret,
        agent_oidc_scope="openid profile roles teams",
        agent_oidc_role_map=ROLE_MAP,
    )
    provider.start([running.http + "/console/oidc/terug"])
    return running


async def sign_in_at_provider(page: Page, login: str) -> None:
    await page.locator('input[name="login"]').fill(login)
    await page.locator('input[name="password"]').fill("geheim")
    await page.get_by_role("button", name="Sign-in").click()


async def test_an_agent_signs_in_through_the_municipalitys_idp(service: Any, context: BrowserContext) -> None:
    page = await context.new_page()
    await page.goto(service.http + "/console")
    button = page.get_by_role("link", name="Inloggen met je account van de gemeente")
    await expect(button).to_be_visible()
    assert await axe_violations(page) == []
    await button.click()
    await sign_in_at_provider(page, "marieke")
    await expect(page.locator("#agent-name")).to_have_text("Marieke Jansen")
    assert page.url == service.http + "/console"
    await page.get_by_role("button", name="Uitloggen").click()
    await expect(button).to_be_visible()


async def test_an_account_without_a_console_role_sees_why(service: Any, context: BrowserContext) -> None:
    page = await context.new_page()
    await page.goto(service.http + "/console")
    await page.get_by_role("link", name="Inloggen met je account van de gemeente").click()
    await sign_in_at_provider(page, "zonder-rol")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Je hebt geen toegang tot de chatconsole")
    assert await axe_violations(page) == []
    await page.get_by_role("link", name="Terug naar inloggen").click()
    await expect(page.locator("#login-view")).to_be_visible()
