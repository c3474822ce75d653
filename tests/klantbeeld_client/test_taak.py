"""A concept request as a taak that a portal can show (issue 11, item 9).

Against the spec-driven Objects API fake with a strict taak objecttype (``TAAK_SCHEMA``:
``additionalProperties: false`` everywhere, ``identificatie`` and ``verwerker_taak_id``
required, ``record.data`` validated with jsonschema on every write): the taak is created once,
with the resident's BSN, only when the resident is known; it follows the request (submitted ->
a new record version with ``afgerond`` and ``verzonden_data``; expired or erased -> ``gesloten``);
a 400 stops the item and is reported to operators and agents; a lost answer, also one followed by
"An object with this UUID already exists", completes without a duplicate, whatever the faults.
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import pytest
from kb_fake_api import TAAK_SCHEMA, FakeApi, Fault
from sqlalchemy import select, update
from test_exactly_once import SLOW, drain, flaky, make_due, outbox_for

from handover.auth import residents
from handover.services.klantbeeld.agent_view import klantbeeld_for_agent
from handover.services.klantbeeld.concept_requests import Published, publish_concept_request, submit
from handover.services.klantbeeld.links import claim_by_link
from handover.services.klantbeeld.residents import identify
from handover.services.outbox import Outbox, failed_items
from handover.store import repo
from handover.store.db import Database
from handover.store.models import ConceptRequest, Conversation, OutboxItem, utcnow
from klantbeeld_client import TaakStatus

BSN = "999993653"
OTHER_BSN = "999990019"


async def resident(db: Database, bsn: str = BSN, *, logged_in: bool = True) -> int:
    """A resident (partij); with ``logged_in`` a live MijnGemeente session that holds the BSN."""
    partij_id = await identify(db.sessions, "test-secret", kind="bsn", value=bsn, display_name="Jan de Vries")
    if logged_in:
        await residents.open_session(db.sessions, partij_id, identity=residents.Identity("bsn", bsn, "Jan de Vries"))
    return partij_id


async def request_in_chat(db: Database, partij_id: int | None, *, data: dict[str, Any] | None = None) -> Published:
    created, _ = await repo.create_conversation(
        db.sessions, channel="website", lang="nl", page=None, referrer=None, utm=None
    )
    if partij_id is not None:
        async with db.sessions.begin() as session:
            await session.execute(update(Conversation).where(Conversation.id == created.id).values(partij_id=partij_id))
    return await publish_concept_request(
        db.sessions,
        created.id,
        agent_id=1,
        agent_name="Anna",
        request_type="energiesubsidie",
        title="Energiesubsidie aanvragen",
        data=data or {"woonsituatie": "huurder", "inkomen": 2100},
        lifetime=timedelta(days=14),
    )


def strict(api: FakeApi) -> None:
    api.stateful = True
    api.objecttype_schema = TAAK_SCHEMA


def taak_posts(api: FakeApi) -> int:
    return sum(1 for r in api.received if r.method == "POST" and r.path.endswith("/objects"))


async def items(db: Database) -> list[OutboxItem]:
    async with db.sessions() as session:
        return list((await session.execute(select(OutboxItem).order_by(OutboxItem.id))).scalars())


def the_taak(api: FakeApi, request_uuid: str | None = None) -> dict[str, Any]:
    found = [o for o in api.stored("objects") if request_uuid is None or o["uuid"] == request_uuid]
    assert len(found) == 1, found
    return found[0]


async def test_created_once_with_the_bsn_then_updated_on_submit(fake_api: FakeApi, database_url: str, db: Database):
    strict(fake_api)
    outbox = outbox_for(db, fake_api)
    partij_id = await resident(db)
    published = await request_in_chat(db, partij_id)
    assert await outbox.request_published(published.request_id) is True
    assert await outbox.request_published(published.request_id) is False  # once
    await drain(db, outbox)

    taak = the_taak(fake_api)
    data = taak["record"]["data"]
    assert data["identificatie"] == {"type": "bsn", "value": BSN}
    assert data["betrokkene"]["source"] == "digid"
    assert data["betrokkene"]["authorizee"] == {"legalSubject": {"identifier": BSN}}
    assert data["status"] == "open" and data["soort"] == "externformulier"
    assert data["titel"] == "Energiesubsidie aanvragen" and data["eigenaar"] == "gemeente"
    uuid.UUID(data["verwerker_taak_id"])
    assert datetime.fromisoformat(data["verloopdatum"]).utcoffset() is not None
    assert data["portaalformulier"]["data"] == {"woonsituatie": "huurder", "inkomen": 2100}
    assert "verzonden_data" not in data["portaalformulier"]
    assert data["portaalformulier"]["formulier"] == {
        "soort": "url",
        "value": "https://formulieren.example.nl/energiesubsidie",
    }
    # The BSN is in the object; the outbox row does not keep it once the item is done.
    [create] = await items(db)
    assert "identificatie" not in create.payload and create.result["object_url"] == taak["url"]

    await submit(db.sessions, published.request_id, partij_id, {"woonsituatie": "eigenaar"})
    assert await outbox.request_status(published.request_id, TaakStatus.AFGEROND) is True
    await drain(db, outbox)
    records = fake_api.records[taak["uuid"]]
    assert [r["index"] for r in records] == [1, 2], "one new record version"
    assert records[1]["data"]["status"] == "afgerond"
    assert records[1]["data"]["portaalformulier"]["verzonden_data"] == {"woonsituatie": "eigenaar", "inkomen": 2100}
    assert records[1]["data"]["identificatie"] == data["identificatie"]
    assert taak_posts(fake_api) == 1
    assert not fake_api.requests_invalid and not fake_api.responses_invalid
    # Nothing more to do: running again writes nothing.
    sent = len(fake_api.received)
    await make_due(db)
    await outbox.run_once()
    assert len(fake_api.received) == sent


async def test_an_anonymous_request_is_published_only_when_a_logged_in_resident_binds_it(
    fake_api: FakeApi, database_url: str, db: Database
):
    strict(fake_api)
    outbox = outbox_for(db, fake_api)
    published = await request_in_chat(db, None)
    assert await outbox.request_published(published.request_id) is False, "nobody could see it"
    # Bound by a resident whose session holds no identification (not logged in now): still nothing.
    away = await resident(db, OTHER_BSN, logged_in=False)
    other = await request_in_chat(db, away)
    assert await outbox.request_published(other.request_id) is False
    assert await items(db) == []

    partij_id = await resident(db)
    assert await claim_by_link(db.sessions, published.token, partij_id) == published.request_id
    assert await outbox.request_published(published.request_id) is True
    await drain(db, outbox)
    assert the_taak(fake_api)["record"]["data"]["identificatie"]["value"] == BSN

    # The other resident logs in: their bound request becomes a taak with their own BSN.
    await residents.open_session(db.sessions, away, identity=residents.Identity("bsn", OTHER_BSN, "Els"))
    await outbox.resident_logged_in(away)
    await drain(db, outbox)
    assert sorted(o["record"]["data"]["identificatie"]["value"] for o in fake_api.stored("objects")) == sorted(
        [BSN, OTHER_BSN]
    )


async def test_expired_and_erased_requests_close_their_taak(fake_api: FakeApi, database_url: str, db: Database):
    strict(fake_api)
    outbox = outbox_for(db, fake_api)
    partij_id = await resident(db)
    expiring = await request_in_chat(db, partij_id)
    erased = await request_in_chat(db, partij_id)
    for published in (expiring, erased):
        await outbox.request_published(published.request_id)
    await drain(db, outbox)
    by_request = {i.payload["request_id"]: i.result["object_url"].rsplit("/", 1)[-1] for i in await items(db)}

    async with db.sessions.begin() as session:
        await session.execute(
            update(ConceptRequest)
            .where(ConceptRequest.id == expiring.request_id)
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )
    await outbox.request_status(erased.request_id, TaakStatus.GESLOTEN)  # what erasure in MijnGemeente does
    async with db.sessions.begin() as session:
        await session.execute(ConceptRequest.__table__.delete().where(ConceptRequest.id == erased.request_id))
    await drain(db, outbox)
    await drain(db, outbox)  # the expiry sweep runs again: nothing more
    for request_id in (expiring.request_id, erased.request_id):
        records = fake_api.records[by_request[request_id]]
        assert [r["data"]["status"] for r in records] == ["open", "gesloten"]
    assert sorted(i.key for i in await items(db)) == sorted(
        [
            f"taak:{expiring.request_id}",
            f"taak:{erased.request_id}",
            f"taak:{expiring.request_id}:gesloten",
            f"taak:{erased.request_id}:gesloten",
        ]
    )


async def test_a_400_stops_the_item_and_is_reported_to_operators_and_agents(
    fake_api: FakeApi, database_url: str, db: Database, caplog: pytest.LogCaptureFixture
):
    strict(fake_api)
    fake_api.expect_invalid_requests = True
    outbox = outbox_for(db, fake_api)
    outbox.settings = outbox.settings.model_copy(update={"objects_owner": ""})  # the schema refuses it
    partij_id = await resident(db)
    published = await request_in_chat(db, partij_id)
    await outbox.request_published(published.request_id)
    assert await outbox.run_once() == 0
    [item] = await items(db)
    assert (item.status, item.attempts) == ("failed", 1)
    assert "400" in (item.last_error or "") and "eigenaar" in (item.last_error or "")
    assert "needs a person" in caplog.text
    assert [f["key"] for f in await failed_items(db.sessions)] == [f"taak:{published.request_id}"]
    # Not retried: more runs send nothing.
    sent = len(fake_api.received)
    await make_due(db)
    await outbox.run_once()
    assert len(fake_api.received) == sent and taak_posts(fake_api) == 1
    # The submit that follows cannot be sent either: it stops too instead of waiting forever.
    await submit(db.sessions, published.request_id, partij_id, {"woonsituatie": "eigenaar"})
    await outbox.request_status(published.request_id, TaakStatus.AFGEROND)
    await outbox.run_once()
    assert {i.key: i.status for i in await items(db)}[f"taak:{published.request_id}:afgerond"] == "failed"
    # The agent sees it where the console shows the request.
    async with db.sessions() as session:
        conversation_id = (await session.get(ConceptRequest, published.request_id)).conversation_id
    view = await klantbeeld_for_agent(db.sessions, conversation_id, agent_id=1)
    [shown] = [r for r in view["requests"] if r["id"] == published.request_id]
    assert shown["taak"]["state"] == "mislukt"
    assert fake_api.stored("objects") == []


async def test_a_lost_answer_is_adopted_by_the_lookup(fake_api: FakeApi, database_url: str, db: Database):
    """The server stored the taak but its answer came after the client's timeout."""
    strict(fake_api)
    fake_api.slow_seconds = SLOW
    outbox = outbox_for(db, fake_api)
    published = await request_in_chat(db, await resident(db))
    await outbox.request_published(published.request_id)
    fake_api.faults = lambda method, path: Fault.SLOW if method == "POST" else None
    await drain(db, outbox)
    fake_api.faults = None
    assert [f[2] for f in fake_api.faults_done] == [Fault.SLOW]
    assert len(fake_api.stored("objects")) == 1 and taak_posts(fake_api) == 1
    [item] = await items(db)
    assert item.status == "done" and item.result["object_url"] == the_taak(fake_api)["url"]


