"""Login and logout: /mijn/inloggen (a persona form or an external provider), its callback, and
/mijn/uitloggen."""

from __future__ import annotations

import hmac
import inspect
import secrets
from collections.abc import Mapping

from fastapi import Request, Response

from ....auth import chat_binding, residents
from ....auth.oidc import TOKEN_REASONS, OidcRefused, claim_state
from ....auth.residents import IdentityProvider, LoginFailed
from ....services.klantbeeld.audit import audit
from ....services.klantbeeld.residents import identify
from ....state import app_state
from .forms import checked_form
from .pages import SESSION_COOKIE, message_page, mijn_router, render
from .session import (
    CONFIRM_PAGE,
    LINK_COOKIE,
    LOGIN_COOKIE,
    LOGIN_COOKIE_SECONDS,
    CurrentResident,
    MaybeResident,
    Provider,
    drop_cookie,
    local_page,
    openklant_of,
    see,
    sessions_of,
    set_cookie,
    settings_of,
)

router = mijn_router()


@router.get("/inloggen")
async def login_page(
    request: Request,
    resident: MaybeResident,
    provider: Provider,
    volgende: str | None = None,
    uitgelogd: str | None = None,
) -> Response:
    next_page = local_page(volgende)
    if resident is not None:
        return see(next_page)
    state = secrets.token_urlsafe(24)
    callback = str(request.url_for("login_callback"))
    try:
        external = provider.login_url(state, callback)
        if inspect.isawaitable(external):
            external = await external
    except LoginFailed:  # the provider cannot be reached
        return message_page(request, "inloggen_onmogelijk", 503)
    response = render(
        request,
        "inloggen.html",
        provider=provider,
        external=external,
        state=state,
        logged_out=uitgelogd is not None,
        for_link=LINK_COOKIE in request.cookies,
        title="Inloggen",
    )
    set_cookie(request, response, LOGIN_COOKIE, f"{state}:{next_page}", LOGIN_COOKIE_SECONDS)
    return response


@router.post("/inloggen")
async def login_with_persona(request: Request, provider: Provider) -> Response:
    form = await request.form()
    return await _finish_login(request, provider, {k: v for k, v in form.items() if isinstance(v, str)})


@router.get("/inloggen/terug", name="login_callback")
async def login_callback(request: Request, provider: Provider) -> Response:
    """Where an external provider (OIDC) sends the browser back, with `state` and its `code`."""
    params = dict(request.query_params)
    params["_callback"] = str(request.url_for("login_callback"))  # the redirect_uri of the code exchange
    return await _finish_login(request, provider, params)


async def _finish_login(request: Request, provider: IdentityProvider, params: Mapping[str, str]) -> Response:
    state, _, next_page = request.cookies.get(LOGIN_COOKIE, "").partition(":")
    sent = params.get("state", "")
    if not state or not hmac.compare_digest(sent.encode(), state.encode()):
        return message_page(request, "inloggen_mislukt", 400)
    redis = getattr(app_state(request), "redis", None)
    try:
        if redis is not None and not await claim_state(redis, settings_of(request).redis_namespace, state):
            return message_page(request, "inloggen_mislukt", 400)  # this callback was used before: a replay
    except OidcRefused:  # Redis is down: a replay cannot be ruled out
        return message_page(request, "inloggen_onmogelijk", 503)
    try:
        identity = await provider.complete(params)
    except LoginFailed as exc:
        # A token that fails its checks, or no BSN/KvK in it: not "try again later" but "not proven".
        refused = getattr(exc, "reason", "") in TOKEN_REASONS | {"no-identifier"}
        return message_page(request, "inloggen_geweigerd" if refused else "inloggen_mislukt", 400)
    sessions = sessions_of(request)
    partij_id = await identify(
        sessions,
        settings_of(request).partij_hash_key,
        kind=identity.kind,
        value=identity.value,
        display_name=identity.name,
        email=identity.email,
        phone=identity.phone,
    )
    await audit(sessions, f"resident:{partij_id}", "resident.login", partij_id, None, provider.name)
    # The same person in Open Klant (by BSN): their other channels' contacts, and the wasPartij of
    # their chats' registrations. Open Klant not answering does not stop the login.
    await openklant_of(request).link_partij(
        sessions, partij_id, kind=identity.kind, value=identity.value, name=identity.name
    )
    token, _ = await residents.open_session(sessions, partij_id, identity=identity)
    # Requests bound to this resident while they were away become taken now that the BSN is known.
    await app_state(request).outbox.resident_logged_in(partij_id)
    # A request link waiting in its cookie is never bound here: the resident confirms it first.
    link = request.cookies.get(LINK_COOKIE)
    response = see(CONFIRM_PAGE if link else local_page(next_page))
    set_cookie(request, response, SESSION_COOKIE, token, int(residents.SESSION_LIFETIME.total_seconds()))
    drop_cookie(response, LOGIN_COOKIE)
    return response


@router.post("/uitloggen")
async def logout(request: Request, resident: CurrentResident) -> Response:
    await checked_form(request, resident)
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await residents.close_session(sessions_of(request), token)
    response = see("/mijn/inloggen?uitgelogd=1")
    drop_cookie(response, SESSION_COOKIE)
    response.delete_cookie(chat_binding.COOKIE, path=chat_binding.COOKIE_PATH)
    return response
