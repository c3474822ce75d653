"""What every websocket needs: one writer per socket, and followers that catch up from SQL.

A :class:`Follower` is a :class:`handover.bus.fanout.Listener` for one conversation: ``wake()``
makes it read the events after the last ``seq`` it sent, from SQL; ``ephemeral()`` passes a
one-off event through. Each follower renders events with a *view*: the resident's view hides
private notes, the agent's view adds the conversation id.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import WebSocket, WebSocketDisconnect
from sqlalchemy.exc import SQLAlchemyError
from starlette.websockets import WebSocketState
from websockets.exceptions import InvalidState
from websockets.exceptions import ProtocolError as WebSocketsProtocolError

from ..core.protocol import ProtocolError
from ..core.tasks import stop_task
from ..store import repo
from ..store.eventlog import StoredEvent
from ..store.models import Message

try:
    from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol as _SansIOProtocol
except ImportError:  # pragma: no cover - uvicorn without the websockets sans-I/O protocol
    _SansIOProtocol = None  # type: ignore[assignment,misc]

log = logging.getLogger(__name__)

OUTBOX_LIMIT = 1000
BATCH = 500

View = Callable[[Any], dict[str, Any] | None]  # a Message or a StoredEvent
EphemeralView = Callable[[dict[str, Any]], dict[str, Any] | None]


#: Close code for a consumer that fell too far behind (RFC 6455 "try again later").
SLOW_CONSUMER_CLOSE = 1013


class Outbound:
    """Serialises all sends on one socket.

    ``send`` never blocks and never raises: past :data:`OUTBOX_LIMIT` queued events the client
    is too slow, so the socket is closed (1013) and the client resumes by seq, losing nothing.
    An idle socket holds no task and no queue (memory per idle socket is a budget: bench/idle.py).
    On uvicorn's sans-I/O server a batch is written by a callback two loop turns after its first
    event (no task: `create_task` alone was 3.3% of the relay's py-spy samples, one per socket per
    batch); a flush task lives only while a send must wait (flow control, another server).
    """

    __slots__ = ("websocket", "_pending", "_queued", "_task", "_handle", "_stopped", "overflowed")

    def __init__(self, websocket: WebSocket) -> None:
        self.websocket = websocket
        self._pending: list[dict[str, Any] | bytes] | None = None
        self._queued = 0
        self._task: asyncio.Task[None] | None = None
        self._handle: asyncio.Handle | None = None
        self._stopped = False
        self.overflowed = False

    def start(self) -> None:
        """Kept for symmetry with ``stop``: nothing runs until there is something to send."""

    async def stop(self) -> None:
        self._stopped = True
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        await stop_task(self._task)

    def send(self, event: dict[str, Any] | bytes) -> None:
        """Queue an event; ``bytes`` are an event already encoded with :func:`encode`."""
        if self.overflowed or self._stopped:
            return
        if self._queued >= OUTBOX_LIMIT:
            log.warning("closing slow websocket consumer (%d events queued)", OUTBOX_LIMIT)
            self.overflowed = True
            self._pending = None
            if self._handle is not None:
                self._handle.cancel()
                self._handle = None
            if self._task is not None:
                self._task.cancel()
            closing = asyncio.ensure_future(self._close_slow())
            _background.add(closing)
            closing.add_done_callback(_background.discard)
            return
        if self._pending is None:
            self._pending = []
        self._pending.append(event)
        self._queued += 1
        if self._task is None and self._handle is None:
            loop = asyncio.get_running_loop()
            self._handle = loop.call_soon(self._next_turn, loop)

    def _next_turn(self, loop: asyncio.AbstractEventLoop) -> None:
        # Let the rest of this loop turn add to the batch: an agent's own message is delivered
        # when its batch commits and the ack follows in the same turn (the waiting handler wakes
        # after this callback was queued), so both go out in one write.
        self._handle = loop.call_soon(self._write_soon)

    def _write_soon(self) -> None:
        self._handle = None
        batch = self._pending
        if not batch or self._stopped:
            return
        server = _sans_io_server(self.websocket)
        if server is None or not server.writable.is_set():
            self._task = asyncio.create_task(self._flush())  # must wait: a task does
            return
        self._pending = None
        try:
            sent = self.websocket.application_state == WebSocketState.CONNECTED and self._write_now(server, batch)
        except Exception:
            log.exception("writing to a websocket failed")
            sent = False
        if not sent:
            # The client left: nothing more to send; it resumes by seq.
            self._stopped = True

    async def _close_slow(self) -> None:
        with contextlib.suppress(Exception):
            await self.websocket.close(code=SLOW_CONSUMER_CLOSE, reason="slow consumer, resume by seq")

    async def _flush(self) -> None:
        """The path for sends that must wait; started by ``_write_soon`` once the batch has
        gathered, so it writes at once and then whatever arrived while it waited."""
        try:
            while self._pending:
                batch, self._pending = self._pending, None
                if self.websocket.application_state != WebSocketState.CONNECTED:
                    return
                server = _sans_io_server(self.websocket)
                sent = await (self._write_frames(server, batch) if server is not None else self._send_each(batch))
                if not sent:
                    # The client left mid-send: nothing more to send; it resumes by seq.
                    self._stopped = True
                    self._pending = None
                    return
        finally:
            self._task = None

    async def _write_frames(self, server: Any, batch: list[dict[str, Any] | bytes]) -> bool:
        await server.writable.wait()
        return self._write_now(server, batch)

    def _write_now(self, server: Any, batch: list[dict[str, Any] | bytes]) -> bool:
        """The whole batch as frames of the websockets sans-I/O connection, in one write.

        The same frames uvicorn's ``send`` makes for one ``websocket.send`` each (and the same
        checks: flow control, connection state), minus the per-frame ASGI and syscall cost.
        """
        if server.disconnected or server.close_sent or server.transport.is_closing():
            return False
        if self.websocket.application_state != WebSocketState.CONNECTED:
            return False
        connection = server.conn
        try:
            for event in batch:
                connection.send_text(event if isinstance(event, bytes) else encode(event))
        except (InvalidState, WebSocketsProtocolError):
            return False
        server.transport.write(b"".join(connection.data_to_send()))
        self._queued -= len(batch)
        return True

    async def _send_each(self, batch: list[dict[str, Any] | bytes]) -> bool:
        """Any other ASGI server (or a test double): one ``websocket.send`` per event."""
        for event in batch:
            if self.websocket.application_state != WebSocketState.CONNECTED:
                return False
            try:
                if isinstance(event, bytes):
                    await self.websocket.send_text(event.decode())
                else:
                    await self.websocket.send_json(event)
            except (WebSocketDisconnect, RuntimeError, OSError):
                return False
            self._queued -= 1
        return True


#: Key in the ASGI scope under which HandoverApp keeps the server's own ``send`` of a websocket
#: (middleware wraps the one the endpoint sees).
SERVER_SEND = "handover.server_send"

_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def encode(event: dict[str, Any]) -> bytes:
    """An event as the bytes of a text frame: what Starlette's ``send_json`` sends."""
    return _ENCODER.encode(event).encode()


