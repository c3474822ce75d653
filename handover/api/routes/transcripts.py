"""The transcript behind a klantcontact's bijlage: a signed, expiring link, no session needed.

See ``services/transcripts.py`` for the link's shape and why it is signed rather than
token-protected. Every read and every refused attempt is audited.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse

from ...bus.limits import client_address
from ...services import transcripts
from ...services.klantbeeld.audit import audit
from ...state import app_state
from ...store import repo

router = APIRouter(tags=["transcripts"])

ANSWERS = {
    403: "Deze link klopt niet. Gebruik de link precies zoals hij in het klantcontact staat.",
    404: "Dit gesprek bestaat niet (meer). Gesprekken worden na de bewaartermijn verwijderd.",
    410: "Deze link is verlopen. Vraag het gesprek op via de chatafdeling.",
}
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Robots-Tag": "noindex",
}


@router.get(transcripts.PATH + "{conversation_id}", response_class=PlainTextResponse)
async def signed_transcript(
    conversation_id: str, request: Request, expires: str | None = None, signature: str | None = None
) -> PlainTextResponse:
    state = app_state(request)
    sessions = state.db.sessions
    settings = state.settings
    reader = client_address(
        request.client.host if request.client else None,
        request.headers.get("x-forwarded-for"),
        settings.trusted_proxies,
    )
    conversation_id = conversation_id[:36]
    try:
        transcripts.check(settings, conversation_id, expires, signature)
    except transcripts.Refused as refused:
        await audit(
            sessions,
            "link:transcript",
            "transcript.link_refused",
            None,
            conversation_id,
            f"{refused.status} {refused.reason}; from {reader}",
        )
        return PlainTextResponse(ANSWERS[refused.status] + "\n", refused.status, headers=HEADERS)
    conversation = await repo.get_conversation(sessions, conversation_id)
    if conversation is None:
        await audit(
            sessions,
            "link:transcript",
            "transcript.link_refused",
            None,
            conversation_id,
            f"404 conversation gone; from {reader}",
        )
        return PlainTextResponse(ANSWERS[404] + "\n", 404, headers=HEADERS)
    await audit(
        sessions,
        "link:transcript",
        "transcript.view_link",
        conversation.partij_id,
        conversation_id,
        f"signed link; from {reader}",
    )
    return PlainTextResponse(await transcripts.text(sessions, conversation, notes=False), headers=HEADERS)
