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

from .classify import classify_items
from .collect import collect_day
from .config import Config
from .dedupe.near import merge_near_duplicates
from .digest import build_digest, reported_rows, write_report
from .http import HttpClient
from .llm import make_llm
from .models import CollectResult, LLMTotals, RunHealth
from .render import prepare_chart
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


async def run_day(
    day: dt.date,
    config: Config,
    store: Store,
    http: HttpClient,
    out_dir: Path,
    language: str | None = None,
) -> RunSummary:
    language = language or config.general.language
    taxonomy = load_taxonomy(config.digest.taxonomy or None)
    run_id = store.start_run(day, "run")
    health = RunHealth(llm=LLMTotals(provider=config.llm.provider))
    llm = make_llm(config, store, run_id, health.llm)
    # while the sources are fetched, a new LLM endpoint's structured-output mode is learned with one tiny call
    # (else the first real call learns it while the others wait for it: an extra round of LLM latency)
    warm_up = asyncio.create_task(llm.warm_up()) if llm is not None and hasattr(llm, "warm_up") else None
    try:
        # 1. collect every source (failures isolated), merged by canonical key / arXiv id, stored
        collected = await collect_day(day, config, store, http, command="run", run_id=run_id)
        health.outcomes = collected.outcomes

        # 2. everything stored for the day (a rerun sees the same set), near-duplicates folded
        items = store.items_for_day(day)
        if not items:
            reasons = "; ".join(f"{o.source}: {o.error or o.status}" for o in collected.outcomes if o.source != "snippets")
            raise NothingCollected(f"no items for {day} ({reasons})")
        items, near = merge_near_duplicates(items)
        health.llm.items = len(items)  # run health shows LLM tokens per item of the day
        if near:
            health.notes.append(f"near-duplicates merged: {near}")

        # 3. categorize every item (LLM when configured, else the offline classifier)
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
        digests = await asyncio.gather(*(
            build_digest(day, kind, by_kind[kind], store, taxonomy, config, llm, health, language, on_selected=draw_chart)
            for kind in KINDS
        ))
        await asyncio.gather(*charts, return_exceptions=True)  # a chart problem is reported when the report is written
        for digest in digests:
            kind = digest.kind
            paths = write_report(digest, out_dir)
            store.mark_reported(day, reported_rows(digest))
            summary.reports[kind] = [p for p in (paths.markdown, paths.chart, paths.json) if p]
    except BaseException:
        store.finish_run(run_id, "error", {"health": health.model_dump(mode="json")})
        raise
    finally:
        if warm_up is not None:
            warm_up.cancel()  # done long before a normal end; still running only when the run failed early
            await asyncio.gather(warm_up, return_exceptions=True)
        if llm is not None:
            await llm.aclose()
    store.finish_run(run_id, "ok", {"health": health.model_dump(mode="json")})
    return summary
