"""The resident's websocket, `/ws/chat`: protocol v1 (docs/protocol.md). Thin by design."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from ..core.protocol import (
    PROTOCOL_VERSION,
    Ping,
    ProtocolError,
    Resume,
    Say,
    Start,
    Typing,
    parse_client_frame,
)
from ..core.ratelimit import TokenBucket
from ..services.conversations import typing_event
from .connection import Outbound, SlowConsumer

log = logging.getLogger(__name__)
router = APIRouter()


def origin_allowed(origin: str | None, allowed: list[str]) -> bool:
    """An empty allow-list checks nothing (development); otherwise the Origin must be listed."""
    return not allowed or (origin is not None and origin.rstrip("/") in {a.rstrip("/") for a in allowed})


@router.websocket("/ws/chat")
async def resident_socket(websocket: WebSocket) -> None:
    state = websocket.app.state
    settings = state.settings
    if not origin_allowed(websocket.headers.get("origin"), settings.allowed_origins):
        await websocket.close(code=1008, reason="origin not allowed")
        return
    await websocket.accept()
    session = ResidentSession(websocket, state)
    await session.run()


class ResidentSession:
    def __init__(self, websocket: WebSocket, state: Any) -> None:
        self.websocket = websocket
        self.settings = state.settings
        self.service = state.conversations
        self.hub = state.hub
        self.fanout = state.fanout
        self.outbound = Outbound(websocket, state.db.sessions)
        self.bucket = TokenBucket(self.settings.rate_limit_messages, self.settings.rate_limit_window_seconds)

    async def run(self) -> None:
        self.outbound.start()
        heartbeat = asyncio.create_task(self._heartbeat())
        self.outbound.send(
            {
                "type": "hello",
                "protocol": PROTOCOL_VERSION,
                "server_time": datetime.now(UTC).isoformat(),
                "limits": {
                    "max_frame_bytes": self.settings.max_frame_bytes,
                    "max_text_chars": self.settings.max_text_chars,
                },
            }
        )
        try:
            while True:
                message = await self.websocket.receive()
                if message["type"] == "websocket.disconnect":
                    break
                raw = message.get("text")
                if raw is None:
                    raw = message.get("bytes") or b""
                await self._handle(raw)
        except (WebSocketDisconnect, SlowConsumer, RuntimeError):
            pass
        finally:
            heartbeat.cancel()
            if self.outbound.conversation_id:
                self.hub.leave(self.outbound.conversation_id, self.outbound)
            await self.outbound.stop()

    async def _handle(self, raw: str | bytes) -> None:
        try:
            command = parse_client_frame(
                raw, max_frame_bytes=self.settings.max_frame_bytes, max_text_chars=self.settings.max_text_chars
            )
            await self._dispatch(command)
        except ProtocolError as error:
            self.outbound.send(error.event())
        except SlowConsumer:
            raise
        except Exception:  # one bad frame must never end the connection
            log.exception("error while handling a resident frame")
            self.outbound.send(ProtocolError("internal_error", "unexpected server error").event())

    async def _dispatch(self, command: Start | Resume | Say | Typing | Ping) -> None:
        conversation_id = self.outbound.conversation_id
        match command:
            case Ping(id=cid):
                self.outbound.send({"type": "pong", "reply_to": cid, "seq": self.outbound.sent_seq})
            case Start(id=cid, context=context):
                if conversation_id:
                    raise ProtocolError("already_started", "this socket already has a conversation", cid)
                conversation, token = await self.service.start(context)
                self.outbound.send(
                    {
                        "type": "started",
                        "reply_to": cid,
                        "conversation_id": conversation.id,
                        "token": token,
                        "state": conversation.state,
                        "seq": 0,
                    }
                )
                self._follow(conversation.id, 0)
            case Resume(id=cid, token=token, last_seq=last_seq):
                if conversation_id:
                    raise ProtocolError("already_started", "this socket already has a conversation", cid)
                conversation = await self.service.resume(token)
                if conversation is None:
                    raise ProtocolError("unknown_conversation", "no conversation has this token", cid)
                recovered = last_seq <= conversation.last_seq
                self.outbound.send(
                    {
                        "type": "resumed",
                        "reply_to": cid,
                        "conversation_id": conversation.id,
                        "state": conversation.state,
                        "seq": conversation.last_seq,
                        "recovered": recovered,
                    }
                )
                self._follow(conversation.id, last_seq if recovered else 0)
            case Say(id=cid):
                if not conversation_id:
                    raise ProtocolError("not_started", "send start or resume first", cid)
                wait = self.bucket.take(time.monotonic())
                if wait:
                    raise ProtocolError("rate_limited", "too many messages", cid, retry_after=round(wait, 1))
                spoken = await self.service.say(conversation_id, command)
                self.outbound.send({"type": "ack", "reply_to": cid, "seq": spoken.message.seq})
            case Typing(id=cid, active=active):
                if not conversation_id:
                    raise ProtocolError("not_started", "send start or resume first", cid)
                # Only agents need to see it; it travels like any ephemeral event.
                await self.fanout.ephemeral(
                    conversation_id, typing_event("resident", active, self.outbound.sent_seq)
                )

    def _follow(self, conversation_id: str, after_seq: int) -> None:
        self.hub.join(conversation_id, self.outbound)
        self.outbound.follow(conversation_id, after_seq)

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(self.settings.heartbeat_seconds)
            self.outbound.send({"type": "ping"})
            # Catch up on anything a lost pub/sub message did not announce.
            self.outbound.wake()