async def test_a_lost_answer_then_already_exists_adopts_the_object(fake_api: FakeApi, database_url: str, db: Database):
    """A crash between the POST and its bookkeeping: the item is pending again with no progress,
    and the lookups do not show the object (a server that lists it only later): the POST with
    the same uuid is refused "An object with this UUID already exists", and that completes the
    item with the existing object instead of failing or retrying forever."""
    strict(fake_api)
    outbox = outbox_for(db, fake_api)
    published = await request_in_chat(db, await resident(db))
    await outbox.request_published(published.request_id)
    await drain(db, outbox)
    [stored] = fake_api.stored("objects")
    [item] = await items(db)
    async with db.sessions.begin() as session:  # the bookkeeping that was lost
        await session.execute(
            update(OutboxItem)
            .where(OutboxItem.id == item.id)
            .values(
                status="pending", result=None, payload={**item.payload, "identificatie": {"type": "bsn", "value": BSN}}
            )
        )
    fake_api.fail_next(404, {"title": "Niet gevonden.", "status": 404}, path_contains=stored["uuid"])
    fake_api.fail_next(
        200,
        {"count": 0, "next": None, "previous": None, "results": []},
        content_type="application/json",
        path_contains="/objects",
    )
    await make_due(db)
    assert await outbox.run_once() == 1
    [item] = await items(db)
    assert item.status == "done" and item.result["object_url"] == stored["url"]
    assert len(fake_api.stored("objects")) == 1 and taak_posts(fake_api) == 2
    refused = [r for r in fake_api.received if r.method == "POST"][-1]
    assert refused.body["uuid"] == stored["uuid"]


