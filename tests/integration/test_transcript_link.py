"""The transcript link in Open Klant's bijlage: signed and expiring, readable without a console
session, refused when tampered with or expired, and every read (and refusal) audited."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
from sqlalchemy import select
from test_handover import queued_resident

from handover.services import transcripts
from handover.store.models import AuditEntry, utcnow


def local(url: str) -> str:
    """The signed URL's path and query (it names PUBLIC_BASE_URL, the test serves elsewhere)."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


async def audited(db, action: str) -> list[AuditEntry]:  # type: ignore[no-untyped-def]
    async with db.sessions() as session:
        return list(
            (await session.execute(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))
            .scalars()
            .all()
        )


async def test_signed_link_works_without_a_session_and_every_read_is_audited(start_service, database_url, db):
    service = start_service(database_url)
    resident, started = await queued_resident(service)
    conversation_id = started["conversation_id"]
    url = transcripts.signed_url(service.settings, conversation_id)
    assert url.startswith(service.settings.public_base_url + "/api/transcripts/" + conversation_id + "?")
    async with httpx.AsyncClient(base_url=service.http) as http:  # no cookies: no console session
        for _ in range(2):
            answer = await http.get(local(url))
            assert answer.status_code == 200, answer.text
            assert "Ik heb een vraag over de energietoeslag" in answer.text
            assert answer.headers["cache-control"] == "no-store"
        # The console's own transcript still needs a session.
        assert (await http.get(f"/api/conversations/{conversation_id}/transcript")).status_code == 401
    reads = await audited(db, "transcript.view_link")
    assert [r.conversation_id for r in reads] == [conversation_id, conversation_id]
    assert all(r.actor == "link:transcript" and "127.0.0.1" in (r.detail or "") for r in reads)
    await resident.close()


async def test_tampered_and_expired_links_are_refused_and_audited(start_service, database_url, db):
    service = start_service(database_url)
    first, started = await queued_resident(service)
    second, other = await queued_resident(service)
    settings = service.settings
    url = transcripts.signed_url(settings, started["conversation_id"])
    query = parse_qs(urlsplit(url).query)
    expires, signature = query["expires"][0], query["signature"][0]
    base = "/api/transcripts/"
    # One character changed, always to a different one (ending in "AA" was the signature itself
    # whenever the real one ended so: about 1 run in 256 per database).
    changed = ("B" if signature[0] == "A" else "A") + signature[1:]
    tampered = [
        f"{base}{other['conversation_id']}?expires={expires}&signature={signature}",  # another chat
        f"{base}{started['conversation_id']}?expires={int(expires) + 86400}&signature={signature}",  # longer
        f"{base}{started['conversation_id']}?expires={expires}&signature={changed}",
        f"{base}{started['conversation_id']}?expires={expires}",
        f"{base}{started['conversation_id']}",
    ]
    expired = transcripts.signed_url(
        settings, started["conversation_id"], now=utcnow() - timedelta(days=settings.transcript_link_days, seconds=1)
    )
    async with httpx.AsyncClient(base_url=service.http) as http:
        for path in tampered:
            answer = await http.get(path)
            assert answer.status_code == 403, (path, answer.status_code)
            assert "energietoeslag" not in answer.text and "klopt niet" in answer.text
        answer = await http.get(local(expired))
        assert answer.status_code == 410 and "verlopen" in answer.text
        assert "energietoeslag" not in answer.text
        # The untouched link still works.
        assert (await http.get(local(url))).status_code == 200
    refused = await audited(db, "transcript.link_refused")
    assert len(refused) == len(tampered) + 1
    assert sum("410" in (r.detail or "") for r in refused) == 1
    assert len(await audited(db, "transcript.view_link")) == 1
    for client in (first, second):
        await client.close()
