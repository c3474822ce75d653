"""A small protocol-v1 client for tests: send frames, await replies and events by predicate."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from typing import Any

import websockets

Event = dict[str, Any]
_ids = itertools.count(1)


def new_id() -> str:
    return f"t{next(_ids)}"


class ChatClient:
    def __init__(self, url: str, headers: dict[str, str] | None = None) -> None:
        self.url = url
        self.headers = headers
        self.events: list[Event] = []
        self.hello: Event | None = None
        self._socket: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._changed = asyncio.Condition()

    async def __aenter__(self) -> ChatClient:
        self._socket = await websockets.connect(self.url, max_size=2**22, additional_headers=self.headers)
        self._reader = asyncio.create_task(self._read())
        self.hello = await self.wait_for(lambda e: e["type"] == "hello")
        return self

    async def __aexit__(self, *_: Any) -> None:
        await self.close()

    async def close(self) -> None:
        if self._socket is not None:
            await self._socket.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)

    async def _read(self) -> None:
        try:
            async for raw in self._socket:
                async with self._changed:
                    self.events.append(json.loads(raw))
                    self._changed.notify_all()
        except websockets.ConnectionClosed:
            pass

    async def send_raw(self, raw: str | bytes) -> None:
        await self._socket.send(raw)

    async def send(self, frame: Event) -> None:
        await self._socket.send(json.dumps(frame))

    async def wait_for(self, predicate: Callable[[Event], bool], timeout: float = 10) -> Event:
        async def scan() -> Event:
            start = 0
            async with self._changed:
                while True:
                    for event in self.events[start:]:
                        if predicate(event):
                            return event
                    start = len(self.events)
                    await self._changed.wait()

        return await asyncio.wait_for(scan(), timeout)

    async def request(self, frame: Event, timeout: float = 10) -> Event:
        """Send a frame with a fresh id (unless it has one) and await its ack/reply/error."""
        frame.setdefault("id", new_id())
        await self.send(frame)
        return await self.wait_for(lambda e: e.get("reply_to") == frame["id"], timeout)

    async def start(self, **context: Any) -> Event:
        return await self.request({"type": "start", "context": context or {"page": "https://example.nl/"}})

    def messages(self, author: str | None = None) -> list[Event]:
        return [e for e in self.events if e["type"] == "message" and (author is None or e["author"] == author)]

    def recorded(self) -> list[Event]:
        """Events that belong to the record (they carry a seq and are messages or states)."""
        return [e for e in self.events if e["type"] in ("message", "state")]
