"""Partij and cross-channel history against the spec-driven Open Klant (stateful fake server).

A resident who logs in to MijnGemeente is found in Open Klant by BSN; the agent's klantbeeld
panel and "Mijn contacten" then show a phone contact that exists only in Open Klant, labelled
by channel; another resident never sees it; a chat this service registered itself is shown
once; reads are cached briefly and every read is audited; Open Klant down gives the own
contacts and a note, not an error page.
"""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from agents_helper import login
from openklant_fake import KLANTINTERACTIES_PREFIX, FakeApi, config_for, open_klant, settings_for
from sqlalchemy import select, update
from test_handover import online, queued_resident
from test_mijn import client, log_in

from handover.services.klantbeeld.contacts import register_contact
from handover.services.registration import reference_number
from handover.store.models import AuditEntry, Conversation, Partij
from klantbeeld_client import (
    BetrokkeneCreate,
    IdentificatorCreate,
    KlantcontactCreate,
    KlantinteractiesClient,
    PartijCreate,
    PartijIdentificatorCreate,
    Rol,
    SoortPartij,
)

EVA_BSN, YOUSSEF_BSN = "999993653", "999990019"


async def phone_contact(api: FakeApi, bsn: str, onderwerp: str) -> str:
    """A partij with this BSN and a klantcontact of the phone channel (what KISS registers)."""
    async with KlantinteractiesClient(config_for(api, KLANTINTERACTIES_PREFIX)) as klanten:
        partij = await klanten.create_partij(
            PartijCreate(
                soort_partij=SoortPartij.PERSOON,
                partij_identificatoren=[
                    PartijIdentificatorCreate(
                        partij_identificator=IdentificatorCreate(
                            code_objecttype="natuurlijk_persoon",
                            code_soort_object_id="bsn",
                            code_register="brp",
                            object_id=bsn,
                        )
                    )
                ],
            )
        )
        contact = await klanten.create_klantcontact(
            KlantcontactCreate(
                kanaal="telefoon",
                onderwerp=onderwerp,
                inhoud=f"Gebeld over: {onderwerp}",
                taal="nld",
                vertrouwelijk=False,
                plaatsgevonden_op=datetime(2026, 11, 20, 10, 0, tzinfo=UTC),
            )
        )
        await klanten.create_betrokkene(
            BetrokkeneCreate(rol=Rol.KLANT, initiator=True, klantcontact=contact.url, partij=partij.url)
        )
    return partij.url


def gets(api: FakeApi, collection: str) -> int:
    return sum(1 for r in api.received if r.method == "GET" and r.path.endswith("/" + collection))


async def audits(db, action: str) -> list[AuditEntry]:  # type: ignore[no-untyped-def]
    async with db.sessions() as session:
        return list(
            (await session.execute(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))
            .scalars()
            .all()
        )


async def test_panel_and_mijn_contacten_show_the_phone_contact_of_that_partij_only(start_service, database_url, db):
    with open_klant() as api:
        eva_url = await phone_contact(api, EVA_BSN, "Afvalpas kwijt")
        youssef_url = await phone_contact(api, YOUSSEF_BSN, "Parkeervergunning verlengen")
        service = start_service(database_url, **settings_for(api))

        async with client(service) as eva, client(service) as youssef:
            await log_in(eva, "eva")
            await log_in(youssef, "youssef")
            async with db.sessions() as session:
                linked = dict((await session.execute(select(Partij.display_name, Partij.klantinteracties_url))).all())
            assert linked == {"Eva de Boer": eva_url, "Youssef El Amrani": youssef_url}

            page = await eva.get("/mijn/contacten")
            assert page.status_code == 200
            assert "Afvalpas kwijt" in page.text and "Telefoon" in page.text
            assert "Parkeervergunning" not in page.text
            other = await youssef.get("/mijn/contacten")
            assert "Parkeervergunning verlengen" in other.text and "Afvalpas" not in other.text
            overview = await eva.get("/mijn")
            assert "Afvalpas kwijt (Telefoon," in overview.text

        # The agent's panel of a chat with Eva (bound to her partij) shows it too, labelled.
        agent = await login(service, db, ["klantcontact"], name="Anna")
        socket = await online(agent, service)
        resident, started = await queued_resident(service)
        conversation_id = started["conversation_id"]
        async with db.sessions.begin() as session:
            eva_id = (await session.execute(select(Partij.id).where(Partij.klantinteracties_url == eva_url))).scalar()
            await session.execute(
                update(Conversation).where(Conversation.id == conversation_id).values(partij_id=eva_id)
            )
        async with httpx.AsyncClient(base_url=service.http, cookies=agent.cookies) as http:
            view = (await http.get(f"/api/conversations/{conversation_id}/klantbeeld")).json()
        assert view["other_channels"] == {"status": "ok", "note": None, "count": 1}
        assert [(c["kanaal"], c["onderwerp"], c["source"]) for c in view["contacts"]] == [
            ("telefoon", "Afvalpas kwijt", "openklant")
        ]
        assert "Parkeervergunning" not in str(view)

        # Every read audited, for the resident and for the agent; the agent's names the chat.
        reads = await audits(db, "openklant.klantcontacten.read")
        assert {r.actor for r in reads} >= {f"resident:{eva_id}", f"agent:{agent.agent_id}"}
        assert any(r.conversation_id == conversation_id for r in reads if r.actor == f"agent:{agent.agent_id}")
        assert len(await audits(db, "openklant.partij.link")) == 2
        for chat in (socket, resident):
            await chat.close()


