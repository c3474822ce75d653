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
    SoortPartij,
    TaakStatus,
    ValidationError,
    create_callback_task,
    publish_concept_request,
    register_chat_contact,
    set_taak_status,
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
    partij = await klanten.create_partij(
        PartijCreate(soort_partij=SoortPartij.PERSOON, voorkeurstaal="nld")
    )
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


async def test_klantcontacten_and_maak_klantcontact(
    klanten: KlantinteractiesClient, fake_api: FakeApi
):
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
    betrokkene = await klanten.create_betrokkene(
        BetrokkeneCreate(klantcontact=contact, rol=Rol.KLANT, initiator=True)
    )
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
    agent = await klanten.ensure_actor("Anna de Vries", SoortActor.MEDEWERKER)
    assert agent.soort_actor == "medewerker"
    assert calls(fake_api)[-2:] == ["GET actoren", "POST actoren"]
    assert fake_api.received[-2].query == [
        ("naam", "Anna de Vries"),
        ("soortActor", "medewerker"),
        ("indicatieActief", "true"),
    ]
    assert (await klanten.get_actor(bot.uuid)).uuid == bot.uuid
    assert [a async for a in klanten.list_actoren()]
    link = await klanten.link_actor(bot.url, "3fa85f64-5717-4562-b3fc-2c963f66afa6")
    assert link.actor.uuid == bot.uuid


async def test_ensure_actor_reuses_an_existing_actor(
    klanten: KlantinteractiesClient, fake_api: FakeApi
):
    def same_name(method: str, path: str, body):
        if method == "GET" and path == "/actoren":
            for item in body["results"]:
                item.update(naam="Gemeentebot", soortActor="geautomatiseerde_actor")
        return body

    fake_api.mutate = same_name
    actor = await klanten.ensure_actor("Gemeentebot", SoortActor.GEAUTOMATISEERDE_ACTOR)
    assert actor.naam == "Gemeentebot"
    assert calls(fake_api) == ["GET actoren"]
    assert fake_api.mutated_violations == []  # the rewrite stayed within the spec


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


async def test_register_chat_contact(klanten: KlantinteractiesClient, fake_api: FakeApi):
    partij = "https://klanten.example.nl/klantinteracties/api/v1/partijen/3fa85f64-5717-4562-b3fc-2c963f66afa6"
    result = await register_chat_contact(
        klanten,
        summary="Inwoner vroeg naar de subsidie voor zonnepanelen. " * 40,  # > 1000 chars
        onderwerp="Subsidie zonnepanelen",
        transcript_url="https://chat.example.nl/transcripts/42",
        bot_name="Gemeentebot",
        agent_name="Anna de Vries",
        partij=partij,
        plaatsgevonden_op=datetime(2024, 5, 1, 14, 30, tzinfo=CET),
    )
    assert result.complete
    assert calls(fake_api) == [
        "POST maak-klantcontact",
        "GET actoren",
        "POST actoren",
        "GET actoren",
        "POST actoren",
        "POST actorklantcontacten",
        "POST actorklantcontacten",
        "POST bijlagen",
    ]
    made = fake_api.received[0].body
    assert made["klantcontact"]["kanaal"] == "chat"
    assert made["klantcontact"]["taal"] == "nld"
    assert len(made["klantcontact"]["inhoud"]) <= 1000
    assert made["klantcontact"]["inhoud"].endswith("…")
    assert made["betrokkene"] == {
        "rol": "klant",
        "initiator": True,
        "wasPartij": {"uuid": "3fa85f64-5717-4562-b3fc-2c963f66afa6"},
    }
    bot, agent = fake_api.received[2].body, fake_api.received[4].body
    assert (bot["soortActor"], agent["soortActor"]) == ("geautomatiseerde_actor", "medewerker")
    links = [r.body for r in fake_api.received[5:7]]
    assert {link["klantcontact"]["uuid"] for link in links} == {result.klantcontact_uuid}
    bijlage = fake_api.received[7].body
    assert bijlage["wasBijlageVanKlantcontact"] == {"uuid": result.klantcontact_uuid}
    assert bijlage["bijlageidentificator"]["objectId"] == "https://chat.example.nl/transcripts/42"
    assert result.bijlage_url and result.bot_actor_url and result.agent_actor_url
    assert len(result.actorklantcontact_urls) == 2


async def test_create_callback_task(klanten: KlantinteractiesClient, fake_api: FakeApi):
    taak = await create_callback_task(
        klanten,
        klantcontact="3fa85f64-5717-4562-b3fc-2c963f66afa6",
        gevraagde_handeling="Inwoner terugbellen",
        actoren=[
            "https://k.example.nl/klantinteracties/api/v1/actoren/0b8c0f4e-8d6a-4f3b-9c1e-2a3b4c5d6e7f"
        ],
    )
    assert taak.status == "te_verwerken"
    assert fake_api.received[-1].body["toegewezenAanActoren"] == [
        {"uuid": "0b8c0f4e-8d6a-4f3b-9c1e-2a3b4c5d6e7f"}
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


async def test_publish_concept_request_and_status(objects: ObjectsClient, fake_api: FakeApi):
    taak = await publish_concept_request(
        objects,
        titel="Aanvraag subsidie zonnepanelen",
        formulier_url="https://formulieren.example.nl/subsidie-zonnepanelen",
        prefill={"aantalPanelen": 12},
        eigenaar="gemeente",
        betrokkene="https://klanten.example.nl/klantinteracties/api/v1/partijen/3fa85f64-5717-4562-b3fc-2c963f66afa6",
        verloopdatum=date(2024, 6, 1),
        uuid="0b8c0f4e-8d6a-4f3b-9c1e-2a3b4c5d6e7f",
    )
    assert taak.uuid == "0b8c0f4e-8d6a-4f3b-9c1e-2a3b4c5d6e7f"
    data = fake_api.received[-1].body["record"]["data"]
    assert data["status"] == "open"
    assert data["soort"] == "portaalformulier"
    assert data["verloopdatum"] == "2024-06-01"
    assert data["portaalformulier"]["data"] == {"aantalPanelen": 12}
    assert data["portaalformulier"]["formulier"] == {
        "soort": "url",
        "value": "https://formulieren.example.nl/subsidie-zonnepanelen",
    }
    await set_taak_status(objects, taak.uuid, TaakStatus.VERWERKT)
    assert fake_api.received[-1].method == "PATCH"
    assert fake_api.received[-1].body["record"]["data"] == {"status": "verwerkt"}


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
