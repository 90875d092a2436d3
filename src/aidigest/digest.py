"""The day's digest for one kind (news or papers): typed models + the API the pipeline calls.

    digest = await build_digest(day, "news", classified, store, taxonomy, config, llm, health, "ko")
    # ... the pipeline may keep adding to `health` (outcomes, LLM totals) ...
    paths = write_report(digest, out_dir)          # reports/YYYY-MM-DD/News_YYYY-MM-DD_report.md + png + json
    store.mark_reported(day, reported_rows(digest))

Run health: `digest.health` IS the `RunHealth` object passed to `build_digest` (the same instance, not a
copy), so anything the pipeline records after building — source outcomes, LLM totals of the other kind's
summaries — shows up in the run-health section when `write_report` renders it. Pass `health=` to
`write_report` to render a different (final) health object instead.

`build_digest` adds to `health`: `repeated_skipped` (items already reported in the repeat window),
`fallbacks` (summaries that fell back to the extractive path) and `notes`. It does not touch
`health.others` (the classifier sets that); items left out of THIS report are `digest.stats.others`.
Build each kind once per run with a fresh `RunHealth` per run; building twice with the same object counts twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from .models import Classified, Kind, RunHealth

if TYPE_CHECKING:  # imported lazily at call time to keep module import order simple
    from .config import Config
    from .llm.base import LLM
    from .store import Store
    from .taxonomy import Taxonomy


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
    header: str = ""  # one line of facts in the report language: how many items, the most discussed, the sources


class ReturningEntry(BaseModel):
    """A story reported on an earlier day that has grown clearly since ("Still trending")."""

    entry: SourceEntry
    category_name: str
    emoji: str
    reported_day: dt.date
    popularity_then: float


class SelectionStats(BaseModel):
    classified: int = 0  # items of this kind handed to build_digest
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


class Digest(BaseModel):
    day: dt.date
    kind: Kind
    language: str
    sections: list[CategorySection]
    returning: list[ReturningEntry] = Field(default_factory=list)
    other_tech: list[OtherTechEntry] = Field(default_factory=list)  # "그 밖의 기술 소식", after the AI sections
    stats: SelectionStats
    health: RunHealth


@dataclass(frozen=True)
class ReportPaths:
    markdown: Path
    chart: Path | None
    json: Path


async def build_digest(
    day: dt.date,
    kind: Literal["news", "paper"],
    classified: list[Classified],
    store: Store,
    taxonomy: Taxonomy,
    config: Config,
    llm: LLM | None,
    health: RunHealth,
    language: str,
    on_selected: Callable[[Digest], object] | None = None,
) -> Digest:
    """Select, summarize (LLM with checks, else extractive) and assemble one kind's digest for `day`.

    Only items of `kind` are used (the other kind belongs to the other report). Never raises for LLM
    trouble: every failing section falls back to the extractive summary and is counted in health.fallbacks.
    `on_selected(preview)`, if given, is called once the items are selected, before the summaries are
    written: `preview` is the digest with empty summaries and TL;DRs (the pipeline draws the chart from it
    while the LLM writes the summaries).
    """
    from .select import select_items
    from .summarize import summarize_sections

    items = [c for c in classified if c.item.kind == kind]
    reported = store.reported_before(day, config.digest.repeat_window_days)
    selection = select_items(
        day, items, taxonomy, reported,
        per_category=config.digest.per_category, repeat_window_days=config.digest.repeat_window_days,
        already_returned=store.returned_before(day, config.digest.repeat_window_days),
        include_keywords=config.digest.include_keywords, exclude_keywords=config.digest.exclude_keywords,
    )
    from .summarize.header import section_header
    from .summarize.result import result_sentence
    from .injection import instruction_like, withheld_text

    other_cap = max(config.digest.other_tech_max, 0)
    other_tech = [
        OtherTechEntry(key=it.key, title=it.title, url=it.url, hn_points=it.hn_points, hn_comments=it.hn_comments,
                       discussion_url=it.discussion_url, popularity=_popularity(it), followed=it.key in selection.followed)
        # by HN points (the signal the list shows), followed items first
        for it, _ in sorted(selection.other_tech, key=lambda p: (p[0].key not in selection.followed, -_popularity(p[0]),
                                                                  -p[1], p[0].key))[:other_cap]
    ]
    selection.stats.other_tech_listed = len(other_tech)
    # health.others is the classifier's count (aidigest.classify sets it); this report's own count of
    # left-out items (`others` and any other report=false category) is digest.stats.others, shown in run health
    health.repeated_skipped += selection.stats.repeated_skipped
    if selection.stats.duplicates:
        health.notes.append(f"{kind}: {selection.stats.duplicates} duplicate item(s) handed to the digest, shown once")
    if selection.stats.unknown_category:
        health.notes.append(f"{kind}: {selection.stats.unknown_category} item(s) with a category not in the taxonomy, left out")

    def section(cat_sel, summary: SectionSummary, tldrs: list[str]) -> CategorySection:
        cat = taxonomy[cat_sel.category]
        llm_wrote = summary.method == "llm"
        entries = []
        for i, (it, score) in enumerate(cat_sel.top):
            result = result_sentence(it)
            if not result and (instruction_like(it.snippet) or instruction_like(it.title)):
                result = withheld_text(language)  # listed, never quoted (aidigest.injection)
            # offline, the one line per item is its own result sentence (the extractive TL;DR was the opening one)
            e = _entry(i + 1, it, cat_sel.category, score, tldrs[i] if llm_wrote else result)
            entries.append(e.model_copy(update={"result": result, "followed": it.key in selection.followed}))
        return CategorySection(
            category=cat.id, name=cat.display_name(language), emoji=cat.emoji, total=cat_sel.total,
            entries=entries,
            more=[CompactEntry(key=it.key, title=it.title, url=it.url, popularity=_popularity(it)) for it in cat_sel.compact],
            counted_only=cat_sel.counted_only, summary=summary if llm_wrote else None,
            header=section_header(kind, [it for it, _ in cat_sel.top], cat_sel.total, language),
        )

    if on_selected is not None:
        empty = SectionSummary(themes=[], events=[], impact=[], bottom_line=[], method="extractive")
        on_selected(Digest(
            day=day, kind=kind, language=language, stats=selection.stats, health=health, other_tech=other_tech,
            sections=[section(cs, empty, [""] * len(cs.top)) for cs in selection.categories],
        ))

    drafts = await summarize_sections(
        selection.categories, day=day, kind=kind, language=language, config=config, llm=llm, health=health,
        corpus=[c.item for c in items], taxonomy=taxonomy, store=store,
    )
    sections = [section(cs, draft.summary, draft.tldrs) for cs, draft in zip(selection.categories, drafts, strict=True)]

    from .summarize.tldr import extractive_tldr

    returning: list[ReturningEntry] = []
    for r in selection.returning:
        cat = taxonomy[r.category]
        returning.append(
            ReturningEntry(
                entry=_entry(len(returning) + 1, r.item, r.category, r.score,
                             result_sentence(r.item) or extractive_tldr(r.item, language=language)),
                category_name=cat.display_name(language), emoji=cat.emoji,
                reported_day=r.reported_day, popularity_then=r.popularity_then,
            )
        )
    return Digest(
        day=day, kind=kind, language=language, sections=sections, returning=returning, other_tech=other_tech,
        stats=selection.stats, health=health,
    )


def _popularity(item) -> float:
    from .select import popularity

    return popularity(item)


def _entry(n: int, it, category: str, score: float, tldr: str) -> SourceEntry:
    from .select import popularity

    return SourceEntry(
        n=n, key=it.key, kind=it.kind, category=category, title=it.title, url=it.url, tldr=tldr,
        rank_score=round(score, 6), popularity=popularity(it), hn_points=it.hn_points, hn_comments=it.hn_comments,
        hf_upvotes=it.hf_upvotes, sources=it.sources, discussion_url=it.discussion_url, language=it.language,
    )


def write_report(digest: Digest, out_dir: Path, health: RunHealth | None = None, templates=None) -> ReportPaths:
    """Write `<out_dir>/YYYY-MM-DD/{News|Papers}_YYYY-MM-DD_report.md`, the chart PNG and the JSON export.

    All three files are written atomically. The run-health section uses `health` when given, else
    `digest.health` (the object the pipeline kept filling). Same digest -> byte-identical files.
    `templates`: folder of template overrides (`[site] templates`; report.md.j2 there replaces the built-in layout).
    """
    from .render import write_all

    if health is not None:
        digest = digest.model_copy(update={"health": health})
    return write_all(digest, Path(out_dir), templates)


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
