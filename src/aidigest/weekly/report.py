"""The report of one ISO week and kind (news or papers): the typed models the weekly roundup's stages share.

    week = await build_week(WeekContext(...), "news")   # aidigest.weekly.build: store + daily exports -> WeeklyDigest
    paths = write_week(week, out_dir)                    # aidigest.render.weekly: Markdown + JSON export

Built only from what the days already stored: items and the days they were seen on (`item_days`), the category
each daily report gave them (`reported`), the runs and source outcomes of each day, and the daily JSON exports
(their LLM summaries feed the week's). This module imports only `aidigest.records` and `aidigest.report`.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal

from pydantic import BaseModel, Field

from ..records import Kind, SourceOutcome
from ..report import PickEntry, SectionSummary

WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")

# what a day of the week holds: reported (a daily report exists), collected (items stored, no daily export found),
# not_collected (no run recorded), all_failed (every source failed or had no recording), empty (sources ran, no
# item), run_failed (the run stopped with an error before any item), not_over (the day has not ended yet)
DayStatus = Literal["reported", "collected", "not_collected", "all_failed", "empty", "run_failed", "not_over"]


def week_id(monday: dt.date) -> str:
    """"2026-W31" for any day of that ISO week."""
    y, w, _ = monday.isocalendar()
    return f"{y}-W{w:02d}"


def week_start(week: str) -> dt.date:
    """The Monday of ISO week "YYYY-Www"; ValueError for anything else (or a week the year does not have)."""
    m = WEEK_RE.match(week.strip())
    if not m:
        raise ValueError(f"{week!r} is not an ISO week: use YYYY-Www, e.g. 2026-W31")
    try:
        return dt.date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
    except ValueError:
        raise ValueError(f"{week!r}: {m.group(1)} has no week {int(m.group(2))}") from None


class DayState(BaseModel):
    """One day of the week: what the store knows about it."""

    day: dt.date
    status: DayStatus
    items: int = 0  # items of this kind stored for the day
    failed: list[SourceOutcome] = Field(default_factory=list)  # all_failed: what each source of the kind did (raw errors)

    @property
    def missing(self) -> bool:
        return self.status not in ("reported", "collected")


class WeekEntry(BaseModel):
    """One story of the week, counted once however many days it was seen: its best figures and its days."""

    n: int  # citation number within its section (1-based)
    key: str
    kind: Kind
    category: str
    title: str
    url: str
    days: list[dt.date]  # the days of the week it was seen on (item_days), oldest first
    reported_days: list[dt.date] = Field(default_factory=list)  # days whose report showed it
    hn_points: int | None = None
    hn_comments: int | None = None
    hf_upvotes: int | None = None
    sources: list[str] = Field(default_factory=list)
    discussion_url: str | None = None
    popularity: float = 0.0  # HN points, else HF upvotes (the best of the week)
    score: float = 0.0  # the week's rank score (see aidigest.weekly.build.week_score)
    tldr: str = ""  # the LLM's one sentence, when an LLM wrote the section


class WeekSection(BaseModel):
    category: str
    name: str
    emoji: str
    stories: int  # distinct stories of this category reported this week
    share: float  # of all stories of the kind reported this week (0..1)
    share_before: float | None = None  # the same share the week before (None: nothing reported that week)
    entries: list[WeekEntry]
    more: int = 0  # stories of the category past the listed ones (counted only)
    summary: SectionSummary | None = None  # four parts, only when an LLM wrote them


class ShareRow(BaseModel):
    """A category's share of the week and of the week before (also for a category gone quiet this week)."""

    category: str
    name: str
    emoji: str
    stories: int
    share: float
    stories_before: int = 0
    share_before: float | None = None


class WeekStats(BaseModel):
    stories: int = 0  # distinct stories of the kind reported on the week's days (AI categories)
    stories_before: int = 0  # the same for the week before
    seen: int = 0  # distinct items of the kind stored for the week's days
    not_reported: int = 0  # of those, never shown by a daily report (others, muted, past the cap): left out
    other_tech: int = 0  # non-AI computing stories (`software`): left out of the weekly sections
    days_with_reports: int = 0
    per_entry: int = 5  # stories listed per category (WeekOptions.top)


class WeeklyDigest(BaseModel):
    week: str  # "2026-W31"
    start: dt.date  # Monday
    end: dt.date  # Sunday
    kind: Kind
    language: str
    days: list[DayState]
    sections: list[WeekSection]
    shares: list[ShareRow] = Field(default_factory=list)
    returning: list[WeekEntry] = Field(default_factory=list)  # stories seen on two or more days of the week
    stats: WeekStats = Field(default_factory=WeekStats)
    fallbacks: dict[str, int] = Field(default_factory=dict)  # e.g. {"weekly summary news/llm: llm → list (citations)": 1}
    notes: list[str] = Field(default_factory=list)
    llm_provider: str = "none"  # the LLM configured for the week's summaries ("none": offline)
    profile: str | None = None  # a reader profile's week ([profiles.<name>], aidigest.weekly.profiles); None: the shared one
    picks: list[PickEntry] | None = None  # the profile's "추천" section (None: the shared week has none)

    @property
    def missing_days(self) -> list[DayState]:
        return [d for d in self.days if d.missing]
