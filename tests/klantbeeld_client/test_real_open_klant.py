"""What a real Open Klant 2.x (commit 754d9cd, API 0.9.0) refused and the spec-driven fake did not:
the fake now refuses it too (see "Verified against a real Open Klant" in docs/klantbeeld_client.md)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from kb_fake_api import FakeApi

from handover.services import registration
from klantbeeld_client import (
    DigitaalAdresCreate,
    KlantcontactCreate,
    KlantinteractiesClient,
    SoortDigitaalAdres,
    ValidationError,
)


def chat(conversation_id: str = "c-1") -> registration.ChatContact:
    return registration.ChatContact(
        conversation_id=conversation_id,
        onderwerp="Afval",
        inhoud="Vraag over grofvuil.",
        reactie="Terugbelverzoek",
        contact_gelukt=True,
        verdere_actie=True,
        plaatsgevonden_op=datetime(2026, 12, 3, 7, 0, tzinfo=UTC),
        metadata={"kanaal_detail": "website"},
        transcript_url="https://chat.example.nl/transcripts/c-1?sig=x",
        agent=registration.AgentRef("m.jansen", "Marieke Jansen"),
        person=registration.ContactPerson("Jan de Vries", "06 12345678", "jan@example.nl"),
    )


def test_reference_numbers_are_digits_only() -> None:
    """Open Klant validates ``referentienummer`` as an integer (max. 10 characters)."""
    numbers = {registration.reference_number(p, f"k{i}") for p in "CT" for i in range(50)}
    assert len(numbers) == 100
    assert all(re.fullmatch(r"[0-9]{10}", n) for n in numbers)
    assert registration.reference_number("C", "x") != registration.reference_number("T", "x")


async def test_fake_refuses_what_open_klant_refuses(klanten: KlantinteractiesClient, fake_api: FakeApi) -> None:
    fake_api.stateful = True
    with pytest.raises(ValidationError) as letters:
        await klanten.create_klantcontact(
            KlantcontactCreate(
                kanaal="chat", onderwerp="x", inhoud="x", taal="nld", vertrouwelijk=False, referentienummer="C7VTECIBTE"
            )
        )
    assert letters.value.problem is not None
    assert [p.name for p in letters.value.problem.invalid_params] == ["referentienummer"]
    with pytest.raises(ValidationError) as both:
        await klanten.create_klantcontact(
            KlantcontactCreate(
                kanaal="chat",
                onderwerp="x",
                inhoud="x",
                taal="nld",
                vertrouwelijk=False,
                indicatie_contact_gelukt=True,
                verdere_actie_ondernomen=True,
            )
        )
    assert both.value.problem is not None
    assert [p.code for p in both.value.problem.invalid_params] == ["no-further-action-when-contact-succesful"]
    fake_api.expect_invalid_requests = True  # the raw request below leaves the key out on purpose
    with pytest.raises(ValidationError):
        await klanten.http.request(
            "POST",
            "digitaleadressen",
            json_body={"adres": "0612345678", "soortDigitaalAdres": "telefoonnummer", "verstrektDoorBetrokkene": None},
        )
    adres = DigitaalAdresCreate(adres="jan@example.nl", soort_digitaal_adres=SoortDigitaalAdres.EMAIL)
    assert adres.to_wire()["verstrektDoorPartij"] is None


async def test_chat_with_call_back_is_registered_once(klanten: KlantinteractiesClient, fake_api: FakeApi) -> None:
    """A chat that went well but needs a call-back: ``indicatieContactGelukt`` is sent as null."""
    fake_api.stateful = True
    contact = chat()
    first = await registration.register_chat_contact(klanten, contact, {})
    again = await registration.register_chat_contact(klanten, contact, {})  # progress lost: lookups only
    assert dict(first) == dict(again)
    [stored] = fake_api.stored("klantcontacten")
    assert stored["referentienummer"] == contact.referentienummer
    [sent] = [r.body for r in fake_api.received if r.method == "POST" and r.path.endswith("/klantcontacten")]
    assert sent["verdereActieOndernomen"] is True and sent.get("indicatieContactGelukt") is None
    assert len(fake_api.stored("digitaleadressen")) == 2
    assert len(fake_api.stored("actorklantcontacten")) == 2
    assert len(fake_api.stored("bijlagen")) == 1
