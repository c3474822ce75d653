"""Residents sign in to MijnGemeente through a DigiD/eHerkenning-style OIDC broker (RESIDENT_IDP=oidc).

The broker is the real oidc-provider on loopback releasing `bsn` or `kvk` as a claim. Success
with a BSN and with a KvK number, and every refusal: wrong audience, expired token, bad
signature, no number in the token, replayed state.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from oidc_provider import OpenIdProvider, callback_url, sign_in

CALLBACK = "/mijn/inloggen/terug"
_BUTTON = re.compile(r'<a[^>]*href="([^"]+)"[^>]*>Inloggen met DigiD</a>')


@pytest.fixture
def provider(tmp_path: Path) -> Iterator[OpenIdProvider]:
    op = OpenIdProvider(tmp_path)
    yield op
    op.stop()


@pytest.fixture
def mijn(start_service: Any, provider: OpenIdProvider, sqlite_url: str) -> Any:
    client_id, secret = provider.client()
    service = start_service(
        sqlite_url,
        resident_idp="oidc",
        resident_oidc_issuer=provider.issuer,
        resident_oidc_client_id=client_id,
        resident_oidc_client_secret=secret,
        resident_oidc_scope="openid profile bsn kvk",
    )
    provider.start([service.http + CALLBACK])
    return service


async def resident_sign_in(http: httpx.AsyncClient, service: Any, login: str) -> httpx.Response:
    page = await http.get(service.http + "/mijn/inloggen")
    assert page.status_code == 200
    assert "testpersoon" not in page.text.lower()  # no development personas next to a real provider
    button = _BUTTON.search(page.text)
    assert button, page.text
    return await sign_in(http, html.unescape(button.group(1)), login)


@pytest.mark.parametrize(("login", "name"), [("eva", "Eva de Boer"), ("bedrijf", "Bakkerij Test B.V.")])
async def test_a_resident_signs_in_with_the_number_the_broker_releases(mijn: Any, login: str, name: str) -> None:
    async with httpx.AsyncClient() as http:
        page = await resident_sign_in(http, mijn, login)
        assert page.status_code == 200 and page.url.path == "/mijn", page.text
        assert name in page.text
        assert "mijn_session" in http.cookies


@pytest.mark.parametrize("login", ["wrong-audience", "expired", "bad-signature", "geen-bsn"])
async def test_a_token_that_fails_a_check_is_refused_with_a_clear_page(mijn: Any, login: str) -> None:
    async with httpx.AsyncClient() as http:
        page = await resident_sign_in(http, mijn, login)
        assert page.url.path == CALLBACK and page.status_code == 400
        assert "We konden niet controleren wie u bent" in page.text and "niet ingelogd" in page.text
        assert "mijn_session" not in http.cookies
        assert (await http.get(mijn.http + "/mijn", follow_redirects=False)).status_code == 303


async def test_a_replayed_callback_is_refused(mijn: Any) -> None:
    async with httpx.AsyncClient() as http:
        done = await resident_sign_in(http, mijn, "eva")
        used = callback_url(done, CALLBACK)
        state = httpx.URL(used).params["state"]
    async with httpx.AsyncClient() as attacker:  # with the login cookie it once came with
        attacker.cookies.set("mijn_login", f"{state}:/mijn", domain="127.0.0.1", path="/mijn")
        again = await attacker.get(used)
        assert again.status_code == 400 and "Inloggen is niet gelukt" in again.text
        assert "mijn_session" not in attacker.cookies


async def test_an_unreachable_broker_gets_a_try_later_page(start_service: Any, sqlite_url: str) -> None:
    import stack

    service = start_service(
        sqlite_url,
        resident_idp="oidc",
        resident_oidc_issuer=f"http://127.0.0.1:{stack.free_port()}",
        resident_oidc_client_id="mijn",
        resident_oidc_client_secret="x",
    )
    async with httpx.AsyncClient() as http:
        page = await http.get(service.http + "/mijn/inloggen")
        assert page.status_code == 503 and "Inloggen kan nu niet" in page.text