@pytest.mark.parametrize("seed", range(20))
async def test_every_taak_exists_once_and_follows_its_request(seed: int, fake_api: FakeApi, sqlite_url: str):
    strict(fake_api)
    fake_api.slow_seconds = SLOW
    db = Database(sqlite_url)
    try:
        outbox: Outbox = outbox_for(db, fake_api)
        partij_id = await resident(db)
        submitted, expired, untouched = [await request_in_chat(db, partij_id) for _ in range(3)]
        for published in (submitted, expired, untouched):
            await outbox.request_published(published.request_id)
        fake_api.faults = flaky(seed, rate=0.4)
        await drain(db, outbox)

        await submit(db.sessions, submitted.request_id, partij_id, {"woonsituatie": "eigenaar"})
        await outbox.request_status(submitted.request_id, TaakStatus.AFGEROND)
        async with db.sessions.begin() as session:
            await session.execute(
                update(ConceptRequest)
                .where(ConceptRequest.id == expired.request_id)
                .values(expires_at=utcnow() - timedelta(minutes=1))
            )
        done = await drain(db, outbox)
        fake_api.faults = None
        assert {i.status for i in done} == {"done"}, [(i.key, i.status, i.last_error) for i in done]
        assert fake_api.faults_done, "the schedule injected no fault at all"

        objects = fake_api.stored("objects")
        ids = Counter(o["record"]["data"]["verwerker_taak_id"] for o in objects)
        assert len(objects) == 3 and set(ids.values()) == {1}, "one taak per request"
        url_of = {i.payload["request_id"]: i.result["object_url"] for i in done if i.kind == "taak"}
        statuses = {
            request_id: [r["data"]["status"] for r in fake_api.records[url.rsplit("/", 1)[-1]]]
            for request_id, url in url_of.items()
        }
        assert statuses == {
            submitted.request_id: ["open", "afgerond"],
            expired.request_id: ["open", "gesloten"],
            untouched.request_id: ["open"],
        }, "exactly one record version per change"
        last = fake_api.records[url_of[submitted.request_id].rsplit("/", 1)[-1]][-1]["data"]
        assert last["portaalformulier"]["verzonden_data"]["woonsituatie"] == "eigenaar"
        assert all(o["record"]["data"]["identificatie"] == {"type": "bsn", "value": BSN} for o in objects)
    finally:
        await db.dispose()


pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")
