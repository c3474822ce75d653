"""The slow-consumer rule of one socket's writer (a unit test of handover.ws.connection)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from starlette.websockets import WebSocketState
from waiting import eventually

from handover.ws.connection import OUTBOX_LIMIT, SERVER_SEND, SLOW_CONSUMER_CLOSE, Outbound, encode


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


class FakeTransport:
    def __init__(self) -> None:
        self.writes: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def is_closing(self) -> bool:
        return False


def sans_io_server() -> Any:
    """uvicorn's websockets-sansio protocol object in the state after the handshake, without a
    real socket: its websockets connection is real, its transport records the writes."""
    from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
    from websockets.protocol import State
    from websockets.server import ServerProtocol

    server = object.__new__(WebSocketsSansIOProtocol)
    server.conn = ServerProtocol()
    server.conn.state = State.OPEN
    server.transport = FakeTransport()
    server.writable = asyncio.Event()
    server.writable.set()
    server.disconnected = False
    server.close_sent = False
    return server


class ServedSocket(StuckSocket):
    """A socket whose server is uvicorn's websockets-sansio protocol (the production path)."""

    def __init__(self, server: Any) -> None:
        super().__init__()
        self.scope = {SERVER_SEND: server.send}


async def test_a_batch_goes_out_as_the_same_frames_in_one_write_on_the_sans_io_server():
    from websockets.frames import Opcode
    from websockets.protocol import Protocol, Side

    server = sans_io_server()
    socket = ServedSocket(server)
    outbound = Outbound(socket)  # type: ignore[arg-type]
    events: list[dict[str, Any] | bytes] = [{"type": "message", "seq": n, "text": "één"} for n in range(1, 6)]
    events.append(encode({"type": "message", "seq": 6, "text": "al klaar"}))
    for event in events:
        outbound.send(event)
    for _ in range(5):
        await asyncio.sleep(0)
    assert socket.sent == []  # nothing went through the per-event ASGI path
    assert len(server.transport.writes) == 1
    client = Protocol(Side.CLIENT)  # open, reading frames as a browser would
    client.receive_data(server.transport.writes[0])
    frames = client.events_received()
    assert [frame.opcode for frame in frames] == [Opcode.TEXT] * 6
    received = [json.loads(frame.data) for frame in frames]
    assert [e["seq"] for e in received] == [1, 2, 3, 4, 5, 6]
    assert received[0]["text"] == "één"
    # Byte for byte what Starlette's send_json would have sent.
    assert frames[0].data == json.dumps(events[0], separators=(",", ":"), ensure_ascii=False).encode()
    await outbound.stop()


async def test_a_client_gone_mid_batch_stops_the_writer_without_writing():
    server = sans_io_server()
    server.disconnected = True
    socket = ServedSocket(server)
    outbound = Outbound(socket)  # type: ignore[arg-type]
    outbound.send({"type": "message", "seq": 1})
    for _ in range(5):
        await asyncio.sleep(0)
    assert server.transport.writes == [] and socket.sent == []
    outbound.send({"type": "message", "seq": 2})  # after the client left: dropped, no new task
    for _ in range(5):
        await asyncio.sleep(0)
    assert server.transport.writes == []
    await outbound.stop()


def frames_written(server: Any) -> list[dict[str, Any]]:
    """Every event the fake transport received, parsed as a browser would read the frames."""
    from websockets.protocol import Protocol, Side

    client = Protocol(Side.CLIENT)
    client.receive_data(b"".join(server.transport.writes))
    return [json.loads(frame.data) for frame in client.events_received()]


async def test_a_socket_under_flow_control_waits_and_then_writes_everything_once():
    server = sans_io_server()
    server.writable.clear()  # the client's receive window is full
    socket = ServedSocket(server)
    outbound = Outbound(socket)  # type: ignore[arg-type]
    outbound.send({"type": "message", "seq": 1})
    outbound.send({"type": "message", "seq": 2})
    # Not writable: the batch is handed to a task that waits for flow control.
    await eventually(lambda: outbound._task is not None, what="a task waiting to write", timeout=5)
    assert server.transport.writes == []  # nothing written past flow control
    outbound.send({"type": "message", "seq": 3})
    server.writable.set()
    await eventually(lambda: len(frames_written(server)) == 3, what="all three events written", timeout=5)
    assert [event["seq"] for event in frames_written(server)] == [1, 2, 3]
    await outbound.stop()


async def test_an_ack_sent_when_the_waiting_handler_wakes_leaves_in_the_same_write_as_the_message():
    """The commit delivers an agent's own message and then wakes the handler that sends the ack
    (a future's callback, queued after the delivery): both must go out in one write."""
    server = sans_io_server()
    socket = ServedSocket(server)
    outbound = Outbound(socket)  # type: ignore[arg-type]
    committed: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    waiting = asyncio.Event()

    async def handler() -> None:
        waiting.set()
        seq = await committed
        outbound.send({"type": "ack", "seq": seq})

    task = asyncio.create_task(handler())
    await waiting.wait()  # the handler waits for the commit
    outbound.send({"type": "message", "seq": 7})  # delivered at commit...
    committed.set_result(7)  # ...then the waiting handler is woken
    await task
    await eventually(lambda: server.transport.writes, what="the batch written", timeout=5)
    assert len(server.transport.writes) == 1
    assert [event["type"] for event in frames_written(server)] == ["message", "ack"]
    await outbound.stop()
