"""A resident who vanishes while the server is sending to them must not leave a failed task behind.

Found while probing the hung-Rasa fault: the client closes while `Outbound._flush` is sending;
`send_json` raises `WebSocketDisconnect` inside the flush task, nobody awaits that task (it
clears `_task` in its `finally`), and asyncio logs "Task exception was never retrieved" with a
full traceback -- one per vanished client, noise that hides real errors in production logs.
"""

from __future__ import annotations

import asyncio
import gc
import logging

from waiting import eventually
from wsclient import ChatClient


async def test_a_client_vanishing_mid_send_leaves_no_unretrieved_task(start_service, sqlite_url, caplog):
    service = start_service(sqlite_url, limit_starts_per_address=100_000)
    caplog.set_level(logging.ERROR, logger="asyncio")

    async def vanish() -> None:
        client = await ChatClient(service.ws).__aenter__()
        await client.start()
        await client.send({"type": "message", "id": "m1", "text": "Hallo"})
        await client.send({"type": "ping", "id": "p1"})
        await client.close()

    for _ in range(10):
        await asyncio.gather(*(vanish() for _ in range(10)))
    await eventually(lambda: service.busy() == 0, what="the server to let go of every vanished client")
    gc.collect()  # a task that failed unseen logs "never retrieved" now, while it is collected
    noise = [r for r in caplog.records if "never retrieved" in r.getMessage()]
    assert not noise, f"{len(noise)} unretrieved task exceptions, e.g. {noise[0].getMessage()}"
