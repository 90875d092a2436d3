"""A week of days in one store, for the weekly roundup's tests: ISO week 2026-W31 (Mon 2026-07-27 .. Sun 2026-08-02)
and one day of the week before (2026-W30). Built once per test process; `make_week(dest)` gives a private copy.

Which day is what (nothing here is invented; no title, URL or figure is written by hand):

- Sun 2026-08-02 — REAL: the demo day, by the real pipeline (`run_day`) on the demo recording (demo/replay/2026-08-02).
- Mon 2026-07-27 — REBUILT: the real Hacker News and Daily Papers recordings of 2026-08-18
  (tests/data/hackernews/algolia_raw_EienMosu_2026-08-18, tests/data/huggingface_daily_papers/raw_EienMosu_2026-08-18)
  RE-DATED to Monday, plus the three AI news stories of Sunday's report with the most HN points (their stored items,
  same titles, URLs and figures) RE-DATED to Monday too.
- Wed 2026-07-29 — REBUILT: the real Daily Papers recording of 2026-06-13
  (tests/data/huggingface_daily_papers/raw_lucas-m-lopes_2026-06-13) RE-DATED to Wednesday, plus the same three
  Sunday stories. So each of those three is seen on three days of the week (Mon, Wed, Sun): the returning story.
  Rebuilt days go through the same stages as a run after collecting (store, offline classifier, build_digest,
  write_report, mark_reported, a run record), so the daily reports' repeat rule applies to them as it would.
- Thu 2026-07-30 — REAL FAILURE: `run_day` against a recording folder with no responses: every source ends
  `no_recording`, no item, no report (the run and its source outcomes are in the store).
- Tue 2026-07-28, Fri 2026-07-31, Sat 2026-08-01 — NOT COLLECTED: no run at all.
- Fri 2026-07-24 (week 2026-W30) — REBUILT from the real Hacker News and Daily Papers recordings of 2026-07-13
  (tests/data/hackernews/algolia_raw_ikevinxie_2026-07-13, tests/data/huggingface_daily_papers/raw_ikevinxie_2026-07-13),
  re-dated to 2026-07-24: the week before, for the category shares' change.
"""

from __future__ import annotations

import asyncio
import atexit
import datetime as dt
import json
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path

from conftest import DEMO_REPLAY, data_path
from site_days import hf_file_items, hn_file_items

from aidigest.assemble import build_digest
from aidigest.classify.items import classify_items
from aidigest.collect import store_items
from aidigest.config import Config
from aidigest.context import DayContext
from aidigest.infra.http import HttpClient
from aidigest.records import Item
from aidigest.pipeline import DayOptions, NothingCollected, run_day
from aidigest.render.write import write_report
from aidigest.report import reported_rows
from aidigest.infra.store import Store
from aidigest.taxonomy import load_taxonomy

TAX = load_taxonomy()
WEEK = "2026-W31"
MONDAY = dt.date(2026, 7, 27)
SUNDAY = dt.date(2026, 8, 2)
REBUILT = (dt.date(2026, 7, 27), dt.date(2026, 7, 29))
FAILED = dt.date(2026, 7, 30)
NOT_COLLECTED = (dt.date(2026, 7, 28), dt.date(2026, 7, 31), dt.date(2026, 8, 1))
WEEK_BEFORE_DAY = dt.date(2026, 7, 24)
RETURNING_N = 3  # news stories put on Mon, Wed and Sun


def _config() -> Config:
    return Config()


