"""The resident's concept requests: the list (/mijn/aanvragen), one request, and sending it."""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response

from klantbeeld_client import TaakStatus

from ....services.klantbeeld.concept_requests import request_for, requests_of, submit
from ....services.klantbeeld.errors import NotAllowed
from ....state import app_state
from ....store import repo
from .forms import checked_form, form_fields, read_fields
from .pages import PageNotFound, mijn_router, render
from .session import CurrentResident, Resident, see, sessions_of

router = mijn_router()


@router.get("/aanvragen")
async def request_list(request: Request, resident: CurrentResident) -> Response:
    requests = await requests_of(sessions_of(request), resident.partij_id)
    return render(
        request,
        "aanvragen.html",
        resident=resident,
        current="aanvragen",
        title="Mijn aanvragen",
        todo=[r for r in requests if r["status"] == "open"],
        done=[r for r in requests if r["status"] != "open"],
    )


async def _own_request(request: Request, resident: Resident, request_id: str) -> dict[str, Any]:
    if not request_id.isdigit() or len(request_id) > 10 or int(request_id) > 2**31 - 1:  # a database INTEGER
        raise PageNotFound()
    try:
        return await request_for(sessions_of(request), int(request_id), resident.partij_id)
    except NotAllowed:
        raise PageNotFound() from None


@router.get("/aanvragen/{request_id}")
async def request_page(
    request: Request, request_id: str, resident: CurrentResident, verstuurd: str | None = None
) -> Response:
    concept = await _own_request(request, resident, request_id)
    return render(
        request,
        "aanvraag.html",
        resident=resident,
        current="aanvragen",
        title=concept["title"],
        concept=concept,
        fields=form_fields(concept["data"]),
        errors=[],
        confirmed=False,
        confirm_error=None,
        just_sent=verstuurd is not None and concept["status"] != "open",
    )


@router.post("/aanvragen/{request_id}")
async def submit_request(request: Request, request_id: str, resident: CurrentResident) -> Response:
    form = await checked_form(request, resident)
    concept = await _own_request(request, resident, request_id)
    if concept["status"] != "open":
        return see(f"/mijn/aanvragen/{concept['id']}")
    fields = form_fields(concept["data"])
    values = read_fields(fields, concept["data"], form)
    errors = [(f.id, f.error) for f in fields if f.error]
    confirmed = form.get("bevestiging") == "ja"
    if not confirmed:
        errors.append(("bevestiging", "Vink aan dat u de gegevens heeft gecontroleerd."))
    if errors:
        return render(
            request,
            "aanvraag.html",
            400,
            resident=resident,
            current="aanvragen",
            title=f"Fout: {concept['title']}",
            concept=concept,
            fields=fields,
            errors=errors,
            confirmed=confirmed,
            confirm_error=dict(errors).get("bevestiging"),
            just_sent=False,
        )
    sessions = sessions_of(request)
    try:
        await submit(sessions, concept["id"], resident.partij_id, values)
    except NotAllowed:  # sent twice at the same moment: the first one counts
        return see(f"/mijn/aanvragen/{concept['id']}")
    outbox = app_state(request).outbox
    await outbox.request_published(concept["id"])  # no-op when its taak exists already
    await outbox.request_status(concept["id"], TaakStatus.AFGEROND)
    await _tell_agents(request, concept)
    return see(f"/mijn/aanvragen/{concept['id']}?verstuurd=1")


async def _tell_agents(request: Request, concept: dict[str, Any]) -> None:
    conversation = await repo.get_conversation(sessions_of(request), concept["conversation_id"])
    if conversation is None or not conversation.team:
        return
    await app_state(request).fanout.ephemeral(
        "queue:" + conversation.team,
        {
            "type": "request_status",
            "request_id": concept["id"],
            "status": "ingediend",
            "conversation_id": concept["conversation_id"],
        },
    )
