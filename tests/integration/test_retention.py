"""Privacy by default: the purge leaves nothing older than RETENTION_DAYS; the audit log is append-only."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from handover.services import retention
from handover.store.models import (
    AuditEntry,
    CallbackTask,
    ConceptRequest,
    ConceptRequestStatus,
    Conversation,
    Klantcontact,
    Message,
    utcnow,
)
from handover.store.repo import hash_token

NOW = utcnow()
OLD = NOW - timedelta(days=200)
RECENT = NOW - timedelta(days=1)


async def conversation(
    db,
    *,
    created: datetime,
    last: datetime,
    state: str = "closed",  # type: ignore[no-untyped-def]
    closed: datetime | None = None,
) -> str:
    cid = str(uuid.uuid4())
    async with db.sessions.begin() as session:
        session.add(
            Conversation(
                id=cid,
                token_hash=hash_token(cid),
                state=state,
                created_at=created,
                closed_at=closed,
                summary="Samenvatting met bsn *******33",
            )
        )
        await session.flush()
        for seq, (kind, at) in enumerate([("message", created), ("note", created), ("message", last)], start=1):
            session.add(
                Message(
                    conversation_id=cid,
                    seq=seq,
                    kind=kind,
                    author="resident" if kind == "message" else "agent",
                    text=f"bericht {seq}",
                    created_at=at,
                )
            )
        session.add(
            CallbackTask(
                conversation_id=cid,
                team_key="klantcontact",
                name="Eva",
                phone="0612345678",
                message="Bel mij",
                created_at=created,
            )
        )
        request = ConceptRequest(
            token_hash=hash_token(cid + "r"),
            conversation_id=cid,
            request_type="x",
            title="X",
            data={"naam": "Eva"},
            expires_at=created + timedelta(days=14),
            created_at=created,
        )
        session.add(request)
        await session.flush()
        session.add(ConceptRequestStatus(concept_request_id=request.id, status="open", by="agent:1", at=created))
        session.add(
            Klantcontact(
                conversation_id=cid,
                onderwerp="paspoort",
                summary="kort",
                started_at=created,
                closed_at=closed or created,
            )
        )
        session.add(AuditEntry(actor="agent:1", action="klantbeeld.view", conversation_id=cid, detail="x", at=created))
    return cid


async def count(db, model, *where) -> int:  # type: ignore[no-untyped-def]
    async with db.sessions() as session:
        return int((await session.execute(select(func.count()).select_from(model).where(*where))).scalar_one())


async def test_nothing_older_than_the_retention_period_survives(db):
    expired = await conversation(db, created=OLD, last=OLD + timedelta(minutes=5), closed=OLD + timedelta(minutes=9))
    abandoned = await conversation(db, created=OLD, last=OLD, state="bot")  # a bot chat nobody closed
    still_active = await conversation(db, created=OLD, last=RECENT, state="bot")
    waiting = await conversation(db, created=OLD, last=OLD, state="queued")  # live work is never purged
    fresh = await conversation(db, created=RECENT, last=RECENT, closed=RECENT)
    async with db.sessions.begin() as session:
        session.add(AuditEntry(actor="resident:1", action="resident.login", at=OLD))
        session.add(AuditEntry(actor="resident:1", action="resident.login", at=RECENT))

    done = await retention.purge(db.sessions, 90, now=NOW)

    assert (done.conversations, done.messages, done.callbacks, done.concept_requests) == (2, 6, 2, 2)
    gone = [expired, abandoned]
    for model, column in (
        (Conversation, Conversation.id),
        (Message, Message.conversation_id),
        (CallbackTask, CallbackTask.conversation_id),
        (ConceptRequest, ConceptRequest.conversation_id),
    ):
        assert await count(db, model, column.in_(gone)) == 0, model.__name__
    assert await count(db, ConceptRequestStatus, ConceptRequestStatus.at < NOW - timedelta(days=90)) == 2  # live ones
    assert await count(db, AuditEntry, AuditEntry.at < NOW - timedelta(days=90)) == 0, "no old audit entry"
    assert await count(db, AuditEntry, AuditEntry.at >= NOW - timedelta(days=90)) == 2
    # What is still in use stays whole; the klantcontact stays, unlinked from the deleted transcript.
    for kept in (still_active, waiting, fresh):
        assert await count(db, Message, Message.conversation_id == kept) == 3
    assert await count(db, Klantcontact) == 5
    assert await count(db, Klantcontact, Klantcontact.conversation_id.is_(None)) == 2
    assert (await retention.purge(db.sessions, 90, now=NOW)).conversations == 0, "a second run finds nothing"


async def test_the_audit_log_refuses_updates_and_deletes_outside_the_purge(db):
    async with db.sessions.begin() as session:
        session.add(AuditEntry(actor="agent:1", action="klantbeeld.view", detail="gezien"))
    for statement in ("UPDATE audit_log SET detail = 'verborgen'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"):
            async with db.sessions.begin() as session:
                await session.execute(text(statement))
    assert await count(db, AuditEntry, AuditEntry.detail == "gezien") == 1


def test_no_code_path_changes_or_deletes_audit_entries():
    root = Path(__file__).resolve().parents[2] / "handover"
    writers = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if re.search(r"(update|delete)\(\s*AuditEntry|audit_log\s+(SET|WHERE)", path.read_text())
    ]
    assert writers == ["services/retention.py"], "only the retention purge deletes (old) audit entries"