async def _publish(day: dt.date, items: list[Item], store: Store, out: Path, outcomes_from: int | None) -> None:
    """The stages of a run after collecting, for a rebuilt day (as tests/site_days.py does)."""
    store_items(store, day, items)
    run_id = store.start_run(day, "run")
    if outcomes_from is not None:  # the rebuilt day's sources: those of the real run its items come from
        for o in store.outcomes(outcomes_from):
            store.record_outcome(run_id, o)
    config = _config()
    classified, health = await classify_items(store.items_for_day(day), TAX, None, config)
    for kind in ("news", "paper"):
        ctx = DayContext(day=day, language="ko", config=config, taxonomy=TAX, store=store)
        digest = await build_digest(ctx, kind, [c for c in classified if c.item.kind == kind])
        health.merge(digest.health)
        write_report(digest, out, health)
        store.mark_reported(day, reported_rows(digest))
    store.finish_run(run_id, "ok", {})


def returning_keys(store: Store) -> list[str]:
    """The RETURNING_N news stories of Sunday's report in an AI category with the most HN points."""
    shown = {key for _, key, cat, _ in store.reported_between(SUNDAY, SUNDAY, "news") if cat not in ("software", "others")}
    news = sorted((it for it in store.items_for_day(SUNDAY, "news") if it.key in shown),
                  key=lambda it: (-(it.hn_points or 0), it.key))
    return [it.key for it in news[:RETURNING_N]]


def rebuilt_items(day: dt.date, store: Store) -> list[Item]:
    """A rebuilt day's items (see the module doc): a real recording of another day + the returning stories."""
    back = [it for it in store.items_for_day(SUNDAY, "news") if it.key in set(returning_keys(store))]
    if day == REBUILT[0]:
        return (hn_file_items(data_path("hackernews", "algolia_raw_EienMosu_2026-08-18",
                                        "search_by_date_query-AI_tags-story_points-gt-20_hpp50.json"))
                + hf_file_items(data_path("huggingface_daily_papers", "raw_EienMosu_2026-08-18", "daily_papers_limit10.json"))
                + back)
    return hf_file_items(data_path("huggingface_daily_papers", "raw_lucas-m-lopes_2026-06-13", "daily_papers_limit30.json")) + back


async def _build(root: Path) -> None:
    reports, db = root / "reports", root / "store.sqlite3"
    cfg = _config()
    empty = root / "empty-recording"
    empty.mkdir()
    (empty / "index.json").write_text(json.dumps({"version": 1, "entries": []}), encoding="utf-8")
    with Store(db) as store:
        # the week before: one rebuilt day
        before = (hn_file_items(data_path("hackernews", "algolia_raw_ikevinxie_2026-07-13", "hackernews_search.json"))
                  + hf_file_items(data_path("huggingface_daily_papers", "raw_ikevinxie_2026-07-13", "huggingface_papers.json")))
        await _publish(WEEK_BEFORE_DAY, before, store, reports, None)
        # Sunday: the real day
        async with HttpClient.create(cfg.http, replay=DEMO_REPLAY) as http:
            await run_day(SUNDAY, cfg, store, http, reports, DayOptions(language="ko"))
        sunday_run = store.latest_collect_run(SUNDAY)
        # Monday and Wednesday: real recordings of other days + Sunday's three top AI stories, re-dated
        for day in REBUILT:
            await _publish(day, rebuilt_items(day, store), store, reports, sunday_run)
        # Thursday: every source failed (a real run against a recording with no responses)
        async with HttpClient.create(cfg.http, replay=empty) as http:
            try:
                await run_day(FAILED, cfg, store, http, reports, DayOptions(language="ko"))
            except NothingCollected:
                pass
            else:
                raise AssertionError("the empty recording collected something")


@lru_cache(maxsize=1)
def _base() -> Path:
    root = Path(tempfile.mkdtemp(prefix="aidigest-week-days-"))
    atexit.register(shutil.rmtree, root, True)
    asyncio.run(_build(root))
    return root


def make_week(dest: Path) -> tuple[Path, Path]:
    """A private copy of the week: (reports folder, store path)."""
    root = _base()
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copytree(root / "reports", dest / "reports", copy_function=shutil.copy2)
    shutil.copy2(root / "store.sqlite3", dest / "store.sqlite3")
    return dest / "reports", dest / "store.sqlite3"
