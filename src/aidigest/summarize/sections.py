"""Per-category summaries: LLM when configured (checked, one retry), else / on failure the extractive one.

    drafts, report = await summarize_sections(ctx, kind, selection.categories, corpus=all_items_of_the_kind)

`ctx` is the day's aidigest.context.DayContext (its `llm` None: extractive only). Categories are summarized
concurrently, at most `ctx.llm.concurrency` LLM calls in flight (asyncio.Semaphore). `report` is a
`RunHealth` of this stage alone (the caller merges it): every failed LLM section is counted in its `fallbacks` as
"summary <kind>/<category>: llm → extractive (<reason>)" with reason one of budget, llm-fatal, llm-error,
invalid-json, parts, empty, citations, language, copy, filler, tldr, tldr_language, tldr_copy, url (a link that
is not one of the sources), llm-offline (circuit breaker open or the run's LLM deadline passed).
Every section passes `checks.final_guard` before it is returned: an empty section cannot be written.
An item whose text gives instructions to AI systems (aidigest.injection) is named in `report.notes`; the
extractive path does not quote it (see extractive.py).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..context import DayContext
from ..injection import instruction_like
from ..records import Item, RunHealth
from ..report import SectionSummary, SummaryPoint
from ..reuse import SummaryCache, corpus_fingerprint
from ..select.items import CategorySelection
from .checks import SectionInvariantError, final_guard
from .extractive import DocFreq, extractive_summary, needed_terms
from .i18n import strings
from .llm import SummaryFailed, llm_summary
from .tldr import extractive_tldr

if TYPE_CHECKING:
    from ..infra.store import Store

log = logging.getLogger("aidigest.summarize")


@dataclass
class SectionDraft:
    summary: SectionSummary
    tldrs: list[str]  # one per source, in source order


def titles_only_summary(items: list[Item], total: int, language: str) -> SectionDraft:
    """Last resort if the extractive summarizer itself fails: every part built from titles (never empty)."""
    t = strings(language)
    pts = [SummaryPoint(text=it.title.strip() or it.url, cites=[i + 1]) for i, it in enumerate(items)]
    k = len(items)
    summary = SectionSummary(
        themes=pts[:3], events=pts[:5], impact=[SummaryPoint(text=t.lead_item.format(title=pts[0].text), cites=[1])],
        bottom_line=[SummaryPoint(text=t.top_items.format(n=max(total, k), k=k), cites=list(range(1, k + 1)))],
        method="extractive", source_language=items[0].language,
    )
    return SectionDraft(summary, [extractive_tldr(it) for it in items])


def offline_draft(items: list[Item], total: int, language: str, df: DocFreq | None) -> SectionDraft:
    try:
        summary, tldrs = extractive_summary(items, total, language, df)
        final_guard(summary, tldrs, len(items))
        return SectionDraft(summary, tldrs)
    except Exception as e:  # a bug in the extractive path must not leave a hole in the report
        log.warning("extractive summary failed (%s: %s); using titles", type(e).__name__, e)
        return titles_only_summary(items, total, language)


class _OfflineDrafts:
    """The day's extractive drafts: the corpus' document frequencies are computed when a section first needs
    the extractive path (not before the LLM calls go out: ~0.2 s on the critical path of an LLM run), and with a
    store a draft whose inputs (items, total, language, the day's corpus, the summarizer's code) are unchanged
    is read from it instead of computed again (aidigest.reuse.SummaryCache)."""

    def __init__(self, language: str, categories: list[CategorySelection], corpus: list[Item] | None,
                 store: Store | None) -> None:
        self.language, self.categories, self.corpus = language, categories, corpus
        self.cache = SummaryCache(store) if store is not None else None
        self._dfs: list[DocFreq | None] = []
        self._corpus_fps: list[str] = []

    def df(self) -> DocFreq | None:
        if not self._dfs:
            # only the terms the sections' top items can look up: the same numbers, without tokenizing the
            # whole corpus into every term (bench, 100k items: ~3 s instead of ~60 s)
            terms = needed_terms([it for sel in self.categories for it, _ in sel.top])
            self._dfs.append(DocFreq.for_terms(self.corpus, terms) if self.corpus else None)
        return self._dfs[0]

    def draft(self, items: list[Item], total: int) -> SectionDraft:
        """The extractive draft, from the store when its inputs are unchanged."""
        if self.cache is None:
            return offline_draft(items, total, self.language, self.df())
        if not self._corpus_fps:
            self._corpus_fps.append(
                corpus_fingerprint([f"{it.key}\x01{it.title}\x01{it.snippet}" for it in self.corpus or []]))
        key = self.cache.key(self.language, total, [it.model_dump_json() for it in items], self._corpus_fps[0])
        hit = self.cache.get(key)
        if hit is not None:
            try:
                return SectionDraft(SectionSummary.model_validate(hit["summary"]), list(hit["tldrs"]))
            except (KeyError, TypeError, ValueError):
                pass  # an unreadable entry: computed again and replaced
        draft = offline_draft(items, total, self.language, self.df())
        self.cache.put(key, {"summary": draft.summary.model_dump(mode="json"), "tldrs": draft.tldrs})
        return draft


@dataclass(frozen=True)
class _Sections:
    """What every section of one kind shares: the day, the offline drafts, the LLM slots and the stage's report."""

    ctx: DayContext
    kind: str
    offline: _OfflineDrafts
    sem: asyncio.Semaphore
    health: RunHealth

    def flag_instructions(self, sel: CategorySelection, items: list[Item]) -> None:
        for it in items:
            phrase = instruction_like(f"{it.title}\n{it.snippet}")
            if phrase:
                self.health.notes.append(
                    f"instructions to AI systems in the text of {self.kind}/{sel.category} item {it.url} "
                    f"(\"{phrase[:60]}\"): flagged, not quoted by the extractive summary")

    async def llm_draft(self, sel: CategorySelection, items: list[Item]) -> SectionDraft | None:
        """The LLM's checked draft, or None (no LLM, or it failed: the fallback is counted)."""
        if self.ctx.llm is None:
            return None
        taxonomy, kind = self.ctx.taxonomy, self.kind
        cat = taxonomy[sel.category] if sel.category in taxonomy else None
        try:
            async with self.sem:
                summary, tldrs = await llm_summary(
                    items, self.ctx, kind=kind, category=sel.category,
                    category_name=cat.name if cat else sel.category, category_description=cat.description if cat else "",
                )
            return SectionDraft(summary, tldrs)
        except SummaryFailed as e:
            self.health.fallback(f"summary {kind}/{sel.category}: llm → extractive ({e.code})")
            log.info("summary %s/%s fell back to extractive: %s", kind, sel.category, e)
            return None

    async def draft(self, sel: CategorySelection) -> SectionDraft:
        items = [it for it, _ in sel.top]
        self.flag_instructions(sel, items)
        draft = await self.llm_draft(sel, items)
        if draft is None:
            draft = self.offline.draft(items, sel.total)
        try:
            final_guard(draft.summary, draft.tldrs, len(items))
        except SectionInvariantError as e:  # LLM output that slipped past the checks: never written
            self.health.fallback(f"summary {self.kind}/{sel.category}: llm → extractive (guard)")
            log.warning("summary %s/%s failed the final guard: %s", self.kind, sel.category, e)
            draft = self.offline.draft(items, sel.total)
            final_guard(draft.summary, draft.tldrs, len(items))
        return draft


async def summarize_sections(
    ctx: DayContext,
    kind: str,
    categories: list[CategorySelection],
    corpus: list[Item] | None = None,
) -> tuple[list[SectionDraft], RunHealth]:
    """One checked draft per category selection, in the same order, and this stage's report (fallbacks, notes).
    With `ctx.store`, an extractive draft whose inputs (items, total, language, the day's corpus, the
    summarizer's code) are unchanged is read from it instead of computed again (aidigest.reuse.SummaryCache)."""
    health = RunHealth()
    sections = _Sections(ctx, kind, _OfflineDrafts(ctx.language, categories, corpus, ctx.store),
                         asyncio.Semaphore(ctx.llm.concurrency if ctx.llm is not None else 1), health)
    # the longest answers (most sources) first: when there are more sections than calls in flight (a local
    # server's few slots), the short ones fill in behind them instead of one long call starting last
    order = sorted(range(len(categories)), key=lambda i: -len(categories[i].top))
    drafts = await asyncio.gather(*(sections.draft(categories[i]) for i in order))
    by_index = dict(zip(order, drafts, strict=True))
    return [by_index[i] for i in range(len(categories))], health
