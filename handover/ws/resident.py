"""The resident's websocket, `/ws/chat`: protocol v1 (docs/protocol.md). Thin by design."""

from __future__ import annotations

import logging
import time

from fastapi import APIRouter, WebSocket

from ..auth import chat_binding
from ..bus.limits import client_address
from ..core import lifecycle
from ..core.clock import utcnow
from ..core.masking import mask_optional
from ..core.protocol import (
    PROTOCOL_VERSION,
    Callback,
    CancelQueue,
    Command,
    Feedback,
    Ping,
    ProtocolError,
    RequestHuman,
    Resume,
    Say,
    Start,
    Typing,
    parse_client_frame,
)
from ..core.ratelimit import TokenBucket
from ..services.conversations import Conflict, typing_event
from ..services.events import resident_ephemeral, resident_view
from ..services.klantbeeld.audit import audit
from ..state import AppState, app_state
from .connection import Follower, Outbound, serve_frames

log = logging.getLogger(__name__)
router = APIRouter()


def origin_allowed(origin: str | None, allowed: list[str]) -> bool:
    """An empty allow-list checks nothing (development); otherwise the Origin must be listed."""
    return not allowed or (origin is not None and origin.rstrip("/") in {a.rstrip("/") for a in allowed})


PATH = "/ws/chat"


@router.websocket(PATH)
async def resident_socket(websocket: WebSocket) -> None:
    state = app_state(websocket)
    settings = state.settings
    if not origin_allowed(websocket.headers.get("origin"), settings.allowed_origins):
        await websocket.close(code=1008, reason="origin not allowed")
        return
    await websocket.accept()
    session = ResidentSession(websocket, state)
    await session.run()


