"""Where pages live in the static site: the one place that knows its layout (used by the site builder and by
the messages that link a day's page)."""

from __future__ import annotations

import datetime as dt

PAGE_NAME = {"news": "news.html", "paper": "papers.html"}


def day_page_path(day: dt.date, kind: str) -> str:
    """A day's page of `kind`, relative to the site's root."""
    return f"day/{day.isoformat()}-{PAGE_NAME[kind]}"


def week_page_path(week: str, kind: str) -> str:
    """A week's roundup page of `kind` ("2026-W31"), relative to the site's root."""
    return f"week/{week}-{PAGE_NAME[kind]}"
