"""Turn stored records into protocol v1 server events."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from ..store.models import Message, as_utc
from .klantbeeld.links import agent_link, resident_link

_last_iso: tuple[datetime | None, str | None] = (None, None)


def _iso(moment: datetime | None) -> str | None:
    # The events of one batch share their commit's timestamp, and each is formatted once per
    # follower: remember the last one (it was 3.6% of the relay's samples).
    global _last_iso
    if moment is None:
        return None
    last, text = _last_iso
    if moment is last:
        return text
    text = as_utc(moment).isoformat()
    _last_iso = (moment, text)
    return text


def to_event(message: Message, secret: str | None = None) -> dict[str, Any]:
    """The event of a stored record; with ``secret`` (SECRET_KEY) as the resident sees it, else as an agent."""
    at = _iso(message.created_at)
    if message.kind == "state":
        event: dict[str, Any] = {"type": "state", "seq": message.seq, "state": message.text, "at": at}
        for key, value in (message.meta or {}).items():
            if key in ("reason", "team", "team_name", "agent_name") and value is not None:
                event[key] = value
        return event
    event = {"type": "message", "seq": message.seq, "author": message.author, "text": message.text, "at": at}
    if message.kind == "note":
        event["private"] = True
    if message.author_name:
        event["author_name"] = message.author_name
    if message.client_id:
        event["client_id"] = message.client_id
    if message.payload:
        event["payload"] = message.payload
    if message.buttons:
        event["buttons"] = message.buttons
    if message.meta:  # most messages (every resident's) have none
        link = message.meta.get("link")
        if link is not None:
            # The resident's view derives the request link from its stored reference; agents see the title only.
            shown = resident_link(link, secret) if secret is not None else agent_link(link)
            if shown:
                event["link"] = shown
        meta = {k: v for k, v in message.meta.items() if k in ("topic", "intent", "confidence") and v is not None}
        if meta:
            event["meta"] = meta
    return event


def resident_view(secret: str) -> Callable[[Message], dict[str, Any] | None]:
    """What a resident may see: everything but the agents' private notes, links usable.

    A resident's own message carries ``reply_to`` (its frame's id): it answers that frame, so
    the server sends it instead of an ``ack`` (one frame fewer per message; docs/protocol.md).
    """

    def view(message: Message) -> dict[str, Any] | None:
        if message.kind == "note":
            return None
        event = to_event(message, secret)
        if message.author == "resident" and message.client_id:
            event["reply_to"] = message.client_id
        return event

    return view


def resident_ephemeral(event: dict[str, Any]) -> dict[str, Any] | None:
    if event.get("type") == "typing" and event.get("author") == "resident":
        return None
    if event.get("type") not in ("typing", "queue", "availability", "read"):
        return None
    return event


def agent_view(conversation_id: str) -> tuple[Any, Any]:
    def view(message: Message) -> dict[str, Any]:
        event = to_event(message)  # a new dict: add to it rather than copy it
        event["conversation_id"] = conversation_id
        return event

    def ephemeral(event: dict[str, Any]) -> dict[str, Any] | None:
        if event.get("type") != "typing" or event.get("author") == "agent":
            return None
        return {**event, "conversation_id": conversation_id}

    return view, ephemeral
