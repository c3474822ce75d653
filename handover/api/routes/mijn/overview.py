"""The overview page (/mijn): requests still to send, the last contacts, links to the rest."""

from __future__ import annotations

from fastapi import Request, Response

from ....services.klantbeeld.concept_requests import requests_of
from .pages import CONTACT_CHANNELS, mijn_router, render
from .session import CurrentResident, openklant_of, sessions_of

router = mijn_router()


@router.get("")
async def overview(request: Request, resident: CurrentResident) -> Response:
    sessions = sessions_of(request)
    requests = await requests_of(sessions, resident.partij_id)
    contacts = await openklant_of(request).contacts(
        sessions, resident.partij_id, actor=f"resident:{resident.partij_id}"
    )
    return render(
        request,
        "overzicht.html",
        resident=resident,
        current="overzicht",
        title="Overzicht",
        open_requests=[r for r in requests if r["status"] == "open"],
        contacts=contacts.items[:3],
        contact_count=len(contacts.items),
        request_count=len(requests),
        contacts_note=contacts.note,
        channels=CONTACT_CHANNELS,
    )
