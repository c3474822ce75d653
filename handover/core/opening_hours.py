"""Opening hours of a team: is it open at a moment, and how to say when it is. Pure: no I/O.

A team's hours are stored per ISO weekday ("1" = Monday ... "7" = Sunday) as ranges of local
wall-clock times, ``{"1": [["08:30", "12:00"], ["13:00", "17:00"]], ...}``; ``None`` or ``{}``
means always open. Holidays (ISO dates, local) close every team all day.

Times are compared in the municipality's time zone (``Settings.timezone``, Europe/Amsterdam),
never in UTC: "08:30" is 08:30 on the town hall clock in winter (UTC+1) and in summer (UTC+2),
also on the Sundays the clocks change. A moment without a time zone is refused rather than
guessed (the system clock's zone is not the municipality's).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

OpeningHours = dict[str, Any]
DAYS = ("ma", "di", "wo", "do", "vr", "za", "zo")


def is_open(opening_hours: OpeningHours | None, holidays: list[str], now: datetime, tz: str) -> bool:
    """Opening hours by ISO weekday ("1" = Monday): [["08:30", "17:00"], ...]; None = always.

    A range includes its start and excludes its end; ``now`` must be timezone-aware.
    """
    if not opening_hours:
        return True
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("is_open needs a timezone-aware moment")
    local = now.astimezone(ZoneInfo(tz))
    if local.date().isoformat() in holidays:
        return False
    ranges = opening_hours.get(str(local.isoweekday())) or []
    hhmm = local.strftime("%H:%M")
    return any(start <= hhmm < end for start, end in ranges)


def describe_hours(opening_hours: OpeningHours | None) -> str:
    """The hours in Dutch for a resident, e.g. "ma 08:30-17:00; di 08:30-12:00, 13:00-17:00"."""
    if not opening_hours:
        return "altijd open"
    parts = []
    for number, day in enumerate(DAYS, start=1):
        ranges = opening_hours.get(str(number)) or []
        if ranges:
            parts.append(f"{day} " + ", ".join(f"{a}-{b}" for a, b in ranges))
    return "; ".join(parts) or "gesloten"
