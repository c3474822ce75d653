"""What every websocket needs: one writer per socket, and followers that catch up from SQL.

A :class:`Follower` is a :class:`handover.bus.fanout.Listener` for one conversation: ``wake()``
makes it read the events after the last ``seq`` it sent, from SQL; ``ephemeral()`` passes a
one-off event through. Each follower renders events with a *view*: the resident's view hides
private notes, the agent's view adds the conversation id.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import WebSocket, WebSocketDisconnect
from starlette.websockets import WebSocketState

from ..core.protocol import ProtocolError
from ..store import repo
from ..store.models import Message

log = logging.getLogger(__name__)

OUTBOX_LIMIT = 1000
BATCH = 500

View = Callable[[Message], dict[str, Any] | None]
EphemeralView = Callable[[dict[str, Any]], dict[str, Any] | None]


class SlowConsumer(Exception):
    """The client does not read fast enough; it is disconnected and resumes by seq."""


class Outbound:
    """Serialises all sends on one socket."""

    def __init__(self, websocket: WebSocket) -> None:
        self.websocket = websocket
        self._queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(OUTBOX_LIMIT)
        self._task: asyncio.Task[None] | None = None
        self.overflowed = asyncio.Event()

    def start(self) -> None:
        self._task = asyncio.create_task(self._writer(), name="ws-writer")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task

    def send(self, event: dict[str, Any]) -> None:
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            log.warning("closing slow websocket consumer")
            self.overflowed.set()
            raise SlowConsumer() from None

    async def _writer(self) -> None:
        while True:
            event = await self._queue.get()
            if self.websocket.application_state != WebSocketState.CONNECTED:
                return
            await self.websocket.send_json(event)


async def serve_frames(
    websocket: WebSocket, outbound: Outbound, handle: Callable[[str | bytes], Coroutine[Any, Any, None]]
) -> None:
    """Read frames until the socket closes. No frame ever ends the loop: a protocol error
    becomes an ``error`` event, anything unexpected an ``internal_error`` (and a log line)."""
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            raw = message.get("text")
            try:
                await handle(raw if raw is not None else message.get("bytes") or b"")
            except ProtocolError as error:
                outbound.send(error.event())
            except SlowConsumer:
                raise
            except Exception:
                log.exception("error while handling a websocket frame")
                outbound.send(ProtocolError("internal_error", "unexpected server error").event())
    except (WebSocketDisconnect, SlowConsumer, RuntimeError):
        return


class Follower:
    def __init__(
        self,
        outbound: Outbound,
        sessions: repo.Sessions,
        conversation_id: str,
        after_seq: int,
        view: View,
        ephemeral_view: EphemeralView,
    ) -> None:
        self.outbound = outbound
        self.sessions = sessions
        self.conversation_id = conversation_id
        self.sent_seq = after_seq
        self._view = view
        self._ephemeral_view = ephemeral_view
        self._wake = asyncio.Event()
        self._task = asyncio.create_task(self._loop(), name=f"follow-{conversation_id[:8]}")
        self._wake.set()

    def wake(self) -> None:
        self._wake.set()

    def ephemeral(self, event: dict[str, Any]) -> None:
        shown = self._ephemeral_view(event)
        if shown is not None:
            with contextlib.suppress(SlowConsumer):
                self.outbound.send(shown)

    async def stop(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._task

    async def _loop(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while True:
                batch = await repo.events_after(self.sessions, self.conversation_id, self.sent_seq, BATCH)
                for message in batch:
                    shown = self._view(message)
                    if shown is not None:
                        self.outbound.send(shown)
                    self.sent_seq = message.seq
                if len(batch) < BATCH:
                    break


class TopicListener:
    """A listener for a non-conversation topic (a team queue, an agent's own channel)."""

    def __init__(self, on_event: Callable[[dict[str, Any]], Coroutine[Any, Any, None]]) -> None:
        self._on_event = on_event
        self._tasks: set[asyncio.Task[None]] = set()

    def wake(self) -> None:
        pass

    def ephemeral(self, event: dict[str, Any]) -> None:
        task = asyncio.create_task(self._on_event(event))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
