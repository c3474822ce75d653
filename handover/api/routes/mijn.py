"""MijnGemeente: the resident's own pages (requests, contacts, preferences), server-rendered.

Every page works without JavaScript. Resident and agent text is untrusted: the templates are
autoescaped. Anything that is not the logged-in resident's own gets the same 404 page as
something that does not exist, so a page never confirms that someone else's data exists.
"""

from __future__ import annotations

import hmac
import inspect
import json
import logging
import re
import secrets
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import jinja2
from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from starlette.datastructures import FormData

from klantbeeld_client import TaakStatus

from ...auth import chat_binding, residents
from ...auth.oidc import TOKEN_REASONS, OidcRefused, claim_state
from ...auth.residents import IdentityProvider, LoginFailed, ProviderUnavailable
from ...core.clock import LOCAL_ZONE, local
from ...services import inzage
from ...services.klantbeeld.audit import audit
from ...services.klantbeeld.concept_requests import request_for, requests_of, submit
from ...services.klantbeeld.errors import AlreadyBound, NotAllowed
from ...services.klantbeeld.links import claim_by_link, preview_link
from ...services.klantbeeld.residents import identify, partij, update_preferences
from ...services.partijen import OpenKlant
from ...settings import Settings
from ...state import app_state
from ...store import repo
from .. import security

log = logging.getLogger(__name__)

MIJN = Path(__file__).resolve().parents[2] / "web" / "mijn"
SESSION_COOKIE = "mijn_session"
LOGIN_COOKIE = "mijn_login"  # state of a login in progress, and where to go afterwards
LINK_COOKIE = "mijn_link"  # a request link waiting for the resident's confirmation
CONFIRM_PAGE = "/mijn/koppelen"
COOKIE_PATH = "/mijn"
LOGIN_COOKIE_SECONDS = 15 * 60
CSRF_FIELD = "csrf"
_LINK_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,100}$")
_LOCAL_PAGE = re.compile(r"^/mijn(/(?!aanvraag/)[A-Za-z0-9_-]+)*$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9][0-9 ()-]{5,19}$")

LANGUAGES = {
    "nl": "Nederlands",
    "en": "Engels (English)",
    "tr": "Turks (Türkçe)",
    "ar": "Arabisch (العربية)",
    "pl": "Pools (Polski)",
    "uk": "Oekraïens (Українська)",
}
CHANNELS = {"chat": "Chat", "email": "E-mail", "telefoon": "Telefoon", "post": "Post"}
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

# Readable labels and autocomplete hints (WCAG 1.3.5) for the keys agents use most.
FIELD_LABELS: dict[str, tuple[str, str | None]] = {
    "naam": ("Naam", "name"),
    "voornaam": ("Voornaam", "given-name"),
    "achternaam": ("Achternaam", "family-name"),
    "adres": ("Adres", "street-address"),
    "straat": ("Straat en huisnummer", "street-address"),
    "postcode": ("Postcode", "postal-code"),
    "woonplaats": ("Woonplaats", "address-level2"),
    "email": ("E-mailadres", "email"),
    "e-mail": ("E-mailadres", "email"),
    "telefoon": ("Telefoonnummer", "tel"),
    "iban": ("Rekeningnummer (IBAN)", None),
    "geboortedatum": ("Geboortedatum", "bday"),
    "inkomen": ("Inkomen per maand (euro)", None),
    "huishouden": ("Samenstelling van uw huishouden", None),
    "toelichting": ("Toelichting", None),
}


class HideLinkTokens(logging.Filter):
    """Access logs show `/mijn/aanvraag/***`: a request link is a secret until it is claimed."""

    _TOKEN = re.compile(r"(/mijn/aanvraag/)[^/?\s\"]+")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(self._TOKEN.sub(r"\1***", a) if isinstance(a, str) else a for a in record.args)
        return True


_access_log = logging.getLogger("uvicorn.access")
if not any(isinstance(f, HideLinkTokens) for f in _access_log.filters):
    _access_log.addFilter(HideLinkTokens())


# --- errors that become pages ----------------------------------------------------------------


class LoginRequired(Exception):
    def __init__(self, next_page: str) -> None:
        self.next_page = next_page


class PageNotFound(Exception):
    pass


class CsrfRefused(Exception):
    pass


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


router = APIRouter(prefix="/mijn", tags=["mijn"], include_in_schema=False, route_class=MijnRoute)


# --- templates -------------------------------------------------------------------------------


