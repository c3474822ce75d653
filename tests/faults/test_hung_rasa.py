"""A hung Rasa: it accepts the connection and never answers.

The resident is told within the timeout, the socket stays responsive meanwhile, and (issue 10)
once Rasa is known to be down the next message is answered at once with a notice that offers a
person, instead of another full timeout per message (the circuit breaker of issue 10).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
from waiting import eventually
from wsclient import ChatClient

TIMEOUT = 1.0


@pytest.fixture
def hung_rasa() -> Iterator[str]:
    """A tiny HTTP server that accepts every connection, reads the request and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(512)
    server.settimeout(0.2)
    held: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            held.append(connection)  # read nothing, answer nothing: hold it open

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join(2)
    for connection in held:
        connection.close()
    server.close()


def notices(client: ChatClient) -> list[dict]:
    return [e for e in client.messages("system") if "niet bereikbaar" in e["text"]]


async def test_hung_rasa_the_resident_is_told_and_the_socket_stays_responsive(start_service, sqlite_url, hung_rasa):
    service = start_service(sqlite_url, rasa_url=hung_rasa, rasa_timeout_seconds=TIMEOUT)
    async with ChatClient(service.ws) as resident:
        await resident.start()
        began = time.monotonic()
        stored = await resident.request({"type": "message", "text": "Hoe vraag ik een paspoort aan?"}, timeout=2)
        assert stored["type"] == "message" and stored["author"] == "resident", stored
        assert time.monotonic() - began < 1.0, "the answer to the frame does not wait for Rasa"
        await resident.wait_for(lambda e: e["type"] == "typing" and e["active"] is True, 2)
        # While Rasa hangs, the socket answers at once.
        pinged = time.monotonic()
        pong = await resident.request({"type": "ping"}, timeout=2)
        assert pong["type"] == "pong" and time.monotonic() - pinged < 0.5
        await resident.wait_for(lambda e: e["type"] == "message" and e["author"] == "system", TIMEOUT + 4)
        assert time.monotonic() - began < TIMEOUT + 4, "told within the timeout (plus slack)"
        await resident.wait_for(lambda e: e["type"] == "typing" and e["active"] is False, 2)
        assert len(notices(resident)) == 1


async def test_once_rasa_is_known_down_the_next_messages_are_answered_at_once(start_service, sqlite_url, hung_rasa):
    timeout = 3.0
    service = start_service(sqlite_url, rasa_url=hung_rasa, rasa_timeout_seconds=timeout)
    async with ChatClient(service.ws) as resident:
        await resident.start()
        await resident.request({"type": "message", "text": "eerste vraag"})
        await resident.wait_for(lambda e: e["type"] == "message" and e["author"] == "system", timeout + 4)
        began = time.monotonic()
        for text in ("tweede vraag", "derde vraag"):
            await resident.request({"type": "message", "text": text})
        await eventually(
            lambda: len(notices(resident)) >= 3, what="a notice for each later message", timeout=2 * timeout + 4
        )
        assert time.monotonic() - began < timeout / 2, "known down: told at once, not after another timeout"


async def test_the_unavailable_notice_offers_a_person(start_service, sqlite_url, hung_rasa):
    service = start_service(sqlite_url, rasa_url=hung_rasa, rasa_timeout_seconds=TIMEOUT)
    async with ChatClient(service.ws) as resident:
        await resident.start()
        await resident.request({"type": "message", "text": "Hallo"})
        notice = await resident.wait_for(lambda e: e["type"] == "message" and e["author"] == "system", TIMEOUT + 4)
        assert "medewerker" in notice["text"].lower() or notice.get("buttons"), notice
