"""What every MijnGemeente page shares: the route class that turns errors into pages and adds
the headers of a personal page, the templates, the messages, and the stylesheet."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates

from ....auth import chat_binding
from ....auth.residents import ProviderUnavailable
from ....core.clock import LOCAL_ZONE, local
from ....core.errors import HandoverError
from ....settings import Settings
from ....state import app_state
from ... import security

log = logging.getLogger(__name__)

MIJN = Path(__file__).resolve().parents[3] / "web" / "mijn"
SESSION_COOKIE = "mijn_session"
#: How a klantcontact's ``kanaal`` reads ("telefoon" from Open Klant -> "Telefoon").
CONTACT_CHANNELS = {
    "chat": "Chat",
    "telefoon": "Telefoon",
    "email": "E-mail",
    "e-mail": "E-mail",
    "balie": "Balie",
    "post": "Post",
    "brief": "Post",
    "website": "Website",
    "formulier": "Formulier op de website",
    "social": "Sociale media",
}
MONTHS = (
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
)


# --- errors that become pages ----------------------------------------------------------------


class LoginRequired(HandoverError):
    code = "login_required"

    def __init__(self, next_page: str) -> None:
        super().__init__(next_page)
        self.next_page = next_page


class PageNotFound(HandoverError):
    code = "page_not_found"


class CsrfRefused(HandoverError):
    code = "csrf_refused"


class MijnRoute(APIRoute):
    """Turns the errors above into pages, and adds the headers every personal page needs."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                response = await handler(request)
            except LoginRequired as exc:
                target = "/mijn/inloggen"
                if exc.next_page != "/mijn":
                    target += "?volgende=" + quote(exc.next_page, safe="/")
                response = RedirectResponse(target, status_code=303)
            except PageNotFound:
                response = message_page(request, "niet_gevonden", 404)
            except CsrfRefused:
                response = message_page(request, "formulier_verlopen", 403)
            except ProviderUnavailable as exc:
                log.error("resident login unavailable: %s", exc)
                response = message_page(request, "inloggen_onmogelijk", 503)
            # Personal data: not cached, not framed, and the link token never leaks as a Referer.
            response.headers.setdefault("Cache-Control", "no-store")
            response.headers["Referrer-Policy"] = "no-referrer"
            response.headers["X-Content-Type-Options"] = "nosniff"
            # Our own script only: the chat widget, which talks to this host's websocket.
            secure = request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"
            response.headers["Content-Security-Policy"] = (
                "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                f"connect-src 'self'{security.socket_sources(request.headers.get('host'), secure)}; "
                "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
            )
            return response

        return route


def mijn_router() -> APIRouter:
    """A router for a group of MijnGemeente pages (main.py includes them all through ``router``)."""
    return APIRouter(prefix="/mijn", tags=["mijn"], include_in_schema=False, route_class=MijnRoute)


router = mijn_router()


@router.get("/stijl.css")
async def stylesheet() -> Response:
    return FileResponse(MIJN / "mijn.css", media_type="text/css", headers={"Cache-Control": "public, max-age=300"})


# --- templates -------------------------------------------------------------------------------


def long_date(value: str | datetime | None, zone: str = LOCAL_ZONE) -> str:
    if not value:
        return ""
    # core.clock.local: a naive moment (SQLite) is UTC, not the server clock's zone.
    moment = local(datetime.fromisoformat(value) if isinstance(value, str) else value, zone)
    return f"{moment.day} {MONTHS[moment.month - 1]} {moment.year} om {moment:%H:%M}"


environment = jinja2.Environment(
    loader=jinja2.FileSystemLoader(MIJN),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
environment.filters["datum"] = long_date
templates = Jinja2Templates(env=environment)


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> Response:
    context.setdefault("resident", None)
    context.setdefault("current", "")
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    resident, token = context["resident"], request.cookies.get(SESSION_COOKIE)
    if resident is not None and token:
        # The chat widget on this page starts conversations that are this resident's at once.
        settings: Settings = app_state(request).settings
        response.set_cookie(
            chat_binding.COOKIE,
            chat_binding.issue(settings.secret_key, resident.partij_id, token),
            max_age=int(chat_binding.LIFETIME.total_seconds()),
            httponly=True,
            samesite="strict",
            path=chat_binding.COOKIE_PATH,
            secure=settings.environment == "production",
        )
    return response


MESSAGES: dict[str, dict[str, Any]] = {
    "niet_gevonden": {
        "title": "Deze pagina bestaat niet",
        "lines": [
            "We kunnen deze pagina niet vinden. Misschien is het adres niet goed overgenomen.",
            "Zoekt u een aanvraag? Kijk dan bij Mijn aanvragen.",
        ],
    },
    "link_werkt_niet": {
        "title": "Deze link werkt niet (meer)",
        "lines": [
            "Een link naar een aanvraag werkt een paar dagen. Daarna is de link verlopen.",
            "De link werkt ook alleen voor de persoon die hem als eerste gebruikt.",
            "Heeft u de aanvraag al geopend? Dan staat hij bij Mijn aanvragen. "
            "Staat hij daar niet? Start dan een nieuwe chat, dan zetten we de aanvraag opnieuw voor u klaar.",
        ],
    },
    "al_gekoppeld": {
        "title": "Deze aanvraag hoort bij een ander account",
        "lines": [
            "Deze aanvraag of het chatgesprek waarin hij is klaargezet, is al gekoppeld aan een ander "
            "account. Wij koppelen hem niet aan een tweede account. Dat is voor uw veiligheid.",
            "Heeft u de chat zelf gevoerd? Log dan in met het account waarmee u de aanvraag eerder opende. "
            "Lukt dat niet? Start dan een nieuwe chat, dan zetten we de aanvraag opnieuw voor u klaar.",
        ],
    },
    "formulier_verlopen": {
        "title": "Dit formulier is verlopen",
        "lines": [
            "Uw gegevens zijn niet verstuurd. Dat is voor uw veiligheid.",
            "Ga terug, laad de pagina opnieuw en probeer het nog een keer.",
        ],
    },
    "inloggen_mislukt": {
        "title": "Inloggen is niet gelukt",
        "lines": ["Het inloggen duurde te lang of is onderbroken. Probeer het opnieuw."],
    },
    "inloggen_geweigerd": {
        "title": "Inloggen is niet gelukt",
        "lines": [
            "We konden niet controleren wie u bent. U bent niet ingelogd en er is niets opgeslagen.",
            "Probeer het opnieuw. Lukt het weer niet? Bel dan 14 0 + netnummer.",
        ],
    },
    "inloggen_onmogelijk": {
        "title": "Inloggen kan nu niet",
        "lines": [
            "Door een storing kunt u nu niet inloggen. Probeer het later opnieuw.",
            "Heeft u haast? Bel dan 14 0 + netnummer.",
        ],
    },
}


def message_page(request: Request, key: str, status_code: int) -> Response:
    return render(request, "melding.html", status_code, message=MESSAGES[key], key=key, title=MESSAGES[key]["title"])