def _sans_io_server(websocket: WebSocket) -> Any | None:
    """uvicorn's websockets-sansio protocol object serving this socket, if that is the server
    and no extension (such as permessage-deflate) transforms frames; otherwise None."""
    if _SansIOProtocol is None:
        return None
    scope = getattr(websocket, "scope", None)
    server = getattr(scope.get(SERVER_SEND) if scope else None, "__self__", None)
    if not isinstance(server, _SansIOProtocol) or server.conn.extensions:
        return None
    return server


_background: set[asyncio.Future[None]] = set()


class Heartbeats:
    """One loop pings every open socket of the instance: no task per socket, no SQL.

    Every ``reconcile_every`` beats it runs ``reconcile`` (one set-based query that wakes the
    followers a lost pub/sub message left behind).
    """

    def __init__(
        self, interval: float, reconcile: Callable[[], Coroutine[Any, Any, int]] | None = None, reconcile_every: int = 3
    ) -> None:
        self.interval = interval
        self.reconcile = reconcile
        self.reconcile_every = reconcile_every
        self._outbounds: set[Outbound] = set()
        self._task: asyncio.Task[None] | None = None

    def add(self, outbound: Outbound) -> None:
        self._outbounds.add(outbound)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._loop(), name="heartbeats")

    def discard(self, outbound: Outbound) -> None:
        self._outbounds.discard(outbound)

    async def stop(self) -> None:
        await stop_task(self._task)

    async def _loop(self) -> None:
        beats = 0
        while self._outbounds:
            await asyncio.sleep(self.interval)
            for outbound in list(self._outbounds):
                outbound.send({"type": "ping"})
            beats += 1
            if self.reconcile is not None and beats % self.reconcile_every == 0:
                try:
                    woken = await self.reconcile()
                except Exception as exc:  # noqa: BLE001 - the next round tries again
                    log.warning("reconciliation failed: %s", exc)
                else:
                    if woken:
                        log.info("reconciliation woke %d follower(s) behind the record", woken)


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
            except (SQLAlchemyError, OSError) as exc:
                # The database (or another backend) is restarting: one line, not a traceback per
                # frame, and an error the client retries with the same id (nothing was stored twice).
                log.warning("frame not handled, backend unavailable: %s", type(exc).__name__)
                outbound.send(
                    ProtocolError(
                        "unavailable", "storage temporarily unavailable", _frame_id(raw), retry_after=2
                    ).event()
                )
            except Exception:
                log.exception("error while handling a websocket frame")
                outbound.send(ProtocolError("internal_error", "unexpected server error").event())
    except (WebSocketDisconnect, RuntimeError):
        return


