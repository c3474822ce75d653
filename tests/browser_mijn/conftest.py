"""MijnGemeente in Chromium against the real handover service (SQLite only, for speed)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, BrowserContext, Page
from wsclient import ChatClient

from handover.services.klantbeeld.concept_requests import publish_concept_request
from handover.store.db import Database

DATA = {
    "naam": "Eva de Boer",
    "postcode": "1234 AB",
    "woonplaats": "Voorbeeldstad",
    "inkomen": 1850,
    "huurwoning": True,
    "toelichting": "Ik wil mijn cv-ketel vervangen door een warmtepomp.",
}


@pytest.fixture
async def mijn_db(sqlite_url: str) -> AsyncIterator[Database]:
    database = Database(sqlite_url)
    yield database
    await database.dispose()


@pytest.fixture
def service(start_service: Any, sqlite_url: str) -> Any:
    return start_service(sqlite_url)


@pytest.fixture
async def context(chromium: Browser) -> AsyncIterator[BrowserContext]:
    ctx = await chromium.new_context(viewport={"width": 1280, "height": 900}, locale="nl-NL")
    ctx.set_default_timeout(15_000)
    yield ctx
    await ctx.close()


@pytest.fixture
async def page(context: BrowserContext) -> AsyncIterator[Page]:
    """A page that fails the test on any JavaScript error (the pages have no JavaScript at all)."""
    tab = await context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab
    assert not errors, errors


@pytest.fixture
def concept_link(service: Any, mijn_db: Database) -> Any:
    """Make a request the way an agent does, from a real conversation; return its chat link."""

    async def make(data: dict[str, Any] | None = None) -> str:
        async with ChatClient(service.ws) as client:
            started = await client.start()
        published = await publish_concept_request(
            mijn_db.sessions,
            started["conversation_id"],
            agent_id=1,
            agent_name="Anna",
            request_type="energiesubsidie",
            title="Energiesubsidie",
            data=dict(data or DATA),
            lifetime=timedelta(days=7),
        )
        return f"{service.http}/mijn/aanvraag/{published.token}"

    return make


@pytest.fixture
def axe_violations() -> Any:
    async def run(page: Page) -> list[str]:
        """WCAG 2.0/2.1 A and AA rules plus axe's best practices; one line per problem."""
        results = await Axe().run(page)
        return [
            f"{page.url} {v['id']}: {v['help']} -> {[n['target'] for n in v['nodes']]}"
            for v in results.response["violations"]
        ]

    return run
