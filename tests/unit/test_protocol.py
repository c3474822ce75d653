"""Parsing client frames: every failure is a ProtocolError with a stable code."""

from __future__ import annotations

import json

import pytest

from handover.core.protocol import ERROR_TEXT, Ping, ProtocolError, Resume, Say, Start, Typing, parse_client_frame


def parse(frame: object) -> object:
    raw = frame if isinstance(frame, str | bytes) else json.dumps(frame)
    return parse_client_frame(raw, max_frame_bytes=64 * 1024, max_text_chars=4096)


def code_of(frame: object) -> str:
    with pytest.raises(ProtocolError) as raised:
        parse(frame)
    assert raised.value.code in ERROR_TEXT
    return raised.value.code


def test_valid_frames():
    start = parse({"type": "start", "id": "a", "context": {"page": "https://x.nl", "utm": {"source": "facebook"}}})
    assert isinstance(start, Start) and start.context.utm == {"source": "facebook"}
    assert start.context.lang == "nl" and start.context.channel == "website"
    assert parse({"type": "resume", "id": "b", "token": "t", "last_seq": 3}) == Resume("b", "t", 3)
    assert parse({"type": "message", "id": "c", "text": "  Hallo  "}) == Say("c", "Hallo")
    assert parse({"type": "button", "id": "d", "payload": "/ja", "title": "Ja"}) == Say("d", "Ja", payload="/ja")
    assert parse({"type": "typing", "id": "e", "active": False}) == Typing("e", False)
    assert parse({"type": "ping", "id": "f"}) == Ping("f")


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("{", "malformed_json"),
        ("null", "malformed_json"),
        (b"\xff\xfe", "malformed_json"),
        ({"type": "nope", "id": "x"}, "unknown_type"),
        ({"type": "message", "id": "", "text": "x"}, "invalid_id"),
        ({"type": "message", "id": "x" * 65, "text": "x"}, "invalid_id"),
        ({"type": "message", "text": "x"}, "invalid_message"),
        ({"type": "message", "id": "x", "text": ["x"]}, "invalid_message"),
        ({"type": "message", "id": "x", "text": "x" * 4097}, "text_too_long"),
        ({"type": "resume", "id": "x", "token": "t", "last_seq": True}, "invalid_message"),
        ({"type": "resume", "id": "x", "token": "", "last_seq": 1}, "invalid_message"),
        ({"type": "start", "id": "x", "context": "page"}, "invalid_message"),
        ({"type": "start", "id": "x", "context": {"utm": ["a"]}}, "invalid_message"),
        ({"type": "button", "id": "x", "title": "Ja"}, "invalid_message"),
        ("x" * (64 * 1024 + 1), "frame_too_large"),
    ],
)
def test_bad_frames(frame, code):
    assert code_of(frame) == code


def test_errors_carry_the_client_id_when_it_is_readable():
    with pytest.raises(ProtocolError) as raised:
        parse({"type": "message", "id": "abc", "text": ""})
    event = raised.value.event()
    assert event["reply_to"] == "abc" and event["type"] == "error"
    assert event["message"] == ERROR_TEXT["invalid_message"]


def test_agent_close_outcomes_are_a_fixed_list():
    from handover.core.protocol import parse_agent_frame

    def close(outcome: object) -> object:
        frame = json.dumps({"type": "close", "id": "c", "conversation_id": "x", "outcome": outcome})
        return parse_agent_frame(frame, max_frame_bytes=65536, max_text_chars=4096)

    assert close("doorverwezen").fields["outcome"] == "doorverwezen"  # type: ignore[attr-defined]
    with pytest.raises(ProtocolError) as raised:
        close("weet ik veel")
    assert raised.value.code == "invalid_message"


def test_4096_characters_is_still_allowed():
    assert isinstance(parse({"type": "message", "id": "x", "text": "é" * 4096}), Say)


# --- hostile frames (issue 10) ----------------------------------------------------------------


@pytest.mark.parametrize("depth", [1_000, 60_000])
def test_deeply_nested_json_is_malformed_not_a_crash(depth, caplog):
    """60,000 nested brackets (under a generous frame limit) used to raise RecursionError: a 500."""
    for raw in (
        "[" * depth + "]" * depth,
        '{"a":' * depth + "1" + "}" * depth,
        '{"type":"message","id":"x","text":' + "[" * depth + "]" * depth + "}",
    ):
        with pytest.raises(ProtocolError) as raised:
            parse_client_frame(raw, max_frame_bytes=1 << 20, max_text_chars=4096)
        assert raised.value.code in ("malformed_json", "invalid_message")
        assert len(raised.value.detail) < 300
    with pytest.raises(ProtocolError) as raised:
        parse_client_frame("[" * depth + "]" * depth, max_frame_bytes=1 << 20, max_text_chars=4096)
    assert raised.value.code == "malformed_json"
    assert not caplog.records, "nothing logged, certainly no traceback"


@pytest.mark.parametrize("bad_id", [10**30, 10**400, 1.5, -1, True, None, ["x"], {"a": 1}, "", "x" * 65])
def test_an_id_that_is_not_a_short_string_is_invalid_id(bad_id):
    assert code_of({"type": "message", "id": bad_id, "text": "Hallo"}) == "invalid_id"


def test_a_huge_number_with_thousands_of_digits_is_malformed_json():
    assert code_of('{"type":"message","id":' + "9" * 5000 + ',"text":"x"}') in ("malformed_json", "invalid_id")


def test_unknown_types_still_get_the_error_event_even_with_a_bad_id():
    assert code_of({"type": "nope", "id": 10**30}) == "unknown_type"


@pytest.mark.parametrize("last_seq", [2**31, 10**30])
def test_sequence_numbers_beyond_a_database_integer_are_refused(last_seq):
    assert code_of({"type": "resume", "id": "r", "token": "t", "last_seq": last_seq}) == "invalid_message"


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "read", "id": "a", "conversation_id": "c", "seq": 2**31},
        {"type": "open", "id": "a", "conversation_id": "c", "last_seq": 10**20},
        {"type": "transfer", "id": "a", "conversation_id": "c", "team": "t", "agent_id": 10**20},
        {"type": "accept", "id": "a", "conversation_id": 12345678901234567890},
    ],
)
def test_agent_frames_with_huge_numbers_are_refused(frame):
    from handover.core.protocol import parse_agent_frame

    with pytest.raises(ProtocolError) as raised:
        parse_agent_frame(json.dumps(frame), max_frame_bytes=65536, max_text_chars=4096)
    assert raised.value.code == "invalid_message"
