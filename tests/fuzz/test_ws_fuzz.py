"""Fuzzing both websocket protocols (/ws/chat and /ws/agent) with hypothesis.

Each example opens a socket, sends a random sequence of frames (valid ones, valid ones with a
field mutated: wrong types, huge numbers, odd unicode, deep nesting; random text; binary
frames), then a `ping`: the socket must still be open and answer `pong`, no frame may produce
`internal_error`, and the service stays healthy. Examples are bounded (FUZZ_EXAMPLES, default
200 per protocol) and the counts are printed as `FUZZ-REPORT`.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections import Counter
from typing import Any

import httpx
import websockets
from agents_helper import login
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handover.store.db import Database

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "200"))
SETTINGS = settings(
    max_examples=EXAMPLES, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
)

# Lone surrogates cannot be sent as UTF-8 text frames; inside JSON they go as \\ud800 escapes.
sendable_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
odd_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=40) | st.sampled_from(
    [
        "\u0000",
        "\ud7ff\ue000",
        "\u202e\u202d",
        "𝕳𝖆𝖑𝖑𝖔",
        "e\u0301" * 50,
        "\ufeff",
        "a" * 5000,
        "<script>x</script>",
        "1112.22.333",
        "${jndi:x}",
        "' OR 1=1 --",
    ]
)
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**63, max_value=2**200)
    | st.integers(max_value=-(2**63))
    | st.floats(allow_nan=False)
    | odd_text
)
values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(odd_text, inner, max_size=4), max_leaves=12
)

RESIDENT_FRAMES: list[dict[str, Any]] = [
    {"type": "start", "context": {"page": "https://example.nl/", "utm": {"source": "x"}, "lang": "nl"}},
    {"type": "resume", "token": "x" * 43, "last_seq": 0},
    {"type": "message", "text": "Hallo"},
    {"type": "button", "payload": "/groet", "title": "Hallo"},
    {"type": "typing", "active": True},
    {"type": "ping"},
    {"type": "request_human"},
    {"type": "cancel_queue"},
    {"type": "callback", "name": "Sam", "phone": "0612345678", "message": "Bel mij", "consent": True},
    {"type": "feedback", "score": 4, "comment": "goed"},
]
AGENT_FRAMES: list[dict[str, Any]] = [
    {"type": "presence", "status": "online"},
    {"type": "accept", "conversation_id": "00000000-0000-0000-0000-000000000000"},
    {"type": "message", "conversation_id": "00000000-0000-0000-0000-000000000000", "text": "Hallo"},
    {"type": "note", "conversation_id": "00000000-0000-0000-0000-000000000000", "text": "notitie"},
    {"type": "typing", "conversation_id": "00000000-0000-0000-0000-000000000000", "active": True},
    {"type": "read", "conversation_id": "00000000-0000-0000-0000-000000000000", "seq": 3},
    {"type": "transfer", "conversation_id": "00000000-0000-0000-0000-000000000000", "team": "burgerzaken"},
    {"type": "hand_back", "conversation_id": "00000000-0000-0000-0000-000000000000"},
    {"type": "close", "conversation_id": "00000000-0000-0000-0000-000000000000", "outcome": "opgelost"},
    {"type": "open", "conversation_id": "00000000-0000-0000-0000-000000000000", "last_seq": 0},
    {"type": "ping"},
]


def frames(valid: list[dict[str, Any]]) -> st.SearchStrategy[str | bytes]:
    base = st.sampled_from(valid).map(dict)
    with_id = st.tuples(base, st.text(min_size=1, max_size=64) | values).map(lambda t: {**t[0], "id": t[1]})

    @st.composite
    def mutated(draw: Any) -> dict[str, Any]:
        frame = {**draw(base), "id": draw(st.text(min_size=1, max_size=8))}
        for _ in range(draw(st.integers(1, 3))):
            key = draw(st.sampled_from([*frame, "type", "id", "extra"]))
            if draw(st.booleans()):
                frame[key] = draw(values)
            else:
                frame.pop(key, None)
        return frame

    as_json = (with_id | mutated()).map(json.dumps)
    raw = st.one_of(
        sendable_text,
        st.binary(max_size=200),
        st.integers(1, 100_000).map(lambda n: "[" * n + "]" * n),
        st.integers(1, 5000).map(lambda n: '{"type":"message","id":"d","text":' + "[" * n + "1" + "]" * n + "}"),
        st.integers(60_000, 200_000).map(lambda n: json.dumps({"type": "message", "id": "big", "text": "x" * n})),
        st.just('{"type":"ping","id":' + "9" * 5000 + "}"),
    )
    return st.lists(st.one_of(as_json, as_json, raw), min_size=1, max_size=8)


async def one_case(
    url: str, sequence: list[str | bytes], headers: dict[str, str], origin: str | None, seen: Counter[str]
) -> None:
    async with websockets.connect(
        url, max_size=2**22, additional_headers=headers, origin=origin, open_timeout=10
    ) as socket:
        for frame in sequence:
            await socket.send(frame)
        await socket.send(json.dumps({"type": "ping", "id": "probe"}))

        async def answered() -> None:
            async for raw in socket:
                event = json.loads(raw)
                seen[event.get("code") or event["type"]] += 1
                assert event.get("code") != "internal_error", (sequence, event)
                if event.get("reply_to") == "probe":
                    assert event["type"] == "pong", event
                    return
            raise AssertionError(
                f"socket closed ({socket.close_code}) instead of answering the ping: {sequence!r:.300}"
            )

        await asyncio.wait_for(answered(), 15)


def run_fuzz(
    url: str, strategy: st.SearchStrategy[Any], headers: dict[str, str], origin: str | None, http: str, name: str
) -> None:
    seen: Counter[str] = Counter()
    cases = 0

    @SETTINGS
    @given(strategy)
    def case(sequence: list[str | bytes]) -> None:
        nonlocal cases
        cases += 1
        asyncio.run(one_case(url, sequence, headers, origin, seen))

    case()
    assert httpx.get(http + "/healthz", timeout=5).status_code == 200
    print(f"\nFUZZ-REPORT {name}: {cases} cases, {sum(seen.values())} events, answers: {dict(seen.most_common(12))}")


LIMITS = {
    "limit_starts_per_address": 1_000_000,
    "limit_starts_global": 1_000_000,
    "limit_handovers_per_address": 1_000_000,
    "limit_handovers_global": 1_000_000,
    "limit_callbacks_per_address": 1_000_000,
    "rate_limit_messages": 1_000_000,
}


def test_fuzz_resident_socket(start_service, sqlite_url):
    service = start_service(sqlite_url, **LIMITS)
    run_fuzz(service.ws, frames(RESIDENT_FRAMES), {}, None, service.http, "/ws/chat")


def test_fuzz_agent_socket(start_service, sqlite_url):
    service = start_service(sqlite_url, **LIMITS)

    async def agent() -> Any:
        db = Database(sqlite_url)
        try:
            return await login(service, db, ["klantcontact", "burgerzaken"])
        finally:
            await db.dispose()

    logged = asyncio.run(agent())
    cookie = "; ".join(f"{k}={v}" for k, v in logged.cookies.items())
    run_fuzz(
        service.http.replace("http", "ws") + "/ws/agent",
        frames(AGENT_FRAMES),
        {"Cookie": cookie},
        service.http,
        service.http,
        "/ws/agent",
    )
