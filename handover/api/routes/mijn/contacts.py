"""The resident's contacts of every channel (/mijn/contacten)."""

from __future__ import annotations

from fastapi import Request, Response

from .pages import CONTACT_CHANNELS, mijn_router, render
from .session import CurrentResident, openklant_of, sessions_of

router = mijn_router()


@router.get("/contacten")
async def contacts_page(request: Request, resident: CurrentResident) -> Response:
    contacts = await openklant_of(request).contacts(
        sessions_of(request), resident.partij_id, actor=f"resident:{resident.partij_id}"
    )
    return render(
        request,
        "contacten.html",
        resident=resident,
        current="contacten",
        title="Mijn contacten",
        contacts=contacts.items,
        note=contacts.note,
        channels=CONTACT_CHANNELS,
    )
