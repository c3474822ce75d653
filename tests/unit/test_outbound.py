"""The slow-consumer rule of one socket's writer (a unit test of handover.ws.connection)."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.websockets import WebSocketState
from waiting import eventually

from handover.ws.connection import OUTBOX_LIMIT, SLOW_CONSUMER_CLOSE, Outbound


class StuckSocket:
    """A client that never reads: every send blocks."""

    application_state = WebSocketState.CONNECTED

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.closed: tuple[int, str] | None = None
        self._never = asyncio.Event()

    async def send_json(self, event: dict[str, Any]) -> None:
        self.sent.append(event)
        await self._never.wait()

    async def close(self, code: int = 1000, reason: str = "") -> None:
        self.closed = (code, reason)


async def test_a_consumer_that_falls_too_far_behind_is_disconnected_not_silently_dropped():
    socket = StuckSocket()
    outbound = Outbound(socket)  # type: ignore[arg-type]
    outbound.start()
    for n in range(OUTBOX_LIMIT + 10):
        outbound.send({"type": "message", "seq": n + 1})  # never raises, never blocks
    assert outbound.overflowed
    await eventually(lambda: socket.closed, what="the slow consumer's socket closed", timeout=5)
    assert socket.closed is not None and socket.closed[0] == SLOW_CONSUMER_CLOSE
    await outbound.stop()


async def test_a_consumer_within_the_limit_gets_everything_in_order():
    all_sent = asyncio.Event()

    class Reader(StuckSocket):
        async def send_json(self, event: dict[str, Any]) -> None:
            self.sent.append(event)
            if len(self.sent) == OUTBOX_LIMIT:
                all_sent.set()

    socket = Reader()
    outbound = Outbound(socket)  # type: ignore[arg-type]
    outbound.start()
    for n in range(OUTBOX_LIMIT):
        outbound.send({"seq": n + 1})
    await asyncio.wait_for(all_sent.wait(), 10)
    assert [e["seq"] for e in socket.sent] == list(range(1, OUTBOX_LIMIT + 1))
    assert socket.closed is None and not outbound.overflowed
    await outbound.stop()
