"""Time, one way for the whole service. Pure: no I/O.

Stored, compared and sent in UTC (ISO 8601 with offset). Shown to people in the municipality's
local time, always by an explicit conversion with a named zone (``Settings.timezone``, by default
Europe/Amsterdam), never in whatever zone the server's clock happens to be in.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import overload
from zoneinfo import ZoneInfo

#: The municipality's zone; ``Settings.timezone`` defaults to it.
LOCAL_ZONE = "Europe/Amsterdam"


def utcnow() -> datetime:
    """Now, timezone-aware in UTC."""
    return datetime.now(UTC)


@overload
def as_utc(moment: datetime) -> datetime: ...
@overload
def as_utc(moment: None) -> None: ...
def as_utc(moment: datetime | None) -> datetime | None:
    """A stored moment made timezone-aware: SQLite hands back naive datetimes, and everything is
    stored in UTC, so naive means UTC; an aware moment is returned as it is. ``None`` stays
    ``None`` (a column that is not set)."""
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def local(moment: datetime, zone: str = LOCAL_ZONE) -> datetime:
    """A stored moment on the municipality's clock (naive counts as UTC, see :func:`as_utc`)."""
    return as_utc(moment).astimezone(ZoneInfo(zone))