def _frame_id(raw: str | bytes | None) -> str | None:
    try:
        frame = json.loads(raw or b"")
    except (ValueError, RecursionError):
        return None
    value = frame.get("id") if isinstance(frame, dict) else None
    return value if isinstance(value, str) and len(value) <= 64 else None


class Follower:
    """Sends one conversation's events to one socket, in seq order, each exactly once.

    Events committed on any instance arrive through :meth:`deliver`; one that is exactly the
    next seq is sent from memory. A gap, a wake-up or a (re)start reads SQL from the last seq
    sent, in a short-lived task that retries through database errors instead of dying.
    """

    def __init__(
        self,
        outbound: Outbound,
        sessions: repo.Sessions,
        conversation_id: str,
        after_seq: int,
        view: View,
        ephemeral_view: EphemeralView,
        *,
        catch_up: bool = True,
    ) -> None:
        """``catch_up=False``: nothing can be stored yet (a conversation this socket just
        created), so there is nothing to read; the first event comes from memory. In a storm
        of new conversations that read, and the second one it caused when the first event
        arrived while it ran, were two SQL reads per resident."""
        self.outbound = outbound
        self.sessions = sessions
        self.conversation_id = conversation_id
        self.sent_seq = after_seq
        self._view = view
        self._ephemeral_view = ephemeral_view
        self._task: asyncio.Task[None] | None = None
        self._again = False
        self._stopped = False
        if catch_up:
            self.wake()

    def deliver(self, events: list[StoredEvent]) -> None:
        if self._task is not None:
            self._again = True  # the SQL read in flight may have missed these: read once more
            return
        for event in events:
            if event.seq <= self.sent_seq:
                continue
            if event.seq != self.sent_seq + 1:
                self.wake()
                return
            self._send(event)

    def wake(self) -> None:
        if self._stopped:
            return
        if self._task is not None:
            self._again = True
            return
        self._task = asyncio.create_task(self._catch_up(), name=f"follow-{self.conversation_id[:8]}")

    def ephemeral(self, event: dict[str, Any]) -> None:
        shown = self._ephemeral_view(event)
        if shown is not None:
            self.outbound.send(shown)

    async def stop(self) -> None:
        self._stopped = True
        await stop_task(self._task)

    def _send(self, event: Message | StoredEvent) -> None:
        self.sent_seq = event.seq
        shown = self._view(event)
        if shown is not None:
            self.outbound.send(shown)

    async def _catch_up(self) -> None:
        delay = 0.2
        try:
            while not self._stopped:
                self._again = False
                try:
                    batch = await repo.events_after(self.sessions, self.conversation_id, self.sent_seq, BATCH)
                except (SQLAlchemyError, OSError) as exc:
                    # The database restarts or fails over: keep trying; nothing is skipped because
                    # sent_seq only moves when an event is sent.
                    log.warning("catch-up of %s failed (%s); retrying in %.1fs", self.conversation_id, exc, delay)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 5.0)
                    self._again = True
                    continue
                delay = 0.2
                for message in batch:
                    if message.seq > self.sent_seq:
                        self._send(message)
                if len(batch) < BATCH and not self._again:
                    return
        finally:
            self._task = None


class TopicListener:
    """A listener for a non-conversation topic (a team queue, an agent's own channel)."""

    def __init__(self, on_event: Callable[[dict[str, Any]], Coroutine[Any, Any, None]]) -> None:
        self._on_event = on_event
        self._tasks: set[asyncio.Task[None]] = set()

    def wake(self) -> None:
        pass

    def deliver(self, events: list[StoredEvent]) -> None:
        pass

    def ephemeral(self, event: dict[str, Any]) -> None:
        task = asyncio.create_task(self._on_event(event))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
