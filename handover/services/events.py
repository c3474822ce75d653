"""Turn stored records into protocol v1 server events."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from ..store.models import Message, as_utc
from .klantbeeld.links import agent_link, resident_link


def _iso(moment: datetime | None) -> str | None:
    return as_utc(moment).isoformat() if moment is not None else None


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
    link = (message.meta or {}).get("link")
    # The resident's view derives the request link from its stored reference; agents see the title only.
    shown = resident_link(link, secret) if secret is not None else agent_link(link)
    if shown:
        event["link"] = shown
    if message.meta:
        meta = {k: v for k, v in message.meta.items() if k in ("topic", "intent", "confidence") and v is not None}
        if meta:
            event["meta"] = meta
    return event


def resident_view(secret: str) -> Callable[[Message], dict[str, Any] | None]:
    """What a resident may see: everything but the agents' private notes, links usable."""

    def view(message: Message) -> dict[str, Any] | None:
        return None if message.kind == "note" else to_event(message, secret)

    return view


def resident_ephemeral(event: dict[str, Any]) -> dict[str, Any] | None:
    if event.get("type") == "typing" and event.get("author") == "resident":
        return None
    if event.get("type") not in ("typing", "queue", "availability", "read"):
        return None
    return event


def agent_view(conversation_id: str) -> tuple[Any, Any]:
    def view(message: Message) -> dict[str, Any]:
        return {**to_event(message), "conversation_id": conversation_id}

    def ephemeral(event: dict[str, Any]) -> dict[str, Any] | None:
        if event.get("type") != "typing" or event.get("author") == "agent":
            return None
        return {**event, "conversation_id": conversation_id}

    return view, ephemeral
