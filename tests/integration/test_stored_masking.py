"""Personal numbers are masked in every free-text field the klantbeeld stores (issue 10, finding 6)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select

from handover.services.klantbeeld.audit import audit
from handover.services.klantbeeld.concept_requests import publish_concept_request, submit
from handover.services.klantbeeld.contacts import register_contact
from handover.services.klantbeeld.residents import identify
from handover.store.models import AuditEntry, ConceptRequest, Conversation, Klantcontact
from handover.store.repo import hash_token

BSN = "1112.22.333"
IBAN = "NL91-ABNA-0417-1643-00"


async def _conversation(db, **fields) -> str:  # type: ignore[no-untyped-def]
    conversation_id = str(uuid.uuid4())
    async with db.sessions.begin() as session:
        session.add(Conversation(id=conversation_id, token_hash=hash_token(conversation_id), **fields))
    return conversation_id


async def test_the_klantcontact_summary_is_masked(db):
    conversation_id = await _conversation(db, state="closed", summary=f"BSN {BSN} en rekening {IBAN} gecontroleerd.")
    await register_contact(db.sessions, conversation_id, "Anna")
    async with db.sessions() as session:
        contact = (await session.execute(select(Klantcontact))).scalar_one()
    assert contact.summary == "BSN *******33 en rekening NL91ABNA******4300 gecontroleerd."


async def test_concept_request_free_text_and_audit_details_are_masked(db):
    conversation_id = await _conversation(db, state="assigned")
    data = {
        "toelichting": f"Mijn bsn is {BSN}, rekening {IBAN}.",
        "iban": "NL91ABNA0417164300",
        "inkomen": 1850,
        "email": "eva@example.nl",
    }
    published = await publish_concept_request(
        db.sessions,
        conversation_id,
        agent_id=1,
        agent_name="Anna",
        request_type="energiesubsidie",
        title=f"Energiesubsidie {BSN}",
        data=data,
        lifetime=timedelta(days=1),
    )
    await audit(db.sessions, "agent:1", "test", None, conversation_id, f"over {BSN}")
    async with db.sessions() as session:
        request = (await session.execute(select(ConceptRequest))).scalar_one()
        details = [a.detail for a in (await session.execute(select(AuditEntry))).scalars()]
    assert request.title == "Energiesubsidie *******33"
    assert request.data == {
        "toelichting": "Mijn bsn is *******33, rekening NL91ABNA******4300.",
        # the answer that *is* the account number stays: the subsidy is paid to it
        "iban": "NL91ABNA0417164300",
        "inkomen": 1850,
        "email": "eva@example.nl",
    }
    assert "over *******33" in details and not any(d and BSN in d for d in details)

    # What the resident sends back is masked the same way.
    partij_id = await identify(db.sessions, "secret", kind="bsn", value="999991772", display_name="Eva")
    async with db.sessions.begin() as session:
        request = await session.get(ConceptRequest, published.request_id)
        assert request is not None
        request.partij_id = partij_id
    await submit(db.sessions, published.request_id, partij_id, {"toelichting": f"Nog eens: {IBAN}"})
    async with db.sessions() as session:
        request = await session.get(ConceptRequest, published.request_id)
    assert request is not None and request.data["toelichting"] == "Nog eens: NL91ABNA******4300"
