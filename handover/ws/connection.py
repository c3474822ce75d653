"""What every websocket connection needs: one writer, catch-up from SQL by sequence number."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from fastapi import WebSocket
from starlette.websockets import WebSocketState

from ..services.events import to_event
from ..store import repo

log = logging.getLogger(__name__)

OUTBOX_LIMIT = 1000


class SlowConsumer(Exception):
    """The client does not read fast enough; it is disconnected and resumes by seq."""


class Outbound:
    """Serialises all sends on one socket and keeps it up to date with the record.

    Acts as a :class:`handover.bus.fanout.Listener`: ``wake()`` makes it read the events after
    the last ``seq`` it sent from SQL; ``ephemeral()`` queues a one-off event.
    """

    def __init__(self, websocket: WebSocket, sessions: repo.Sessions) -> None:
        self.websocket = websocket
        self.sessions = sessions
        self.conversation_id: str | None = None
        self.sent_seq = 0
        self._queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(OUTBOX_LIMIT)
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._writer(), name="ws-writer"),
            asyncio.create_task(self._catch_up_loop(), name="ws-catch-up"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    def follow(self, conversation_id: str, after_seq: int) -> None:
        self.conversation_id = conversation_id
        self.sent_seq = after_seq
        self.wake()

    def send(self, event: dict[str, Any]) -> None:
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            log.warning("closing slow websocket consumer")
            raise SlowConsumer() from None

    # Listener protocol ------------------------------------------------------------------

    def wake(self) -> None:
        self._wake.set()

    def ephemeral(self, event: dict[str, Any]) -> None:
        with contextlib.suppress(SlowConsumer):
            self.send(event)

    # internals --------------------------------------------------------------------------

    async def _writer(self) -> None:
        while True:
            event = await self._queue.get()
            if self.websocket.application_state != WebSocketState.CONNECTED:
                return
            await self.websocket.send_json(event)

    async def _catch_up_loop(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            if self.conversation_id is None:
                continue
            while True:
                batch = await repo.events_after(self.sessions, self.conversation_id, self.sent_seq)
                for message in batch:
                    self.send(to_event(message))
                    self.sent_seq = message.seq
                if len(batch) < 500:
                    break
