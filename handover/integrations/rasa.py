"""Thin client of Rasa's REST channel and HTTP API (``rasa run --enable-api``)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from ..core.errors import HandoverError

log = logging.getLogger(__name__)


class RasaUnavailable(HandoverError):
    """Rasa did not answer in time, refused the connection, or answered with a server error."""

    code = "bot_unavailable"

    def __repr__(self) -> str:
        return f"RasaUnavailable({self.args[0]!r})"


@dataclass(frozen=True)
class BotMessage:
    text: str
    buttons: list[dict[str, str]] | None = None


@dataclass(frozen=True)
class BotTurn:
    """Everything Rasa said in answer to one resident message."""

    messages: list[BotMessage] = field(default_factory=list)
    # Merged `custom` JSON of the turn: `topic`, and `handover` when the bot asks for a person.
    custom: dict[str, Any] = field(default_factory=dict)


def parse_turn(raw: Any) -> BotTurn:
    """Read the REST channel's list of messages, ignoring what we do not understand."""
    messages: list[BotMessage] = []
    custom: dict[str, Any] = {}
    if not isinstance(raw, list):
        return BotTurn()
    for item in raw:
        if not isinstance(item, dict):
            continue
        if isinstance(item.get("custom"), dict):
            custom.update(item["custom"])
        text = item.get("text")
        if isinstance(text, str) and text.strip():
            buttons = [
                {"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))}
                for b in item.get("buttons") or []
                if isinstance(b, dict) and b.get("payload")
            ]
            messages.append(BotMessage(text=text, buttons=buttons or None))
    return BotTurn(messages, custom)


class RasaClient:
    """Rasa's REST channel and tracker, with a circuit breaker.

    After a failure (refused, timed out, 5xx) Rasa counts as down for ``retry_seconds``: calls
    fail at once instead of each waiting for the timeout, so residents are told immediately
    and a storm of messages does not pile up connections to a hung server. The readiness
    probe (:meth:`status`) always asks for real and closes the breaker when Rasa answers.
    """

    def __init__(
        self, http: httpx.AsyncClient, base_url: str, timeout: float, retry_seconds: float = 5.0, token: str = ""
    ) -> None:
        self._http = http
        # Rasa's `--auth-token`: sent as `?token=` on every call (Rasa accepts no header for it).
        self._token = token
        self._base = base_url.rstrip("/")
        self._timeout = timeout
        self._retry_seconds = retry_seconds
        self._down_until = 0.0

    @property
    def known_down(self) -> bool:
        return time.monotonic() < self._down_until

    async def send(self, sender: str, message: str, metadata: dict[str, Any] | None = None) -> BotTurn:
        body = {"sender": sender, "message": message, "metadata": metadata or {}}
        data = await self._request("POST", "/webhooks/rest/webhook", json=body)
        return parse_turn(data)

    async def tracker(self, sender: str) -> dict[str, Any]:
        data = await self._request(
            "GET", f"/conversations/{quote(sender, safe='')}/tracker", params={"include_events": "NONE"}
        )
        return data if isinstance(data, dict) else {}

    async def status(self) -> dict[str, Any]:
        """Rasa's `/status`: answers only when a model is loaded."""
        data = await self._request("GET", "/status", timeout=3.0, probe=True)
        return data if isinstance(data, dict) else {}

    async def _request(
        self, method: str, path: str, *, timeout: float | None = None, probe: bool = False, **kwargs: Any
    ) -> Any:
        if not probe and self.known_down:
            raise RasaUnavailable(f"{method} {path}: Rasa is known to be down (retrying within {self._retry_seconds}s)")
        if self._token:
            kwargs["params"] = {**kwargs.get("params", {}), "token": self._token}
        try:
            response = await self._http.request(method, self._base + path, timeout=timeout or self._timeout, **kwargs)
        except httpx.HTTPError as exc:
            self._down_until = time.monotonic() + self._retry_seconds
            raise RasaUnavailable(f"{method} {path}: {type(exc).__name__}: {exc}") from exc
        if response.status_code >= 500:
            self._down_until = time.monotonic() + self._retry_seconds
        else:
            self._down_until = 0.0
        if response.status_code >= 400:
            raise RasaUnavailable(f"{method} {path}: HTTP {response.status_code}: {response.text[:200]}")
        try:
            return response.json()
        except ValueError as exc:
            raise RasaUnavailable(f"{method} {path}: response is not JSON") from exc


def intent_of(tracker: dict[str, Any]) -> tuple[str | None, float | None]:
    latest = tracker.get("latest_message") or {}
    intent = latest.get("intent") or {}
    name = intent.get("name")
    confidence = intent.get("confidence")
    return (
        name if isinstance(name, str) else None,
        round(float(confidence), 4) if isinstance(confidence, int | float) else None,
    )
