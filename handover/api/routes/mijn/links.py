"""The link from the chat (/mijn/aanvraag/<token>) and its confirmation (/mijn/koppelen)."""

from __future__ import annotations

from fastapi import Request, Response

from ....services.klantbeeld.audit import audit
from ....services.klantbeeld.errors import AlreadyBound, NotAllowed
from ....services.klantbeeld.links import claim_by_link, preview_link
from ....state import app_state
from .forms import checked_form
from .pages import PageNotFound, message_page, mijn_router, render
from .session import (
    CONFIRM_PAGE,
    LINK_COOKIE,
    LINK_TOKEN,
    LOGIN_COOKIE_SECONDS,
    CurrentResident,
    MaybeResident,
    drop_cookie,
    see,
    sessions_of,
    set_cookie,
)

router = mijn_router()


@router.get("/aanvraag/{token}")
async def request_link(request: Request, token: str, resident: MaybeResident) -> Response:
    """Open a link from the chat. A GET never binds anything: a link someone else sent, clicked by
    a logged-in resident, only leads to a page that shows what would be linked and asks first."""
    if not LINK_TOKEN.match(token):
        raise PageNotFound()
    if resident is not None:
        try:
            preview = await preview_link(sessions_of(request), token, resident.partij_id)
        except AlreadyBound:
            return message_page(request, "al_gekoppeld", 409)
        except NotAllowed:
            return message_page(request, "link_werkt_niet", 404)
        if preview.owned:
            return see(f"/mijn/aanvragen/{preview.request_id}")
    # Kept in an HttpOnly cookie, not in a further URL, so it appears in no further log line.
    response = see(CONFIRM_PAGE if resident is not None else "/mijn/inloggen")
    set_cookie(request, response, LINK_COOKIE, token, LOGIN_COOKIE_SECONDS)
    return response


def _waiting_link(request: Request) -> str | None:
    token = request.cookies.get(LINK_COOKIE)
    return token if token and LINK_TOKEN.match(token) else None


def _link_problem(request: Request, key: str, status_code: int) -> Response:
    response = message_page(request, key, status_code)
    drop_cookie(response, LINK_COOKIE)
    return response


@router.get("/koppelen")
async def confirm_link_page(request: Request, resident: CurrentResident) -> Response:
    """Show what the link would add to this resident's MijnGemeente, and ask to confirm."""
    token = _waiting_link(request)
    if token is None:
        return _link_problem(request, "link_werkt_niet", 404)
    try:
        preview = await preview_link(sessions_of(request), token, resident.partij_id)
    except AlreadyBound:
        return _link_problem(request, "al_gekoppeld", 409)
    except NotAllowed:
        return _link_problem(request, "link_werkt_niet", 404)
    if preview.owned:
        response = see(f"/mijn/aanvragen/{preview.request_id}")
        drop_cookie(response, LINK_COOKIE)
        return response
    return render(
        request,
        "koppelen.html",
        resident=resident,
        current="aanvragen",
        preview=preview,
        title="Aanvraag toevoegen aan uw account?",
    )


@router.post("/koppelen")
async def confirm_link(request: Request, resident: CurrentResident) -> Response:
    """The resident's explicit, CSRF-checked confirmation: only now is anything bound."""
    form = await checked_form(request, resident)
    token = _waiting_link(request)
    if token is None:
        return _link_problem(request, "link_werkt_niet", 404)
    if form.get("keuze") != "ja":
        response = see("/mijn")
        drop_cookie(response, LINK_COOKIE)
        return response
    sessions = sessions_of(request)
    try:
        request_id = await claim_by_link(sessions, token, resident.partij_id)
    except AlreadyBound:
        return _link_problem(request, "al_gekoppeld", 409)
    except NotAllowed:
        # Expired or unknown: one answer, so nothing is confirmed.
        return _link_problem(request, "link_werkt_niet", 404)
    await audit(
        sessions,
        f"resident:{resident.partij_id}",
        "concept_request.open_link",
        resident.partij_id,
        None,
        f"#{request_id}",
    )
    await app_state(request).outbox.request_published(request_id)  # a taak, now that we know for whom
    response = see(f"/mijn/aanvragen/{request_id}")
    drop_cookie(response, LINK_COOKIE)
    return response
