"""Klantcontacten: one per closed conversation, recorded once; a resident's contacts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ...core.masking import mask_optional, mask_personal_numbers
from ...store.models import Conversation, Klantcontact, as_utc, utcnow
from ...store.repo import Sessions
from .catalogue import subject_text, subject_topic


async def register_contact(
    sessions: Sessions,
    conversation_id: str,
    agent_name: str | None,
    titles: dict[str, str] | None = None,
) -> int | None:
    """Record a closed conversation as a klantcontact (once; a second call changes nothing).

    ``titles`` (product topic -> title, from the catalogue) decides the subject: the last product
    topic of the transcript (`subject_topic`). Without it the conversation's topic is used as is.
    """
    async with sessions() as session:
        conversation = await session.get(Conversation, conversation_id)
        existing = (
            await session.execute(select(Klantcontact.id).where(Klantcontact.conversation_id == conversation_id))
        ).scalar()
    if conversation is None or existing is not None:
        return None
    if titles is not None:
        subject = subject_text(await subject_topic(sessions, conversation_id, frozenset(titles)), titles)
    else:
        subject = (conversation.topic or "chatgesprek").replace("_", " ")
    onderwerp = mask_personal_numbers(subject)
    try:
        async with sessions.begin() as session:
            contact = Klantcontact(
                conversation_id=conversation_id,
                partij_id=conversation.partij_id,
                kanaal="chat",
                onderwerp=onderwerp[:200],
                summary=mask_optional(conversation.summary or conversation.handover_summary),
                outcome=conversation.outcome,
                agent_name=agent_name,
                started_at=conversation.created_at,
                closed_at=conversation.closed_at or utcnow(),
            )
            session.add(contact)
            await session.flush()
            return contact.id
    except IntegrityError:
        return None


def _contact(row: Klantcontact) -> dict[str, Any]:
    return {
        "id": row.id,
        "conversation_id": row.conversation_id,
        "source": "eigen",
        "kanaal": row.kanaal,
        "onderwerp": row.onderwerp,
        "summary": row.summary,
        "outcome": row.outcome,
        "agent": row.agent_name,
        "closed_at": as_utc(row.closed_at).isoformat() if row.closed_at else None,
    }


async def contacts_of(sessions: Sessions, partij_id: int) -> list[dict[str, Any]]:
    async with sessions() as session:
        rows = (
            (
                await session.execute(
                    select(Klantcontact)
                    .where(Klantcontact.partij_id == partij_id)
                    .order_by(Klantcontact.closed_at.desc())
                )
            )
            .scalars()
            .all()
        )
    return [_contact(r) for r in rows]