async def test_reads_are_cached_own_chats_shown_once_and_open_klant_down_is_a_note(start_service, database_url, db):
    with open_klant() as api:
        await phone_contact(api, EVA_BSN, "Afvalpas kwijt")
        service = start_service(database_url, **settings_for(api, klantinteracties_cache_seconds=600))
        async with client(service) as eva:
            landed = await log_in(eva, "eva")  # on the overview, which lists the latest contacts
            assert "Afvalpas kwijt" in landed.text
            assert gets(api, "klantcontacten") == 1
            for _ in range(3):
                assert "Afvalpas kwijt" in (await eva.get("/mijn/contacten")).text
            assert gets(api, "klantcontacten") == 1, "read once, then from the cache"
            assert len(await audits(db, "openklant.klantcontacten.read")) == 4, "but every read audited"

        # A chat of Eva's, registered in Open Klant by this service, appears once (own row).
        async with db.sessions() as session:
            eva_id, eva_url = (await session.execute(select(Partij.id, Partij.klantinteracties_url))).one()
        resident, started = await queued_resident(service)
        conversation_id = started["conversation_id"]
        async with KlantinteractiesClient(config_for(api, KLANTINTERACTIES_PREFIX)) as klanten:
            ours = await klanten.create_klantcontact(
                KlantcontactCreate(
                    kanaal="chat",
                    onderwerp="Energietoeslag",
                    taal="nld",
                    vertrouwelijk=False,
                    referentienummer=reference_number("C", f"conversation:{conversation_id}"),
                )
            )
            await klanten.create_betrokkene(
                BetrokkeneCreate(rol=Rol.KLANT, initiator=True, klantcontact=ours.url, partij=eva_url)
            )
        await resident.close()
        # A second instance without the cache, so the read after the registration is fresh.
        service2 = start_service(database_url, **settings_for(api, klantinteracties_cache_seconds=0))
        async with db.sessions.begin() as session:
            await session.execute(
                update(Conversation)
                .where(Conversation.id == conversation_id)
                .values(partij_id=eva_id, summary="Uitleg over de energietoeslag.")
            )
        await register_contact(db.sessions, conversation_id, "Anna")
        async with client(service2) as eva:
            await log_in(eva, "eva")
            page = (await eva.get("/mijn/contacten")).text
            assert page.count("Uitleg over de energietoeslag.") == 1 and "Energietoeslag" not in page
            assert "Afvalpas kwijt" in page

            # Open Klant down: the own contacts and a note, no error page.
            api.fail_next(503, {"title": "Service Unavailable", "status": 503}, times=20)
            page = await eva.get("/mijn/contacten")
            assert page.status_code == 200
            assert "Uitleg over de energietoeslag." in page.text and "Afvalpas" not in page.text
            assert "kunnen we nu niet ophalen" in page.text
        api.canned.clear()


async def test_partij_created_when_configured_once_also_after_a_lost_answer(start_service, database_url, db):
    from kb_fake_api import Fault

    with open_klant() as api:
        lost = []

        def lose_first_create(method: str, path: str) -> Fault | None:
            if method == "POST" and path.endswith("/partijen") and not lost:
                lost.append(path)
                return Fault.ERROR_503_AFTER  # stored, but the service never hears so
            return None

        api.faults = lose_first_create
        service = start_service(database_url, **settings_for(api, klantinteracties_create_partij=True))
        for _ in range(2):
            async with client(service) as tim:
                assert (await log_in(tim, "tim")).status_code == 200
        partijen = api.stored("partijen")
        assert len(partijen) == 1 and lost, "created once, the lost answer adopted by the lookup"
        [created] = partijen
        assert created["soortPartij"] == "persoon"
        assert [i["partijIdentificator"]["objectId"] for i in created["partijIdentificatoren"]] == ["999998456"]
        async with db.sessions() as session:
            assert (await session.execute(select(Partij.klantinteracties_url))).scalar() == created["url"]


async def test_without_create_an_unknown_resident_stays_unlinked_and_sees_own_contacts(start_service, database_url, db):
    with open_klant() as api:
        service = start_service(database_url, **settings_for(api))
        async with client(service) as tim:
            await log_in(tim, "tim")
            page = await tim.get("/mijn/contacten")
        assert page.status_code == 200 and "Er zijn nog geen contacten" in page.text
        assert api.stored("partijen") == []
        async with db.sessions() as session:
            assert (await session.execute(select(Partij.klantinteracties_url))).scalar() is None


async def test_open_klant_down_at_login_links_later_while_logged_in(start_service, database_url, db):
    with open_klant() as api:
        eva_url = await phone_contact(api, EVA_BSN, "Afvalpas kwijt")
        service = start_service(database_url, **settings_for(api))
        api.fail_next(503, {"title": "Service Unavailable", "status": 503}, times=50, path_contains="/partijen")
        async with client(service) as eva:
            landed = await log_in(eva, "eva")
            assert landed.status_code == 200 and "Welkom, Eva de Boer" in landed.text, "the login goes on"
            async with db.sessions() as session:
                assert (await session.execute(select(Partij.klantinteracties_url))).scalar() is None
            api.canned.clear()  # Open Klant is back
            # The next view links her (from the live session's BSN) and shows the phone contact.
            # (The overview already tried within the minute: this instance waits, a new one does not.)
            service2 = start_service(database_url, **settings_for(api))
            async with httpx.AsyncClient(base_url=service2.http, cookies=eva.cookies) as again:
                page = await again.get("/mijn/contacten")
            assert "Afvalpas kwijt" in page.text
        async with db.sessions() as session:
            assert (await session.execute(select(Partij.klantinteracties_url))).scalar() == eva_url
