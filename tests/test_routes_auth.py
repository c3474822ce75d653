"""Every HTTP and websocket route of create_app(), called anonymously and as the wrong role.

Each route is classified below. A new route that is not classified fails
`test_every_route_is_classified`, so whoever adds it decides who may call it. The calls expect
401/403/404 or a redirect to a login page; never a 200 with data, never a 5xx.

Roles: an anonymous visitor, a resident logged in to MijnGemeente (cookie `mijn_session`,
path /mijn) and an agent logged in to the console (cookie `session`). Besides sending each role's
own cookies, the token of one role is also presented in the other role's cookie (token
confusion): a resident token must never open an agent session and the other way round.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import websockets
from agents_helper import login

from handover.main import create_app
from handover.settings import Settings

# --- the classification ------------------------------------------------------------------------

PUBLIC = "public"  # anyone, by design: health, demo pages, static files, the widget
LOGIN = "login"  # the login steps themselves: anonymous on purpose, but never 5xx or data
AGENT = "agent"  # the console's API: 401 anonymous, 403 without CSRF on state changes
RESIDENT = "resident"  # MijnGemeente pages: a redirect to /mijn/inloggen when anonymous
DOCS = "docs"  # API documentation: public outside production only
SIGNED = "signed"  # a signed, expiring link (the transcript bijlage): no session, refused unsigned

ROUTES: dict[tuple[str, str], str] = {
    ("GET", "/openapi.json"): DOCS,
    ("GET", "/docs"): DOCS,
    ("GET", "/docs/oauth2-redirect"): DOCS,
    ("GET", "/redoc"): DOCS,
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("GET", "/"): PUBLIC,
    ("GET", "/console"): PUBLIC,  # the console's page; its data comes from AGENT routes
    ("GET", "/console/oidc/inloggen"): LOGIN,  # agent sign-in through the IdP (AGENT_OIDC_ISSUER)
    ("GET", "/console/oidc/terug"): LOGIN,
    ("GET", "/demo/website"): PUBLIC,
    ("GET", "/demo/social"): PUBLIC,
    ("GET", "/demo/privacy"): PUBLIC,
    ("GET", "/demo/demo.css"): PUBLIC,
    ("POST", "/api/auth/login"): LOGIN,
    ("POST", "/api/auth/logout"): AGENT,
    ("GET", "/api/me"): AGENT,
    ("GET", "/api/teams"): AGENT,
    ("GET", "/api/colleagues"): AGENT,
    ("GET", "/api/canned-responses"): AGENT,
    ("GET", "/api/callbacks"): AGENT,
    ("POST", "/api/callbacks/{task_id}/done"): AGENT,
    ("GET", "/api/outbox/failed"): AGENT,
    ("GET", "/api/request-types"): AGENT,
    ("GET", "/api/conversations/{conversation_id}/klantbeeld"): AGENT,
    ("POST", "/api/conversations/{conversation_id}/concept-requests"): AGENT,
    ("GET", "/api/conversations/{conversation_id}/transcript"): AGENT,
    ("GET", "/api/transcripts/{conversation_id}"): SIGNED,
    ("GET", "/mijn/stijl.css"): PUBLIC,
    ("GET", "/mijn/inloggen"): LOGIN,
    ("POST", "/mijn/inloggen"): LOGIN,
    ("GET", "/mijn/inloggen/terug"): LOGIN,
    ("GET", "/mijn/aanvraag/{token}"): LOGIN,  # a request link: remembered, then login first
    ("POST", "/mijn/uitloggen"): RESIDENT,
    ("GET", "/mijn/koppelen"): RESIDENT,
    ("POST", "/mijn/koppelen"): RESIDENT,
    ("GET", "/mijn"): RESIDENT,
    ("GET", "/mijn/aanvragen"): RESIDENT,
    ("GET", "/mijn/aanvragen/{request_id}"): RESIDENT,
    ("POST", "/mijn/aanvragen/{request_id}"): RESIDENT,
    ("GET", "/mijn/contacten"): RESIDENT,
    ("GET", "/mijn/gegevens"): RESIDENT,
    ("POST", "/mijn/gegevens"): RESIDENT,
    ("GET", "/mijn/gegevens/inzage"): RESIDENT,
    ("POST", "/mijn/gegevens/verwijderen"): RESIDENT,
    ("WS", "/ws/chat"): PUBLIC,  # the resident's chat: anonymous by design (token per conversation)
    ("WS", "/ws/agent"): AGENT,
    ("MOUNT", "/static"): PUBLIC,
    ("MOUNT", "/console/static"): PUBLIC,
    ("MOUNT", "/widget"): PUBLIC,  # present only when the widget is built
}
OPTIONAL = {("MOUNT", "/widget")}

# A value for each path parameter: well-formed but belonging to nobody.
PARAMS = {
    "task_id": "1",
    "conversation_id": "00000000-0000-0000-0000-000000000000",
    "request_id": "00000000-0000-0000-0000-000000000000",
    "token": "x" * 43,
}
# The mounts, probed for files that do not exist or lie outside them.
MOUNTS = ("/static", "/console/static", "/widget")


def enumerate_routes(app: Any) -> Iterator[tuple[str, str]]:
    """(method, path) of every route, websocket ("WS") and mount ("MOUNT"), with included routers."""

    def walk(routes: Any, prefix: str) -> Iterator[tuple[str, str]]:
        for route in routes:
            context = getattr(route, "include_context", None)  # FastAPI >= 0.16x keeps routers nested
            if context is not None:
                yield from walk(context.included_router.routes, prefix + context.prefix)
                continue
            kind = type(route).__name__
            path = prefix + route.path
            if kind == "Mount":
                yield "MOUNT", path
            elif "WebSocket" in kind:
                yield "WS", path
            else:
                for method in sorted(set(route.methods or ()) - {"HEAD"}):
                    yield method, path

    return walk(app.routes, "")


def concrete(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: PARAMS[m.group(1)], path)


def test_every_route_is_classified():
    found = set(enumerate_routes(create_app(Settings(environment="test"))))
    unclassified = found - set(ROUTES)
    assert not unclassified, f"classify these routes in ROUTES (who may call them?): {sorted(unclassified)}"
    stale = set(ROUTES) - found - OPTIONAL
    assert not stale, f"these classified routes no longer exist: {sorted(stale)}"


def test_api_docs_are_not_served_in_production():
    """Issue 10: /docs and /openapi.json are public in production."""
    settings = Settings(environment="production", secret_key="p" * 40, allowed_origins=["https://www.example.nl"])
    found = set(enumerate_routes(create_app(settings)))
    assert not {route for route in found if ROUTES.get(route) == DOCS}, "API docs are routed in production"


# --- calling every route as every wrong role ----------------------------------------------------


def _no_data(response: httpx.Response, what: str) -> None:
    assert response.status_code < 500, f"{what}: {response.status_code} {response.text[:300]}"
    assert response.status_code != 200 or not response.headers.get("content-type", "").startswith("application/json"), (
        f"{what}: 200 with data {response.text[:300]}"
    )


def _to_login(response: httpx.Response, what: str) -> None:
    assert response.status_code in (303, 302, 307, 401, 403, 404), f"{what}: {response.status_code}"
    if response.is_redirect:
        assert response.headers["location"].startswith("/mijn/inloggen"), f"{what}: -> {response.headers['location']}"


async def _resident_session(http: httpx.AsyncClient) -> str:
    page = await http.get("/mijn/inloggen")
    state = re.search(r'name="state" value="([^"]+)"', page.text)
    assert state, page.text
    done = await http.post("/mijn/inloggen", data={"state": state.group(1), "persona": "eva"})
    assert done.status_code == 303, done.text
    token = http.cookies.get("mijn_session")
    assert token
    return token


@pytest.fixture
async def roles(start_service, sqlite_url):  # type: ignore[no-untyped-def]
    from handover.store.db import Database

    service = start_service(sqlite_url)
    db = Database(sqlite_url)
    agent = await login(service, db, ["klantcontact"])
    await db.dispose()
    async with httpx.AsyncClient(base_url=service.http) as http:
        resident_token = await _resident_session(http)
    return service, agent, resident_token


def _requests_as(agent: Any, resident_token: str) -> dict[str, dict[str, str]]:
    """Cookie sets per wrong role; the resident also tries its token as the agent's cookie and back."""
    return {
        "anonymous": {},
        "forged": {"session": "forged", "mijn_session": "forged"},
        "resident": {"mijn_session": resident_token, "session": resident_token},
        "agent": {"session": agent.cookies["session"], "mijn_session": agent.cookies["session"], "csrf": agent.csrf},
    }


