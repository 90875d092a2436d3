"""Which day a run takes: aidigest.infra.days with an injected clock, and the CLI picking it from the time zone."""

from __future__ import annotations

import datetime as dt

import pytest

from aidigest.infra.days import DayError, day_range, last_complete_day, local_time_to_utc, parse_day, today
from aidigest.sources import arxiv, hackernews

UTC = dt.UTC


def at(s: str) -> dt.datetime:
    return dt.datetime.fromisoformat(s)


# 2026-08-02 00:30 UTC is 09:30 on 2026-08-02 in Seoul, and 20:30 on 2026-08-01 in New York
NOW = at("2026-08-02T00:30:00+00:00")


def test_last_complete_day_depends_on_the_zone():
    assert last_complete_day("Asia/Seoul", NOW) == dt.date(2026, 8, 1)
    assert last_complete_day("UTC", NOW) == dt.date(2026, 8, 1)
    assert last_complete_day("America/New_York", NOW) == dt.date(2026, 7, 31)
    # a 09:00 KST cron: in UTC the day has just begun (the old default took it); in Seoul yesterday is complete
    cron = at("2026-08-02T09:00:00+09:00")
    assert today("UTC", cron) == dt.date(2026, 8, 2) and last_complete_day("Asia/Seoul", cron) == dt.date(2026, 8, 1)
    # one second before midnight in Seoul the day is not complete yet
    assert last_complete_day("Asia/Seoul", at("2026-08-02T23:59:59+09:00")) == dt.date(2026, 8, 1)
    assert last_complete_day("Asia/Seoul", at("2026-08-03T00:00:00+09:00")) == dt.date(2026, 8, 2)


@pytest.mark.parametrize(
    "value,expected",
    [
        (None, "2026-08-01"), ("", "2026-08-01"), ("today", "2026-08-02"), ("Yesterday", "2026-08-01"),
        ("-3d", "2026-07-30"), ("0d", "2026-08-02"), ("2026-07-04", "2026-07-04"), (" 2026-07-04 ", "2026-07-04"),
    ],
)
def test_parse_day_forms(value, expected):
    assert parse_day(value, "Asia/Seoul", NOW) == dt.date.fromisoformat(expected)


@pytest.mark.parametrize("value", ["tomorrow", "+2d", "2026-13-01", "3 days ago", "-d"])
def test_parse_day_rejects_with_one_line(value):
    with pytest.raises(DayError) as e:
        parse_day(value, "Asia/Seoul", NOW)
    assert "\n" not in str(e.value)


def test_day_range():
    assert day_range("2026-07-30", "2026-08-01", "Asia/Seoul", NOW) == [
        dt.date(2026, 7, 30), dt.date(2026, 7, 31), dt.date(2026, 8, 1)
    ]
    assert day_range("-2d", None, "Asia/Seoul", NOW) == [dt.date(2026, 7, 31), dt.date(2026, 8, 1)]
    assert day_range(None, "2026-07-04", "UTC", NOW) == [dt.date(2026, 7, 4)]
    with pytest.raises(DayError, match="after"):
        day_range("2026-08-02", "2026-08-01", "UTC", NOW)
    with pytest.raises(DayError, match="at most"):
        day_range("2020-01-01", "2026-08-01", "UTC", NOW)


def test_unknown_zone_and_naive_clock():
    with pytest.raises(DayError, match="unknown time zone"):
        parse_day(None, "Mars/Olympus", NOW)
    with pytest.raises(ValueError):
        today("UTC", dt.datetime(2026, 8, 2))


def test_local_time_to_utc_follows_dst():
    assert local_time_to_utc("10:30", "Asia/Seoul", dt.date(2026, 8, 2)) == (1, 30, 0)
    assert local_time_to_utc("08:00", "Asia/Seoul", dt.date(2026, 8, 2)) == (23, 0, -1)
    assert local_time_to_utc("07:00", "Europe/Berlin", dt.date(2026, 7, 1)) == (5, 0, 0)  # CEST
    assert local_time_to_utc("07:00", "Europe/Berlin", dt.date(2026, 1, 15)) == (6, 0, 0)  # CET
    with pytest.raises(DayError):
        local_time_to_utc("25:00", "UTC")


def test_source_day_cuts_do_not_move_with_the_zone():
    """What docs/schedule.md says: HN cuts the UTC day, arXiv the 14:00 New York deadlines."""
    day = dt.date(2026, 8, 2)
    start, end = hackernews.day_range(day)
    assert dt.datetime.fromtimestamp(start, UTC) == at("2026-08-02T00:00:00+00:00")
    assert dt.datetime.fromtimestamp(end, UTC) == at("2026-08-03T00:00:00+00:00")
    a, b = arxiv.window(day)
    assert a == at("2026-08-01T14:00:00-04:00") and b == at("2026-08-02T14:00:00-04:00")
