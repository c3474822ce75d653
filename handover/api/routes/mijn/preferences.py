"""The resident's details and preferences (/mijn/gegevens), the inzage download and erasure."""

from __future__ import annotations

import json

from fastapi import Request, Response

from klantbeeld_client import TaakStatus

from ....services import inzage
from ....services.klantbeeld.audit import audit
from ....services.klantbeeld.concept_requests import requests_of
from ....services.klantbeeld.residents import update_preferences
from ....state import app_state
from .forms import CHANNELS, LANGUAGES, checked_form, preference_errors, preference_values
from .pages import mijn_router, render
from .session import CurrentResident, Resident, see, sessions_of

router = mijn_router()


def _preferences_page(
    request: Request,
    resident: Resident,
    values: dict[str, str],
    errors: list[tuple[str, str]],
    saved: bool = False,
    status_code: int = 200,
    erased: bool = False,
) -> Response:
    title = "Mijn gegevens" if not errors else "Fout: Mijn gegevens"
    return render(
        request,
        "gegevens.html",
        status_code,
        resident=resident,
        current="gegevens",
        title=title,
        values=values,
        errors=dict(errors),
        error_list=errors,
        saved=saved,
        erased=erased,
        languages=LANGUAGES,
        channels=CHANNELS,
    )


@router.get("/gegevens")
async def preferences_page(
    request: Request, resident: CurrentResident, opgeslagen: str | None = None, verwijderd: str | None = None
) -> Response:
    profile = resident.profile
    values = {
        "email": profile["email"] or "",
        "phone": profile["phone"] or "",
        "preferred_language": profile["preferred_language"],
        "preferred_channel": profile["preferred_channel"],
    }
    return _preferences_page(request, resident, values, [], saved=opgeslagen is not None, erased=verwijderd is not None)


@router.post("/gegevens")
async def save_preferences(request: Request, resident: CurrentResident) -> Response:
    form = await checked_form(request, resident)
    values = preference_values(form)
    errors = preference_errors(values)
    if errors:
        return _preferences_page(request, resident, values, errors, status_code=400)
    await update_preferences(
        sessions_of(request),
        resident.partij_id,
        email=values["email"] or None,
        phone=values["phone"] or None,
        preferred_language=values["preferred_language"],
        preferred_channel=values["preferred_channel"],
    )
    return see("/mijn/gegevens?opgeslagen=1")


@router.get("/gegevens/inzage")
async def export_data(request: Request, resident: CurrentResident) -> Response:
    """Everything this service holds about the resident, as a JSON download (AVG inzage)."""
    data = await inzage.export(sessions_of(request), resident.partij_id)
    await audit(sessions_of(request), f"resident:{resident.partij_id}", "resident.export", resident.partij_id, None)
    return Response(
        json.dumps(data, ensure_ascii=False, indent=2),
        media_type="application/json",
        headers={"Content-Disposition": 'attachment; filename="mijn-gegevens.json"', "Cache-Control": "no-store"},
    )


@router.post("/gegevens/verwijderen")
async def erase_data(request: Request, resident: CurrentResident) -> Response:
    await checked_form(request, resident)
    withdrawn = [
        r["id"]
        for r in await requests_of(sessions_of(request), resident.partij_id)
        if r["status"] in inzage.ERASABLE_REQUESTS
    ]
    await inzage.erase(sessions_of(request), resident.partij_id)
    for request_id in withdrawn:  # their taken in the Objects API are closed, not left open
        await app_state(request).outbox.request_status(request_id, TaakStatus.GESLOTEN)
    return see("/mijn/gegevens?verwijderd=1")
