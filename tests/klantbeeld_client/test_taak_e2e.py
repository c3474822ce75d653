"""End to end through the real service: an agent prepares a concept request in an anonymous
chat (the console's API), the resident logs in to MijnGemeente from the chat's link and binds it,
and it lands in the (spec-driven, strict) Objects API as a taak with their BSN; when they send it,
the taak gets a new record version with ``afgerond`` and ``verzonden_data``; the agent's klantbeeld
shows where the taak stands."""

from __future__ import annotations

import re
from typing import Any

import httpx
from agents_helper import login
from kb_fake_api import OBJECTS_PREFIX, OBJECTTYPE_URL, TAAK_SCHEMA, TOKEN, FakeApi
from sqlalchemy import select
from waiting import eventually
from wsclient import ChatClient

from handover.store.db import Database
from handover.store.models import OutboxItem

EVA_BSN = "999993653"  # the development persona "eva"


def csrf_of(page: httpx.Response) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


async def test_a_request_bound_by_a_logged_in_resident_lands_as_a_taak(
    start_service,
    database_url: str,
    db: Database,
    fake_api: FakeApi,  # type: ignore[no-untyped-def]
):
    fake_api.stateful = True
    fake_api.objecttype_schema = TAAK_SCHEMA
    service = start_service(
        database_url,
        objects_url=fake_api.url(OBJECTS_PREFIX),
        objects_token=TOKEN,
        objects_taak_type_url=OBJECTTYPE_URL,
        outbox_interval_seconds=0.1,
        outbox_backoff_seconds=0.1,
    )
    agent = await login(service, db, ["klantcontact"], name="Anna")
    async with agent.socket(service) as console, ChatClient(service.ws) as resident:
        assert (await console.request({"type": "presence", "status": "online"}))["type"] == "ack"
        await resident.start(page="https://www.example.nl/energie")
        await resident.request({"type": "message", "text": "Ik wil energiesubsidie aanvragen"})
        assert (await resident.request({"type": "request_human"}))["type"] == "ack"
        offer = await console.wait_for(lambda e: e["type"] == "offer")
        conversation_id = offer["conversation_id"]
        await console.request({"type": "accept", "conversation_id": conversation_id})
        async with httpx.AsyncClient(
            base_url=service.http, cookies=agent.cookies, headers={"X-CSRF-Token": agent.csrf}
        ) as api:
            created = await api.post(
                f"/api/conversations/{conversation_id}/concept-requests",
                json={"type": "energiesubsidie", "data": {"woonsituatie": "huurder"}},
            )
            assert created.status_code == 201, created.text
            request_id = created.json()["id"]
            # An anonymous chat: nobody could see a taak, so nothing is queued for the Objects API.
            async with db.sessions() as session:
                assert (await session.execute(select(OutboxItem))).first() is None
            link = await resident.wait_for(lambda e: e["type"] == "message" and e.get("link"))

            async with httpx.AsyncClient(base_url=service.http, follow_redirects=True) as mijn:
                await mijn.get(link["link"]["url"])
                page = await mijn.get("/mijn/inloggen")
                state = re.search(r'name="state" value="([^"]+)"', page.text)
                assert state, page.text
                confirm = await mijn.post("/mijn/inloggen", data={"state": state.group(1), "persona": "eva"})
                assert str(confirm.url).endswith("/mijn/koppelen"), confirm.url
                form = await mijn.post("/mijn/koppelen", data={"keuze": "ja", "csrf": csrf_of(confirm)})
                assert str(form.url).endswith(f"/mijn/aanvragen/{request_id}")

                [taak] = await eventually(lambda: fake_api.stored("objects"), what="the taak", timeout=20)
                data = taak["record"]["data"]
                assert data["identificatie"] == {"type": "bsn", "value": EVA_BSN}
                assert data["status"] == "open" and data["portaalformulier"]["data"] == {"woonsituatie": "huurder"}

                sent = await mijn.post(
                    f"/mijn/aanvragen/{request_id}",
                    data={"csrf": csrf_of(form), "veld:woonsituatie": "eigenaar", "bevestiging": "ja"},
                )
                assert sent.status_code == 200 and "verstuurd=1" in str(sent.url)

            records = await eventually(
                lambda: len(fake_api.records.get(taak["uuid"], [])) == 2 and fake_api.records[taak["uuid"]],
                what="the submitted record version",
                timeout=20,
            )
            assert records[1]["data"]["status"] == "afgerond"
            assert records[1]["data"]["portaalformulier"]["verzonden_data"] == {"woonsituatie": "eigenaar"}
            assert len(fake_api.stored("objects")) == 1

            async def shown() -> dict[str, Any]:
                view = (await api.get(f"/api/conversations/{conversation_id}/klantbeeld")).json()
                return next(r for r in view["requests"] if r["id"] == request_id)

            async def taak_done() -> bool:  # the worker marks the status item done right after the write
                return bool((await shown())["taak"] == {"state": "gepubliceerd", "status": "afgerond"})

            await eventually(taak_done, what="the taak shown as gepubliceerd and afgerond", timeout=5)
    assert not fake_api.requests_invalid and not fake_api.responses_invalid
