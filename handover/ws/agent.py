"""The agent's websocket, `/ws/agent` (docs/protocol.md, "Agent console"). Thin by design."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from fastapi import APIRouter, WebSocket

from ..api.deps import SESSION_COOKIE
from ..core.clock import utcnow
from ..core.errors import HandoverError
from ..core.protocol import PROTOCOL_VERSION, AgentCommand, ProtocolError, parse_agent_frame
from ..services import agents
from ..services.agents import AgentView
from ..services.events import agent_view
from ..state import AppState, app_state
from .connection import Follower, Outbound, TopicListener, serve_frames

log = logging.getLogger(__name__)
router = APIRouter()


def same_origin(websocket: WebSocket) -> bool:
    origin = websocket.headers.get("origin")
    host = websocket.headers.get("host")
    return origin is not None and host is not None and origin.split("://", 1)[-1].rstrip("/") == host


@router.websocket("/ws/agent")
async def agent_socket(websocket: WebSocket) -> None:
    state = app_state(websocket)
    # The console is served by this service: only its own origin may open an agent socket (the
    # widget's allowed sites are for residents, never for agents).
    if not same_origin(websocket):
        await websocket.close(code=1008, reason="origin not allowed")
        return
    found = await agents.session_agent(state.db.sessions, websocket.cookies.get(SESSION_COOKIE))
    agent = await agents.view(state.db.sessions, found[0]) if found else None
    if agent is None:
        await websocket.close(code=4401, reason="log in first")
        return
    await websocket.accept()
    await AgentSession(websocket, state, agent).run()


class AgentSession:
    def __init__(self, websocket: WebSocket, state: AppState, agent: AgentView) -> None:
        self.websocket = websocket
        self.settings = state.settings
        self.sessions = state.db.sessions
        self.service = state.conversations
        self.router = state.router
        self.hub = state.hub
        self.fanout = state.fanout
        self.agent = agent
        self.outbound = Outbound(websocket)
        self.followers: dict[str, Follower] = {}
        self.topics: list[tuple[str, TopicListener]] = []
        # Chats this socket is opening itself (accept): the "assigned" notice must not open them twice.
        self._opening: set[str] = set()
        self.queues: dict[str, list[dict[str, Any]]] = {}
        self.session_token = websocket.cookies.get(SESSION_COOKIE)

    async def run(self) -> None:
        self.outbound.start()
        presence = asyncio.create_task(self._presence())
        own = TopicListener(self._on_agent_event)
        queues = TopicListener(self._on_queue_event)
        self.topics = [(f"agent:{self.agent.id}", own)] + [(f"queue:{team}", queues) for team in self.agent.teams]
        for topic, listener in self.topics:
            self.hub.join(topic, listener)
        await self.router.touch_presence(self.agent.id)
        assigned = await self._assigned()
        self.outbound.send(
            {
                "type": "hello",
                "protocol": PROTOCOL_VERSION,
                "agent": self.agent.public(),
                "conversations": assigned,
                "server_time": utcnow().isoformat(),
            }
        )
        await self._send_queue()
        try:
            await serve_frames(self.websocket, self.outbound, self._handle)
        finally:
            presence.cancel()
            for topic, listener in self.topics:
                self.hub.leave(topic, listener)
            for follower in list(self.followers.values()):
                self.hub.leave(follower.conversation_id, follower)
                await follower.stop()
            await self.outbound.stop()
            # Presence expires on its own; the router requeues this agent's chats after the
            # grace period unless the agent comes back (a reload, a flaky network).

    async def _handle(self, raw: str | bytes) -> None:
        await self._dispatch(
            parse_agent_frame(
                raw, max_frame_bytes=self.settings.max_frame_bytes, max_text_chars=self.settings.max_text_chars
            )
        )

    def _ack(self, command: AgentCommand, **extra: Any) -> None:
        self.outbound.send({"type": "ack", "reply_to": command.id, **extra})

    async def _dispatch(self, command: AgentCommand) -> None:
        cid = command.id
        conversation_id = command.conversation_id or ""
        try:
            match command.type:
                case "ping":
                    self.outbound.send({"type": "pong", "reply_to": cid})
                case "presence":
                    await agents.set_status(self.sessions, self.agent.id, command.fields["status"])
                    self.agent = await agents.view(self.sessions, self.agent.id) or self.agent
                    self._ack(command, status=self.agent.status)
                    self.router.kick()
                case "accept":
                    self._opening.add(conversation_id)
                    try:
                        await self.router.claim(conversation_id, self.agent.id)
                        self._ack(command)
                        await self._open(conversation_id, 0)
                    finally:
                        self._opening.discard(conversation_id)
                case "open":
                    await self.service.agent_conversation(conversation_id, self.agent.id)
                    self._ack(command)
                    await self._open(conversation_id, command.fields["seq"])
                case "message" | "note":
                    # One round trip: the append checks that the chat is assigned to this agent.
                    appended = await self.service.agent_says(
                        conversation_id,
                        self.agent.id,
                        self.agent.name,
                        command.fields["text"],
                        client_id=cid,
                        private=command.type == "note",
                    )
                    self._ack(command, seq=appended.event.seq)
                case "typing":
                    await self.service.agent_typing(conversation_id, self.agent.id, command.fields["active"])
                case "read":
                    await self.service.agent_read(conversation_id, self.agent.id, command.fields["seq"])
                    self._ack(command)
                case "transfer":
                    await self.service.agent_conversation(conversation_id, self.agent.id)
                    if command.fields["note"]:
                        await self.service.agent_says(
                            conversation_id,
                            self.agent.id,
                            self.agent.name,
                            command.fields["note"],
                            client_id=None,
                            private=True,
                        )
                    await self.router.transfer(
                        conversation_id, self.agent.id, command.fields["team"], command.fields["agent_id"]
                    )
                    self._ack(command)
                case "hand_back":
                    await self.service.hand_back(conversation_id, self.agent.id)
                    self._ack(command)
                case "close":
                    await self.service.close(
                        conversation_id, self.agent.id, command.fields["outcome"], command.fields["summary"]
                    )
                    self._ack(command)
        except ProtocolError:
            raise
        except HandoverError as refused:
            # A conflict, an illegal transition: the error carries its protocol code.
            raise ProtocolError(refused.code, str(refused), cid) from None

    async def _open(self, conversation_id: str, last_seq: int) -> None:
        """Send the agent everything about the chat, then follow it live."""
        found = await self.service.transcript(conversation_id)
        if found is None:
            return
        conversation, messages = found
        view, ephemeral = agent_view(conversation_id)
        transcript = [view(m) for m in messages]
        old = self.followers.pop(conversation_id, None)
        if old is not None:
            self.hub.leave(conversation_id, old)
            await old.stop()
        self.outbound.send(
            {
                "type": "conversation",
                "conversation_id": conversation_id,
                "state": conversation.state,
                "team": conversation.team,
                "topic": conversation.topic,
                "seq": conversation.last_seq,
                "context": {
                    "page": conversation.page,
                    "referrer": conversation.referrer,
                    "utm": conversation.utm,
                    "channel": conversation.channel,
                    "lang": conversation.lang,
                },
                "form": conversation.form or {},
                "handover": {"reason": conversation.handover_reason, "summary": conversation.handover_summary},
                "read_seq": conversation.agent_read_seq,
                "transcript": [e for e in transcript if e["seq"] > last_seq] if last_seq else transcript,
            }
        )
        sent = max([e["seq"] for e in transcript], default=0)
        follower = Follower(self.outbound, self.sessions, conversation_id, sent, view, ephemeral)
        self.followers[conversation_id] = follower
        self.hub.join(conversation_id, follower)

    async def _assigned(self) -> list[str]:
        return await agents.assigned_conversations(self.sessions, self.agent.id)

    async def _send_queue(self) -> None:
        queue = await self.router.queue(self.agent.teams)
        self.queues = {t: [i.public() for i in items] for t, items in queue.items()}
        self.outbound.send({"type": "queue", "teams": self.queues})

    async def _on_queue_event(self, event: dict[str, Any]) -> None:
        if event.get("type") == "queue_changed":
            team, items = event.get("team"), event.get("items")
            if isinstance(team, str) and isinstance(items, list):
                # The snapshot rides in the event: no query per agent per change.
                self.queues[team] = items
                self.outbound.send({"type": "queue", "teams": dict(self.queues)})
            else:
                await self._send_queue()
        elif event.get("type") == "callbacks_changed":
            self.outbound.send({"type": "callbacks_changed"})
        elif event.get("type") == "request_status":
            # A resident submitted (or changed) a concept request of this team.
            self.outbound.send({k: event.get(k) for k in ("type", "request_id", "status", "conversation_id")})

    async def _on_agent_event(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        conversation_id = str(event.get("conversation_id", ""))
        if kind == "released":
            follower = self.followers.pop(conversation_id, None)
            if follower is not None:
                self.hub.leave(conversation_id, follower)
                await follower.stop()
        elif kind == "assigned" and conversation_id not in self.followers and conversation_id not in self._opening:
            await self._open(conversation_id, 0)
            return
        if kind in ("offer", "released", "offer_expired"):
            self.outbound.send(event)

    async def _reconcile(self) -> None:
        """Catch up from SQL what pub/sub may have lost: the same effects as "assigned",
        "released" and "queue_changed", so a lost message costs seconds, not the rest of the shift."""
        mine = set(await self._assigned())
        for conversation_id in sorted(mine - set(self.followers) - self._opening):
            await self._open(conversation_id, 0)
        for conversation_id, agent_id, state in await agents.holders(self.sessions, list(self.followers)):
            if agent_id != self.agent.id and conversation_id in self.followers:
                await self._on_agent_event(
                    {"type": "released", "conversation_id": conversation_id, "reason": str(state)}
                )
        await self._send_queue()

    async def _presence(self) -> None:
        interval = max(1.0, min(self.settings.presence_ttl_seconds / 3, self.settings.agent_reconcile_seconds))
        reconciled = time.monotonic()
        while True:
            await asyncio.sleep(interval)
            if time.monotonic() - reconciled >= self.settings.agent_reconcile_seconds:
                reconciled = time.monotonic()
                try:
                    await self._reconcile()
                except Exception as exc:  # noqa: BLE001 - a database hiccup: try again next round
                    log.warning("agent %s reconciliation failed: %s", self.agent.id, exc)
            if not await self._session_valid():
                # Logout, expiry or a password reset ends the session: the socket goes with it.
                with contextlib.suppress(Exception):
                    await self.websocket.close(code=4401, reason="session ended")
                return
            await self.router.touch_presence(self.agent.id)
            self.outbound.send({"type": "ping"})

    async def _session_valid(self) -> bool:
        try:
            found = await agents.session_agent(self.sessions, self.session_token)
        except Exception as exc:  # noqa: BLE001 - a database hiccup is not a logout
            log.warning("agent session check failed: %s", exc)
            return True
        return found is not None and found[0] == self.agent.id
