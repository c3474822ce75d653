"""Distress with few false alarms, end to end: the real trained model through /ws/chat (issue 12).

Inside the energy-subsidy check "ik weet het niet" and an amount get a form reply and the same
question again, not 113 / 112 and not an emergency handover; a real distress message inside the
check is still caught, by the bot (handover `nood`) and by the service's safety net.
"""

from __future__ import annotations

import pytest
from test_bot_conversation import ask
from wsclient import ChatClient

pytestmark = pytest.mark.rasa

START_CHECK = {
    "type": "button",
    "payload": '/kies_subsidie{"subsidie":"energiesubsidie"}',
    "title": "Kom ik in aanmerking?",
}


async def start_check(client: ChatClient) -> list[dict]:
    ack = await client.request(START_CHECK)
    assert ack["type"] == "message", ack  # the stored button press answers the frame
    await client.wait_for(
        lambda e: e["type"] == "typing" and e["author"] == "bot" and not e["active"] and e["seq"] > ack["seq"],
        timeout=30,
    )
    question = [e for e in client.messages("bot") if e["seq"] > ack["seq"]]
    assert question and question[-1].get("buttons"), question
    return question


def assert_form_reply(client: ChatClient, replies: list[dict], question: list[dict]) -> None:
    text = " ".join(r["text"] for r in replies)
    assert "113" not in text and "112" not in text and "Gaat het wel goed" not in text, text
    assert all(r["meta"].get("topic") != "medewerker" for r in replies), replies
    assert not client.messages("system"), client.messages("system")
    # The form asks the same question again (without the check's first-time introduction), with its buttons.
    assert question[-1]["text"].endswith(replies[-1]["text"]) and replies[-1].get("buttons"), replies


async def handovers(db) -> list[dict]:
    from sqlalchemy import select

    from handover.store.models import Message

    async with db.sessions() as session:
        rows = (await session.execute(select(Message))).scalars().all()
    return [m.meta["handover"] for m in rows if m.meta and m.meta.get("handover")]


async def test_short_answers_in_the_subsidy_check_are_form_answers(start_service, database_url, rasa, db):
    service = start_service(database_url, rasa_url=rasa.url)
    async with ChatClient(service.ws) as client:
        await client.start()
        question = await start_check(client)
        assert_form_reply(client, await ask(client, "ik weet het niet"), question)
        assert_form_reply(client, await ask(client, "1850"), question)
        # The check still works: "ja" answers the question and the next one comes.
        after = await ask(client, "ja")
        assert after and not question[-1]["text"].endswith(after[-1]["text"])
    assert await handovers(db) == []


async def test_real_distress_in_the_subsidy_check_is_still_caught(start_service, database_url, rasa, db):
    service = start_service(database_url, rasa_url=rasa.url)
    async with ChatClient(service.ws) as client:
        await client.start()
        await start_check(client)
        replies = await ask(client, "ik wil niet meer leven, ik zie geen uitweg meer")
        safety = client.messages("system")
    assert "0800-0113" in " ".join(r["text"] for r in replies)
    assert replies[-1]["meta"]["topic"] == "medewerker"
    assert [h["reason"] for h in await handovers(db)] == ["nood"]
    # The service's own safety net answered too, independent of the bot.
    assert safety and "0800-0113" in safety[0]["text"]
