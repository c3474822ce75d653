"""Agents sign in to the console through a real OpenID Provider (oidc-provider on loopback).

Success with roles and teams from claims, logout, and every refusal: wrong audience, expired
token, bad signature, replayed state, no role; local passwords on and off.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import agents_helper
import httpx
import pytest
from oidc_provider import ROLE_MAP, OpenIdProvider, callback_url, sign_in

from handover.store.db import Database

CALLBACK = "/console/oidc/terug"


@pytest.fixture
def provider(tmp_path: Path) -> Iterator[OpenIdProvider]:
    op = OpenIdProvider(tmp_path)
    yield op
    op.stop()


@pytest.fixture
def console(start_service: Any, provider: OpenIdProvider, sqlite_url: str) -> Any:
    def start(**overrides: Any) -> Any:
        client_id, secret = provider.client()
        service = start_service(
            sqlite_url,
            agent_oidc_issuer=provider.issuer,
            agent_oidc_client_id=client_id,
            agent_oidc_client_secret=secret,
            agent_oidc_scope="openid profile email roles teams",
            agent_oidc_role_map=ROLE_MAP,
            **overrides,
        )
        provider.start([service.http + CALLBACK])
        return service

    return start


async def me(http: httpx.AsyncClient, service: Any) -> httpx.Response:
    return await http.get(service.http + "/api/me")


async def test_an_agent_signs_in_with_role_and_teams_from_the_token_and_logs_out(console: Any) -> None:
    service = console()
    async with httpx.AsyncClient() as http:
        page = await sign_in(http, service.http + "/console/oidc/inloggen", "marieke")
        assert page.status_code == 200 and page.url.path == "/console"
        answer = await me(http, service)
        assert answer.status_code == 200, answer.text
        agent = answer.json()
        assert (agent["name"], agent["role"], agent["teams"]) == ("Marieke Jansen", "agent", ["burgerzaken"])
        # Logout ends the local session.
        out = await http.post(service.http + "/api/auth/logout", headers={"X-CSRF-Token": http.cookies["csrf"]})
        assert out.status_code == 204
        assert (await me(http, service)).status_code == 401
    async with httpx.AsyncClient() as http:  # a supervisor: the highest of the mapped roles counts
        await sign_in(http, service.http + "/console/oidc/inloggen", "sanne")
        agent = (await me(http, service)).json()
        assert (agent["role"], agent["teams"]) == ("supervisor", ["belastingen", "burgerzaken"])
    async with httpx.AsyncClient() as http:  # the same person again: the same agent, not a new one
        await sign_in(http, service.http + "/console/oidc/inloggen", "marieke")
        assert (await me(http, service)).json()["id"] == agent["id"] - 1


@pytest.mark.parametrize(
    ("login", "status", "says", "code"),
    [
        ("wrong-audience", 400, "konden niet controleren", "audience"),
        ("expired", 400, "konden niet controleren", "expired"),
        ("bad-signature", 400, "konden niet controleren", "signature"),
        ("zonder-rol", 403, "geen rol voor de chatconsole", "role"),
    ],
)
async def test_a_sign_in_that_fails_a_check_is_refused_with_a_clear_page(
    console: Any, login: str, status: int, says: str, code: str
) -> None:
    service = console()
    async with httpx.AsyncClient() as http:
        page = await sign_in(http, service.http + "/console/oidc/inloggen", login)
        assert page.url.path == CALLBACK
        assert page.status_code == status, page.text
        assert says in page.text and f"Foutcode: <code>{code}" in page.text
        assert "session" not in http.cookies
        assert (await me(http, service)).status_code == 401


async def test_a_replayed_callback_is_refused(console: Any) -> None:
    service = console()
    async with httpx.AsyncClient() as http:
        done = await sign_in(http, service.http + "/console/oidc/inloggen", "marieke")
        used = callback_url(done, CALLBACK)
        state = httpx.URL(used).params["state"]
    async with httpx.AsyncClient() as attacker:  # even with the state cookie it once came with
        attacker.cookies.set("oidc_state", state, domain="127.0.0.1", path="/console/oidc")
        again = await attacker.get(used)
        assert again.status_code == 400 and "al eens gebruikt" in again.text
        assert (await me(attacker, service)).status_code == 401
    async with httpx.AsyncClient() as stranger:  # and without it: not this browser's sign-in
        assert (await stranger.get(used)).status_code == 400


async def test_local_passwords_can_be_switched_off(console: Any, sqlite_url: str) -> None:
    service = console(agent_local_passwords=False)
    db = Database(sqlite_url)
    try:
        _, username = await agents_helper.make_agent(db, ["burgerzaken"])
    finally:
        await db.dispose()
    async with httpx.AsyncClient(base_url=service.http) as http:
        refused = await http.post("/api/auth/login", json={"username": username, "password": agents_helper.PASSWORD})
        assert refused.status_code == 403 and "staat uit" in refused.json()["detail"]
        page = (await http.get("/console")).text
        assert 'id="oidc-login"' in page and '<form id="login-form" hidden' in page


async def test_local_passwords_still_work_next_to_oidc(console: Any, sqlite_url: str) -> None:
    service = console()
    db = Database(sqlite_url)
    try:
        logged_in = await agents_helper.login(service, db, ["burgerzaken"])
    finally:
        await db.dispose()
    assert logged_in.csrf
    async with httpx.AsyncClient(base_url=service.http) as http:
        page = (await http.get("/console")).text
        assert 'id="oidc-login"' in page and '<form id="login-form" class' in page


async def test_a_key_rotation_at_the_idp_is_followed(console: Any, provider: OpenIdProvider) -> None:
    service = console()
    async with httpx.AsyncClient() as http:  # the service caches the JWKS with key-1
        await sign_in(http, service.http + "/console/oidc/inloggen", "marieke")
        assert (await me(http, service)).status_code == 200
    provider.rotate_keys()  # now signing with key-2, which the cached JWKS does not have
    async with httpx.AsyncClient() as http:
        page = await sign_in(http, service.http + "/console/oidc/inloggen", "marieke")
        assert page.status_code == 200 and page.url.path == "/console", page.text
        assert (await me(http, service)).json()["name"] == "Marieke Jansen"


async def test_an_unreachable_idp_gets_a_try_later_page(start_service: Any, sqlite_url: str) -> None:
    import stack

    service = start_service(
        sqlite_url,
        agent_oidc_issuer=f"http://127.0.0.1:{stack.free_port()}",
        agent_oidc_client_id="console",
        agent_oidc_client_secret="x",
    )
    async with httpx.AsyncClient() as http:
        page = await http.get(service.http + "/console/oidc/inloggen")
        assert page.status_code == 503 and "Inloggen kan nu niet" in page.text
        assert "Foutcode: <code>provider" in page.text
