"""Contract tests: every call of the client against a server that speaks the OpenAPI spec.

The fake server validates each request against the official document and answers with a
body generated from the document's response schema; the ``fake_api`` fixture fails the
test if either side broke the spec. These tests add what the client must do with it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from kb_fake_api import KLANTINTERACTIES_PREFIX, FakeApi, config_for

from klantbeeld_client import (
    ActorCreate,
    BetrokkeneCreate,
    ContactnaamCreate,
    DigitaalAdresCreate,
    IdentificatorCreate,
    InterneTaakCreate,
    InterneTaakStatus,
    KlantcontactCreate,
    KlantinteractiesClient,
    NotFound,
    ObjectsClient,
    OnderwerpobjectCreate,
    PartijCreate,
    Rol,
    SoortActor,
    SoortDigitaalAdres,
    SoortPartij,
    ValidationError,
)
from klantbeeld_client.http import HttpClient

CET = timezone(timedelta(hours=1))
BSN = IdentificatorCreate(
    code_objecttype="natuurlijk_persoon",
    code_register="brp",
    code_soort_object_id="bsn",
    object_id="999993653",
)


def calls(api: FakeApi) -> list[str]:
    return [f"{r.method} {r.path.split('/api/v')[1][2:]}" for r in api.received]


async def test_partijen_and_identificatoren(klanten: KlantinteractiesClient, fake_api: FakeApi):
    partij = await klanten.create_partij(PartijCreate(soort_partij=SoortPartij.PERSOON, voorkeurstaal="nld"))
    assert partij.soort_partij == "persoon"
    assert partij.voorkeurstaal == "nld"
    again = await klanten.get_partij(partij.url)
    assert again.uuid == partij.uuid
    assert [p.uuid async for p in klanten.list_partijen(soortPartij="persoon")]
    found = await klanten.find_partij_by_bsn("999993653")
    assert found is not None

    identificator = await klanten.create_partij_identificator(partij.url, BSN)
    assert identificator.partij_identificator is not None
    assert identificator.partij_identificator.object_id == "999993653"
    assert identificator.identificeerde_partij is not None
    assert identificator.identificeerde_partij.uuid == partij.uuid
    await klanten.get_partij_identificator(identificator.url)
    assert [i async for i in klanten.list_partij_identificatoren()]

    posted = fake_api.received[-3].body
    assert posted["identificeerdePartij"] == {"uuid": partij.uuid}
    assert calls(fake_api) == [
        "POST partijen",
        f"GET partijen/{partij.uuid}",
        "GET partijen",
        "GET partijen",
        "POST partij-identificatoren",
        f"GET partij-identificatoren/{identificator.uuid}",
        "GET partij-identificatoren",
    ]


async def test_klantcontacten_and_maak_klantcontact(klanten: KlantinteractiesClient, fake_api: FakeApi):
    when = datetime(2024, 5, 1, 14, 30, tzinfo=CET)
    contact = await klanten.create_klantcontact(
        KlantcontactCreate(
            kanaal="chat",
            onderwerp="Subsidie zonnepanelen",
            inhoud="Vraag over subsidie",
            plaatsgevonden_op=when,
        )
    )
    assert (contact.kanaal, contact.onderwerp, contact.taal) == (
        "chat",
        "Subsidie zonnepanelen",
        "nld",
    )
    assert contact.vertrouwelijk is False
    assert contact.plaatsgevonden_op == when
    sent = fake_api.received[-1].body
    assert sent["plaatsgevondenOp"] == "2024-05-01T14:30:00+01:00"  # offset kept
    assert (await klanten.get_klantcontact(contact.uuid)).uuid == contact.uuid
    assert [c async for c in klanten.list_klantcontacten(kanaal="chat")]

    made = await klanten.maak_klantcontact(
        KlantcontactCreate(kanaal="chat", onderwerp="Afval"),
        betrokkene=BetrokkeneCreate(rol=Rol.KLANT, partij="3fa85f64-5717-4562-b3fc-2c963f66afa6"),
        onderwerpobject=IdentificatorCreate(
            code_objecttype="zaak",
            code_register="open-zaak",
            code_soort_object_id="uuid",
            object_id="0b8c0f4e-8d6a-4f3b-9c1e-2a3b4c5d6e7f",
        ),
    )
    assert made.klantcontact.onderwerp == "Afval"
    assert made.betrokkene is not None and made.betrokkene.rol == "klant"
    assert made.betrokkene.was_partij is not None
    assert made.betrokkene.was_partij.uuid == "3fa85f64-5717-4562-b3fc-2c963f66afa6"
    assert made.onderwerpobject is not None
    body = fake_api.received[-1].body
    assert "hadKlantcontact" not in body["betrokkene"]  # read-only inside maak-klantcontact


async def test_betrokkenen(klanten: KlantinteractiesClient, fake_api: FakeApi):
    contact = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
    betrokkene = await klanten.create_betrokkene(BetrokkeneCreate(klantcontact=contact, rol=Rol.KLANT, initiator=True))
    assert betrokkene.had_klantcontact is not None
    assert betrokkene.had_klantcontact.uuid == contact
    assert (await klanten.get_betrokkene(betrokkene.url)).uuid == betrokkene.uuid
    assert [b async for b in klanten.list_betrokkenen()]
    with pytest.raises(ValueError, match="klantcontact"):
        await klanten.create_betrokkene(BetrokkeneCreate(rol=Rol.KLANT))


async def test_actoren_and_links(klanten: KlantinteractiesClient, fake_api: FakeApi):
    bot = await klanten.create_actor(
        ActorCreate(
            naam="Gemeentebot",
            soort_actor=SoortActor.GEAUTOMATISEERDE_ACTOR,
            actor_identificatie={"functie": "chatbot"},
        )
    )
    assert (bot.naam, bot.soort_actor) == ("Gemeentebot", "geautomatiseerde_actor")
    agent = await klanten.create_actor(
        ActorCreate(
            naam="Anna de Vries",
            soort_actor=SoortActor.MEDEWERKER,
            actoridentificator=IdentificatorCreate(
                code_objecttype="medewerker",
                code_register="gemeente-chat",
                code_soort_object_id="gebruikersnaam",
                object_id="anna",
            ),
        )
    )
    assert agent.soort_actor == "medewerker"
    assert agent.actoridentificator is not None and agent.actoridentificator.object_id == "anna"
    found = [
        a.uuid
        async for a in klanten.list_actoren(
            actoridentificatorObjectId="anna",
            actoridentificatorCodeRegister="gemeente-chat",
            soortActor="medewerker",
        )
    ]
    assert found
    assert (await klanten.get_actor(bot.uuid)).uuid == bot.uuid
    link = await klanten.link_actor(bot.url, "3fa85f64-5717-4562-b3fc-2c963f66afa6")
    assert link.actor.uuid == bot.uuid
    assert [
        x
        async for x in klanten.list_actorklantcontacten(
            actor__uuid=bot.uuid, klantcontact__uuid="3fa85f64-5717-4562-b3fc-2c963f66afa6"
        )
    ]


async def test_digitale_adressen_of_a_betrokkene(klanten: KlantinteractiesClient, fake_api: FakeApi):
    betrokkene = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
    adres = await klanten.create_digitaal_adres(
        DigitaalAdresCreate(
            adres="0612345678",
            soort_digitaal_adres=SoortDigitaalAdres.TELEFOONNUMMER,
            verstrekt_door_betrokkene=betrokkene,
        )
    )
    assert adres.adres == "0612345678"
    assert fake_api.received[-1].body == {
        "adres": "0612345678",
        "soortDigitaalAdres": "telefoonnummer",
        "verstrektDoorBetrokkene": {"uuid": betrokkene},
        # A real Open Klant 2.x refuses the create without this key (400 required); null is fine.
        "verstrektDoorPartij": None,
    }
    assert (await klanten.get_digitaal_adres(adres.uuid)).uuid == adres.uuid
    assert [
        a async for a in klanten.list_digitale_adressen(verstrektDoorBetrokkene__uuid=betrokkene, adres="0612345678")
    ]


async def test_betrokkene_with_contactnaam(klanten: KlantinteractiesClient, fake_api: FakeApi):
    betrokkene = await klanten.create_betrokkene(
        BetrokkeneCreate(
            klantcontact="3fa85f64-5717-4562-b3fc-2c963f66afa6",
            contactnaam=ContactnaamCreate(voornaam="Jan", achternaam="de Vries"),
        )
    )
    assert betrokkene.contactnaam is not None and betrokkene.contactnaam.voornaam == "Jan"
    assert fake_api.received[-1].body["contactnaam"] == {"voornaam": "Jan", "achternaam": "de Vries"}


async def test_internetaken(klanten: KlantinteractiesClient, fake_api: FakeApi):
    contact = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
    actor = "0b8c0f4e-8d6a-4f3b-9c1e-2a3b4c5d6e7f"
    taak = await klanten.create_internetaak(
        InterneTaakCreate(
            gevraagde_handeling="Terugbellen",
            aanleidinggevend_klantcontact=contact,
            toegewezen_aan_actoren=[actor],
            toelichting="Na 17:00",
        )
    )
    assert taak.status == "te_verwerken"
    assert taak.aanleidinggevend_klantcontact.uuid == contact
    assert [a.uuid for a in taak.toegewezen_aan_actoren] == [actor]
    done = await klanten.set_internetaak_status(
        taak.url, InterneTaakStatus.VERWERKT, afgehandeld_op=datetime(2024, 5, 2, 9, tzinfo=UTC)
    )
    assert done.status == "verwerkt"
    assert fake_api.received[-1].body == {
        "status": "verwerkt",
        "afgehandeldOp": "2024-05-02T09:00:00+00:00",
    }
    assert (await klanten.get_internetaak(taak.uuid)).uuid == taak.uuid
    assert [t async for t in klanten.list_internetaken(status="te_verwerken")]
    with pytest.raises(ValueError, match="offset"):
        await klanten.set_internetaak_status(
            taak.url, InterneTaakStatus.VERWERKT, afgehandeld_op=datetime(2024, 5, 2, 9)
        )


async def test_bijlagen_and_onderwerpobjecten(klanten: KlantinteractiesClient, fake_api: FakeApi):
    contact = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
    bijlage = await klanten.create_bijlage(
        contact,
        IdentificatorCreate(
            code_objecttype="chattranscript",
            code_register="gemeente-chat",
            code_soort_object_id="url",
            object_id="https://chat.example.nl/t/123",
        ),
    )
    assert bijlage.bijlageidentificator is not None
    assert bijlage.bijlageidentificator.object_id == "https://chat.example.nl/t/123"
    assert (await klanten.get_bijlage(bijlage.uuid)).uuid == bijlage.uuid
    assert [b async for b in klanten.list_bijlagen()]

    onderwerp = await klanten.create_onderwerpobject(
        OnderwerpobjectCreate(klantcontact=contact, onderwerpobjectidentificator=BSN)
    )
    assert onderwerp.klantcontact is not None and onderwerp.klantcontact.uuid == contact
    assert (await klanten.get_onderwerpobject(onderwerp.url)).uuid == onderwerp.uuid
    assert [o async for o in klanten.list_onderwerpobjecten()]


async def test_internetaak_with_referentienummer(klanten: KlantinteractiesClient, fake_api: FakeApi):
    taak = await klanten.create_internetaak(
        InterneTaakCreate(
            referentienummer="TABCDEFGHI",
            gevraagde_handeling="Inwoner terugbellen",
            aanleidinggevend_klantcontact="3fa85f64-5717-4562-b3fc-2c963f66afa6",
            toegewezen_aan_actoren=[
                "https://k.example.nl/klantinteracties/api/v1/actoren/0b8c0f4e-8d6a-4f3b-9c1e-2a3b4c5d6e7f"
            ],
        )
    )
    assert taak.status == "te_verwerken"
    assert fake_api.received[-1].body["toegewezenAanActoren"] == [{"uuid": "0b8c0f4e-8d6a-4f3b-9c1e-2a3b4c5d6e7f"}]
    assert fake_api.received[-1].body["referentienummer"] == "TABCDEFGHI"
    assert [
        t
        async for t in klanten.list_internetaken(
            referentienummer="TABCDEFGHI",
            aanleidinggevendKlantcontact__uuid="3fa85f64-5717-4562-b3fc-2c963f66afa6",
        )
    ]


async def test_objects_crud(objects: ObjectsClient, fake_api: FakeApi):
    created = await objects.create_object({"titel": "Aanvraag"}, start_at=date(2024, 5, 1))
    assert created.type == objects.objecttype_url
    assert created.record.type_version == 3
    assert created.record.data == {"titel": "Aanvraag"}
    fetched = await objects.get_object(created.url)
    assert fetched.uuid == created.uuid
    replaced = await objects.replace_object(created.uuid, {"titel": "Nieuw"})
    assert replaced.record.data == {"titel": "Nieuw"}
    await objects.patch_object(created.uuid, {"status": "afgerond"})
    assert [o async for o in objects.list_objects()]
    assert [r.method for r in fake_api.received] == ["POST", "GET", "PUT", "PATCH", "GET"]
    assert fake_api.received[-1].query == [("type", objects.objecttype_url)]


async def test_the_contract_check_catches_an_invalid_request(fake_api: FakeApi):
    """The fake server really validates: a body without required fields is refused with
    the API's problem+json, and recorded as a contract violation."""
    fake_api.expect_invalid_requests = True
    async with HttpClient(config_for(fake_api, KLANTINTERACTIES_PREFIX)) as http:
        with pytest.raises(ValidationError) as caught:
            await http.request("POST", "klantcontacten", json_body={"kanaal": "chat"})
        with pytest.raises(NotFound):
            await http.request("GET", http.url("klantcontacten") + "/")  # trailing slash
        assert http.url("klantcontacten/") == http.url("klantcontacten")  # never sent so
    names = {p.name for p in caught.value.invalid_params}
    assert {"onderwerp", "taal", "vertrouwelijk"} <= names
    assert "onderwerp: 'onderwerp' is a required property" in str(caught.value)
    assert len(fake_api.requests_invalid) == 2
    assert len(fake_api.received) == 2  # 4xx is not retried