def _date(value: str | datetime | None, zone: str = LOCAL_ZONE) -> str:
    if not value:
        return ""
    # core.clock.local: a naive moment (SQLite) is UTC, not the server clock's zone.
    moment = local(datetime.fromisoformat(value) if isinstance(value, str) else value, zone)
    return f"{moment.day} {MONTHS[moment.month - 1]} {moment.year} om {moment:%H:%M}"


_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(MIJN),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters["datum"] = _date
templates = Jinja2Templates(env=_env)


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> Response:
    context.setdefault("resident", None)
    context.setdefault("current", "")
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    resident, token = context["resident"], request.cookies.get(SESSION_COOKIE)
    if resident is not None and token:
        # The chat widget on this page starts conversations that are this resident's at once.
        settings = _settings(request)
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


# --- the logged-in resident ------------------------------------------------------------------


@dataclass
class Resident:
    partij_id: int
    csrf: str
    name: str
    profile: dict[str, Any] = field(default_factory=dict)


def _settings(request: Request) -> Settings:
    settings: Settings = app_state(request).settings
    return settings


def _sessions(request: Request) -> repo.Sessions:
    sessions: repo.Sessions = app_state(request).db.sessions
    return sessions


def _openklant(request: Request) -> OpenKlant:
    openklant: OpenKlant = app_state(request).openklant
    return openklant


def identity_provider(request: Request) -> IdentityProvider:
    """Chosen at first use and kept; a refused provider (development in production) stays refused."""
    provider: IdentityProvider | None = getattr(app_state(request), "resident_idp", None)
    if provider is None:
        provider = residents.provider_for(_settings(request))
        app_state(request).resident_idp = provider
    return provider


async def optional_resident(request: Request) -> Resident | None:
    found = await residents.session_resident(_sessions(request), request.cookies.get(SESSION_COOKIE))
    if found is None:
        return None
    partij_id, csrf = found
    profile = await partij(_sessions(request), partij_id)
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


async def checked_form(request: Request, resident: Resident) -> FormData:
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    if not isinstance(sent, str) or not hmac.compare_digest(sent.encode(), resident.csrf.encode()):
        raise CsrfRefused()
    return form


def _set_cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        path=COOKIE_PATH,
        secure=_settings(request).environment == "production",
    )


def _drop_cookie(response: Response, name: str) -> None:
    response.delete_cookie(name, path=COOKIE_PATH)


def _local_page(value: str | None) -> str:
    return value if value and _LOCAL_PAGE.match(value) else "/mijn"


