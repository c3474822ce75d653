"""The raw request-link token is kept nowhere: derived from SECRET_KEY, only its hash stored (issue 10, #2)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from handover.services.klantbeeld import concept_requests
from handover.services.klantbeeld.concept_requests import publish_concept_request
from handover.services.klantbeeld.links import agent_link, preview_link, resident_link
from handover.store.models import ConceptRequest, Conversation, Message
from handover.store.repo import hash_token

SECRET = "s" * 40


async def publish(db):  # type: ignore[no-untyped-def]
    conversation_id = str(uuid.uuid4())
    async with db.sessions.begin() as session:
        session.add(Conversation(id=conversation_id, token_hash=hash_token(conversation_id), state="assigned"))
    return await publish_concept_request(
        db.sessions,
        conversation_id,
        agent_id=1,
        agent_name="Anna",
        request_type="energiesubsidie",
        title="Energiesubsidie",
        data={},
        lifetime=timedelta(days=1),
        secret=SECRET,
    )


async def test_the_token_is_derived_and_only_its_hash_is_stored(db, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(concept_requests, "STORE_LINK_URL", False)  # the state once events.py renders links
    published = await publish(db)
    async with db.sessions() as session:
        message = (await session.execute(select(Message).where(Message.seq == published.seq))).scalar_one()
        request = await session.get(ConceptRequest, published.request_id)
    assert request is not None and request.token_hash == hash_token(published.token)
    link = (message.meta or {})["link"]
    assert published.token not in repr(message.meta) and published.token not in (message.text or "")
    assert set(link) == {"title", "concept_request", "ref"}
    # The resident's view derives the usable link; the agent's view gets the title only.
    assert resident_link(link, SECRET) == {
        "url": "/mijn/aanvraag/" + published.token,
        "title": "Verder in MijnGemeente",
    }
    assert agent_link(link) == {"title": "Verder in MijnGemeente"}
    assert resident_link(link, "another secret") != resident_link(link, SECRET)
    preview = await preview_link(db.sessions, published.token, 1)
    assert preview.request_id == published.request_id


def test_links_stored_with_their_url_still_render_for_the_resident():
    """Rows written while STORE_LINK_URL was on (or by older versions) keep working."""
    link = {"url": "/mijn/aanvraag/abc", "title": "Verder in MijnGemeente"}
    assert resident_link(link, SECRET) == link
    assert resident_link({"url": "javascript:alert(1)"}, SECRET) is None
    assert agent_link(link) == {"title": "Verder in MijnGemeente"}
