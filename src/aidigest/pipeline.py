"""One day's flow, top to bottom: collect -> merge near-duplicates -> classify -> per kind: select,
summarize, render -> remember what was reported.

A day is bounded below by its LLM round trips (categorize, then summarize): whatever can overlap them does
(the LLM's mode discovery runs while collecting, both kinds share one summary round, charts are drawn while
the summaries are written). bench/e2e.py measures how close a day gets to that floor.

Everything a user sees about the run's health (sources, fallbacks, LLM usage) is gathered in one
`RunHealth` and printed at the end of each report.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from . import progress
from .classify import classify_items
from .collect import collect_day
from .config import Config
from .dedupe.near import merge_near_duplicates
from .digest import build_digest, reported_rows, write_report
from .http import HttpClient
from .llm import make_llm
from .models import CollectResult, LLMTotals, RunHealth
from .render import file_names, prepare_chart, published_report, shown_items
from .render.markdown import check_template, render_markdown
from .sources import is_enricher
from .store import Store
from .taxonomy import load_taxonomy

KINDS = ("news", "paper")


class NothingCollected(Exception):
    """No item for the day at all (every source failed or was empty): no report is written."""


@dataclass
class RunSummary:
    day: dt.date
    run_id: int
    collect: CollectResult
    reports: dict[str, list[Path]] = field(default_factory=dict)  # kind -> [md, png, json]
    health: RunHealth = field(default_factory=RunHealth)
    items_by_kind: dict[str, int] = field(default_factory=dict)
    shown_by_kind: dict[str, dict[str, int]] = field(default_factory=dict)  # kind -> counts of what its report shows
    # kind -> (published report kept, items it shows, items this run would show): a rerun never silently
    # replaces a published report with an emptier one (run_day(replace=True) does)
    kept: dict[str, tuple[Path, int, int]] = field(default_factory=dict)


def add_guard_notes(health: RunHealth, http: HttpClient, config: Config) -> None:
    """Run-health notes for what the safety limits did: links refused by the SSRF guard, the LLM switched off
    (bad key, circuit breaker, run deadline), a USD budget that cannot be enforced."""
    if http.stats.blocked:
        shown = "; ".join(http.stats.blocked[:10]) + (" …" if len(http.stats.blocked) > 10 else "")
        health.notes.append(f"links refused (non-public address, not fetched): {len(http.stats.blocked)}: {shown}")
    if health.llm.offline:
        health.notes.append(f"LLM switched off for the rest of the run (offline fallbacks used): {health.llm.offline}")
    if config.llm.budget_usd is not None and health.llm.unpriced:
        health.notes.append(unpriced_budget_note(config))


def unpriced_budget_note(config: Config) -> str:
    return (f"--budget-usd {config.llm.budget_usd:g} cannot be enforced: {config.llm.provider} has no price "
            "(add it under [llm.prices], or cap tokens with --max-tokens N)")


async def run_day(
    day: dt.date,
    config: Config,
    store: Store,
    http: HttpClient,
    out_dir: Path,
    language: str | None = None,
    replace: bool = False,
) -> RunSummary:
    language = language or config.general.language
    taxonomy = load_taxonomy(config.digest.taxonomy or None)
    templates = config.site.templates or None  # report.md.j2 there replaces the built-in report layout
    check_template(templates)  # a broken override: one line before anything is fetched (TemplateProblem)
    run_id = store.start_run(day, "run")
    health = RunHealth(llm=LLMTotals(provider=config.llm.provider))
    llm = make_llm(config, store, run_id, health.llm)
    # while the sources are fetched, a new LLM endpoint's structured-output mode is learned with one tiny call
    # (else the first real call learns it while the others wait for it: an extra round of LLM latency)
    warm_up = asyncio.create_task(llm.warm_up()) if llm is not None else None
    try:
        # 1. collect every source (failures isolated), merged by canonical key / arXiv id, stored
        collected = await collect_day(day, config, store, http, command="run", run_id=run_id)
        health.outcomes = collected.outcomes
        from .deliver.notify import failed_note  # deliveries of earlier runs still failing are named in run health

        if note := failed_note(store, day):
            health.notes.append(note)

        # 2. everything stored for the day (a rerun sees the same set), near-duplicates folded
        items = store.items_for_day(day)
        if not items:
            reasons = "; ".join(f"{o.source}: {o.error or o.status}" for o in collected.outcomes if not is_enricher(o.source))
            raise NothingCollected(f"no items for {day} ({reasons})")
        items, near = merge_near_duplicates(items)
        health.llm.items = len(items)  # run health shows LLM tokens per item of the day
        if near:
            health.notes.append(f"near-duplicates merged: {near}")

        # 3. categorize every item (LLM when configured, else the offline classifier)
        with progress.task(f"categorize {len(items)} items ({'LLM calls' if llm is not None else 'embedding'})"):
            classified = await classify_items(items, taxonomy, llm, health, config, store=store)

        # 4. one digest per kind; reports are written once both are built, so each report's
        #    run-health section shows the whole run (both kinds' fallbacks, all LLM calls)
        summary = RunSummary(day=day, run_id=run_id, collect=collected, health=health)
        by_kind = {kind: [c for c in classified if c.item.kind == kind] for kind in KINDS}
        summary.items_by_kind = {kind: len(v) for kind, v in by_kind.items()}
        # a chart shows only the selection (categories, counts, top titles): each is drawn in a thread as soon as
        # its kind is selected, while the LLM writes the summaries, and write_report finds it drawn
        charts: list[asyncio.Task] = []

        def draw_chart(preview) -> None:
            charts.append(asyncio.create_task(asyncio.to_thread(prepare_chart, preview, out_dir)))

        # both kinds summarized concurrently: the LLM round for summaries is shared, not doubled
        with progress.task(f"summaries ({'LLM calls' if llm is not None else 'extractive'})", total=len(KINDS)) as bar:

            async def built(kind):
                d = await build_digest(
                    day, kind, by_kind[kind], store, taxonomy, config, llm, health, language, on_selected=draw_chart
                )
                bar.advance()
                return d

            digests = await asyncio.gather(*(built(kind) for kind in KINDS))
        await asyncio.gather(*charts, return_exceptions=True)  # a chart problem is reported when the report is written
        add_guard_notes(health, http, config)
        for digest in digests:  # a template that fails on this data fails here, before either report is written
            render_markdown(digest, file_names(digest)[1], templates)
        for digest in digests:
            kind = digest.kind
            published = published_report(digest, out_dir)
            if published is not None and not replace and shown_items(digest) < published[1]:
                summary.kept[kind] = (published[0], published[1], shown_items(digest))
                continue  # the published files and the day's reported rows stay as they are
            paths = write_report(digest, out_dir, templates=templates)
            store.mark_reported(day, reported_rows(digest))
            summary.reports[kind] = [p for p in (paths.markdown, paths.chart, paths.json) if p]
            st = digest.stats
            summary.shown_by_kind[kind] = {
                "ai": st.full + st.compact + st.counted_only, "other_tech": st.other_tech, "returning": st.returning,
                "repeated": st.repeated_skipped, "others": st.others + st.unknown_category, "muted": st.muted,
            }
    except BaseException as e:
        reason = "interrupted" if isinstance(e, (KeyboardInterrupt, asyncio.CancelledError)) else type(e).__name__
        store.finish_run(run_id, "error", {"health": health.model_dump(mode="json"), "error": reason})
        raise
    finally:
        if warm_up is not None:
            warm_up.cancel()  # done long before a normal end; still running only when the run failed early
            await asyncio.gather(warm_up, return_exceptions=True)
        if llm is not None:
            await llm.aclose()
    store.finish_run(run_id, "ok", {"health": health.model_dump(mode="json")})
    return summary