async def test_every_route_as_every_wrong_role(roles):
    service, agent, resident_token = roles
    as_role = _requests_as(agent, resident_token)
    calls = 0
    for (method, path), category in ROUTES.items():
        if method in ("WS", "MOUNT"):
            continue
        url = concrete(path)
        for role, cookies in as_role.items():
            what = f"{role} {method} {path}"
            headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())} if cookies else {}
            if role == "agent" and method == "POST":
                headers["X-CSRF-Token"] = agent.csrf
            async with httpx.AsyncClient(base_url=service.http, headers=headers) as http:
                response = await http.request(method, url)
            calls += 1
            if category == SIGNED:
                # Whoever calls it, a session is worth nothing without a valid signature.
                assert response.status_code in (400, 403, 404, 410, 422), f"{what}: {response.status_code}"
                _no_data(response, what)
            elif category == AGENT and role != "agent":
                assert response.status_code in (401, 403), f"{what}: {response.status_code} {response.text[:200]}"
            elif category == RESIDENT and role != "resident":
                _to_login(response, what)
            elif category == PUBLIC and method == "GET":
                # readyz names what is down (no Rasa here) with 503 by design; nothing else may 5xx.
                allowed = (200, 503) if path == "/readyz" else (200,)
                assert response.status_code in allowed, f"{what}: {response.status_code}"
            elif category in (LOGIN, DOCS) or role in ("agent", "resident"):
                # The login steps without their state, docs, and a role on its own routes with
                # made-up ids: whatever they answer, no server error and no data for a stranger.
                assert response.status_code < 500, f"{what}: {response.status_code} {response.text[:300]}"
                if category == LOGIN:
                    _no_data(response, what)
    assert calls == 4 * sum(1 for (m, _) in ROUTES if m not in ("WS", "MOUNT"))


