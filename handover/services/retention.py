"""Privacy by default: what is older than RETENTION_DAYS is deleted (`handover-admin purge`).

A conversation is purged when it was created before the cut-off, has no message since, and is
not waiting for or with an agent. Purging deletes its transcript (messages, agents' private
notes included), call-back requests with their contact details, concept requests and their
status history. The klantcontact (masked subject and summary, the municipality's record of the
contact) stays, without its link to the deleted conversation. Audit entries older than the
cut-off are deleted too: the only deletion the append-only audit log allows (migration 0005).
Expired agent and resident sessions go as well.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, insert, or_, select, update

from ..core.lifecycle import State
from ..store.models import (
    AgentSession,
    AuditEntry,
    AuditPurge,
    CallbackTask,
    ConceptRequest,
    ConceptRequestStatus,
    Conversation,
    Klantcontact,
    Message,
    ResidentSession,
    utcnow,
)
from ..store.repo import Sessions

LIVE_STATES = (State.QUEUED, State.ASSIGNED)
BATCH = 500


@dataclass
class Purged:
    conversations: int = 0
    messages: int = 0
    callbacks: int = 0
    concept_requests: int = 0
    audit_entries: int = 0
    sessions: int = 0


async def purge(sessions: Sessions, retention_days: int, now: datetime | None = None) -> Purged:
    """Delete everything held longer than ``retention_days``; return what was deleted."""
    if retention_days < 1:
        raise ValueError("RETENTION_DAYS must be at least 1")
    cutoff = (now or utcnow()) - timedelta(days=retention_days)
    done = Purged()
    recent = exists().where(Message.conversation_id == Conversation.id, Message.created_at >= cutoff)
    while True:
        async with sessions.begin() as session:
            ids = list(
                (
                    await session.execute(
                        select(Conversation.id)
                        .where(
                            Conversation.created_at < cutoff,
                            ~recent,
                            Conversation.state.not_in(LIVE_STATES),
                            or_(Conversation.closed_at.is_(None), Conversation.closed_at < cutoff),
                        )
                        .limit(BATCH)
                    )
                ).scalars()
            )
            if not ids:
                break
            requests = select(ConceptRequest.id).where(ConceptRequest.conversation_id.in_(ids))
            await session.execute(
                delete(ConceptRequestStatus).where(ConceptRequestStatus.concept_request_id.in_(requests))
            )
            done.concept_requests += _count(
                await session.execute(delete(ConceptRequest).where(ConceptRequest.conversation_id.in_(ids)))
            )
            done.callbacks += _count(
                await session.execute(delete(CallbackTask).where(CallbackTask.conversation_id.in_(ids)))
            )
            done.messages += _count(await session.execute(delete(Message).where(Message.conversation_id.in_(ids))))
            await session.execute(
                update(Klantcontact).where(Klantcontact.conversation_id.in_(ids)).values(conversation_id=None)
            )
            done.conversations += _count(await session.execute(delete(Conversation).where(Conversation.id.in_(ids))))
    async with sessions.begin() as session:
        # The marker row lets the audit triggers allow this transaction's DELETE, and only it.
        await session.execute(insert(AuditPurge).values(id=1))
        done.audit_entries = _count(await session.execute(delete(AuditEntry).where(AuditEntry.at < cutoff)))
        await session.execute(delete(AuditPurge))
    now_ = now or utcnow()
    async with sessions.begin() as session:
        done.sessions = _count(await session.execute(delete(AgentSession).where(AgentSession.expires_at < now_)))
        done.sessions += _count(await session.execute(delete(ResidentSession).where(ResidentSession.expires_at < now_)))
    return done


def _count(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)
