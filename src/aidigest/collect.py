"""Collect one day: run every configured source concurrently, isolate failures, merge, store.

A source that times out, errors or returns a malformed body is recorded as failed with its reason;
the others carry on. The caller decides the exit code (non-zero only when every source failed).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time

from .infra import progress
from .config import Config
from .dedupe.merge import merge_items, merge_with_stored
from .infra.http import FetchError, HttpClient, ReplayMissing
from .records import CollectResult, Item, SourceOutcome
from .sources.builtin import build_enrichers, build_sources
from .sources.base import FetchContext, ParseError, Source
from .infra.store import Store


def store_items(store: Store, day: dt.date, items: list[Item]) -> int:
    """Store the day's items (merged within the day), each folded into the stored item it duplicates (same key or
    arXiv id: fresher signals, the arXiv record's fields), in one write transaction (no other run writes between
    the read and the write). Returns the number of new items."""
    with store.write():
        stored = store.stored_items((it.key for it in items), (it.arxiv_id for it in items if it.arxiv_id))
        return store.upsert_items(day, merge_with_stored(items, stored))


def _short(e: BaseException) -> str:
    msg = str(e).strip().splitlines()[0] if str(e).strip() else ""
    return f"{type(e).__name__}: {msg}" if msg else type(e).__name__


async def _run_source(source: Source, ctx: FetchContext) -> tuple[SourceOutcome, list[Item]]:
    t0 = time.perf_counter()
    try:
        result = await source.fetch(ctx)
    except ReplayMissing as e:
        return SourceOutcome(
            source=source.name, kind=source.kind, status="no_recording", error=str(e),
            duration_s=time.perf_counter() - t0,
        ), []
    except (FetchError, ParseError) as e:
        return SourceOutcome(
            source=source.name, kind=source.kind, status="failed", error=str(e), duration_s=time.perf_counter() - t0
        ), []
    except Exception as e:  # noqa: BLE001 - isolation: a bug in one source must not stop the others
        return SourceOutcome(
            source=source.name, kind=source.kind, status="failed", error=_short(e), duration_s=time.perf_counter() - t0
        ), []
    status = "ok" if result.items else "empty"
    return SourceOutcome(
        source=source.name, kind=source.kind, status=status, items=len(result.items), notes=dict(result.notes),
        duration_s=time.perf_counter() - t0,
    ), result.items


async def collect_day(
    day: dt.date, config: Config, store: Store, http: HttpClient, sources: list[Source] | None = None,
) -> CollectResult:
    """Collect `day` as a run of its own (`aidigest collect`): marked finished, or failed when interrupted."""
    run_id = store.start_run(day, "collect")
    try:
        result = await collect_in_run(day, config, store, http, run_id, sources)
    except BaseException as e:
        store.finish_run(run_id, "error", {"error": "interrupted" if isinstance(
            e, (KeyboardInterrupt, asyncio.CancelledError)) else type(e).__name__})
        raise
    store.finish_run(run_id, "ok", {"items": len(result.items), "new": result.new_items})
    return result


async def collect_in_run(
    day: dt.date, config: Config, store: Store, http: HttpClient, run_id: int, sources: list[Source] | None = None,
) -> CollectResult:
    """Collect `day` inside the run `run_id` (the caller starts and finishes it): every source concurrently,
    then the enrichers, then the items and each source's outcome stored."""
    sources = build_sources(config) if sources is None else sources
    ctx = FetchContext(day=day, http=http, config=config)
    with progress.task("sources", total=len(sources)) as bar:

        async def run_one(s: Source) -> tuple[SourceOutcome, list[Item]]:
            pair = await _run_source(s, ctx)
            bar.advance()
            progress.log.info("source %s: %s, %d items in %.1fs", s.name, pair[0].status, pair[0].items, pair[0].duration_s)
            return pair

        pairs = await asyncio.gather(*(run_one(s) for s in sources))
    outcomes = [o for o, _ in pairs]
    raw: list[Item] = [it for _, items in pairs for it in items]
    items, merged = merge_items(raw)

    # Enrichers (aidigest.sources registry), e.g. snippets for news links: the old system categorized by title only.
    for enricher in build_enrichers(config):
        with progress.task(f"enrich: {enricher.name}"):
            got, notes = await enricher.enrich(items, ctx, store)
        outcomes.append(
            SourceOutcome(source=enricher.name, kind=enricher.kind, status="ok" if got else "empty", items=got, notes=notes)
        )
    new = store_items(store, day, items)
    for o in outcomes:
        store.record_outcome(run_id, o)
    return CollectResult(day=day, run_id=run_id, outcomes=outcomes, items=items, new_items=new, merged=merged)
