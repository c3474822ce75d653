"""Reading and writing the conversation record. Every function is one short transaction."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from ..core.lifecycle import State
from .eventlog import NewEvent as NewEvent  # one description of an event to append
from .models import Conversation, Message, utcnow

Sessions = async_sessionmaker[AsyncSession]


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _engine(sessions: Sessions) -> AsyncEngine:
    """The engine behind a session factory: the hot path below runs Core statements on it.

    A handover storm starts, reads and changes hundreds of conversations a second; an ORM
    session (unit of work, identity map, instance loading) cost more CPU there than the SQL.
    """
    engine: AsyncEngine = sessions.kw["bind"]
    return engine


_conversations = cast(Table, Conversation.__table__)


async def create_conversation(
    sessions: Sessions,
    *,
    channel: str,
    lang: str,
    page: str | None,
    referrer: str | None,
    utm: dict[str, str] | None,
    topic_hint: str | None = None,
) -> tuple[Conversation, str]:
    """Create a conversation in state ``bot``; return it with its resume token (shown once)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    values: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "token_hash": hash_token(token),
        "state": State.BOT,
        "last_seq": 0,
        "channel": channel,
        "lang": lang,
        "page": page,
        "referrer": referrer,
        "utm": utm,
        "topic_hint": topic_hint,
        "created_at": now,
        "updated_at": now,
        "priority": 0,
        "agent_read_seq": 0,
    }
    async with _engine(sessions).begin() as conn:
        await conn.execute(insert(_conversations).values(values))
    # Detached, with the values just stored (what the caller reads: id, state, last_seq).
    return Conversation(**values), token


async def find_by_token(sessions: Sessions, token: str) -> Conversation | None:
    async with sessions() as session:
        return (
            await session.execute(select(Conversation).where(Conversation.token_hash == hash_token(token)))
        ).scalar_one_or_none()


async def get_conversation(sessions: Sessions, conversation_id: str) -> Conversation | None:
    async with sessions() as session:
        return await session.get(Conversation, conversation_id)


async def get_state(sessions: Sessions, conversation_id: str) -> tuple[State, str | None, int | None] | None:
    """Only (state, team, agent_id): what the lifecycle decides on, one Core SELECT."""
    async with _engine(sessions).connect() as conn:
        row = (
            await conn.execute(
                select(_conversations.c.state, _conversations.c.team, _conversations.c.agent_id).where(
                    _conversations.c.id == conversation_id
                )
            )
        ).first()
    return None if row is None else (State(row.state), row.team, row.agent_id)


async def get_bot_context(sessions: Sessions, conversation_id: str) -> tuple[dict[str, Any] | None, str | None]:
    """(utm, topic_hint) of a conversation: the bot's prior for vague questions."""
    async with _engine(sessions).connect() as conn:
        row = (
            await conn.execute(
                select(_conversations.c.utm, _conversations.c.topic_hint).where(_conversations.c.id == conversation_id)
            )
        ).first()
    return (None, None) if row is None else (row.utm, row.topic_hint)


async def append(sessions: Sessions, conversation_id: str, new: NewEvent) -> tuple[Message, bool]:
    """Store ``new`` with the next sequence number; return it and whether it was new.

    The counter is bumped first, which takes the row's write lock (PostgreSQL) or the database
    write lock (SQLite), so concurrent appends to one conversation queue up and the check for a
    retransmitted client id below cannot race with its twin.
    """
    for _attempt in range(3):
        try:
            async with sessions() as session:
                seq = (
                    await session.execute(
                        update(Conversation)
                        .where(Conversation.id == conversation_id)
                        .values(last_seq=Conversation.last_seq + 1, updated_at=utcnow())
                        .returning(Conversation.last_seq)
                    )
                ).scalar_one()
                if new.client_id is not None:
                    existing = await _by_client_id(session, conversation_id, new.client_id)
                    if existing is not None:
                        session.expunge(existing)  # keep its loaded values through the rollback
                        await session.rollback()
                        return existing, False
                message = Message(
                    conversation_id=conversation_id,
                    seq=seq,
                    kind=new.kind,
                    author=new.author,
                    author_name=new.author_name,
                    text=new.text,
                    payload=new.payload,
                    client_id=new.client_id,
                    buttons=new.buttons,
                    meta=new.meta,
                    created_at=utcnow(),
                )
                session.add(message)
                await session.commit()
            return message, True
        except IntegrityError:
            if new.client_id is None:
                raise
            async with sessions() as session:
                existing = await _by_client_id(session, conversation_id, new.client_id)
            if existing is not None:
                return existing, False
    raise RuntimeError(f"could not append to conversation {conversation_id}")


