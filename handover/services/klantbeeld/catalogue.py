"""Request types and titles from the product catalogue, and what a conversation was about."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select

from ...store.models import ConceptRequest, Conversation, Message
from ...store.repo import Sessions


def request_types(catalogue: Path) -> list[dict[str, Any]]:
    """Topics of the catalogue an agent can prepare a request for."""
    data = yaml.safe_load(catalogue.read_text(encoding="utf-8")) if catalogue.is_file() else {}
    topics = (data or {}).get("onderwerpen") or {}
    return [
        {"key": key, "title": str(entry.get("titel", key)), "team": entry.get("team")}
        for key, entry in topics.items()
        if isinstance(entry, dict)
    ]


def catalogue_titles(catalogue: Path) -> dict[str, str]:
    """Product topic -> its title ("energiesubsidie" -> "Energiesubsidie")."""
    return {t["key"]: t["title"] for t in request_types(catalogue)}


GENERIC_SUBJECT = "Chatgesprek"


async def subject_topic(sessions: Sessions, conversation_id: str, products: frozenset[str] | set[str]) -> str | None:
    """What a conversation was about: the last *product* topic of its transcript.

    The bot tags every turn with ``meta.topic``; a request for a person is tagged ``medewerker``
    and small talk ``begroeting``. Those are not subjects: the last topic that is a catalogue
    product is. Falls back to the conversation's own topic when that is a product, then to the
    type of the latest concept request an agent prepared in it; None when the conversation never
    was about one. Does not trust ``conversations.topic`` alone, which older versions overwrote
    with every topic.
    """
    async with sessions() as session:
        conversation = await session.get(Conversation, conversation_id)
        metas = (
            (
                await session.execute(
                    select(Message.meta)
                    .where(Message.conversation_id == conversation_id, Message.meta.is_not(None))
                    .order_by(Message.seq.desc())
                )
            )
            .scalars()
            .all()
        )
        # An agent who prepared a request for a product says what the chat was about, also when
        # the bot never named it (the resident asked for a person at once, or the bot was down).
        requested = (
            (
                await session.execute(
                    select(ConceptRequest.request_type)
                    .where(ConceptRequest.conversation_id == conversation_id)
                    .order_by(ConceptRequest.id.desc())
                )
            )
            .scalars()
            .all()
        )
    for meta in metas:
        topic = meta.get("topic") if isinstance(meta, dict) else None
        if isinstance(topic, str) and topic in products:
            return topic
    if conversation is not None and conversation.topic in products:
        return conversation.topic
    return next((t for t in requested if t in products), None)


def subject_text(topic: str | None, titles: dict[str, str]) -> str:
    """The subject as a person reads it: the product's title, else a generic subject."""
    if topic is None:
        return GENERIC_SUBJECT
    return titles.get(topic) or topic.replace("_", " ")
