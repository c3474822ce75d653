"""A request link from the chat binds only on the logged-in resident's explicit confirmation (issue 10, #2).

Before: one cross-site GET of a "Verder in MijnGemeente" link by a logged-in resident bound the
sender's conversation to the victim, and the agent then saw the victim's klantbeeld.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from test_mijn import client, concept, csrf_of, log_in

from handover.services.klantbeeld.concept_requests import publish_concept_request
from handover.services.klantbeeld.errors import AlreadyBound
from handover.services.klantbeeld.links import claim_by_link
from handover.services.klantbeeld.residents import identify
from handover.store.models import AuditEntry, ConceptRequest, Conversation


async def owners(db, conversation_id: str, request_id: int) -> tuple[int | None, int | None]:  # type: ignore[no-untyped-def]
    async with db.sessions() as session:
        request = await session.get(ConceptRequest, request_id)
        conversation = await session.get(Conversation, conversation_id)
    assert request is not None and conversation is not None
    return request.partij_id, conversation.partij_id


async def test_a_cross_site_get_of_the_link_binds_nothing(start_service, database_url, db):
    service = start_service(database_url)
    conversation_id, published = await concept(service, db)
    async with client(service) as victim:
        await log_in(victim)
        # What a click on the attacker's link does: a top-level GET with the Lax session cookie.
        clicked = await victim.get(
            f"/mijn/aanvraag/{published.token}",
            headers={"Sec-Fetch-Site": "cross-site", "Referer": "https://evil.example/"},
        )
        assert clicked.status_code == 200 and str(clicked.url).endswith("/mijn/koppelen")
        assert "Aanvraag toevoegen aan uw account?" in clicked.text and "Energiesubsidie" in clicked.text
        assert "1234 AB" not in clicked.text, "the request's answers only after confirming"
        assert published.token not in clicked.text and published.token not in str(clicked.url)
        # Every further GET binds nothing either.
        await victim.get("/mijn/koppelen")
        await victim.get("/mijn/aanvragen")
        assert (await victim.get(f"/mijn/aanvragen/{published.request_id}")).status_code == 404
    assert await owners(db, conversation_id, published.request_id) == (None, None)


async def test_binding_needs_a_post_with_the_csrf_token(start_service, database_url, db):
    service = start_service(database_url)
    conversation_id, published = await concept(service, db)
    async with client(service) as eva:
        await log_in(eva)
        page = await eva.get(f"/mijn/aanvraag/{published.token}")
        for body in ({"keuze": "ja"}, {"keuze": "ja", "csrf": "forged"}, {"keuze": "ja", "csrf": ""}):
            refused = await eva.post("/mijn/koppelen", data=body)
            assert refused.status_code == 403 and "Dit formulier is verlopen" in refused.text
        assert await owners(db, conversation_id, published.request_id) == (None, None)

        declined = await eva.post("/mijn/koppelen", data={"keuze": "nee", "csrf": csrf_of(page)})
        assert str(declined.url).endswith("/mijn") and "mijn_link" not in eva.cookies
        assert await owners(db, conversation_id, published.request_id) == (None, None)

        page = await eva.get(f"/mijn/aanvraag/{published.token}")
        confirmed = await eva.post("/mijn/koppelen", data={"keuze": "ja", "csrf": csrf_of(page)})
        assert str(confirmed.url).endswith(f"/mijn/aanvragen/{published.request_id}")
        assert 'value="1234 AB"' in confirmed.text and "mijn_link" not in eva.cookies
    request_owner, conversation_owner = await owners(db, conversation_id, published.request_id)
    assert request_owner is not None and request_owner == conversation_owner
    async with db.sessions() as session:
        actions = [a.action for a in (await session.execute(select(AuditEntry))).scalars()]
    assert "concept_request.open_link" in actions


async def test_a_conversation_bound_to_one_resident_is_never_bound_to_another(start_service, database_url, db):
    service = start_service(database_url)
    conversation_id, first = await concept(service, db)
    async with client(service) as marja:
        await log_in(marja, "marja")
        page = await marja.get(f"/mijn/aanvraag/{first.token}")
        await marja.post("/mijn/koppelen", data={"keuze": "ja", "csrf": csrf_of(page)})
    marja_id, _ = await owners(db, conversation_id, first.request_id)
    assert marja_id is not None
    # A second request in the same conversation, published before anyone was bound, sent to Eva.
    second = await publish_concept_request(
        db.sessions,
        conversation_id,
        agent_id=1,
        agent_name="Anna",
        request_type="energiesubsidie",
        title="Tweede aanvraag",
        data={"naam": "x"},
        lifetime=timedelta(days=7),
    )
    async with db.sessions.begin() as session:
        row = await session.get(ConceptRequest, second.request_id)
        assert row is not None
        row.partij_id = None  # as if the conversation had been bound after this request was made

    async with client(service) as eva:
        await log_in(eva)
        shown = await eva.get(f"/mijn/aanvraag/{second.token}")
        assert shown.status_code == 409 and "Deze aanvraag hoort bij een ander account" in shown.text
        assert "Tweede aanvraag" not in shown.text
        forced = await eva.post("/mijn/koppelen", data={"keuze": "ja", "csrf": csrf_of(await eva.get("/mijn"))})
        assert forced.status_code in (404, 409)
    eva_id = await identify(db.sessions, service.settings.secret_key, kind="bsn", value="0", display_name="x")
    with pytest.raises(AlreadyBound):
        await claim_by_link(db.sessions, second.token, eva_id)
    assert await owners(db, conversation_id, second.request_id) == (None, marja_id)
    assert await owners(db, conversation_id, first.request_id) == (marja_id, marja_id)


async def test_a_link_opened_before_login_waits_for_confirmation_after_login(start_service, database_url, db):
    service = start_service(database_url)
    conversation_id, published = await concept(service, db)
    async with client(service) as eva:
        await eva.get(f"/mijn/aanvraag/{published.token}")
        arrived = await log_in(eva)
        assert str(arrived.url).endswith("/mijn/koppelen") and "Energiesubsidie" in arrived.text
        assert await owners(db, conversation_id, published.request_id) == (None, None)
