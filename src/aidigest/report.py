"""The report of one day and kind (news or papers): the typed models every later stage reads.

    digest = await build_digest(ctx, "news", classified)   # aidigest.assemble: selection + summaries -> Digest
    paths = write_report(digest, out_dir, health=run_health)  # aidigest.render.write: Markdown + PNG + JSON
    store.mark_reported(day, reported_rows(digest))

This module imports only `aidigest.records`: select, summarize, assemble and render all import it, never
the other way round.

`Digest.health` is a `RunHealth`: after `build_digest` it holds what building that digest reported
(repeated items skipped, summary fallbacks, notes); the pipeline merges it with the other stages' reports
into the run's health and renders that final one (`write_report(..., health=...)`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from .records import Kind, RunHealth


class SummaryPoint(BaseModel):
    """One claim of a summary and the source numbers ([n]) that back it."""

    text: str
    cites: list[int] = Field(default_factory=list)


class SectionSummary(BaseModel):
    """The four parts of a category summary, in the seed's order."""

    themes: list[SummaryPoint]
    events: list[SummaryPoint]
    impact: list[SummaryPoint]
    bottom_line: list[SummaryPoint]
    method: Literal["llm", "extractive"]
    source_language: str | None = None  # extractive: language of the quoted sentences
    model: str | None = None  # llm: the model that wrote it

    def parts(self) -> list[list[SummaryPoint]]:
        return [self.themes, self.events, self.impact, self.bottom_line]


class SourceEntry(BaseModel):
    """An item listed in full under a category: numbered source [n] + TL;DR + signals."""

    n: int  # citation number within its section (1-based)
    key: str
    kind: Kind
    category: str
    title: str
    url: str
    tldr: str = ""
    rank_score: float = 0.0
    popularity: float = 0.0  # HN points, else HF upvotes, else 0: stored in `reported` to spot growing stories
    hn_points: int | None = None
    hn_comments: int | None = None
    hf_upvotes: int | None = None
    sources: list[str] = Field(default_factory=list)
    discussion_url: str | None = None
    language: str = "en"
    result: str = ""  # the item's own sentence stating its contribution/result (source language; "" = no text)
    followed: bool = False  # matched [digest] include_keywords


class OtherTechEntry(BaseModel):
    """A non-AI computing item (`software`), listed by title at the end of the report."""

    key: str
    title: str
    url: str
    hn_points: int | None = None
    hn_comments: int | None = None
    discussion_url: str | None = None
    popularity: float = 0.0
    followed: bool = False


class CompactEntry(BaseModel):
    """An item past the per-category cap, listed as one line (title + link)."""

    key: str
    title: str
    url: str
    popularity: float = 0.0


class CategorySection(BaseModel):
    category: str  # taxonomy id
    name: str  # in the report language
    emoji: str
    total: int  # items of this category in the report (full + compact + counted)
    entries: list[SourceEntry]
    more: list[CompactEntry] = Field(default_factory=list)
    counted_only: int = 0  # items past the compact list: only counted
    summary: SectionSummary | None = None  # the four-part summary, only when an LLM wrote it
    header: str = ""  # one line of facts in the report language: how many items, the first listed, the sources


class ReturningEntry(BaseModel):
    """A story reported on an earlier day that has grown clearly since ("Still trending")."""

    entry: SourceEntry
    category_name: str
    emoji: str
    reported_day: dt.date
    popularity_then: float


class SelectionStats(BaseModel):
    classified: int = 0  # items of this kind handed to build_digest (aidigest.assemble)
    others: int = 0  # in non-reported categories (`others`), left out
    unknown_category: int = 0  # category id not in the taxonomy (counted with `others`)
    duplicates: int = 0  # the same key handed in twice: shown once
    repeated_skipped: int = 0
    returning: int = 0
    full: int = 0
    compact: int = 0
    counted_only: int = 0
    repeat_window_days: int = 7
    per_category: dict[str, int] = Field(default_factory=dict)  # category id -> items in the report
    muted: int = 0  # matched [digest] exclude_keywords: left out
    other_tech: int = 0  # non-AI computing items (`software`) of the day, not repeats
    other_tech_listed: int = 0  # of those, listed by title at the end (capped by [digest] other_tech_max)


class PickEntry(BaseModel):
    """An item of a reader profile's "추천" section (aidigest.profiles.personalize): the profile's top items of the day
    across categories, each with the reason it ranks there."""

    n: int
    key: str
    category: str
    category_name: str
    emoji: str
    title: str
    url: str
    tldr: str = ""
    reason: str = ""  # e.g. "‘강화학습’ 관심사와 가까움 · 저자 …" (aidigest.profiles.rank.reasons)
    score: float = 0.0
    popularity: float = 0.0


class Digest(BaseModel):
    day: dt.date
    kind: Kind
    language: str
    sections: list[CategorySection]
    returning: list[ReturningEntry] = Field(default_factory=list)
    other_tech: list[OtherTechEntry] = Field(default_factory=list)  # "그 밖의 기술 소식", after the AI sections
    stats: SelectionStats
    health: RunHealth
    profile: str | None = None  # a reader profile's digest ([profiles.<name>]); None: the main digest
    picks: list[PickEntry] | None = None  # the profile's "추천" section (None: the main digest has none)


@dataclass(frozen=True)
class ReportPaths:
    markdown: Path
    chart: Path | None
    json: Path
    notes: tuple[str, ...] = ()  # run-health notes writing the report added (a chart not drawn)


def reported_rows(digest: Digest) -> list[tuple[str, str, str, float]]:
    """Rows for `Store.mark_reported(day, rows)`: (key, kind, category, popularity) of everything the
    report shows by title — full entries, compact one-line entries and returning stories."""
    rows: dict[str, tuple[str, str, str, float]] = {}
    for sec in digest.sections:
        for e in sec.entries:
            rows[e.key] = (e.key, digest.kind, sec.category, e.popularity)
        for c in sec.more:
            rows.setdefault(c.key, (c.key, digest.kind, sec.category, c.popularity))
    for o in digest.other_tech:
        rows.setdefault(o.key, (o.key, digest.kind, "software", o.popularity))
    for r in digest.returning:
        rows.setdefault(r.entry.key, (r.entry.key, digest.kind, r.entry.category, r.entry.popularity))
    return sorted(rows.values())
