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
from .classify.items import classify_items
from .collect import collect_in_run
from .config import Config
from .context import DayContext
from .dedupe.near import merge_near_duplicates
from .deliver.notify import failed_note
from .infra.http import HttpClient
from .llm.factory import make_llm
from .records import Classified, CollectResult, Item, Kind, LLMTotals, RunHealth
from .profiles.personalize import ProfileRun, run_profiles
from .render.write import file_names, prepare_chart, published_report, shown_items, write_report
from .render.markdown import check_template, render_markdown
from .report import Digest, reported_rows
from .sources.builtin import is_enricher
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
    # replaces a published report with an emptier one (DayOptions(replace=True) does)
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


@dataclass(frozen=True)
class DayOptions:
    """How `run_day` writes the day's reports."""

    language: str | None = None  # the report language; None: the config's general.language
    replace: bool = False  # a rerun may replace a published report with one that shows fewer items


@dataclass(frozen=True)
class _DayRun:
    """What every stage of one `run_day` call shares (the stages read it; `health` is the run's, merged into)."""

    ctx: DayContext
    store: Store
    http: HttpClient
    out_dir: Path
    templates: str | None  # a folder whose report.md.j2 replaces the built-in report layout
    replace: bool
    run_id: int
    health: RunHealth


async def run_day(
    day: dt.date,
    config: Config,
    store: Store,
    http: HttpClient,
    out_dir: Path,
    options: DayOptions | None = None,
) -> RunSummary:
    """Run the day (see the module doc) as one run in the store: marked ok, or error with the reason (the
    exception is raised again)."""
    options = options or DayOptions()
    taxonomy = load_taxonomy(config.digest.taxonomy or None)
    templates = config.site.templates or None
    check_template(templates)  # a broken override: one line before anything is fetched (TemplateProblem)
    run_id = store.start_run(day, "run")
    health = RunHealth(llm=LLMTotals(provider=config.llm.provider))
    llm = make_llm(config, store, run_id, health.llm)
    ctx = DayContext(day=day, language=options.language or config.general.language, config=config,
                     taxonomy=taxonomy, store=store, llm=llm)
    run = _DayRun(ctx=ctx, store=store, http=http, out_dir=out_dir, templates=templates, replace=options.replace,
                  run_id=run_id, health=health)
    # while the sources are fetched, a new LLM endpoint's structured-output mode is learned with one tiny call
    # (else the first real call learns it while the others wait for it: an extra round of LLM latency)
    warm_up = asyncio.create_task(llm.warm_up()) if llm is not None else None
    try:
        summary = await _stages(run)
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


async def _stages(run: _DayRun) -> RunSummary:
    """The day's stages, in order."""
    collected = await _collect(run)
    items = _dedupe(run, collected)
    classified = await _classify(run, items)
    summary = RunSummary(day=run.ctx.day, run_id=run.run_id, collect=collected, health=run.health)
    digests, charts = await _build_digests(run, classified, summary)
    add_guard_notes(run.health, run.http, run.ctx.config)
    _write_reports(run, digests, charts, summary)
    if run.ctx.config.profiles:
        await _write_profiles(run, classified, digests, summary)
    return summary


async def _collect(run: _DayRun) -> CollectResult:
    """1. Every source (failures isolated), merged by canonical key / arXiv id, stored."""
    collected = await collect_in_run(run.ctx.day, run.ctx.config, run.store, run.http, run.run_id)
    run.health.outcomes = collected.outcomes
    if note := failed_note(run.store, run.ctx.day):  # deliveries of earlier runs still failing are named in run health
        run.health.notes.append(note)
    return collected


def _dedupe(run: _DayRun, collected: CollectResult) -> list[Item]:
    """2. Everything stored for the day (a rerun sees the same set), near-duplicates folded."""
    day = run.ctx.day
    items = run.store.items_for_day(day)
    if not items:
        reasons = "; ".join(f"{o.source}: {o.error or o.status}" for o in collected.outcomes if not is_enricher(o.source))
        raise NothingCollected(f"no items for {day} ({reasons})")
    items, near = merge_near_duplicates(items)
    run.health.llm.items = len(items)  # run health shows LLM tokens per item of the day
    if near:
        run.health.notes.append(f"near-duplicates merged: {near}")
    return items


