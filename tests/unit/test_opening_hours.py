"""Opening hours in Europe/Amsterdam: ranges, holidays by local date, and the DST switches."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime

import pytest

from handover.core.opening_hours import describe_hours, is_open

TZ = "Europe/Amsterdam"
OFFICE = {str(day): [["08:30", "12:00"], ["13:00", "17:00"]] for day in range(1, 8)}
ALL_DAY = {str(day): [["00:00", "24:00"]] for day in range(1, 8)}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def last_sunday(year: int, month: int) -> date:
    last = calendar.monthrange(year, month)[1]
    day = date(year, month, last)
    return day.replace(day=last - (day.isoweekday() % 7))


@pytest.mark.parametrize("hours", [None, {}])
def test_no_hours_means_always_open_even_on_a_holiday(hours):
    assert is_open(hours, ["2024-12-25"], utc(2024, 12, 25, 3, 0), TZ)


def test_a_range_includes_its_start_and_excludes_its_end():
    # Monday 4 March 2024, winter time (UTC+1).
    assert not is_open(OFFICE, [], utc(2024, 3, 4, 7, 29), TZ)
    assert is_open(OFFICE, [], utc(2024, 3, 4, 7, 30), TZ)
    assert is_open(OFFICE, [], utc(2024, 3, 4, 10, 59), TZ)
    assert not is_open(OFFICE, [], utc(2024, 3, 4, 11, 0), TZ)  # lunch
    assert is_open(OFFICE, [], utc(2024, 3, 4, 12, 0), TZ)
    assert not is_open(OFFICE, [], utc(2024, 3, 4, 16, 0), TZ)


def test_a_day_without_ranges_is_closed():
    weekdays_only = {str(day): [["08:30", "17:00"]] for day in range(1, 6)}
    assert is_open(weekdays_only, [], utc(2024, 3, 8, 9, 0), TZ)  # Friday
    assert not is_open(weekdays_only, [], utc(2024, 3, 9, 9, 0), TZ)  # Saturday


def test_a_holiday_closes_the_whole_local_day():
    christmas = ["2024-12-25"]
    assert is_open(OFFICE, christmas, utc(2024, 12, 24, 9, 0), TZ)
    assert not is_open(OFFICE, christmas, utc(2024, 12, 25, 9, 0), TZ)
    assert is_open(OFFICE, christmas, utc(2024, 12, 26, 9, 0), TZ)


def test_a_holiday_starts_at_local_midnight_not_utc_midnight():
    christmas = ["2024-12-25"]
    assert is_open(ALL_DAY, christmas, utc(2024, 12, 24, 22, 59), TZ)  # 23:59 on the 24th
    assert not is_open(ALL_DAY, christmas, utc(2024, 12, 24, 23, 0), TZ)  # 00:00 on the 25th
    assert not is_open(ALL_DAY, christmas, utc(2024, 12, 25, 22, 59), TZ)  # 23:59 on the 25th
    assert is_open(ALL_DAY, christmas, utc(2024, 12, 25, 23, 0), TZ)  # 00:00 on the 26th


def test_spring_forward_sunday_opens_at_0830_summer_time():
    # Sunday 31 March 2024: 02:00 CET becomes 03:00 CEST (UTC+2).
    assert not is_open(OFFICE, [], utc(2024, 3, 31, 6, 29), TZ)
    assert is_open(OFFICE, [], utc(2024, 3, 31, 6, 30), TZ)
    assert is_open(OFFICE, [], utc(2024, 3, 31, 14, 59), TZ)
    assert not is_open(OFFICE, [], utc(2024, 3, 31, 15, 0), TZ)
    # The Saturday before is still winter time (UTC+1).
    assert not is_open(OFFICE, [], utc(2024, 3, 30, 7, 29), TZ)
    assert is_open(OFFICE, [], utc(2024, 3, 30, 7, 30), TZ)


def test_fall_back_sunday_opens_at_0830_winter_time():
    # Sunday 27 October 2024: 03:00 CEST becomes 02:00 CET (UTC+1).
    assert not is_open(OFFICE, [], utc(2024, 10, 27, 6, 30), TZ)  # 07:30 local
    assert not is_open(OFFICE, [], utc(2024, 10, 27, 7, 29), TZ)
    assert is_open(OFFICE, [], utc(2024, 10, 27, 7, 30), TZ)
    assert not is_open(OFFICE, [], utc(2024, 10, 27, 16, 0), TZ)  # 17:00 local
    # The Saturday before is still summer time (UTC+2).
    assert is_open(OFFICE, [], utc(2024, 10, 26, 6, 30), TZ)


def test_the_skipped_hour_never_happens_and_the_repeated_hour_happens_twice():
    night = {"7": [["02:00", "03:00"]]}
    # 31 March 2024: 01:59 CET is followed by 03:00 CEST.
    assert not is_open(night, [], utc(2024, 3, 31, 0, 59), TZ)
    assert not is_open(night, [], utc(2024, 3, 31, 1, 0), TZ)
    # 27 October 2024: 02:30 happens at 00:30 UTC (CEST) and again at 01:30 UTC (CET).
    assert is_open(night, [], utc(2024, 10, 27, 0, 30), TZ)
    assert is_open(night, [], utc(2024, 10, 27, 1, 30), TZ)
    assert not is_open(night, [], utc(2024, 10, 27, 2, 0), TZ)


@pytest.mark.parametrize("year", [2025, 2026, 2027])
def test_every_switch_day_keeps_the_local_opening_time(year):
    for month, utc_hour in ((3, 6), (10, 7)):  # 08:30 local is 06:30 UTC in summer, 07:30 in winter
        day = last_sunday(year, month)
        opening = utc(day.year, day.month, day.day, utc_hour, 30)
        assert is_open(OFFICE, [], opening, TZ), opening
        assert not is_open(OFFICE, [], opening.replace(minute=29), TZ), opening


def test_a_moment_without_time_zone_is_refused():
    with pytest.raises(ValueError):
        is_open(OFFICE, [], datetime(2024, 3, 4, 9, 0), TZ)  # noqa: DTZ001 - the point of the test


def test_describe_hours_in_dutch():
    assert describe_hours(None) == "altijd open"
    assert describe_hours({"6": [], "7": []}) == "gesloten"
    assert describe_hours({"1": [["08:30", "12:00"], ["13:00", "17:00"]], "5": [["09:00", "12:00"]]}) == (
        "ma 08:30-12:00, 13:00-17:00; vr 09:00-12:00"
    )
