"""Exactly once against a slow and flaky Open Klant (issue 11).

The spec-driven fake keeps what is created (``stateful``) and misbehaves on a seeded random
schedule: 502/503 and connection resets before and after storing, and answers delayed past the
client's timeout after storing. Whatever the schedule, every registration must exist exactly
once and complete: the klantcontact (with its referentienummer), one betrokkene, the bot and the
agent as actors (one medewerker actor for the agent across conversations), their links, the
transcript bijlage, and for a call-back the resident's contact details and one internetaak that
ends ``verwerkt``.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from kb_fake_api import KLANTINTERACTIES_PREFIX, OBJECTS_PREFIX, OBJECTTYPE_URL, TOKEN, FakeApi, Fault, config_for
from sqlalchemy import select, update

from handover.services.outbox import Outbox
from handover.services.registration import reference_number
from handover.settings import Settings
from handover.store import repo
from handover.store.db import Database
from handover.store.models import CallbackTask, Conversation, OutboxItem, utcnow
from klantbeeld_client import KlantinteractiesClient, ObjectsClient

SLOW = 0.6  # seconds the fake holds a SLOW answer
TIMEOUT = 0.3  # the client's read timeout: a SLOW answer always comes too late
ANNA = {"username": "anna", "name": "Anna de Vries"}


def flaky(seed: int, rate: float = 0.35):  # type: ignore[no-untyped-def]
    rng = random.Random(seed)
    faults = list(Fault)

    def decide(method: str, path: str) -> Fault | None:
        return rng.choice(faults) if rng.random() < rate else None

    return decide


def outbox_for(db: Database, api: FakeApi) -> Outbox:
    settings = Settings(
        environment="test",
        database_url=db.url,
        klantinteracties_url=api.url(KLANTINTERACTIES_PREFIX),
        klantinteracties_token=TOKEN,
        objects_url=api.url(OBJECTS_PREFIX),
        objects_token=TOKEN,
        objects_taak_type_url=OBJECTTYPE_URL,
        outbox_backoff_seconds=0.001,
    )
    outbox = Outbox(db.sessions, settings)
    # Tiny back-off and a short timeout; POST is never retried by the client itself.
    outbox.klantinteracties = KlantinteractiesClient(
        config_for(api, KLANTINTERACTIES_PREFIX, timeout=TIMEOUT, max_attempts=2, retry_non_idempotent=False)
    )
    outbox.objects = ObjectsClient(
        config_for(api, OBJECTS_PREFIX, timeout=TIMEOUT, retry_non_idempotent=False), OBJECTTYPE_URL, 1
    )
    return outbox


async def conversation(db: Database, *, outcome: str, summary: str, utm: dict[str, str] | None = None) -> str:
    created, _ = await repo.create_conversation(
        db.sessions, channel="social", lang="nl", page="https://www.example.nl/energie", referrer=None, utm=utm
    )
    for topic, text in (("energiesubsidie", "Je kunt subsidie krijgen."), ("medewerker", "Ik zoek een collega.")):
        await repo.append(
            db.sessions, created.id, repo.NewEvent(kind="message", author="bot", text=text, meta={"topic": topic})
        )
    await repo.set_topic(db.sessions, created.id, "medewerker")  # what older versions stored
    async with db.sessions.begin() as session:
        await session.execute(
            update(Conversation)
            .where(Conversation.id == created.id)
            .values(
                outcome=outcome,
                summary=summary,
                handover_summary="Vraag over energiesubsidie",
                state="closed",
                handover_reason="vraag_medewerker",
            )
        )
    return created.id


async def make_due(db: Database) -> None:
    async with db.sessions.begin() as session:
        await session.execute(
            update(OutboxItem)
            .where(OutboxItem.status == "pending")
            .values(next_attempt_at=utcnow() - timedelta(seconds=1))
        )


async def drain(db: Database, outbox: Outbox, rounds: int = 60) -> list[OutboxItem]:
    for _ in range(rounds):
        await make_due(db)
        await outbox.run_once()
        async with db.sessions() as session:
            items = (await session.execute(select(OutboxItem))).scalars().all()
        if all(i.status != "pending" for i in items):
            return list(items)
    raise AssertionError(f"not done after {rounds} rounds: {[(i.key, i.last_error) for i in items]}")


def uuid_in(ref: Any) -> str:
    return str(ref["uuid"])


@pytest.mark.parametrize("seed", range(20))
async def test_every_registration_exists_once_and_complete(seed: int, fake_api: FakeApi, sqlite_url: str):
    fake_api.stateful = True
    fake_api.slow_seconds = SLOW
    db = Database(sqlite_url)
    try:
        outbox = outbox_for(db, fake_api)
        solved = await conversation(
            db,
            outcome="opgelost",
            summary="Aanvraag uitgelegd",
            utm={"source": "facebook", "campaign": "energiesubsidie"},
        )
        unreached = await conversation(db, outcome="geen_reactie", summary="Inwoner reageerde niet meer")
        async with db.sessions.begin() as session:
            task = CallbackTask(
                conversation_id=unreached,
                team_key="subsidies_inkomen",
                name="Jan de Vries",
                phone="06 1234 5678",
                email="jan@example.nl",
                message="Bel mij na 17:00",
            )
            session.add(task)
            await session.flush()
            task_id = task.id
        await outbox.contact_closed(solved, agent=ANNA)
        await outbox.contact_closed(unreached, agent=ANNA, callback_id=task_id)
        await outbox.callback_requested(unreached, task_id)

        fake_api.faults = flaky(seed)
        await drain(db, outbox)
        await outbox.callback_done(task_id)  # the agent marks the call-back done in the console
        items = await drain(db, outbox)
        fake_api.faults = None
        assert {i.status for i in items} == {"done"}, [(i.key, i.status, i.last_error) for i in items]
        assert fake_api.faults_done, "the schedule injected no fault at all"
        await check_registered(fake_api, solved, unreached, task_id)
    finally:
        await db.dispose()


async def check_registered(api: FakeApi, solved: str, unreached: str, task_id: int) -> None:
    contacts = api.stored("klantcontacten")
    expected = {reference_number("C", f"conversation:{c}"): c for c in (solved, unreached)}
    assert sorted(c["referentienummer"] for c in contacts) == sorted(expected), "one klantcontact per chat"
    by_ref = {c["referentienummer"]: c for c in contacts}
    first, second = (
        by_ref[reference_number("C", f"conversation:{solved}")],
        by_ref[reference_number("C", f"conversation:{unreached}")],
    )
    assert first["onderwerp"] == second["onderwerp"] == "Energiesubsidie"
    assert first["indicatieContactGelukt"] is True and second["indicatieContactGelukt"] is False
    assert first["metadata"]["utm_campaign"] == "energiesubsidie"
    assert first["metadata"]["kanaal_detail"] == "social"
    assert "Aanvraag uitgelegd" in first["reactie"]

    betrokkenen = api.stored("betrokkenen")
    assert Counter(uuid_in(b["hadKlantcontact"]) for b in betrokkenen) == Counter(
        {first["uuid"]: 1, second["uuid"]: 1}
    ), "one betrokkene per klantcontact"
    caller = next(b for b in betrokkenen if uuid_in(b["hadKlantcontact"]) == second["uuid"])
    assert caller["contactnaam"]["voornaam"] == "Jan" and caller["contactnaam"]["achternaam"] == "de Vries"
    adressen = api.stored("digitaleadressen")
    assert sorted((a["soortDigitaalAdres"], a["adres"]) for a in adressen) == [
        ("email", "jan@example.nl"),
        ("telefoonnummer", "0612345678"),
    ]
    assert {uuid_in(a["verstrektDoorBetrokkene"]) for a in adressen} == {caller["uuid"]}

    actors = api.stored("actoren")
    assert Counter(a["soortActor"] for a in actors) == Counter(
        {"geautomatiseerde_actor": 1, "medewerker": 1, "organisatorische_eenheid": 1}
    ), actors
    agent = next(a for a in actors if a["soortActor"] == "medewerker")
    bot = next(a for a in actors if a["soortActor"] == "geautomatiseerde_actor")
    assert agent["naam"] == "Anna de Vries" and agent["actoridentificator"]["objectId"] == "anna"
    links = Counter(
        (uuid_in(link["actor"]), uuid_in(link["klantcontact"])) for link in api.stored("actorklantcontacten")
    )
    assert links == Counter(
        {
            (bot["uuid"], first["uuid"]): 1,
            (agent["uuid"], first["uuid"]): 1,
            (bot["uuid"], second["uuid"]): 1,
            (agent["uuid"], second["uuid"]): 1,
        }
    )

    bijlagen = api.stored("bijlagen")
    assert Counter(uuid_in(b["wasBijlageVanKlantcontact"]) for b in bijlagen) == Counter(
        {first["uuid"]: 1, second["uuid"]: 1}
    )
    assert all(b["bijlageidentificator"]["codeObjecttype"] == "chattranscript" for b in bijlagen)

    taken = api.stored("internetaken")
    assert len(taken) == 1, "one internetaak per call-back"
    assert taken[0]["referentienummer"] == reference_number("T", f"callback:{task_id}")
    assert uuid_in(taken[0]["aanleidinggevendKlantcontact"]) == second["uuid"]
    assert taken[0]["status"] == "verwerkt" and taken[0]["afgehandeldOp"]


pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")
