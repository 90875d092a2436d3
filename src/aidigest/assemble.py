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
from .select.items import CategorySelection, History, Selection, SelectOptions, popularity, select_items
from .summarize.sections import summarize_sections
from .summarize.header import section_header
from .summarize.result import result_sentence
from .summarize.tldr import extractive_tldr
from .taxonomy import Taxonomy


def select_kind(ctx: DayContext, kind: Kind, classified: list[Classified]) -> Selection:
    """The selection of `kind`'s items for the report (ranked, capped, repeats of the window left out)."""
    digest_cfg = ctx.config.digest
    window = digest_cfg.repeat_window_days
    store = ctx.store
    history = History(store.reported_before(ctx.day, window), store.returned_before(ctx.day, window)) if store is not None else None
    return select_items(
        ctx.day, [c for c in classified if c.item.kind == kind], ctx.taxonomy, history,
        SelectOptions(per_category=digest_cfg.per_category, repeat_window_days=window,
                      include_keywords=tuple(digest_cfg.include_keywords), exclude_keywords=tuple(digest_cfg.exclude_keywords)),
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
    items = [c for c in classified if c.item.kind == kind]
    selection = select_kind(ctx, kind, items)
    # by HN points (the signal the list shows), followed items first
    ranked_other = sorted(selection.other_tech, key=lambda p: (p[0].key not in selection.followed, -popularity(p[0]),
                                                                -p[1], p[0].key))
    other_tech = other_tech_entries(ranked_other, selection, ctx.config.digest.other_tech_max)
    health = selection_report(kind, selection)

    def digest(sections: list[CategorySection], returning: list[ReturningEntry]) -> Digest:
        return Digest(day=ctx.day, kind=kind, language=ctx.language, sections=sections, returning=returning,
                      other_tech=other_tech, stats=selection.stats, health=health)

    if on_selected is not None:
        empty = SectionSummary(themes=[], events=[], impact=[], bottom_line=[], method="extractive")
        on_selected(digest([_section(ctx, kind, selection, cs, empty, [""] * len(cs.top)) for cs in selection.categories],
                           []))

    drafts, summary_report = await summarize_sections(ctx, kind, selection.categories, corpus=[c.item for c in items])
    health.merge(summary_report)
    sections = [_section(ctx, kind, selection, cs, draft.summary, draft.tldrs)
                for cs, draft in zip(selection.categories, drafts, strict=True)]
    return digest(sections, returning_entries(selection, ctx.taxonomy, ctx.language))


def other_tech_entries(ranked: list[tuple[Item, float]], selection: Selection, cap: int) -> list[OtherTechEntry]:
    """The "other tech" list: the first `cap` of `ranked` (counted in the selection's stats)."""
    followed = selection.followed
    entries = [
        OtherTechEntry(key=it.key, title=it.title, url=it.url, hn_points=it.hn_points, hn_comments=it.hn_comments,
                       discussion_url=it.discussion_url, popularity=popularity(it), followed=it.key in followed)
        for it, _ in ranked[:max(cap, 0)]
    ]
    selection.stats.other_tech_listed = len(entries)
    return entries


def _section(ctx: DayContext, kind: Kind, selection: Selection, cat_sel: CategorySelection, summary: SectionSummary,
             tldrs: list[str]) -> CategorySection:
    """One category's section: the summary only when the LLM wrote it; offline, the one line per item is its own
    result sentence (the extractive TL;DR was the opening one)."""
    llm_wrote = summary.method == "llm"
    entries = []
    for i, (it, score) in enumerate(cat_sel.top):
        result = result_sentence(it)
        if not result and (instruction_like(it.snippet) or instruction_like(it.title)):
            result = withheld_text(ctx.language)  # listed, never quoted (aidigest.injection)
        e = source_entry(i + 1, it, cat_sel.category, score, tldrs[i] if llm_wrote else result)
        entries.append(e.model_copy(update={"result": result, "followed": it.key in selection.followed}))
    return category_section(ctx.taxonomy, ctx.language, kind, cat_sel, entries, summary if llm_wrote else None)


def category_section(taxonomy: Taxonomy, language: str, kind: Kind, cat_sel: CategorySelection,
                     entries: list[SourceEntry], summary: SectionSummary | None) -> CategorySection:
    """A category's section around its listed `entries` and `summary`: name, header, the compact and counted rest."""
    cat = taxonomy[cat_sel.category]
    return CategorySection(
        category=cat.id, name=cat.display_name(language), emoji=cat.emoji, total=cat_sel.total, entries=entries,
        more=[CompactEntry(key=it.key, title=it.title, url=it.url, popularity=popularity(it)) for it in cat_sel.compact],
        counted_only=cat_sel.counted_only, summary=summary,
        header=section_header(kind, [it for it, _ in cat_sel.top], cat_sel.total, language),
    )


def returning_entries(selection: Selection, taxonomy: Taxonomy, language: str) -> list[ReturningEntry]:
    """The items reported before that came back with new signals, each with its own one line."""
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
    return returning


def source_entry(n: int, it: Item, category: str, score: float, tldr: str) -> SourceEntry:
    return SourceEntry(
        n=n, key=it.key, kind=it.kind, category=category, title=it.title, url=it.url, tldr=tldr,
        rank_score=round(score, 6), popularity=popularity(it), hn_points=it.hn_points, hn_comments=it.hn_comments,
        hf_upvotes=it.hf_upvotes, sources=it.sources, discussion_url=it.discussion_url, language=it.language,
    )
