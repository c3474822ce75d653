"""The wire form of stored events: timestamps (formatted once per batch) and links per viewer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from handover.services.events import agent_view, resident_view, to_event
from handover.store.eventlog import StoredEvent


def _event(seq: int, at: datetime, meta: dict | None = None) -> StoredEvent:
    return StoredEvent("c1", seq, "message", "resident", None, f"bericht {seq}", None, f"id{seq}", None, meta, at)


def test_events_of_one_batch_share_a_timestamp_and_the_next_batch_gets_its_own() -> None:
    first = datetime(2026, 12, 4, 9, 0, 0, 123456, tzinfo=UTC)
    second = first + timedelta(milliseconds=5)
    batch = [_event(1, first), _event(2, first)]
    assert [to_event(e)["at"] for e in batch] == ["2026-12-04T09:00:00.123456+00:00"] * 2
    assert to_event(_event(3, second))["at"] == "2026-12-04T09:00:00.128456+00:00"
    # An equal moment in another object (read back from SQL, naive on SQLite) is formatted as UTC.
    assert to_event(_event(4, first.replace(tzinfo=None)))["at"] == "2026-12-04T09:00:00.123456+00:00"
    assert to_event(_event(1, first))["at"] == "2026-12-04T09:00:00.123456+00:00"


def test_the_agent_sees_a_links_title_and_the_resident_a_usable_address() -> None:
    at = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
    linked = _event(5, at, {"link": {"url": "https://www.example.nl/aanvraag", "title": "Uw aanvraag"}})
    view, _ = agent_view("c1")
    shown = view(linked)
    assert shown["conversation_id"] == "c1" and shown["link"] == {"title": "Uw aanvraag"}
    resident = resident_view("geheim")(linked)
    assert resident is not None and resident["link"]["url"] == "https://www.example.nl/aanvraag"
    plain = view(_event(6, at))
    assert "link" not in plain and "meta" not in plain and plain["client_id"] == "id6"
