"""Assemble one kind's report of the day: select -> summarize -> the `Digest` the renderers read.

    digest = await build_digest(ctx, "news", classified)    # ctx: aidigest.context.DayContext

Only items of the kind are used (the other kind belongs to the other report). Never raises for LLM trouble:
a failing section falls back to the extractive summary. What building the digest has to report (items
already reported in the repeat window, summary fallbacks, notes) is returned in `digest.health`, a fresh
`RunHealth` of its own; the pipeline merges it into the run's health. Items left out of THIS report are
`digest.stats.others` (the classifier's own count is its report's `others`).
"""

from __future__ import annotations

from collections.abc import Callable

from .context import DayContext
from .injection import instruction_like, withheld_text
from .records import Classified, Item, Kind, RunHealth
from .report import (
    CategorySection,
    CompactEntry,
    Digest,
    OtherTechEntry,
    ReturningEntry,
    SectionSummary,
    SourceEntry,
)
from .select.items import CategorySelection, Selection, popularity, select_items
from .summarize.sections import summarize_sections
from .summarize.header import section_header
from .summarize.result import result_sentence
from .summarize.tldr import extractive_tldr


def select_kind(ctx: DayContext, kind: Kind, classified: list[Classified]) -> Selection:
    """The selection of `kind`'s items for the report (ranked, capped, repeats of the window left out)."""
    digest_cfg = ctx.config.digest
    window = digest_cfg.repeat_window_days
    store = ctx.store
    return select_items(
        ctx.day, [c for c in classified if c.item.kind == kind], ctx.taxonomy,
        store.reported_before(ctx.day, window) if store is not None else {},
        per_category=digest_cfg.per_category, repeat_window_days=window,
        already_returned=store.returned_before(ctx.day, window) if store is not None else frozenset(),
        include_keywords=digest_cfg.include_keywords, exclude_keywords=digest_cfg.exclude_keywords,
    )


def selection_report(kind: Kind, selection: Selection) -> RunHealth:
    """What the selection adds to the run health."""
    report = RunHealth(repeated_skipped=selection.stats.repeated_skipped)
    if selection.stats.duplicates:
        report.notes.append(f"{kind}: {selection.stats.duplicates} duplicate item(s) handed to the digest, shown once")
    if selection.stats.unknown_category:
        report.notes.append(f"{kind}: {selection.stats.unknown_category} item(s) with a category not in the taxonomy, left out")
    return report


async def build_digest(
    ctx: DayContext,
    kind: Kind,
    classified: list[Classified],
    on_selected: Callable[[Digest], object] | None = None,
) -> Digest:
    """Select, summarize (LLM with checks, else extractive) and assemble one kind's digest for `ctx.day`.

    `on_selected(preview)`, if given, is called once the items are selected, before the summaries are
    written: `preview` is the digest with empty summaries and TL;DRs (the pipeline draws the chart from it
    while the LLM writes the summaries).
    """
    language, taxonomy = ctx.language, ctx.taxonomy
    items = [c for c in classified if c.item.kind == kind]
    selection = select_kind(ctx, kind, items)
    other_cap = max(ctx.config.digest.other_tech_max, 0)
    other_tech = [
        OtherTechEntry(key=it.key, title=it.title, url=it.url, hn_points=it.hn_points, hn_comments=it.hn_comments,
                       discussion_url=it.discussion_url, popularity=popularity(it), followed=it.key in selection.followed)
        # by HN points (the signal the list shows), followed items first
        for it, _ in sorted(selection.other_tech, key=lambda p: (p[0].key not in selection.followed, -popularity(p[0]),
                                                                  -p[1], p[0].key))[:other_cap]
    ]
    selection.stats.other_tech_listed = len(other_tech)
    health = selection_report(kind, selection)

    def section(cat_sel: CategorySelection, summary: SectionSummary, tldrs: list[str]) -> CategorySection:
        cat = taxonomy[cat_sel.category]
        llm_wrote = summary.method == "llm"
        entries = []
        for i, (it, score) in enumerate(cat_sel.top):
            result = result_sentence(it)
            if not result and (instruction_like(it.snippet) or instruction_like(it.title)):
                result = withheld_text(language)  # listed, never quoted (aidigest.injection)
            # offline, the one line per item is its own result sentence (the extractive TL;DR was the opening one)
            e = source_entry(i + 1, it, cat_sel.category, score, tldrs[i] if llm_wrote else result)
            entries.append(e.model_copy(update={"result": result, "followed": it.key in selection.followed}))
        return CategorySection(
            category=cat.id, name=cat.display_name(language), emoji=cat.emoji, total=cat_sel.total,
            entries=entries,
            more=[CompactEntry(key=it.key, title=it.title, url=it.url, popularity=popularity(it)) for it in cat_sel.compact],
            counted_only=cat_sel.counted_only, summary=summary if llm_wrote else None,
            header=section_header(kind, [it for it, _ in cat_sel.top], cat_sel.total, language),
        )

    if on_selected is not None:
        empty = SectionSummary(themes=[], events=[], impact=[], bottom_line=[], method="extractive")
        on_selected(Digest(
            day=ctx.day, kind=kind, language=language, stats=selection.stats, health=health, other_tech=other_tech,
            sections=[section(cs, empty, [""] * len(cs.top)) for cs in selection.categories],
        ))

    drafts, summary_report = await summarize_sections(ctx, kind, selection.categories, corpus=[c.item for c in items])
    health.merge(summary_report)
    sections = [section(cs, draft.summary, draft.tldrs) for cs, draft in zip(selection.categories, drafts, strict=True)]

    returning: list[ReturningEntry] = []
    for r in selection.returning:
        cat = taxonomy[r.category]
        returning.append(
            ReturningEntry(
                entry=source_entry(len(returning) + 1, r.item, r.category, r.score,
                                   result_sentence(r.item) or extractive_tldr(r.item, language=language)),
                category_name=cat.display_name(language), emoji=cat.emoji,
                reported_day=r.reported_day, popularity_then=r.popularity_then,
            )
        )
    return Digest(
        day=ctx.day, kind=kind, language=language, sections=sections, returning=returning, other_tech=other_tech,
        stats=selection.stats, health=health,
    )


def source_entry(n: int, it: Item, category: str, score: float, tldr: str) -> SourceEntry:
    return SourceEntry(
        n=n, key=it.key, kind=it.kind, category=category, title=it.title, url=it.url, tldr=tldr,
        rank_score=round(score, 6), popularity=popularity(it), hn_points=it.hn_points, hn_comments=it.hn_comments,
        hf_upvotes=it.hf_upvotes, sources=it.sources, discussion_url=it.discussion_url, language=it.language,
    )
