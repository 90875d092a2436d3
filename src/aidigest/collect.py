"""Collect one day: run every configured source concurrently, isolate failures, merge, store.

A source that times out, errors or returns a malformed body is recorded as failed with its reason;
the others carry on. The caller decides the exit code (non-zero only when every source failed).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time

from .config import Config
from .dedupe.merge import merge_items
from .http import FetchError, HttpClient, ReplayMissing
from .models import CollectResult, Item, SourceOutcome
from .sources import build_sources
from .sources.base import FetchContext, ParseError, Source
from .reuse import SnippetCache
from .sources.snippets import enrich_snippets
from .store import Store


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
    day: dt.date,
    config: Config,
    store: Store,
    http: HttpClient,
    sources: list[Source] | None = None,
    command: str = "collect",
    run_id: int | None = None,
) -> CollectResult:
    sources = build_sources(config) if sources is None else sources
    run_id = store.start_run(day, command) if run_id is None else run_id
    ctx = FetchContext(day=day, http=http, config=config)
    pairs = await asyncio.gather(*(_run_source(s, ctx) for s in sources))
    outcomes = [o for o, _ in pairs]
    raw: list[Item] = [it for _, items in pairs for it in items]
    items, merged = merge_items(raw)

    # Snippets for news links (the old system categorized by title only).
    if config.sources.snippets.enabled:
        notes = await enrich_snippets(items, ctx, SnippetCache(store))
        got = notes.get("fetched", 0) + notes.get("cached", 0)  # cached: read on an earlier run, not fetched again
        outcomes.append(
            SourceOutcome(
                source="snippets", kind="news", status="ok" if got else "empty",
                items=got, notes=notes,
            )
        )
    new = store.upsert_items(day, items)
    for o in outcomes:
        store.record_outcome(run_id, o)
    return CollectResult(day=day, run_id=run_id, outcomes=outcomes, items=items, new_items=new, merged=merged)
