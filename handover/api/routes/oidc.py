"""Agent sign-in through the municipality's OpenID Connect provider (AGENT_OIDC_ISSUER).

``GET /console/oidc/inloggen`` sends the browser to the IdP (authorization code flow, PKCE,
nonce); ``GET /console/oidc/terug`` is the redirect URI to register there. A sign-in that fails
any check gets a page that says, in plain Dutch, what the agent can do; the reason is logged
(without personal data) with the request id that the page shows.

Under ``/console`` so the pages get the console's Content-Security-Policy and stylesheet.
"""

from __future__ import annotations

import hmac
import html
import logging
import secrets
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from ...auth.oidc import STATE_SECONDS, TOKEN_REASONS, OidcClient, OidcRefused, claim, claim_state, claim_values
from ...services import agents
from ...settings import Settings
from ...state import app_state
from .auth import start_session

log = logging.getLogger(__name__)
router = APIRouter(prefix="/console/oidc", include_in_schema=False)
STATE_COOKIE = "oidc_state"
COOKIE_PATH = "/console/oidc"
RANK = {"agent": 1, "supervisor": 2, "beheerder": 3}

# What each refusal tells the agent: (status, title, lines).
PAGES: dict[str, tuple[int, str, list[str]]] = {
    "role": (
        403,
        "Je hebt geen toegang tot de chatconsole",
        [
            "Je bent ingelogd bij de gemeente, maar je account heeft geen rol voor de chatconsole.",
            "Vraag je leidinggevende of de beheerder om je de rol medewerker, supervisor of beheerder te geven. "
            "Log daarna opnieuw in.",
        ],
    ),
    "state": (
        400,
        "Inloggen is niet gelukt",
        [
            "Het inloggen duurde te lang, is onderbroken of is al eens gebruikt. Je bent niet ingelogd.",
            "Begin opnieuw met inloggen.",
        ],
    ),
    "token": (
        400,
        "Inloggen is niet gelukt",
        [
            "We konden niet controleren dat het inloggen echt van de gemeente kwam. Je bent niet ingelogd.",
            "Probeer het opnieuw. Lukt het weer niet? Geef dan de foutcode hieronder door aan de beheerder.",
        ],
    ),
    "provider": (
        503,
        "Inloggen kan nu niet",
        [
            "De inlogdienst van de gemeente geeft geen goed antwoord. Je bent niet ingelogd.",
            "Probeer het over een paar minuten opnieuw. Lukt het dan nog niet? Geef de foutcode door aan de beheerder.",
        ],
    ),
    "off": (
        404,
        "Inloggen via de gemeente staat uit",
        ["Deze chatconsole gebruikt geen inlogdienst van de gemeente. Log in met je gebruikersnaam en wachtwoord."],
    ),
}


def refusal(request: Request, reason: str) -> HTMLResponse:
    kind = "token" if reason in TOKEN_REASONS else reason if reason in PAGES else "provider"
    status, title, lines = PAGES[kind]
    request_id = getattr(request.state, "request_id", "")
    code = f"{reason} {request_id}".strip()
    paragraphs = "".join(f"<p>{html.escape(line)}</p>" for line in lines)
    body = (
        f'<!doctype html><html lang="nl"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)} – Chatconsole</title>"
        f'<link rel="stylesheet" href="/console/static/console.css"></head>'
        f'<body class="utrecht-document"><main class="login" id="inloggen-geweigerd">'
        f"<h1>{html.escape(title)}</h1>{paragraphs}"
        f'<p class="mijn-muted">Foutcode: <code>{html.escape(code)}</code></p>'
        f'<p><a href="/console">Terug naar inloggen</a></p></main></body></html>'
    )
    response = HTMLResponse(body, status_code=status, headers={"Cache-Control": "no-store"})
    response.delete_cookie(STATE_COOKIE, path=COOKIE_PATH)
    return response


