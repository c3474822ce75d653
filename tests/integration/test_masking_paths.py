"""Personal numbers never reach the record through the socket paths (page, feedback, call-back, close)."""

from __future__ import annotations

from agents_helper import login
from sqlalchemy import select
from wsclient import ChatClient

from handover.store.models import CallbackTask, Conversation, Message

BSN = "111222333"  # passes the 11-check
IBAN = "NL91 ABNA 0417 1643 00"


async def _everything_stored(db) -> str:  # type: ignore[no-untyped-def]
    async with db.sessions() as session:
        rows = [
            *(await session.execute(select(Conversation))).scalars(),
            *(await session.execute(select(Message))).scalars(),
            *(await session.execute(select(CallbackTask))).scalars(),
        ]
    return " ".join(repr({k: v for k, v in vars(r).items() if not k.startswith("_")}) for r in rows)


async def test_numbers_in_page_feedback_callback_and_summary_are_masked(start_service, database_url, db):
    service = start_service(database_url)
    async with ChatClient(service.ws) as resident:
        await resident.start(
            page=f"https://www.example.nl/formulier?bsn={BSN}",
            referrer=f"https://x.nl/?iban={IBAN}",
            utm={"campaign": f"actie {BSN}"},
        )
        await resident.request({"type": "message", "text": f"mijn bsn is {BSN.replace('222', '.222.')}"})
        assert (await resident.request({"type": "request_human"}))["type"] == "ack"
        agent = await login(service, db, ["klantcontact"])
        console = await agent.socket(service).__aenter__()
        await console.request({"type": "presence", "status": "online"})
        offer = await console.wait_for(lambda e: e["type"] == "offer")
        await console.request({"type": "accept", "conversation_id": offer["conversation_id"]})
        await console.request(
            {"type": "message", "conversation_id": offer["conversation_id"], "text": f"Ik zie IBAN {IBAN}"}
        )
        closed = await console.request(
            {
                "type": "close",
                "conversation_id": offer["conversation_id"],
                "outcome": "opgelost",
                "summary": f"BSN {BSN} gecontroleerd",
            }
        )
        assert closed["type"] == "ack", closed
        feedback = await resident.request({"type": "feedback", "score": 4, "comment": f"iban {IBAN} klopt"})
        assert feedback["type"] == "ack", feedback
        await console.close()
    async with ChatClient(service.ws) as other:
        await other.start()
        await other.request({"type": "message", "text": "hallo"})
        ack = await other.request(
            {"type": "callback", "name": "Sam", "phone": "0612345678", "consent": True, "message": f"over {BSN}"}
        )
        assert ack["type"] == "ack", ack
    stored = await _everything_stored(db)
    assert BSN not in stored and "1112.22.333" not in stored
    assert IBAN not in stored and IBAN.replace(" ", "") not in stored
    assert "0612345678" in stored, "contact details the resident gave for a call-back are kept"
