"""A resident talks to the real trained Rasa model through the handover service."""

from __future__ import annotations

import httpx
import pytest
from wsclient import ChatClient

pytestmark = pytest.mark.rasa


async def ask(client: ChatClient, text: str) -> list[dict]:
    """Send text and return the bot messages of that turn (the typing indicator brackets it)."""
    ack = await client.request({"type": "message", "text": text})
    assert ack["type"] == "message", ack  # the stored message answers the frame
    done = await client.wait_for(
        lambda e: e["type"] == "typing" and e["author"] == "bot" and not e["active"] and e["seq"] > ack["seq"],
        timeout=30,
    )
    # The typing event carries the turn's last stored seq; that message may still be on its way.
    await client.wait_for(lambda e: e["type"] in ("message", "state") and e["seq"] >= done["seq"])
    return [e for e in client.messages("bot") if e["seq"] > ack["seq"]]


async def test_hallo_gets_a_dutch_greeting_with_metadata(start_service, database_url, rasa):
    service = start_service(database_url, rasa_url=rasa.url)
    async with ChatClient(service.ws) as client:
        await client.start()
        replies = await ask(client, "Hallo")
    assert replies, "the bot must answer"
    assert replies[0]["meta"]["topic"] == "begroeting"
    assert replies[0]["meta"]["intent"]
    assert 0 < replies[0]["meta"]["confidence"] <= 1
    assert any(word in replies[0]["text"].lower() for word in ("hallo", "hoi", "goedendag", "welkom"))


async def test_a_product_question_is_answered_from_the_catalogue(start_service, database_url, rasa):
    service = start_service(database_url, rasa_url=rasa.url)
    async with ChatClient(service.ws) as client:
        await client.start()
        replies = await ask(client, "Hoe vraag ik een nieuw paspoort aan?")
    assert {r["meta"]["topic"] for r in replies} == {"paspoort_idkaart"}
    text = " ".join(r["text"] for r in replies).lower()
    assert "paspoort" in text


async def test_buttons_from_the_bot_can_be_pressed(start_service, database_url, rasa):
    service = start_service(database_url, rasa_url=rasa.url)
    async with ChatClient(service.ws) as client:
        await client.start()
        replies = await ask(client, "Kan ik energiesubsidie krijgen?")
        with_buttons = [r for r in replies if r.get("buttons")]
        assert with_buttons, f"expected buttons in the subsidy check, got {replies}"
        button = with_buttons[-1]["buttons"][0]
        echo = await client.request({"type": "button", "payload": button["payload"], "title": button["title"]})
        assert echo["type"] == "message", echo  # the stored message answers the frame
        assert echo["text"] == button["title"] and echo["payload"] == button["payload"]
        await client.wait_for(lambda e: e["type"] == "message" and e["author"] == "bot" and e["seq"] > echo["seq"], 30)


async def test_asking_for_a_person_carries_the_handover_request(start_service, database_url, rasa, db):
    from sqlalchemy import select

    from handover.store.models import Message

    service = start_service(database_url, rasa_url=rasa.url)
    async with ChatClient(service.ws) as client:
        await client.start()
        replies = await ask(client, "Ik wil een medewerker spreken")
    assert replies[-1]["meta"]["topic"] == "medewerker"
    async with db.sessions() as session:
        last = (await session.execute(select(Message).where(Message.seq == replies[-1]["seq"]))).scalar_one()
    assert last.meta["handover"]["reason"] == "verzoek_medewerker"
    assert last.meta["handover"]["team"]
    # Internal routing data is not sent to the resident.
    assert "handover" not in replies[-1]["meta"]


async def test_ready_when_rasa_has_a_model(start_service, database_url, rasa):
    service = start_service(database_url, rasa_url=rasa.url)
    async with httpx.AsyncClient() as http:
        response = await http.get(service.http + "/readyz")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "ready"


# --- issue 12: the conversation's context, aspect answers, disambiguation, the entry prior ---------

PASSPORT_EXPLANATION = "Met een paspoort of ID-kaart laat je zien wie je bent"


def only(replies: list[dict]) -> dict:
    assert len(replies) == 1, replies
    return replies[0]


async def test_two_follow_ups_are_answered_for_the_product_in_context(start_service, database_url, rasa):
    service = start_service(database_url, rasa_url=rasa.url)
    async with ChatClient(service.ws) as client:
        await client.start()
        first = only(await ask(client, "Ik wil een nieuw paspoort"))
        costs = only(await ask(client, "en wat kost dat?"))
        online = only(await ask(client, "kan dat ook online?"))
        switched = only(await ask(client, "en voor een rijbewijs?"))
    assert first["meta"]["topic"] == "paspoort_idkaart" and PASSPORT_EXPLANATION in first["text"]
    # Each follow-up is one section about that aspect, not the whole product text again.
    assert costs["meta"]["topic"] == "paspoort_idkaart"
    assert costs["text"].startswith("Paspoort en ID-kaart: wat kost het\n")
    assert PASSPORT_EXPLANATION not in costs["text"]
    assert online["meta"]["topic"] == "paspoort_idkaart"
    assert online["text"].startswith("Paspoort en ID-kaart: online regelen\n")
    assert "Maak online een afspraak" in online["text"]
    # "en voor X?" switches product and keeps the aspect.
    assert switched["meta"]["topic"] == "rijbewijs"
    assert switched["text"].startswith("Rijbewijs: online regelen\nJa, dat kan online.")