async def _by_client_id(session: AsyncSession, conversation_id: str, client_id: str) -> Message | None:
    return (
        await session.execute(
            select(Message).where(Message.conversation_id == conversation_id, Message.client_id == client_id)
        )
    ).scalar_one_or_none()


async def events_after(sessions: Sessions, conversation_id: str, seq: int, limit: int = 500) -> Sequence[Message]:
    async with sessions() as session:
        return (
            (
                await session.execute(
                    select(Message)
                    .where(Message.conversation_id == conversation_id, Message.seq > seq)
                    .order_by(Message.seq)
                    .limit(limit)
                )
            )
            .scalars()
            .all()
        )


async def compare_and_set(
    sessions: Sessions,
    conversation_id: str,
    *,
    expect_state: str,
    values: dict[str, Any],
    expect_agent: int | None = None,
) -> bool:
    """Change a conversation only if it is still in ``expect_state`` (and with ``expect_agent``).

    This conditional UPDATE is what makes a claim atomic across instances: of several agents
    accepting the same queued chat, exactly one UPDATE matches a row.
    """
    c = _conversations.c
    condition = [c.id == conversation_id, c.state == expect_state]
    if expect_agent is not None:
        condition.append(c.agent_id == expect_agent)
    async with _engine(sessions).begin() as conn:
        result = await conn.execute(update(_conversations).where(*condition).values(**values, updated_at=utcnow()))
    return result.rowcount == 1


async def set_topic(sessions: Sessions, conversation_id: str, topic: str) -> None:
    async with sessions.begin() as session:
        await session.execute(update(Conversation).where(Conversation.id == conversation_id).values(topic=topic))


async def set_feedback(sessions: Sessions, conversation_id: str, score: int, comment: str | None) -> None:
    async with sessions.begin() as session:
        await session.execute(
            update(Conversation)
            .where(Conversation.id == conversation_id)
            .values(feedback_score=score, feedback_comment=comment)
        )


async def mark_resident_left(sessions: Sessions, conversation_id: str, at: datetime | None) -> None:
    """Record when the resident's last socket closed (None: they are back)."""
    condition = [Conversation.id == conversation_id]
    if at is None:
        condition.append(Conversation.resident_left_at.is_not(None))
    async with sessions.begin() as session:
        await session.execute(update(Conversation).where(*condition).values(resident_left_at=at))


async def last_seqs(sessions: Sessions, conversation_ids: Sequence[str]) -> dict[str, int]:
    """The last seq of many conversations, in chunks (one query per 500)."""
    result: dict[str, int] = {}
    async with sessions() as session:
        for start in range(0, len(conversation_ids), 500):
            chunk = list(conversation_ids[start : start + 500])
            rows = await session.execute(
                select(Conversation.id, Conversation.last_seq).where(Conversation.id.in_(chunk))
            )
            result.update({row.id: row.last_seq for row in rows})
    return result


async def clear_resident_left(sessions: Sessions, conversation_ids: Sequence[str]) -> None:
    async with sessions.begin() as session:
        for start in range(0, len(conversation_ids), 500):
            chunk = list(conversation_ids[start : start + 500])
            await session.execute(
                update(Conversation)
                .where(Conversation.id.in_(chunk), Conversation.resident_left_at.is_not(None))
                .values(resident_left_at=None)
            )
