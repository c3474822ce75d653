"""The one transcript renderer (console words, Europe/Amsterdam time) and the one time helper."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from handover.core.clock import LOCAL_ZONE, as_utc, local, utcnow
from handover.core.transcript import render


@dataclass
class Row:
    kind: str
    author: str
    text: str | None
    created_at: datetime
    author_name: str | None = None


def test_utcnow_is_aware_utc():
    now = utcnow()
    assert now.utcoffset() == timedelta(0)
    assert abs((datetime.now(UTC) - now).total_seconds()) < 5


def test_as_utc_reads_naive_as_utc_keeps_aware_and_none():
    naive = datetime(2024, 7, 1, 12, 0)  # noqa: DTZ001 - what SQLite hands back
    assert as_utc(naive) == datetime(2024, 7, 1, 12, 0, tzinfo=UTC)
    plus_two = datetime(2024, 7, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    assert as_utc(plus_two) is plus_two
    assert as_utc(None) is None


def test_local_is_amsterdam_in_winter_and_summer():
    assert LOCAL_ZONE == "Europe/Amsterdam"
    assert f"{local(datetime(2024, 1, 15, 9, 0, tzinfo=UTC)):%H:%M}" == "10:00"
    assert f"{local(datetime(2024, 7, 15, 9, 0)):%H:%M}" == "11:00"  # noqa: DTZ001 - naive is UTC


def test_transcript_in_local_time_and_the_console_words():
    start = datetime(2024, 7, 15, 8, 0, tzinfo=UTC)  # 10:00 in Amsterdam (summer time)
    rows = [
        Row("message", "resident", "Mijn BSN is 111222333", start),
        Row("message", "bot", "Ik verbind je door.", start + timedelta(minutes=1)),
        Row("message", "system", "Er is een medewerker voor je.", start + timedelta(minutes=2)),
        Row("state", "system", "assigned", start + timedelta(minutes=2)),
        Row("message", "agent", "Goedemorgen!", start + timedelta(minutes=3), author_name="Bram"),
        Row("note", "agent", "Intern: bellen", start + timedelta(minutes=4), author_name="Bram"),
        Row("message", "agent", "Tot ziens.", start + timedelta(minutes=5)),
    ]
    text = render("c-1", "web", start, rows)
    assert text.splitlines() == [
        "Gesprek c-1 (web, 2024-07-15 10:00, tijden in Europe/Amsterdam)",
        "[10:00] Inwoner: Mijn BSN is *******33",  # masked again on the way out
        "[10:01] Assistent: Ik verbind je door.",
        "[10:02] Systeem: Er is een medewerker voor je.",
        "[10:02] -- status: in gesprek",
        "[10:03] Bram: Goedemorgen!",
        "[10:04] Bram (notitie): Intern: bellen",
        "[10:05] Medewerker: Tot ziens.",
    ]
    assert "Intern" not in render("c-1", "web", start, rows, notes=False)


def test_transcript_from_naive_rows_in_winter_dates_a_line_after_local_midnight():
    start = datetime(2024, 1, 15, 22, 50)  # noqa: DTZ001 - SQLite: naive UTC, 23:50 in Amsterdam
    rows = [
        Row("message", "resident", "Hallo?", start),
        Row("message", "resident", "Nog iemand?", start + timedelta(minutes=20)),
    ]
    assert render("c-2", "web", start, rows).splitlines()[1:] == [
        "[23:50] Inwoner: Hallo?",
        "[2024-01-16 00:10] Inwoner: Nog iemand?",
    ]