async def test_a_vague_question_from_the_campaign_page_gets_the_campaign_answer(start_service, database_url, rasa):
    service = start_service(database_url, rasa_url=rasa.url)
    async with ChatClient(service.ws) as client:
        await client.start(
            page="https://www.example-gemeente.nl/energie",
            channel="social",
            utm={"source": "facebook", "campaign": "energiesubsidie"},
        )
        reply = only(await ask(client, "hoe werkt dat?"))
    assert reply["meta"]["topic"] == "energiesubsidie"
    assert reply["text"].startswith("Energiesubsidie")
    assert any("kies_subsidie" in b["payload"] for b in reply.get("buttons") or [])


async def test_a_vague_question_on_a_product_page_gets_that_products_answer(start_service, database_url, rasa):
    """The widget's `topic` option (the embedding page's product) is the prior, without any utm."""
    service = start_service(database_url, rasa_url=rasa.url)
    async with ChatClient(service.ws) as client:
        await client.start(page="https://www.example-gemeente.nl/wonen/energie", topic_hint="energiesubsidie")
        reply = only(await ask(client, "hoe werkt dat?"))
    assert reply["meta"]["topic"] == "energiesubsidie"
    assert reply["text"].startswith("Energiesubsidie")


async def test_without_a_product_the_bot_asks_with_buttons_and_the_choice_answers(start_service, database_url, rasa):
    service = start_service(database_url, rasa_url=rasa.url)
    async with ChatClient(service.ws) as client:
        await client.start()
        question = only(await ask(client, "wat kost dat?"))
        assert question["meta"]["topic"] == "niet_begrepen"
        assert "Sorry" not in question["text"]
        products = [b for b in question["buttons"] if b["payload"] != "/vraag_medewerker"]
        assert len(products) >= 2, question
        choice = products[0]
        ack = await client.request({"type": "button", "payload": choice["payload"], "title": choice["title"]})
        assert ack["type"] == "message", ack
        answer = await client.wait_for(
            lambda e: e["type"] == "message" and e["author"] == "bot" and e["seq"] > ack["seq"], 30
        )
    assert answer["meta"]["topic"] == choice["payload"].lstrip("/")
    # The aspect asked before the choice is answered, not the whole product text.
    assert answer["text"].startswith(f"{choice['title']}: wat kost het\n"), answer["text"]


async def test_a_vague_question_gets_the_likeliest_topics_as_buttons_and_the_choice_answers(
    start_service, database_url, rasa
):
    service = start_service(database_url, rasa_url=rasa.url)
    async with ChatClient(service.ws) as client:
        await client.start()
        # Two products compete: the bot asks "Bedoel je A of B?" instead of "Sorry".
        question = only(await ask(client, "mijn rijbewijs en paspoort zijn allebei verlopen"))
        assert question["meta"]["topic"] == "niet_begrepen", question
        assert question["text"].startswith("Ik weet niet zeker wat je bedoelt. Bedoel je "), question["text"]
        payloads = [b["payload"] for b in question["buttons"]]
        assert {"/rijbewijs", "/paspoort_idkaart"} <= set(payloads) and payloads[-1] == "/vraag_medewerker", payloads
        choice = next(b for b in question["buttons"] if b["payload"] == "/paspoort_idkaart")
        ack = await client.request({"type": "button", "payload": choice["payload"], "title": choice["title"]})
        assert ack["type"] == "message", ack
        answer = await client.wait_for(
            lambda e: e["type"] == "message" and e["author"] == "bot" and e["seq"] > ack["seq"], 30
        )
    assert answer["meta"]["topic"] == choice["payload"].lstrip("/")
    assert answer["text"].startswith(choice["title"] + "\n"), answer["text"]


async def test_an_aspect_question_inside_the_check_is_answered_and_the_check_goes_on(start_service, database_url, rasa):
    service = start_service(database_url, rasa_url=rasa.url)
    async with ChatClient(service.ws) as client:
        await client.start()
        ack = await client.request(
            {
                "type": "button",
                "payload": '/kies_subsidie{"subsidie":"energiesubsidie"}',
                "title": "Check of je het kunt krijgen",
            }
        )
        await client.wait_for(
            lambda e: e["type"] == "typing" and e["author"] == "bot" and not e["active"] and e["seq"] > ack["seq"], 30
        )
        question = [e for e in client.messages("bot") if e["seq"] > ack["seq"]][-1]
        replies = await ask(client, "hoe lang duurt het?")
    assert replies[0]["text"].startswith("Energiesubsidie: hoe lang duurt het\n"), replies
    # The check asks the same question again; the turn carries one topic, the subsidy's.
    assert replies[-1]["text"] == question["text"].splitlines()[-1] and replies[-1].get("buttons"), replies
    assert {r["meta"].get("topic") for r in replies} <= {"energiesubsidie", None}