def _see(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


# --- static ---------------------------------------------------------------------------------


@router.get("/stijl.css")
async def stylesheet() -> Response:
    return FileResponse(MIJN / "mijn.css", media_type="text/css", headers={"Cache-Control": "public, max-age=300"})


# --- login and logout ------------------------------------------------------------------------


@router.get("/inloggen")
async def login_page(
    request: Request,
    resident: MaybeResident,
    provider: Provider,
    volgende: str | None = None,
    uitgelogd: str | None = None,
) -> Response:
    next_page = _local_page(volgende)
    if resident is not None:
        return _see(next_page)
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
    _set_cookie(request, response, LOGIN_COOKIE, f"{state}:{next_page}", LOGIN_COOKIE_SECONDS)
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
        if redis is not None and not await claim_state(redis, _settings(request).redis_namespace, state):
            return message_page(request, "inloggen_mislukt", 400)  # this callback was used before: a replay
    except OidcRefused:  # Redis is down: a replay cannot be ruled out
        return message_page(request, "inloggen_onmogelijk", 503)
    try:
        identity = await provider.complete(params)
    except LoginFailed as exc:
        # A token that fails its checks, or no BSN/KvK in it: not "try again later" but "not proven".
        refused = getattr(exc, "reason", "") in TOKEN_REASONS | {"no-identifier"}
        return message_page(request, "inloggen_geweigerd" if refused else "inloggen_mislukt", 400)
    sessions = _sessions(request)
    partij_id = await identify(
        sessions,
        _settings(request).partij_hash_key,
        kind=identity.kind,
        value=identity.value,
        display_name=identity.name,
        email=identity.email,
        phone=identity.phone,
    )
    await audit(sessions, f"resident:{partij_id}", "resident.login", partij_id, None, provider.name)
    # The same person in Open Klant (by BSN): their other channels' contacts, and the wasPartij of
    # their chats' registrations. Open Klant not answering does not stop the login.
    await _openklant(request).link_partij(
        sessions, partij_id, kind=identity.kind, value=identity.value, name=identity.name
    )
    token, _ = await residents.open_session(sessions, partij_id, identity=identity)
    # Requests bound to this resident while they were away become taken now that the BSN is known.
    await app_state(request).outbox.resident_logged_in(partij_id)
    # A request link waiting in its cookie is never bound here: the resident confirms it first.
    link = request.cookies.get(LINK_COOKIE)
    response = _see(CONFIRM_PAGE if link else _local_page(next_page))
    _set_cookie(request, response, SESSION_COOKIE, token, int(residents.SESSION_LIFETIME.total_seconds()))
    _drop_cookie(response, LOGIN_COOKIE)
    return response


@router.post("/uitloggen")
async def logout(request: Request, resident: CurrentResident) -> Response:
    await checked_form(request, resident)
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await residents.close_session(_sessions(request), token)
    response = _see("/mijn/inloggen?uitgelogd=1")
    _drop_cookie(response, SESSION_COOKIE)
    response.delete_cookie(chat_binding.COOKIE, path=chat_binding.COOKIE_PATH)
    return response


# --- the link from the chat ------------------------------------------------------------------


@router.get("/aanvraag/{token}")
async def request_link(request: Request, token: str, resident: MaybeResident) -> Response:
    """Open a link from the chat. A GET never binds anything: a link someone else sent, clicked by
    a logged-in resident, only leads to a page that shows what would be linked and asks first."""
    if not _LINK_TOKEN.match(token):
        raise PageNotFound()
    if resident is not None:
        try:
            preview = await preview_link(_sessions(request), token, resident.partij_id)
        except AlreadyBound:
            return message_page(request, "al_gekoppeld", 409)
        except NotAllowed:
            return message_page(request, "link_werkt_niet", 404)
        if preview.owned:
            return _see(f"/mijn/aanvragen/{preview.request_id}")
    # Kept in an HttpOnly cookie, not in a further URL, so it appears in no further log line.
    response = _see(CONFIRM_PAGE if resident is not None else "/mijn/inloggen")
    _set_cookie(request, response, LINK_COOKIE, token, LOGIN_COOKIE_SECONDS)
    return response


def _waiting_link(request: Request) -> str | None:
    token = request.cookies.get(LINK_COOKIE)
    return token if token and _LINK_TOKEN.match(token) else None


def _link_problem(request: Request, key: str, status_code: int) -> Response:
    response = message_page(request, key, status_code)
    _drop_cookie(response, LINK_COOKIE)
    return response


@router.get("/koppelen")
async def confirm_link_page(request: Request, resident: CurrentResident) -> Response:
    """Show what the link would add to this resident's MijnGemeente, and ask to confirm."""
    token = _waiting_link(request)
    if token is None:
        return _link_problem(request, "link_werkt_niet", 404)
    try:
        preview = await preview_link(_sessions(request), token, resident.partij_id)
    except AlreadyBound:
        return _link_problem(request, "al_gekoppeld", 409)
    except NotAllowed:
        return _link_problem(request, "link_werkt_niet", 404)
    if preview.owned:
        response = _see(f"/mijn/aanvragen/{preview.request_id}")
        _drop_cookie(response, LINK_COOKIE)
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
        response = _see("/mijn")
        _drop_cookie(response, LINK_COOKIE)
        return response
    sessions = _sessions(request)
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
    response = _see(f"/mijn/aanvragen/{request_id}")
    _drop_cookie(response, LINK_COOKIE)
    return response


# --- pages -----------------------------------------------------------------------------------


@router.get("")
async def overview(request: Request, resident: CurrentResident) -> Response:
    sessions = _sessions(request)
    requests = await requests_of(sessions, resident.partij_id)
    contacts = await _openklant(request).contacts(sessions, resident.partij_id, actor=f"resident:{resident.partij_id}")
    return render(
        request,
        "overzicht.html",
        resident=resident,
        current="overzicht",
        title="Overzicht",
        open_requests=[r for r in requests if r["status"] == "open"],
        contacts=contacts.items[:3],
        contact_count=len(contacts.items),
        request_count=len(requests),
        contacts_note=contacts.note,
        channels=CONTACT_CHANNELS,
    )


@router.get("/aanvragen")
async def request_list(request: Request, resident: CurrentResident) -> Response:
    requests = await requests_of(_sessions(request), resident.partij_id)
    return render(
        request,
        "aanvragen.html",
        resident=resident,
        current="aanvragen",
        title="Mijn aanvragen",
        todo=[r for r in requests if r["status"] == "open"],
        done=[r for r in requests if r["status"] != "open"],
    )


async def _own_request(request: Request, resident: Resident, request_id: str) -> dict[str, Any]:
    if not request_id.isdigit() or len(request_id) > 10 or int(request_id) > 2**31 - 1:  # a database INTEGER
        raise PageNotFound()
    try:
        return await request_for(_sessions(request), int(request_id), resident.partij_id)
    except NotAllowed:
        raise PageNotFound() from None


@dataclass
class Field:
    key: str
    id: str
    label: str
    kind: str  # text | textarea | number | checkbox | readonly
    value: str
    autocomplete: str | None = None
    error: str | None = None

    @property
    def name(self) -> str:
        return "veld:" + self.key


def _fields(data: dict[str, Any]) -> list[Field]:
    fields = []
    for index, (key, value) in enumerate(data.items(), start=1):
        label, autocomplete = FIELD_LABELS.get(
            key.lower(), (key.replace("_", " ").replace("-", " ").capitalize(), None)
        )
        if isinstance(value, bool):
            kind, text = "checkbox", "ja" if value else ""
        elif isinstance(value, int | float):
            kind, text = "number", str(value).replace(".", ",")
        elif isinstance(value, str | None):
            text = value or ""
            kind = "textarea" if len(text) > 80 or "\n" in text else "text"
        else:
            kind, text = "readonly", ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        fields.append(Field(key, f"veld-{index}", label, kind, text, autocomplete))
    return fields


def _read_fields(fields: list[Field], original: dict[str, Any], form: FormData) -> dict[str, Any]:
    """Validate the form against the request's own keys (nothing else is accepted); set errors."""
    values: dict[str, Any] = {}
    for item in fields:
        sent = form.get(item.name)
        text = sent.strip() if isinstance(sent, str) else ""
        if item.kind == "readonly":
            continue
        if item.kind == "checkbox":
            values[item.key] = text == "ja"
            item.value = "ja" if values[item.key] else ""
            continue
        item.value = text
        if not text:
            item.error = f"Vul {item.label.lower()} in."
        elif len(text) > 2000:
            item.error = f"{item.label} is te lang. Gebruik maximaal 2000 tekens."
        elif item.kind == "number":
            try:
                number = (
                    float(text.replace(".", "").replace(",", "."))
                    if isinstance(original[item.key], float)
                    else int(text.replace(".", ""))
                )
            except ValueError:
                item.error = f"Vul bij {item.label.lower()} alleen een getal in, bijvoorbeeld 1200."
            else:
                values[item.key] = number
        else:
            values[item.key] = text
    return values


@router.get("/aanvragen/{request_id}")
async def request_page(
    request: Request, request_id: str, resident: CurrentResident, verstuurd: str | None = None
) -> Response:
    concept = await _own_request(request, resident, request_id)
    return render(
        request,
        "aanvraag.html",
        resident=resident,
        current="aanvragen",
        title=concept["title"],
        concept=concept,
        fields=_fields(concept["data"]),
        errors=[],
        confirmed=False,
        confirm_error=None,
        just_sent=verstuurd is not None and concept["status"] != "open",
    )


@router.post("/aanvragen/{request_id}")
async def submit_request(request: Request, request_id: str, resident: CurrentResident) -> Response:
    form = await checked_form(request, resident)
    concept = await _own_request(request, resident, request_id)
    if concept["status"] != "open":
        return _see(f"/mijn/aanvragen/{concept['id']}")
    fields = _fields(concept["data"])
    values = _read_fields(fields, concept["data"], form)
    errors = [(f.id, f.error) for f in fields if f.error]
    confirmed = form.get("bevestiging") == "ja"
    if not confirmed:
        errors.append(("bevestiging", "Vink aan dat u de gegevens heeft gecontroleerd."))
    if errors:
        return render(
            request,
            "aanvraag.html",
            400,
            resident=resident,
            current="aanvragen",
            title=f"Fout: {concept['title']}",
            concept=concept,
            fields=fields,
            errors=errors,
            confirmed=confirmed,
            confirm_error=dict(errors).get("bevestiging"),
            just_sent=False,
        )
    sessions = _sessions(request)
    try:
        await submit(sessions, concept["id"], resident.partij_id, values)
    except NotAllowed:  # sent twice at the same moment: the first one counts
        return _see(f"/mijn/aanvragen/{concept['id']}")
    outbox = app_state(request).outbox
    await outbox.request_published(concept["id"])  # no-op when its taak exists already
    await outbox.request_status(concept["id"], TaakStatus.AFGEROND)
    await _tell_agents(request, concept)
    return _see(f"/mijn/aanvragen/{concept['id']}?verstuurd=1")


async def _tell_agents(request: Request, concept: dict[str, Any]) -> None:
    conversation = await repo.get_conversation(_sessions(request), concept["conversation_id"])
    if conversation is None or not conversation.team:
        return
    await app_state(request).fanout.ephemeral(
        "queue:" + conversation.team,
        {
            "type": "request_status",
            "request_id": concept["id"],
            "status": "ingediend",
            "conversation_id": concept["conversation_id"],
        },
    )


@router.get("/contacten")
async def contacts_page(request: Request, resident: CurrentResident) -> Response:
    contacts = await _openklant(request).contacts(
        _sessions(request), resident.partij_id, actor=f"resident:{resident.partij_id}"
    )
    return render(
        request,
        "contacten.html",
        resident=resident,
        current="contacten",
        title="Mijn contacten",
        contacts=contacts.items,
        note=contacts.note,
        channels=CONTACT_CHANNELS,
    )


def _preferences_page(
    request: Request,
    resident: Resident,
    values: dict[str, str],
    errors: list[tuple[str, str]],
    saved: bool = False,
    status_code: int = 200,
    erased: bool = False,
) -> Response:
    title = "Mijn gegevens" if not errors else "Fout: Mijn gegevens"
    return render(
        request,
        "gegevens.html",
        status_code,
        resident=resident,
        current="gegevens",
        title=title,
        values=values,
        errors=dict(errors),
        error_list=errors,
        saved=saved,
        erased=erased,
        languages=LANGUAGES,
        channels=CHANNELS,
    )


@router.get("/gegevens")
async def preferences_page(
    request: Request, resident: CurrentResident, opgeslagen: str | None = None, verwijderd: str | None = None
) -> Response:
    profile = resident.profile
    values = {
        "email": profile["email"] or "",
        "phone": profile["phone"] or "",
        "preferred_language": profile["preferred_language"],
        "preferred_channel": profile["preferred_channel"],
    }
    return _preferences_page(request, resident, values, [], saved=opgeslagen is not None, erased=verwijderd is not None)


@router.post("/gegevens")
async def save_preferences(request: Request, resident: CurrentResident) -> Response:
    form = await checked_form(request, resident)
    values = {
        name: str(form.get(name) or "").strip()
        for name in ("email", "phone", "preferred_language", "preferred_channel")
    }
    errors: list[tuple[str, str]] = []
    if values["email"] and (len(values["email"]) > 254 or not _EMAIL.match(values["email"])):
        errors.append(("email", "Vul een e-mailadres in zoals naam@voorbeeld.nl."))
    if values["phone"] and not _PHONE.match(values["phone"]):
        errors.append(("phone", "Vul een telefoonnummer in met alleen cijfers, zoals 0612345678."))
    if values["preferred_language"] not in LANGUAGES:
        errors.append(("preferred_language", "Kies een taal uit de lijst."))
    if values["preferred_channel"] not in CHANNELS:
        errors.append(("preferred_channel-chat", "Kies hoe wij contact met u opnemen."))
    elif values["preferred_channel"] == "email" and not values["email"] and "email" not in dict(errors):
        errors.append(("email", "Vul uw e-mailadres in. U koos voor contact per e-mail."))
    elif values["preferred_channel"] == "telefoon" and not values["phone"] and "phone" not in dict(errors):
        errors.append(("phone", "Vul uw telefoonnummer in. U koos voor contact per telefoon."))
    if errors:
        return _preferences_page(request, resident, values, errors, status_code=400)
    await update_preferences(
        _sessions(request),
        resident.partij_id,
        email=values["email"] or None,
        phone=values["phone"] or None,
        preferred_language=values["preferred_language"],
        preferred_channel=values["preferred_channel"],
    )
    return _see("/mijn/gegevens?opgeslagen=1")


@router.get("/gegevens/inzage")
async def export_data(request: Request, resident: CurrentResident) -> Response:
    """Everything this service holds about the resident, as a JSON download (AVG inzage)."""
    data = await inzage.export(_sessions(request), resident.partij_id)
    await audit(_sessions(request), f"resident:{resident.partij_id}", "resident.export", resident.partij_id, None)
    return Response(
        json.dumps(data, ensure_ascii=False, indent=2),
        media_type="application/json",
        headers={"Content-Disposition": 'attachment; filename="mijn-gegevens.json"', "Cache-Control": "no-store"},
    )


@router.post("/gegevens/verwijderen")
async def erase_data(request: Request, resident: CurrentResident) -> Response:
    await checked_form(request, resident)
    withdrawn = [
        r["id"]
        for r in await requests_of(_sessions(request), resident.partij_id)
        if r["status"] in inzage.ERASABLE_REQUESTS
    ]
    await inzage.erase(_sessions(request), resident.partij_id)
    for request_id in withdrawn:  # their taken in the Objects API are closed, not left open
        await app_state(request).outbox.request_status(request_id, TaakStatus.GESLOTEN)
    return _see("/mijn/gegevens?verwijderd=1")
