"""One day's flow, top to bottom: collect -> merge near-duplicates -> classify -> per kind: select,
summarize, assemble (aidigest.assemble.build_digest) -> render -> remember what was reported.

A day is bounded below by its LLM round trips (categorize, then summarize): whatever can overlap them does
(the LLM's mode discovery runs while collecting, both kinds share one summary round, charts are drawn while
the summaries are written). bench/e2e.py measures how close a day gets to that floor.

Everything a user sees about the run's health (sources, fallbacks, LLM usage) is gathered in one
`RunHealth` and printed at the end of each report: each stage returns its own report (collect: outcomes;
classify and each digest: a RunHealth of their own) and this module merges them; `health.llm` is the LLM
client's running totals.
"""

from __future__ import annotations

from .errors import RunFailed

import asyncio
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from .infra import progress
from .assemble import build_digest
from .classify import classify_items
from .collect import collect_day
from .config import Config
from .context import DayContext
from .dedupe.near import merge_near_duplicates
from .deliver.notify import failed_note
from .infra.http import HttpClient
from .llm import make_llm
from .records import CollectResult, Kind, LLMTotals, RunHealth
from .profiles.personalize import ProfileRun, run_profiles
from .render import file_names, prepare_chart, published_report, shown_items, write_report
from .render.markdown import check_template, render_markdown
from .report import Digest, reported_rows
from .sources import is_enricher
from .infra.store import Store
from .taxonomy import load_taxonomy

KINDS: tuple[Kind, Kind] = ("news", "paper")


class NothingCollected(RunFailed):
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
    profiles: list[ProfileRun] = field(default_factory=list)  # one per [profiles.<name>] (aidigest.profiles.personalize)


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
        if note := failed_note(store, day):  # deliveries of earlier runs still failing are named in run health
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
            classified, classify_report = await classify_items(items, taxonomy, llm, config, store=store)
        health.merge(classify_report)

        # 4. one digest per kind; reports are written once both are built, so each report's
        #    run-health section shows the whole run (both kinds' fallbacks, all LLM calls)
        summary = RunSummary(day=day, run_id=run_id, collect=collected, health=health)
        by_kind = {kind: [c for c in classified if c.item.kind == kind] for kind in KINDS}
        summary.items_by_kind = {kind: len(v) for kind, v in by_kind.items()}
        # a chart shows only the selection (categories, counts, top titles): each is drawn in a thread as soon as
        # its kind is selected, while the LLM writes the summaries; its bytes go to write_report
        charts: dict[str, asyncio.Task[bytes | None]] = {}

        def draw_chart(preview: Digest) -> None:
            charts[preview.kind] = asyncio.create_task(asyncio.to_thread(prepare_chart, preview, out_dir))

        ctx = DayContext(day=day, language=language, config=config, taxonomy=taxonomy, store=store, llm=llm)

        # both kinds summarized concurrently: the LLM round for summaries is shared, not doubled
        with progress.task(f"summaries ({'LLM calls' if llm is not None else 'extractive'})", total=len(KINDS)) as bar:

            async def built(kind: Kind) -> Digest:
                d = await build_digest(ctx, kind, by_kind[kind], on_selected=draw_chart)
                bar.advance()
                return d

            built_digests = await asyncio.gather(*(built(kind) for kind in KINDS))
        for digest in built_digests:
            health.merge(digest.health)
        # each report shows the whole run's health
        digests = [digest.model_copy(update={"health": health}) for digest in built_digests]
        # a chart that failed here is drawn again by write_report, which reports a problem in the run health
        drawn = dict(zip(charts, await asyncio.gather(*charts.values(), return_exceptions=True), strict=True))
        add_guard_notes(health, http, config)
        for digest in digests:  # a template that fails on this data fails here, before either report is written
            render_markdown(digest, file_names(digest)[1], templates)
        for digest in digests:
            kind = digest.kind
            published = published_report(digest, out_dir)
            if published is not None and not replace and shown_items(digest) < published[1]:
                summary.kept[kind] = (published[0], published[1], shown_items(digest))
                continue  # the published files and the day's reported rows stay as they are
            png = drawn.get(kind)
            paths = write_report(digest, out_dir, templates=templates, chart=png if isinstance(png, bytes) else None)
            health.notes.extend(paths.notes)  # the other kind's report and the run's record show them too
            store.mark_reported(day, reported_rows(digest))
            summary.reports[kind] = [p for p in (paths.markdown, paths.chart, paths.json) if p]
            st = digest.stats
            summary.shown_by_kind[kind] = {
                "ai": st.full + st.compact + st.counted_only, "other_tech": st.other_tech, "returning": st.returning,
                "repeated": st.repeated_skipped, "others": st.others + st.unknown_category, "muted": st.muted,
            }
        # 5. each reader profile's own digests from the same items, categories and summaries (no new LLM call
        #    unless a profile reads another language: then that language's summaries, once)
        if config.profiles:
            with progress.task(f"profiles ({len(config.profiles)})"):
                summary.profiles, profile_report = await run_profiles(ctx, classified, digests, out_dir, health,
                                                                      templates)
            health.merge(profile_report)
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
