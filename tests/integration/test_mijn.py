"""MijnGemeente over real HTTP: login, the link from the chat, isolation between residents, CSRF,
submitting a request, and the development identity provider's refusal in production."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import timedelta
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import select, update
from wsclient import ChatClient

from handover.auth import residents
from handover.core.masking import is_bsn
from handover.services.klantbeeld.concept_requests import Published, publish_concept_request
from handover.services.klantbeeld.contacts import register_contact
from handover.settings import Settings
from handover.store.db import Database
from handover.store.models import AuditEntry, ConceptRequest, ConceptRequestStatus, Conversation

DATA = {"naam": "Eva de Boer", "postcode": "1234 AB", "inkomen": 1850, "huurwoning": True}


async def conversation(service) -> str:  # type: ignore[no-untyped-def]
    async with ChatClient(service.ws) as client:
        started = await client.start()
    return str(started["conversation_id"])


async def concept(
    service,
    db: Database,
    *,
    lifetime: timedelta = timedelta(days=7),  # type: ignore[no-untyped-def]
    data: dict[str, Any] | None = None,
) -> tuple[str, Published]:
    conversation_id = await conversation(service)
    published = await publish_concept_request(
        db.sessions,
        conversation_id,
        agent_id=1,
        agent_name="Anna",
        request_type="energiesubsidie",
        title="Energiesubsidie",
        data=dict(data or DATA),
        lifetime=lifetime,
    )
    return conversation_id, published


def client(service) -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
    return httpx.AsyncClient(base_url=service.http, follow_redirects=True)


async def log_in(http: httpx.AsyncClient, persona: str = "eva", page: httpx.Response | None = None) -> httpx.Response:
    """Choose a persona on the login page (the one given, e.g. where a redirect ended)."""
    page = page or await http.get("/mijn/inloggen")
    assert page.status_code == 200
    state = re.search(r'name="state" value="([^"]+)"', page.text)
    assert state, page.text
    return await http.post("/mijn/inloggen", data={"state": state.group(1), "persona": persona})


async def confirm_link(http: httpx.AsyncClient, page: httpx.Response) -> httpx.Response:
    """Say yes on the confirmation page a request link leads to (a GET never binds)."""
    assert str(page.url).endswith("/mijn/koppelen"), page.url
    return await http.post("/mijn/koppelen", data={"keuze": "ja", "csrf": csrf_of(page)})


async def open_link(http: httpx.AsyncClient, token: str, persona: str = "eva") -> httpx.Response:
    """Open a request link before logging in, log in, confirm: the request page."""
    await http.get(f"/mijn/aanvraag/{token}")
    return await confirm_link(http, await log_in(http, persona))


def csrf_of(page: httpx.Response) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


# --- login -----------------------------------------------------------------------------------


async def test_login_with_a_persona_sets_a_safe_session_cookie_and_logout_ends_it(start_service, database_url):
    service = start_service(database_url)
    async with client(service) as http:
        login_page = await http.get("/mijn/inloggen")
        assert "Ontwikkelomgeving: testpersonen, geen echte DigiD" in login_page.text
        done = await log_in(http)
        assert done.status_code == 200 and str(done.url).endswith("/mijn")
        assert "Welkom, Eva de Boer" in done.text
        cookie = next(c for c in done.history[0].headers.get_list("set-cookie") if c.startswith("mijn_session="))
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/mijn" in cookie
        assert "Secure" not in cookie, "Secure only in production (the test server speaks plain HTTP)"
        assert done.headers["cache-control"] == "no-store"
        assert done.headers["referrer-policy"] == "no-referrer"

        refused = await http.post("/mijn/uitloggen", data={})
        assert refused.status_code == 403, "logout without the CSRF token"
        out = await http.post("/mijn/uitloggen", data={"csrf": csrf_of(done)})
        assert "U bent uitgelogd" in out.text
        assert str((await http.get("/mijn")).url).endswith("/mijn/inloggen")


async def test_login_refuses_a_forged_state_or_unknown_persona(start_service, database_url):
    service = start_service(database_url)
    async with client(service) as http:
        await http.get("/mijn/inloggen")
        forged = await http.post("/mijn/inloggen", data={"state": "made-up", "persona": "eva"})
        assert forged.status_code == 400 and "Inloggen is niet gelukt" in forged.text
        unknown = await log_in(http, persona="nobody")
        assert unknown.status_code == 400
        assert "mijn_session" not in http.cookies


async def test_the_same_persona_is_the_same_resident_at_every_login(start_service, database_url, db):
    service = start_service(database_url)
    async with client(service) as http:
        await log_in(http, "marja")
    async with client(service) as http:
        await log_in(http, "marja")
        page = await http.get("/mijn/gegevens")
        assert "BSN *******72" in page.text and "999991772" not in page.text


# --- the link from the chat ------------------------------------------------------------------


async def test_link_binds_to_the_first_resident_and_is_404_for_anyone_else(start_service, database_url, db):
    service = start_service(database_url)
    conversation_id, published = await concept(service, db)
    link = f"/mijn/aanvraag/{published.token}"
    async with client(service) as eva:
        sent_to_login = await eva.get(link)
        assert str(sent_to_login.url).endswith("/mijn/inloggen"), "not logged in: to the login page first"
        assert published.token not in str(sent_to_login.url), "the token is in a cookie, not in a URL"
        assert "Log in om de aanvraag te bekijken" in sent_to_login.text
        confirm = await log_in(eva)
        assert str(confirm.url).endswith("/mijn/koppelen"), "then asked to confirm, nothing bound by a GET"
        opened = await confirm_link(eva, confirm)
        assert str(opened.url).endswith(f"/mijn/aanvragen/{published.request_id}"), "and on to the request"
        assert 'value="1234 AB"' in opened.text and "Energiesubsidie" in opened.text
        assert "mijn_link" not in eva.cookies
        again = await eva.get(link)
        assert str(again.url).endswith(f"/mijn/aanvragen/{published.request_id}"), "the owner may reuse it"

    async with client(service) as youssef:
        await log_in(youssef, "youssef")
        other = await youssef.get(link)
        assert other.status_code == 409 and "Deze aanvraag hoort bij een ander account" in other.text
        assert "Energiesubsidie" not in other.text
        direct = await youssef.get(f"/mijn/aanvragen/{published.request_id}")
        assert direct.status_code == 404 and "1234 AB" not in direct.text
        post = await youssef.post(
            f"/mijn/aanvragen/{published.request_id}",
            data={"csrf": csrf_of(await youssef.get("/mijn/gegevens")), "bevestiging": "ja"},
        )
        assert post.status_code == 404
        listing = await youssef.get("/mijn/aanvragen")
        assert "Energiesubsidie" not in listing.text
    async with db.sessions() as session:
        request = await session.get(ConceptRequest, published.request_id)
        owner = (
            await session.execute(select(Conversation.partij_id).where(Conversation.id == conversation_id))
        ).scalar_one()
    assert request is not None and request.status == "open" and request.partij_id == owner


async def test_the_link_while_logged_in_and_a_link_opened_before_login_by_a_second_resident(
    start_service, database_url, db
):
    service = start_service(database_url)
    _, published = await concept(service, db)
    link = f"/mijn/aanvraag/{published.token}"
    async with client(service) as eva:
        await log_in(eva)
        opened = await confirm_link(eva, await eva.get(link))
        assert str(opened.url).endswith(f"/mijn/aanvragen/{published.request_id}")
    async with client(service) as tim:
        await tim.get(link)  # not logged in yet: the link waits in a cookie during login
        refused = await log_in(tim, "tim")
        assert refused.status_code == 409 and "Deze aanvraag hoort bij een ander account" in refused.text
        assert (await tim.get("/mijn")).status_code == 200, "but the login itself worked"


async def test_an_expired_or_malformed_link_gets_a_friendly_page(start_service, database_url, db):
    service = start_service(database_url)
    _, published = await concept(service, db, lifetime=timedelta(seconds=-1))
    async with client(service) as http:
        await log_in(http)
        expired = await http.get(f"/mijn/aanvraag/{published.token}")
        assert expired.status_code == 404
        assert "Deze link werkt niet (meer)" in expired.text and "verlopen" in expired.text
        assert '<html lang="nl">' in expired.text
        nonsense = await http.get("/mijn/aanvraag/<script>")
        assert nonsense.status_code == 404
        assert (await http.get("/mijn/aanvragen")).text.count("Energiesubsidie") == 0


# --- isolation -------------------------------------------------------------------------------


async def test_a_resident_sees_only_their_own_contacts(start_service, database_url, db):
    service = start_service(database_url)
    conversation_id, published = await concept(service, db)
    async with db.sessions.begin() as session:
        await session.execute(
            update(Conversation)
            .where(Conversation.id == conversation_id)
            .values(summary="Vraag over energiesubsidie <b>besproken</b>; aanvraag klaargezet.")
        )
    await register_contact(db.sessions, conversation_id, "Anna")
    async with client(service) as eva:
        await open_link(eva, published.token)
        mine = await eva.get("/mijn/contacten")
        assert "Vraag over energiesubsidie &lt;b&gt;besproken&lt;/b&gt;" in mine.text, "escaped, not rendered"
        assert "Anna" in mine.text
    async with client(service) as youssef:
        await log_in(youssef, "youssef")
        theirs = await youssef.get("/mijn/contacten")
        assert theirs.status_code == 200
        assert "energiesubsidie" not in theirs.text.lower() and "Anna" not in theirs.text
        assert "Er zijn nog geen contacten" in theirs.text


PAGES = ["/mijn", "/mijn/aanvragen", "/mijn/aanvragen/1", "/mijn/contacten", "/mijn/gegevens"]
POSTS = ["/mijn/aanvragen/1", "/mijn/gegevens", "/mijn/uitloggen"]


async def test_every_page_sends_an_anonymous_visitor_to_login(start_service, database_url):
    service = start_service(database_url)
    async with httpx.AsyncClient(base_url=service.http) as http:
        for path in PAGES:
            response = await http.get(path)
            assert response.status_code == 303, path
            location = response.headers["location"]
            assert location.startswith("/mijn/inloggen"), (path, location)
            if path != "/mijn":
                assert location == "/mijn/inloggen?volgende=" + path
        for path in POSTS:
            response = await http.post(path, data={"csrf": "x", "bevestiging": "ja"})
            assert response.status_code == 303 and response.headers["location"].startswith("/mijn/inloggen"), path
        http.cookies.set("mijn_session", "forged")
        for path in PAGES:
            assert (await http.get(path)).status_code == 303, path


async def test_after_login_the_resident_returns_to_the_page_they_asked_for(start_service, database_url):
    service = start_service(database_url)
    async with client(service) as http:
        arrived = await log_in(http, page=await http.get("/mijn/contacten"))
        assert str(arrived.url).endswith("/mijn/contacten")
        assert str((await http.get("/mijn/inloggen?volgende=https://evil.example/")).url).endswith("/mijn")


# --- forms -----------------------------------------------------------------------------------


async def test_a_form_without_the_csrf_token_is_refused(start_service, database_url, db):
    service = start_service(database_url)
    _, published = await concept(service, db)
    async with client(service) as http:
        await http.get(f"/mijn/aanvraag/{published.token}")
        page = await log_in(http)
        fields = {"veld:naam": "Eva", "veld:postcode": "1234 AB", "veld:inkomen": "1850", "bevestiging": "ja"}
        for csrf in (None, "wrong", ""):
            body = fields if csrf is None else {**fields, "csrf": csrf}
            refused = await http.post(f"/mijn/aanvragen/{published.request_id}", data=body)
            assert refused.status_code == 403 and "Dit formulier is verlopen" in refused.text
        gegevens = await http.post(
            "/mijn/gegevens", data={"email": "x@example.nl", "preferred_language": "nl", "preferred_channel": "chat"}
        )
        assert gegevens.status_code == 403
        assert csrf_of(page)
    async with db.sessions() as session:
        request = await session.get(ConceptRequest, published.request_id)
    assert request is not None and request.status == "open"


async def test_submit_changes_the_status_writes_history_and_audit_and_tells_the_team(
    start_service, database_url, db, redis_url
):
    service = start_service(database_url)
    conversation_id, published = await concept(service, db)
    async with db.sessions.begin() as session:
        await session.execute(
            update(Conversation).where(Conversation.id == conversation_id).values(team="subsidies_inkomen")
        )
    redis = Redis.from_url(redis_url)
    pubsub = redis.pubsub(ignore_subscribe_messages=True)
    await pubsub.subscribe(f"{service.settings.redis_namespace}:conv:queue:subsidies_inkomen")
    try:
        async with client(service) as http:
            form = await open_link(http, published.token)
            csrf = csrf_of(form)
            path = f"/mijn/aanvragen/{published.request_id}"

            invalid = await http.post(
                path, data={"csrf": csrf, "veld:naam": "", "veld:postcode": "1234 AB", "veld:inkomen": "veel"}
            )
            assert invalid.status_code == 400
            assert "Controleer het formulier" in invalid.text and "<title>Fout:" in invalid.text
            assert "Vul naam in." in invalid.text and "alleen een getal" in invalid.text
            assert "Vink aan dat u de gegevens heeft gecontroleerd." in invalid.text
            assert 'aria-invalid="true"' in invalid.text

            sent = await http.post(
                path,
                data={
                    "csrf": csrf,
                    "veld:naam": "Eva de Boer",
                    "veld:postcode": "4321 ZX",
                    "veld:inkomen": "1.900",
                    "bevestiging": "ja",
                    "veld:onbekend": "ingeschoven",
                },
            )
            assert sent.status_code == 200 and str(sent.url).endswith(path + "?verstuurd=1")
            assert "Uw aanvraag is verstuurd" in sent.text
            assert "Klaar om in te vullen" in sent.text and "Ingediend" in sent.text, "the status history"
            again = await http.post(
                path,
                data={"csrf": csrf, "veld:naam": "X", "veld:postcode": "X", "veld:inkomen": "1", "bevestiging": "ja"},
            )
            assert "Ingediend" in again.text and "Uw aanvraag is verstuurd" not in again.text
        message = None
        for _ in range(50):
            message = await pubsub.get_message(timeout=0.1)
            if message:
                break
        assert message is not None, "the team's consoles were told"
        event = json.loads(message["data"])["e"]
        assert event == {
            "type": "request_status",
            "request_id": published.request_id,
            "status": "ingediend",
            "conversation_id": conversation_id,
        }
    finally:
        await pubsub.aclose()
        await redis.aclose()

    async with db.sessions() as session:
        request = await session.get(ConceptRequest, published.request_id)
        history = (
            (
                await session.execute(
                    select(ConceptRequestStatus.status)
                    .where(ConceptRequestStatus.concept_request_id == published.request_id)
                    .order_by(ConceptRequestStatus.id)
                )
            )
            .scalars()
            .all()
        )
        audit = (
            (await session.execute(select(AuditEntry).where(AuditEntry.action == "concept_request.submit")))
            .scalars()
            .all()
        )
    assert request is not None and request.status == "ingediend"
    assert request.data == {"naam": "Eva de Boer", "postcode": "4321 ZX", "inkomen": 1900, "huurwoning": False}
    assert list(history) == ["open", "ingediend"]
    assert len(audit) == 1 and audit[0].actor == f"resident:{request.partij_id}"
    assert audit[0].conversation_id == conversation_id


async def test_preferences_are_validated_saved_and_audited(start_service, database_url, db):
    service = start_service(database_url)
    async with client(service) as http:
        await log_in(http, "marja")
        page = await http.get("/mijn/gegevens")
        csrf = csrf_of(page)
        wrong = await http.post(
            "/mijn/gegevens",
            data={
                "csrf": csrf,
                "email": "geen-adres",
                "phone": "",
                "preferred_language": "xx",
                "preferred_channel": "telefoon",
            },
        )
        assert wrong.status_code == 400
        assert "naam@voorbeeld.nl" in wrong.text and "Kies een taal" in wrong.text
        assert "Vul uw telefoonnummer in" in wrong.text
        saved = await http.post(
            "/mijn/gegevens",
            data={
                "csrf": csrf,
                "email": "marja@example.nl",
                "phone": "06 1234 5678",
                "preferred_language": "en",
                "preferred_channel": "email",
            },
        )
        assert "Uw gegevens zijn opgeslagen" in saved.text
        assert 'value="marja@example.nl"' in saved.text and 'value="en" selected' in saved.text
    async with db.sessions() as session:
        audit = (
            (await session.execute(select(AuditEntry).where(AuditEntry.action == "gegevens.wijzigen"))).scalars().all()
        )
    assert len(audit) == 1


# --- the identity provider -------------------------------------------------------------------


def test_the_personas_have_valid_test_bsns():
    for persona in residents.PERSONAS:
        assert persona.identity.kind == "bsn" and is_bsn(persona.identity.value)
        assert persona.identity.value.startswith("9999"), "only numbers from the RvIG test range"


def test_the_development_provider_is_refused_in_production():
    production = Settings(environment="production", secret_key="s" * 40, allowed_origins=["https://x.example"])
    with pytest.raises(residents.ProviderUnavailable, match="refused in production"):
        residents.provider_for(production)
    with pytest.raises(residents.ProviderUnavailable, match="refused in production"):
        residents.provider_for(production.model_copy(update={"resident_idp": "development"}))
    with pytest.raises(residents.ProviderUnavailable, match="unknown"):
        residents.provider_for(production.model_copy(update={"resident_idp": "digid"}))
    assert isinstance(residents.provider_for(Settings(environment="test")), residents.DevelopmentIdP)


class _FakeOidc:
    """Stands in for an OIDC client to show the plug-in point; not a real provider."""

    name = "DigiD"
    development_only = False

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def personas(self) -> list[residents.Persona]:
        return []

    def login_url(self, state: str, callback: str) -> str | None:
        return f"https://idp.example/authorize?state={state}&redirect_uri={callback}"

    async def complete(self, params: dict[str, str]) -> residents.Identity:
        if params.get("code") != "good":
            raise residents.LoginFailed("bad code")
        return residents.Identity("bsn", "999990019", "Youssef El Amrani")


def fake_oidc(settings: Settings) -> _FakeOidc:
    return _FakeOidc(settings)


def test_a_provider_plugs_in_by_configuration():
    production = Settings(environment="production", secret_key="s" * 40, allowed_origins=["https://x.example"])
    provider = residents.provider_for(production.model_copy(update={"resident_idp": f"{__name__}:fake_oidc"}))
    assert provider.name == "DigiD" and not provider.development_only
    assert asyncio.run(provider.complete({"code": "good"})).name == "Youssef El Amrani"
    with pytest.raises(residents.ProviderUnavailable, match="cannot be imported"):
        residents.provider_for(production.model_copy(update={"resident_idp": "nowhere.to.be.found:factory"}))


def test_access_logs_hide_the_link_token():
    import logging

    from handover.api.routes.mijn.log_filter import HideLinkTokens
    from handover.main import create_app

    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/mijn/aanvraag/abcDEF_123-xyz?x=1", "1.1", 303),
        None,
    )
    assert HideLinkTokens().filter(record)
    assert record.getMessage() == '127.0.0.1:5000 - "GET /mijn/aanvraag/***?x=1 HTTP/1.1" 303'
    # Installed by the app factory (not as a side effect of an import), once however many apps are made.
    create_app(Settings())
    create_app(Settings())
    installed = [f for f in logging.getLogger("uvicorn.access").filters if isinstance(f, HideLinkTokens)]
    assert len(installed) == 1