class ResidentSession:
    def __init__(self, websocket: WebSocket, state: AppState) -> None:
        self.websocket = websocket
        self.settings = state.settings
        self.service = state.conversations
        self.router = state.router
        self.hub = state.hub
        self.fanout = state.fanout
        self.sessions = state.db.sessions
        self.limits = state.limits
        self.heartbeats = state.heartbeats
        self.outbound = Outbound(websocket)
        self.follower: Follower | None = None
        self.bucket = TokenBucket(self.settings.rate_limit_messages, self.settings.rate_limit_window_seconds)
        self.typing_bucket = TokenBucket(self.settings.limit_typing_per_connection, 10.0)
        client = websocket.client
        self.address = client_address(
            client.host if client else None, websocket.headers.get("x-forwarded-for"), self.settings.trusted_proxies
        )

    async def run(self) -> None:
        self.outbound.start()
        self.heartbeats.add(self.outbound)
        self.outbound.send(
            {
                "type": "hello",
                "protocol": PROTOCOL_VERSION,
                "server_time": utcnow().isoformat(),
                "limits": {
                    "max_frame_bytes": self.settings.max_frame_bytes,
                    "max_text_chars": self.settings.max_text_chars,
                },
            }
        )
        try:
            await serve_frames(self.websocket, self.outbound, self._handle)
        finally:
            self.heartbeats.discard(self.outbound)
            if self.follower is not None:
                conversation_id = self.follower.conversation_id
                self.hub.leave(conversation_id, self.follower)
                await self.follower.stop()
                if not self.hub.listening(conversation_id):
                    # Gone from this instance: a queued resident who does not come back within
                    # the grace period leaves the queue (the router sees this mark).
                    await self.service.resident_left(conversation_id)
                    if self.hub.listening(conversation_id):
                        await self.service.resident_back(conversation_id)  # resumed meanwhile
            await self.outbound.stop()

    async def _handle(self, raw: str | bytes) -> None:
        await self._dispatch(
            parse_client_frame(
                raw, max_frame_bytes=self.settings.max_frame_bytes, max_text_chars=self.settings.max_text_chars
            )
        )

    @property
    def seq(self) -> int:
        return self.follower.sent_seq if self.follower else 0

    async def _dispatch(self, command: Command) -> None:
        conversation_id = self.follower.conversation_id if self.follower else None
        if not conversation_id and not isinstance(command, Start | Resume | Ping):
            raise ProtocolError("not_started", "send start or resume first", command.id)
        match command:
            case Ping(id=cid):
                self.outbound.send({"type": "pong", "reply_to": cid, "seq": self.seq})
            case Start(id=cid, context=context):
                if conversation_id:
                    raise ProtocolError("already_started", "this socket already has a conversation", cid)
                await self._limit_address("start", cid)
                conversation, token = await self.service.start(context)
                if context.channel == chat_binding.CHANNEL:
                    await self._bind_mijngemeente(conversation.id)
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
                self._follow(conversation.id, 0, catch_up=False)  # new: nothing stored yet
            case Resume(id=cid, token=token, last_seq=last_seq):
                if conversation_id:
                    raise ProtocolError("already_started", "this socket already has a conversation", cid)
                resumed = await self.service.resume(token)
                if resumed is None:
                    raise ProtocolError("unknown_conversation", "no conversation has this token", cid)
                recovered = last_seq <= resumed.last_seq
                self.outbound.send(
                    {
                        "type": "resumed",
                        "reply_to": cid,
                        "conversation_id": resumed.id,
                        "state": resumed.state,
                        "seq": resumed.last_seq,
                        "recovered": recovered,
                    }
                )
                self._follow(resumed.id, last_seq if recovered else 0)
                await self.service.resident_back(resumed.id)
            case Say(id=cid):
                assert conversation_id
                self._limit(cid)
                spoken = await self.service.say(conversation_id, command)
                if not spoken.created:
                    # A retransmission: its event (which answers a new message, carrying
                    # reply_to) went out before, or comes with the catch-up; answer this frame.
                    self.outbound.send({"type": "ack", "reply_to": cid, "seq": spoken.message.seq})
            case Typing(id=cid, active=active):
                assert conversation_id
                if self.typing_bucket.take(time.monotonic()):
                    raise ProtocolError("rate_limited", "too many typing events", cid)
                # Only agents need to see it; it travels like any ephemeral event.
                await self.fanout.ephemeral(conversation_id, typing_event("resident", active, self.seq))
            case RequestHuman(id=cid):
                assert conversation_id
                self._limit(cid)
                wish = lifecycle.HandoverRequested(team="klantcontact", reason="verzoek_medewerker")
                current = await self.service.snapshot(conversation_id)
                if current is not None and lifecycle.already_in_effect(current, wish):
                    self._ack(cid)  # pressing twice is not an error
                    return
                await self._limit_address("handover", cid)
                try:
                    await self.router.handover(conversation_id, wish.team, wish.reason, known=current)
                except (lifecycle.IllegalTransition, Conflict) as exc:
                    raise ProtocolError("invalid_state", str(exc), cid) from None
                self._ack(cid)
            case CancelQueue(id=cid):
                assert conversation_id
                try:
                    await self.service.transition(
                        conversation_id,
                        lifecycle.QueueCancelled(),
                        values={"offered_agent_id": None, "offer_expires_at": None},
                    )
                except (lifecycle.IllegalTransition, Conflict):
                    raise ProtocolError("not_queued", "the conversation is not waiting in a queue", cid) from None
                self._ack(cid)
            case Callback(id=cid, name=name, phone=phone, email=email, message=text):
                assert conversation_id
                self._limit(cid)
                await self._limit_address("callback", cid)
                try:
                    await self.router.request_callback(
                        conversation_id, {"name": name, "phone": phone, "email": email, "message": mask_optional(text)}
                    )
                except (lifecycle.IllegalTransition, Conflict) as exc:
                    raise ProtocolError("invalid_state", str(exc), cid) from None
                self._ack(cid)
            case Feedback(id=cid, score=score, comment=comment):
                assert conversation_id
                self._limit(cid)
                await self.service.feedback(conversation_id, score, comment)
                self._ack(cid)

    async def _bind_mijngemeente(self, conversation_id: str) -> None:
        """Started inside MijnGemeente by a logged-in resident: theirs before the first message."""
        partij_id = await chat_binding.verify(
            self.sessions, self.settings.secret_key, self.websocket.cookies.get(chat_binding.COOKIE)
        )
        if partij_id is not None and await chat_binding.bind_new(self.sessions, conversation_id, partij_id):
            await audit(
                self.sessions,
                f"resident:{partij_id}",
                "conversation.bind_mijngemeente",
                partij_id,
                conversation_id,
                "started while logged in to MijnGemeente",
            )

    def _ack(self, cid: str) -> None:
        self.outbound.send({"type": "ack", "reply_to": cid, "seq": self.seq})

    def _limit(self, cid: str) -> None:
        wait = self.bucket.take(time.monotonic())
        if wait:
            raise ProtocolError("rate_limited", "too many messages", cid, retry_after=round(wait, 1))

    async def _limit_address(self, kind: str, cid: str) -> None:
        wait = await self.limits.take(kind, self.address)
        if wait:
            raise ProtocolError(
                "rate_limited", f"too many {kind} requests from this address", cid, retry_after=round(wait, 1)
            )

    def _follow(self, conversation_id: str, after_seq: int, *, catch_up: bool = True) -> None:
        self.follower = Follower(
            self.outbound,
            self.sessions,
            conversation_id,
            after_seq,
            resident_view(self.settings.secret_key),
            resident_ephemeral,
            catch_up=catch_up,
        )
        self.hub.join(conversation_id, self.follower)