async def test_agent_socket_refuses_every_wrong_role(roles):
    service, agent, resident_token = roles
    url = service.http.replace("http", "ws") + "/ws/agent"
    for role, cookies in _requests_as(agent, resident_token).items():
        if role == "agent":
            continue
        cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
        headers = {"Cookie": cookie} if cookie else {}
        with pytest.raises(websockets.InvalidStatus) as refused:
            async with websockets.connect(url, origin=service.http, additional_headers=headers) as socket:
                await socket.recv()
        assert refused.value.response.status_code == 403, role
    # The real agent from a foreign origin is refused too; from its own origin it is let in.
    cookie = f"session={agent.cookies['session']}"
    with pytest.raises(websockets.InvalidStatus):
        async with websockets.connect(url, origin="https://evil.example", additional_headers={"Cookie": cookie}):
            pass
    async with websockets.connect(url, origin=service.http, additional_headers={"Cookie": cookie}) as socket:
        assert '"hello"' in await socket.recv()


async def test_chat_socket_and_mounts_are_public_but_serve_nothing_unknown(roles):
    service, _, _ = roles
    async with websockets.connect(service.http.replace("http", "ws") + "/ws/chat") as socket:
        assert '"hello"' in await socket.recv()
    async with httpx.AsyncClient(base_url=service.http) as http:
        for mount in MOUNTS:
            for probe in ("/nope.js", "/../../pyproject.toml", "/%2e%2e/%2e%2e/pyproject.toml"):
                response = await http.get(mount + probe)
                assert response.status_code in (404, 400), (mount, probe, response.status_code)
                assert "gemeente-chat" not in response.text, f"{mount}{probe} served a file outside the mount"