async def _classify(run: _DayRun, items: list[Item]) -> list[Classified]:
    """3. A category for every item (LLM when configured, else the offline classifier)."""
    llm = run.ctx.llm
    with progress.task(f"categorize {len(items)} items ({'LLM calls' if llm is not None else 'embedding'})"):
        classified, classify_report = await classify_items(items, run.ctx.taxonomy, llm, run.ctx.config, store=run.store)
    run.health.merge(classify_report)
    return classified


async def _build_digests(run: _DayRun, classified: list[Classified], summary: RunSummary
                         ) -> tuple[list[Digest], dict[str, bytes | BaseException | None]]:
    """4. One digest per kind (select, summarize, assemble) and its chart. Both kinds are summarized at once, so
    the LLM round for summaries is shared, not doubled. Every digest carries the whole run's health (both kinds'
    fallbacks, all LLM calls): reports are written only once both are built."""
    by_kind = {kind: [c for c in classified if c.item.kind == kind] for kind in KINDS}
    summary.items_by_kind = {kind: len(v) for kind, v in by_kind.items()}
    # a chart shows only the selection (categories, counts, top titles): each is drawn in a thread as soon as
    # its kind is selected, while the LLM writes the summaries; its bytes go to write_report
    charts: dict[str, asyncio.Task[bytes | None]] = {}

    def draw_chart(preview: Digest) -> None:
        charts[preview.kind] = asyncio.create_task(asyncio.to_thread(prepare_chart, preview, run.out_dir))

    method = "LLM calls" if run.ctx.llm is not None else "extractive"
    with progress.task(f"summaries ({method})", total=len(KINDS)) as bar:

        async def built(kind: Kind) -> Digest:
            d = await build_digest(run.ctx, kind, by_kind[kind], on_selected=draw_chart)
            bar.advance()
            return d

        built_digests = await asyncio.gather(*(built(kind) for kind in KINDS))
    for digest in built_digests:
        run.health.merge(digest.health)
    digests = [digest.model_copy(update={"health": run.health}) for digest in built_digests]
    # a chart that failed here is drawn again by write_report, which reports a problem in the run health
    drawn = dict(zip(charts, await asyncio.gather(*charts.values(), return_exceptions=True), strict=True))
    return digests, drawn


def _write_reports(run: _DayRun, digests: list[Digest], charts: dict[str, bytes | BaseException | None],
                   summary: RunSummary) -> None:
    """Write each kind's report and remember what it reported; a rerun never silently replaces a published
    report with an emptier one (`DayOptions.replace` does)."""
    for digest in digests:  # a template that fails on this data fails here, before either report is written
        render_markdown(digest, file_names(digest)[1], run.templates)
    for digest in digests:
        kind = digest.kind
        published = published_report(digest, run.out_dir)
        if published is not None and not run.replace and shown_items(digest) < published[1]:
            summary.kept[kind] = (published[0], published[1], shown_items(digest))
            continue  # the published files and the day's reported rows stay as they are
        png = charts.get(kind)
        paths = write_report(digest, run.out_dir, templates=run.templates, chart=png if isinstance(png, bytes) else None)
        run.health.notes.extend(paths.notes)  # the other kind's report and the run's record show them too
        run.store.mark_reported(run.ctx.day, reported_rows(digest))
        summary.reports[kind] = [p for p in (paths.markdown, paths.chart, paths.json) if p]
        summary.shown_by_kind[kind] = _shown_counts(digest)


def _shown_counts(digest: Digest) -> dict[str, int]:
    st = digest.stats
    return {
        "ai": st.full + st.compact + st.counted_only, "other_tech": st.other_tech, "returning": st.returning,
        "repeated": st.repeated_skipped, "others": st.others + st.unknown_category, "muted": st.muted,
    }


async def _write_profiles(run: _DayRun, classified: list[Classified], digests: list[Digest],
                          summary: RunSummary) -> None:
    """5. Each reader profile's own digests from the same items, categories and summaries (no new LLM call
    unless a profile reads another language: then that language's summaries, once)."""
    with progress.task(f"profiles ({len(run.ctx.config.profiles)})"):
        summary.profiles, profile_report = await run_profiles(run.ctx, classified, digests, run.out_dir, run.health,
                                                              run.templates)
    run.health.merge(profile_report)
