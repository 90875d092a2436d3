"""Which day a run is about.

A report covers one calendar date D. The configured time zone (`[general] timezone`, default Asia/Seoul)
decides only which D a run picks when none is given:

- no `--date`: the last *complete* day in that zone (the day before today there) — a 10:30 cron in Seoul
  gets yesterday, not the day that has just begun;
- `--date today | yesterday | -3d | 2026-08-02`: relative words count from today in that zone;
- `--from A --to B`: every date from A to B inclusive (each accepts the same forms).

Each source then cuts its own day D by its own clock, whatever the zone (see docs/schedule.md):
Hacker News by the UTC day D (00:00–24:00 UTC), arXiv by its announcement batch (submissions between the
14:00 America/New_York deadlines of D-1 and D), Hugging Face Daily Papers by its listing date D, RSS feeds by
the UTC dates D-1 and D of each entry. The zone never shifts those windows, with one exception: GeekNews, a
Korean site, keeps the entries of the calendar date D in this zone.
"""

from __future__ import annotations

from ..errors import UserError

import datetime as dt
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIMEZONE = "Asia/Seoul"
MAX_RANGE_DAYS = 366
# The days a command accepts: from the Unix epoch (every source's API and the store count time from it; date
# arithmetic near year 1 overflows) to today in the configured zone (a later day has not begun: nothing to fetch).
FIRST_DAY = dt.date(1970, 1, 1)

_RELATIVE = re.compile(r"^([+-]?)(\d{1,4})d$")


class DayError(UserError, ValueError):
    """A date or time zone the user wrote that cannot be understood (one line, no traceback)."""


def zone(name: str) -> ZoneInfo:
    """The IANA time zone `name` (e.g. "Asia/Seoul", "UTC")."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise DayError(f"unknown time zone {name!r} (use an IANA name such as Asia/Seoul, Europe/Berlin or UTC)") from None


def today(tz: str, now: dt.datetime | None = None) -> dt.date:
    """The current date in zone `tz`. `now` must be timezone-aware (defaults to the real clock)."""
    now = now or dt.datetime.now(dt.UTC)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(zone(tz)).date()


def last_complete_day(tz: str, now: dt.datetime | None = None) -> dt.date:
    """The latest date whose midnight-to-midnight span in `tz` has fully passed at `now`: yesterday there."""
    return today(tz, now) - dt.timedelta(days=1)


def parse_day(value: str | None, tz: str, now: dt.datetime | None = None) -> dt.date:
    """`None`/"" -> the last complete day; "today", "yesterday", "-3d" (3 days before today), or YYYY-MM-DD."""
    if value is None or value.strip() == "":
        return last_complete_day(tz, now)
    v = value.strip().lower()
    if v == "today":
        return today(tz, now)
    if v == "yesterday":
        return today(tz, now) - dt.timedelta(days=1)
    m = _RELATIVE.match(v)
    if m:
        n = int(m.group(2))
        if m.group(1) == "+" and n:
            raise DayError(f"{value!r} is in the future: use -Nd for N days ago")
        return _supported(today(tz, now) - dt.timedelta(days=n), value, tz, now)
    try:
        day = dt.date.fromisoformat(v)
    except ValueError:
        raise DayError(f"{value!r} is not a date: use YYYY-MM-DD, today, yesterday or -Nd (e.g. -3d)") from None
    return _supported(day, value, tz, now)


def _supported(day: dt.date, value: str, tz: str, now: dt.datetime | None) -> dt.date:
    """`day` if it lies from FIRST_DAY to today in `tz`, else a DayError saying why not."""
    if day < FIRST_DAY:
        raise DayError(f"{value!r} is before {FIRST_DAY}: aidigest covers days from {FIRST_DAY} to today")
    now_day = today(tz, now)
    if day > now_day:
        raise DayError(f"{value!r} has not begun yet in {tz} (today there is {now_day}): there is nothing to collect")
    return day


def day_range(start: str | None, end: str | None, tz: str, now: dt.datetime | None = None) -> list[dt.date]:
    """Every date from `start` to `end` inclusive, oldest first. A missing end means the last complete day;
    a missing start means the end alone."""
    last = parse_day(end, tz, now)
    first = parse_day(start, tz, now) if start else last
    if first > last:
        raise DayError(f"--from {first} is after --to {last}")
    n = (last - first).days + 1
    if n > MAX_RANGE_DAYS:
        raise DayError(f"--from {first} --to {last} spans {n} days; at most {MAX_RANGE_DAYS} per command")
    return [first + dt.timedelta(days=i) for i in range(n)]


def local_time_to_utc(hhmm: str, tz: str, on: dt.date | None = None) -> tuple[int, int, int]:
    """`hhmm` ("10:30") in zone `tz` on date `on` (default: today in UTC) as (hour, minute, day shift) in UTC;
    day shift is -1 when the UTC time falls on the day before (10:30 in Seoul = 01:30 UTC, shift 0; 08:00 in
    Seoul = 23:00 UTC the day before, shift -1)."""
    m = re.fullmatch(r"(\d{1,2}):(\d{2})", hhmm.strip())
    if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
        raise DayError(f"{hhmm!r} is not a time of day HH:MM")
    on = on or dt.datetime.now(dt.UTC).date()
    local = dt.datetime(on.year, on.month, on.day, int(m.group(1)), int(m.group(2)), tzinfo=zone(tz))
    utc = local.astimezone(dt.UTC)
    return utc.hour, utc.minute, (utc.date() - on).days
