"""The logged-in resident and the cookies of MijnGemeente, and the parts of the service a page uses."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.responses import RedirectResponse

from ....auth import residents
from ....auth.residents import IdentityProvider
from ....services.klantbeeld.residents import partij
from ....services.partijen import OpenKlant
from ....settings import Settings
from ....state import app_state
from ....store import repo
from .pages import SESSION_COOKIE, LoginRequired

LOGIN_COOKIE = "mijn_login"  # state of a login in progress, and where to go afterwards
LINK_COOKIE = "mijn_link"  # a request link waiting for the resident's confirmation
CONFIRM_PAGE = "/mijn/koppelen"
COOKIE_PATH = "/mijn"
LOGIN_COOKIE_SECONDS = 15 * 60
LINK_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,100}$")
LOCAL_PAGE = re.compile(r"^/mijn(/(?!aanvraag/)[A-Za-z0-9_-]+)*$")


@dataclass
class Resident:
    partij_id: int
    csrf: str
    name: str
    profile: dict[str, Any] = field(default_factory=dict)


def settings_of(request: Request) -> Settings:
    settings: Settings = app_state(request).settings
    return settings


def sessions_of(request: Request) -> repo.Sessions:
    sessions: repo.Sessions = app_state(request).db.sessions
    return sessions


def openklant_of(request: Request) -> OpenKlant:
    openklant: OpenKlant = app_state(request).openklant
    return openklant


def identity_provider(request: Request) -> IdentityProvider:
    """Chosen at first use and kept; a refused provider (development in production) stays refused."""
    provider: IdentityProvider | None = getattr(app_state(request), "resident_idp", None)
    if provider is None:
        provider = residents.provider_for(settings_of(request))
        app_state(request).resident_idp = provider
    return provider


async def optional_resident(request: Request) -> Resident | None:
    found = await residents.session_resident(sessions_of(request), request.cookies.get(SESSION_COOKIE))
    if found is None:
        return None
    partij_id, csrf = found
    profile = await partij(sessions_of(request), partij_id)
    if profile is None:
        return None
    return Resident(partij_id, csrf, profile["name"], profile)


async def current_resident(
    request: Request, resident: Annotated[Resident | None, Depends(optional_resident)]
) -> Resident:
    if resident is None:
        raise LoginRequired(request.url.path if request.method == "GET" else "/mijn")
    return resident


MaybeResident = Annotated[Resident | None, Depends(optional_resident)]
CurrentResident = Annotated[Resident, Depends(current_resident)]
Provider = Annotated[IdentityProvider, Depends(identity_provider)]


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        path=COOKIE_PATH,
        secure=settings_of(request).environment == "production",
    )


def drop_cookie(response: Response, name: str) -> None:
    response.delete_cookie(name, path=COOKIE_PATH)


def local_page(value: str | None) -> str:
    return value if value and LOCAL_PAGE.match(value) else "/mijn"


def see(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)
