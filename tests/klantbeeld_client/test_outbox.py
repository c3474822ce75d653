"""The service's outbox against the spec-driven Open Klant / Objects server: a remote that is
down, then up, receives every registration exactly once (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from kb_fake_api import KLANTINTERACTIES_PREFIX, OBJECTS_PREFIX, OBJECTTYPE_URL, TOKEN, FakeApi, config_for
from sqlalchemy import select, update

from handover.auth import residents
from handover.core import lifecycle
from handover.services import agents
from handover.services.klantbeeld.concept_requests import publish_concept_request
from handover.services.klantbeeld.residents import identify
from handover.services.outbox import Outbox, failed_items, retry_failed
from handover.services.registration import Registration
from handover.settings import Settings
from handover.store import repo
from handover.store.db import Database
from handover.store.models import CallbackTask, Conversation, Klantcontact, OutboxItem, utcnow
from klantbeeld_client import KlantinteractiesClient, ObjectsClient


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
    # The same clients with tiny back-off, so the test does not wait for the client's own retries.
    outbox.klantinteracties = KlantinteractiesClient(config_for(api, KLANTINTERACTIES_PREFIX))
    outbox.objects = ObjectsClient(config_for(api, OBJECTS_PREFIX), OBJECTTYPE_URL, 1)
    return outbox


async def closed_conversation(db: Database, topic: str) -> str:
    conversation, _ = await repo.create_conversation(
        db.sessions, channel="website", lang="nl", page=None, referrer=None, utm=None
    )
    await repo.set_topic(db.sessions, conversation.id, topic)
    return conversation.id


async def make_due(db: Database) -> None:
    async with db.sessions.begin() as session:
        await session.execute(
            update(OutboxItem)
            .where(OutboxItem.status == "pending")
            .values(next_attempt_at=utcnow() - timedelta(seconds=1))
        )


def posts(api: FakeApi, fragment: str) -> int:
    return sum(1 for r in api.received if r.method == "POST" and r.path.endswith(fragment))


async def test_remote_down_then_up_registers_everything_once(fake_api: FakeApi, database_url: str, db: Database):
    fake_api.stateful = True
    outbox = outbox_for(db, fake_api)
    first = await closed_conversation(db, "paspoort_idkaart")
    second = await closed_conversation(db, "energiesubsidie")
    await outbox.contact_closed(first)
    await outbox.contact_closed(first)  # a second close event changes nothing
    async with db.sessions.begin() as session:
        task = CallbackTask(
            conversation_id=second, team_key="subsidies_inkomen", phone="0612345678", message="Bel mij terug"
        )
        session.add(task)
        await session.flush()
        task_id = task.id
    await outbox.callback_requested(second, task_id)
    # The request's taak names the resident, so it is published once a logged-in resident has it.
    partij_id = await identify(db.sessions, "secret", kind="bsn", value="999993653", display_name="Jan")
    await residents.open_session(db.sessions, partij_id, identity=residents.Identity("bsn", "999993653", "Jan"))
    async with db.sessions.begin() as session:
        await session.execute(update(Conversation).where(Conversation.id == second).values(partij_id=partij_id))
    published = await publish_concept_request(
        db.sessions,
        second,
        agent_id=1,
        agent_name="Anna",
        request_type="energiesubsidie",
        title="Energiesubsidie",
        data={"woonsituatie": "huurder"},
        lifetime=timedelta(days=7),
    )
    assert await outbox.request_published(published.request_id) is True

    # The remote is down: every call gets a 503, many rounds in a row.
    fake_api.fail_next(503, {"title": "Service Unavailable", "status": 503}, times=10_000)
    for _ in range(5):
        assert await outbox.run_once() == 0
        await make_due(db)
    async with db.sessions() as session:
        items = (await session.execute(select(OutboxItem).order_by(OutboxItem.id))).scalars().all()
    assert [i.key for i in items] == [
        f"klantcontact:{first}",
        f"klantcontact:{second}",
        f"internetaak:{task_id}",
        f"taak:{published.request_id}",
    ]
    assert all(i.status == "pending" and i.attempts >= 5 and i.last_error for i in items)

    # The remote is back.
    fake_api.canned.clear()
    fake_api.received.clear()
    for _ in range(4):
        await outbox.run_once()
        await make_due(db)
    async with db.sessions() as session:
        items = (await session.execute(select(OutboxItem))).scalars().all()
    assert {i.status for i in items} == {"done"}, [(i.key, i.last_error) for i in items]
    assert posts(fake_api, "/klantcontacten") == 2
    assert posts(fake_api, "/internetaken") == 1
    assert posts(fake_api, "/objects") == 1
    assert posts(fake_api, "/bijlagen") == 2
    assert not fake_api.requests_invalid and not fake_api.responses_invalid
    # Nothing more to do: running again sends nothing.
    sent = len(fake_api.received)
    await outbox.run_once()
    assert len(fake_api.received) == sent


async def test_a_partial_registration_resumes_without_a_second_klantcontact(
    fake_api: FakeApi, database_url: str, db: Database
):
    fake_api.stateful = True
    outbox = outbox_for(db, fake_api)
    conversation_id = await closed_conversation(db, "rijbewijs")
    await outbox.contact_closed(conversation_id)
    fake_api.fail_next(503, {"title": "down", "status": 503}, times=50, path_contains="/bijlagen")
    assert await outbox.run_once() == 0
    assert posts(fake_api, "/klantcontacten") == 1
    fake_api.canned.clear()
    fake_api.received.clear()
    await make_due(db)
    assert await outbox.run_once() == 1
    assert posts(fake_api, "/klantcontacten") == 0, "the klantcontact from the first try is reused"
    assert posts(fake_api, "/bijlagen") == 1


async def test_without_remote_urls_nothing_is_queued(database_url: str, db: Database):
    outbox = Outbox(db.sessions, Settings(environment="test", database_url=db.url))
    assert await outbox.enqueue("klantcontact", "klantcontact:x", {"conversation_id": "x"}) is False
    async with db.sessions() as session:
        assert (await session.execute(select(OutboxItem))).first() is None


pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


async def test_a_4xx_that_retrying_cannot_fix_stops_the_item_and_is_reported(
    fake_api: FakeApi, database_url: str, db: Database, caplog: pytest.LogCaptureFixture
):
    fake_api.stateful = True
    outbox = outbox_for(db, fake_api)
    conversation_id = await closed_conversation(db, "rijbewijs")
    await outbox.contact_closed(conversation_id)
    problem = {
        "title": "Invalid input.",
        "status": 400,
        "code": "invalid",
        "invalidParams": [{"name": "onderwerp", "code": "invalid", "reason": "Ongeldig"}],
    }
    fake_api.fail_next(400, problem, path_contains="/klantcontacten")  # the lookup
    assert await outbox.run_once() == 0
    async with db.sessions() as session:
        item = (await session.execute(select(OutboxItem))).scalar_one()
    assert (item.status, item.attempts) == ("failed", 1)
    assert "needs a person" in caplog.text
    failed = await failed_items(db.sessions)
    assert [f["key"] for f in failed] == [f"klantcontact:{conversation_id}"]
    assert "400" in failed[0]["last_error"]
    # Nothing more is sent for it, however often the worker runs.
    sent = len(fake_api.received)
    await make_due(db)
    await outbox.run_once()
    assert len(fake_api.received) == sent
    # An operator fixed the cause and queues it again.
    assert await retry_failed(db.sessions, item.id) is True
    assert await outbox.run_once() == 1


@pytest.mark.parametrize("status", [408, 409, 429, 503])
async def test_errors_that_retrying_can_fix_keep_the_item_pending(
    status: int, fake_api: FakeApi, database_url: str, db: Database
):
    fake_api.stateful = True
    outbox = outbox_for(db, fake_api)
    conversation_id = await closed_conversation(db, "rijbewijs")
    await outbox.contact_closed(conversation_id)
    fake_api.fail_next(status, {"title": "later", "status": status}, times=10)
    assert await outbox.run_once() == 0
    async with db.sessions() as session:
        item = (await session.execute(select(OutboxItem))).scalar_one()
    assert item.status == "pending" and item.last_error


async def test_closing_carries_the_agent_and_the_product_subject(fake_api: FakeApi, database_url: str, db: Database):
    """The outbox payload names the agent (their medewerker actor is found by user name), and
    the local klantcontact's subject is the last product topic, not 'medewerker'."""
    fake_api.stateful = True
    outbox = outbox_for(db, fake_api)
    await agents.ensure_default_teams(db.sessions)
    agent_id = await agents.create_agent(db.sessions, "anna", "Anna de Vries", "een-lang-wachtwoord", ["klantcontact"])
    conversation_id = await closed_conversation(db, "medewerker")
    await repo.append(
        db.sessions,
        conversation_id,
        repo.NewEvent(kind="message", author="bot", text="Subsidie", meta={"topic": "energiesubsidie"}),
    )
    await repo.append(
        db.sessions,
        conversation_id,
        repo.NewEvent(kind="message", author="bot", text="Ik zoek een collega", meta={"topic": "medewerker"}),
    )
    listener = Registration(db.sessions, outbox)
    await listener.after_transition(
        conversation_id,
        lifecycle.Snapshot(lifecycle.State.ASSIGNED, "klantcontact", agent_id),
        lifecycle.Decision(lifecycle.Snapshot(lifecycle.State.CLOSED, "klantcontact", None)),
    )
    async with db.sessions() as session:
        item = (await session.execute(select(OutboxItem))).scalar_one()
        local = (await session.execute(select(Klantcontact))).scalar_one()
    assert item.payload["agent"] == {"username": "anna", "name": "Anna de Vries"}
    assert local.onderwerp == listener.titles["energiesubsidie"]
    assert await outbox.run_once() == 1
    [contact] = fake_api.stored("klantcontacten")
    assert contact["onderwerp"] == listener.titles["energiesubsidie"]
    [actor] = [a for a in fake_api.stored("actoren") if a["soortActor"] == "medewerker"]
    assert actor["actoridentificator"]["objectId"] == "anna"
