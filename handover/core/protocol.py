"""Websocket protocol v1 (docs/protocol.md): parse client frames, build server events.

Pure functions and data classes only. Parsing never raises anything but
:class:`ProtocolError`, whose ``code`` is one of the stable codes of :mod:`.errors` (documented
in the protocol document) and whose ``message`` is plain Dutch for the resident.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .errors import ERROR_TEXT, HandoverError

PROTOCOL_VERSION = 1
MAX_CLIENT_ID = 64
#: Sequence numbers and other integers must fit a database INTEGER (a bigger one is refused, not a 500).
MAX_INT = 2**31 - 1


class ProtocolError(HandoverError):
    """A client frame that cannot be accepted; the connection stays open.

    The wire form of every error: it may carry any code of :data:`ERROR_TEXT`.
    """

    code = "invalid_message"
    codes = frozenset(ERROR_TEXT)

    def __init__(self, code: str, detail: str, reply_to: str | None = None, **extra: Any) -> None:
        super().__init__(f"{code}: {detail}", code=code)
        self.detail = detail
        self.reply_to = reply_to
        self.extra = extra

    def __repr__(self) -> str:
        return f"ProtocolError(code={self.code!r}, detail={self.detail!r})"

    def event(self) -> dict[str, Any]:
        return error_event(self.code, self.detail, self.reply_to, **self.extra)


@dataclass(frozen=True)
class Context:
    page: str | None = None
    referrer: str | None = None
    utm: dict[str, str] | None = None
    channel: str = "website"
    lang: str = "nl"
    topic_hint: str | None = None


@dataclass(frozen=True)
class Start:
    id: str
    context: Context


@dataclass(frozen=True)
class Resume:
    id: str
    token: str
    last_seq: int


@dataclass(frozen=True)
class Say:
    """A ``message`` (text) or ``button`` (payload) from the resident."""

    id: str
    text: str
    payload: str | None = None


@dataclass(frozen=True)
class Typing:
    id: str
    active: bool


@dataclass(frozen=True)
class Ping:
    id: str


@dataclass(frozen=True)
class RequestHuman:
    id: str


@dataclass(frozen=True)
class CancelQueue:
    id: str


@dataclass(frozen=True)
class Callback:
    id: str
    name: str | None
    phone: str | None
    email: str | None
    message: str | None


@dataclass(frozen=True)
class Feedback:
    id: str
    score: int
    comment: str | None


Command = Start | Resume | Say | Typing | Ping | RequestHuman | CancelQueue | Callback | Feedback
RESIDENT_TYPES = (
    "start",
    "resume",
    "message",
    "button",
    "typing",
    "ping",
    "request_human",
    "cancel_queue",
    "callback",
    "feedback",
)

_SHORT = 2048  # URLs, payloads, tokens: generous but bounded


def _str(
    frame: dict[str, Any], key: str, cid: str | None, *, limit: int = _SHORT, optional: bool = False
) -> str | None:
    value = frame.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ProtocolError("invalid_message", f"'{key}' must be a non-empty string", cid)
    if len(value) > limit:
        raise ProtocolError("invalid_message", f"'{key}' is longer than {limit} characters", cid)
    return value


def _context(raw: Any, cid: str) -> Context:
    if raw is None:
        return Context()
    if not isinstance(raw, dict):
        raise ProtocolError("invalid_message", "'context' must be an object", cid)
    utm_raw = raw.get("utm") or {}
    if not isinstance(utm_raw, dict):
        raise ProtocolError("invalid_message", "'context.utm' must be an object", cid)
    utm = {str(k)[:40]: str(v)[:200] for k, v in list(utm_raw.items())[:10] if isinstance(v, str | int)}
    lang = "en" if raw.get("lang") == "en" else "nl"
    return Context(
        page=_str(raw, "page", cid, optional=True),
        referrer=_str(raw, "referrer", cid, optional=True),
        utm=utm or None,
        channel=(_str(raw, "channel", cid, limit=40, optional=True) or "website"),
        lang=lang,
        topic_hint=_str(raw, "topic_hint", cid, limit=80, optional=True),
    )


def read_frame(raw: str | bytes, *, max_frame_bytes: int, types: tuple[str, ...]) -> tuple[dict[str, Any], str, str]:
    """Check size, JSON, type and id of a frame; return (frame, type, client id)."""
    size = len(raw.encode() if isinstance(raw, str) else raw)
    if size > max_frame_bytes:
        raise ProtocolError("frame_too_large", f"frame of {size} bytes exceeds {max_frame_bytes}")
    try:
        frame = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProtocolError("malformed_json", f"not JSON: {str(exc)[:200]}") from None
    except RecursionError:  # 60,000 nested brackets: a hostile frame, not our bug; nothing to log
        raise ProtocolError("malformed_json", "JSON nested too deeply") from None
    if not isinstance(frame, dict):
        raise ProtocolError("malformed_json", "a frame must be a JSON object")

    cid_raw = frame.get("id")
    cid = cid_raw if isinstance(cid_raw, str) and 0 < len(cid_raw) <= MAX_CLIENT_ID else None
    kind = frame.get("type")
    if kind not in types:
        raise ProtocolError("unknown_type", f"unknown type {str(kind)[:40]!r}", cid)
    if cid is None:
        code = "invalid_id" if "id" in frame else "invalid_message"
        raise ProtocolError(code, f"'id' must be a string of 1 to {MAX_CLIENT_ID} characters")
    return frame, str(kind), cid


def _int(frame: dict[str, Any], key: str, cid: str, default: int | None = 0, *, optional: bool = False) -> int | None:
    """A non-negative integer that fits a database INTEGER (booleans are not integers here)."""
    value = frame.get(key, default)
    if value is None and optional:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_INT:
        raise ProtocolError("invalid_message", f"'{key}' must be an integer from 0 to {MAX_INT}", cid)
    return value


def read_text(frame: dict[str, Any], cid: str, max_text_chars: int, key: str = "text") -> str:
    text = frame.get(key)
    if not isinstance(text, str) or not text.strip():
        raise ProtocolError("invalid_message", f"'{key}' must be a non-empty string", cid)
    if len(text) > max_text_chars:
        raise ProtocolError("text_too_long", f"{key} of {len(text)} characters exceeds {max_text_chars}", cid)
    return text.strip()


def parse_client_frame(raw: str | bytes, *, max_frame_bytes: int, max_text_chars: int) -> Command:
    """Turn one resident frame into a command or raise :class:`ProtocolError`."""
    frame, kind, cid = read_frame(raw, max_frame_bytes=max_frame_bytes, types=RESIDENT_TYPES)
    match kind:
        case "start":
            return Start(cid, _context(frame.get("context"), cid))
        case "resume":
            last_seq = _int(frame, "last_seq", cid) or 0
            return Resume(cid, _str(frame, "token", cid, limit=200) or "", last_seq)
        case "message":
            return Say(cid, read_text(frame, cid, max_text_chars))
        case "button":
            payload = _str(frame, "payload", cid) or ""
            title = _str(frame, "title", cid, limit=200, optional=True) or payload
            return Say(cid, title, payload=payload)
        case "typing":
            return Typing(cid, bool(frame.get("active", True)))
        case "request_human":
            return RequestHuman(cid)
        case "cancel_queue":
            return CancelQueue(cid)
        case "callback":
            if frame.get("consent") is not True:
                raise ProtocolError("invalid_message", "'consent' must be true to store contact details", cid)
            phone = _str(frame, "phone", cid, limit=40, optional=True)
            email = _str(frame, "email", cid, limit=254, optional=True)
            message = frame.get("message")
            if not phone and not email and not message:
                raise ProtocolError("invalid_message", "give a phone number, an e-mail address or a message", cid)
            if email and ("@" not in email or " " in email.strip()):
                raise ProtocolError("invalid_message", "'email' is not an e-mail address", cid)
            return Callback(
                cid,
                _str(frame, "name", cid, limit=120, optional=True),
                phone,
                email,
                read_text(frame, cid, max_text_chars, "message") if message else None,
            )
        case "feedback":
            score = frame.get("score")
            if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5:
                raise ProtocolError("invalid_message", "'score' must be an integer from 1 to 5", cid)
            comment = frame.get("comment")
            return Feedback(cid, score, read_text(frame, cid, 1000, "comment") if comment else None)
        case _:
            return Ping(cid)


def error_event(code: str, detail: str, reply_to: str | None = None, **extra: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": "error",
        "code": code,
        "message": ERROR_TEXT.get(code, ERROR_TEXT["internal_error"]),
        "detail": detail,
    }
    if reply_to is not None:
        event["reply_to"] = reply_to
    event.update(extra)
    return event


# --- the agent's socket ----------------------------------------------------------------------

#: How an agent can close a conversation (shown in the console, stored with the klantcontact).
OUTCOMES = ("opgelost", "doorverwezen", "terugbelverzoek", "geen_reactie")
AGENT_TYPES = (
    "presence",
    "accept",
    "message",
    "note",
    "typing",
    "read",
    "transfer",
    "hand_back",
    "close",
    "open",
    "ping",
)
PRESENCE = ("online", "pauze", "offline")


@dataclass(frozen=True)
class AgentCommand:
    """A parsed agent frame; ``fields`` holds the validated type-specific values."""

    type: str
    id: str
    conversation_id: str | None
    fields: dict[str, Any]


def parse_agent_frame(raw: str | bytes, *, max_frame_bytes: int, max_text_chars: int) -> AgentCommand:
    frame, kind, cid = read_frame(raw, max_frame_bytes=max_frame_bytes, types=AGENT_TYPES)
    fields: dict[str, Any] = {}
    conversation_id = None
    if kind not in ("presence", "ping"):
        conversation_id = _str(frame, "conversation_id", cid, limit=64)
    match kind:
        case "presence":
            if frame.get("status") not in PRESENCE:
                raise ProtocolError("invalid_message", f"'status' must be one of {', '.join(PRESENCE)}", cid)
            fields["status"] = frame["status"]
        case "message" | "note":
            fields["text"] = read_text(frame, cid, max_text_chars)
        case "typing":
            fields["active"] = bool(frame.get("active", True))
        case "read" | "open":
            fields["seq"] = _int(frame, "seq" if kind == "read" else "last_seq", cid) or 0
        case "transfer":
            fields["team"] = _str(frame, "team", cid, limit=64)
            fields["agent_id"] = _int(frame, "agent_id", cid, None, optional=True)
            note = frame.get("note")
            fields["note"] = read_text(frame, cid, max_text_chars, "note") if note else None
        case "close":
            outcome = frame.get("outcome", "opgelost")
            if outcome not in OUTCOMES:
                raise ProtocolError("invalid_message", f"'outcome' must be one of {', '.join(OUTCOMES)}", cid)
            fields["outcome"] = outcome
            summary = frame.get("summary")
            fields["summary"] = read_text(frame, cid, max_text_chars, "summary") if summary else None
    return AgentCommand(kind, cid, conversation_id, fields)