def agent_client(request: Request) -> OidcClient | None:
    """The app's client for agent sign-in, made at first use; None when AGENT_OIDC_ISSUER is empty."""
    settings: Settings = app_state(request).settings
    if not settings.agent_oidc_issuer:
        return None
    client: OidcClient | None = getattr(app_state(request), "agent_oidc", None)
    if client is None:
        client = OidcClient(
            issuer=settings.agent_oidc_issuer,
            client_id=settings.agent_oidc_client_id,
            client_secret=settings.agent_oidc_client_secret,
            scope=settings.agent_oidc_scope,
            secret_key=settings.secret_key,
            clock_skew_seconds=settings.oidc_clock_skew_seconds,
        )
        app_state(request).agent_oidc = client
    return client


def role_from(claims: dict[str, Any], settings: Settings) -> str | None:
    """The highest known role among the claim's values, after AGENT_OIDC_ROLE_MAP."""
    mapping = settings.agent_oidc_role_map
    roles = [mapping.get(v, v) if mapping else v for v in claim_values(claims, settings.agent_oidc_roles_claim)]
    known = [r for r in roles if r in RANK]
    return max(known, key=RANK.__getitem__) if known else None


def teams_from(claims: dict[str, Any], settings: Settings) -> list[str] | None:
    """Team keys from the claim (after AGENT_OIDC_TEAM_MAP); None when the token has no such claim."""
    if claim(claims, settings.agent_oidc_teams_claim) is None:
        return None
    mapping = settings.agent_oidc_team_map
    return [mapping.get(v, v) if mapping else v for v in claim_values(claims, settings.agent_oidc_teams_claim)]


@router.get("/inloggen")
async def begin(request: Request) -> Response:
    client = agent_client(request)
    if client is None:
        return refusal(request, "off")
    state = secrets.token_urlsafe(24)
    try:
        url = await client.authorization_url(state, str(request.url_for("agent_oidc_callback")))
    except OidcRefused as exc:
        log.error("agent sign-in: provider unreachable: %s", exc)
        return refusal(request, exc.reason)
    settings: Settings = app_state(request).settings
    response = RedirectResponse(url, status_code=303)
    # Lax: the IdP sends the browser back with a top-level GET from its own site.
    response.set_cookie(
        STATE_COOKIE,
        state,
        max_age=STATE_SECONDS,
        httponly=True,
        samesite="lax",
        secure=settings.environment == "production",
        path=COOKIE_PATH,
    )
    return response


@router.get("/terug", name="agent_oidc_callback")
async def callback(request: Request) -> Response:
    client = agent_client(request)
    if client is None:
        return refusal(request, "off")
    settings: Settings = app_state(request).settings
    state, sent = request.cookies.get(STATE_COOKIE, ""), request.query_params.get("state", "")
    if not state or not hmac.compare_digest(sent.encode(), state.encode()):
        log.warning("agent sign-in refused: state does not match this browser's sign-in")
        return refusal(request, "state")
    try:
        if not await claim_state(app_state(request).redis, settings.redis_namespace, state):
            log.warning("agent sign-in refused: state used before (replayed callback)")
            return refusal(request, "state")
        claims = await client.finish(dict(request.query_params), str(request.url_for("agent_oidc_callback")))
    except OidcRefused as exc:
        log.warning("agent sign-in refused: %s", exc)
        return refusal(request, exc.reason)
    role = role_from(claims, settings)
    if role is None:
        log.warning("agent sign-in refused: no role for the console in claim %r", settings.agent_oidc_roles_claim)
        return refusal(request, "role")
    subject = f"{client.issuer} {claims['sub']}"
    username = claim(claims, settings.agent_oidc_username_claim)
    username = username if isinstance(username, str) and username.strip() else str(claims["sub"])
    name = claim(claims, "name")
    agent_id = await agents.sign_in_oidc(
        app_state(request).db.sessions,
        subject=subject,
        username=username[:60],
        display_name=(name if isinstance(name, str) and name.strip() else username)[:120],
        role=role,
        teams=teams_from(claims, settings),
    )
    response = RedirectResponse("/console", status_code=303)
    await start_session(request, response, settings, agent_id)
    response.delete_cookie(STATE_COOKIE, path=COOKIE_PATH)
    log.info("agent signed in through OIDC", extra={"agent_id": agent_id, "role": role})
    return response
