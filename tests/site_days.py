"""Several real days of reports (+ the store) for the site tests, built once per test process.

- 2026-08-02: the demo day, by the real pipeline (`run_day`) on the demo recording (demo/replay/2026-08-02).
- 2026-07-13: Hacker News (Algolia) and Hugging Face Daily Papers as recorded on that day
  (tests/data/hackernews/algolia_raw_ikevinxie_2026-07-13, tests/data/huggingface_daily_papers/raw_ikevinxie_2026-07-13),
  plus ONE HOSTILE ITEM written here (title with <script>, onerror=, a javascript: Markdown link; javascript: URL;
  a snippet with HTML): the only hand-written data, there to prove hostile text stays text.
- 2024-10-15/16/17: the real Korean technologyreview.kr titles the old system listed on those days
  (tests/data/digest/finddme_news_items.techreview_kr_first12.jsonl): Korean items for search.
- 2026-08-18 (ADDED LATER by the incremental tests, see `add_day`): Hacker News and Daily Papers recorded that day
  (tests/data/hackernews/algolia_raw_EienMosu_2026-08-18, tests/data/huggingface_daily_papers/raw_EienMosu_2026-08-18).

Every constructed day goes through the same stages as a pipeline run after collecting: the items are stored
(`collect.store_items`), classified by the offline classifier, turned into digests by `build_digest`, written by
`write_report` (Markdown, chart, JSON export) and marked reported; the run is recorded in the store (its finish
time is what the feeds use as `updated`).
"""

from __future__ import annotations

import asyncio
import atexit
import datetime as dt
import html
import json
import re
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path

from conftest import DEMO_REPLAY, data_path

from aidigest.classify.items import classify_items
from aidigest.collect import store_items
from aidigest.config import Config
from aidigest.assemble import build_digest
from aidigest.context import DayContext
from aidigest.render.write import write_report
from aidigest.report import reported_rows
from aidigest.infra.http import HttpClient
from aidigest.records import Item, Sighting
from aidigest.pipeline import DayOptions, run_day
from aidigest.infra.store import Store
from aidigest.taxonomy import load_taxonomy
from aidigest.urls import canonical_key

TAX = load_taxonomy()
DEMO_DAY = dt.date(2026, 8, 2)
OLD_DAY = dt.date(2026, 7, 13)
KOREAN_DAYS = [dt.date(2024, 10, 15), dt.date(2024, 10, 16), dt.date(2024, 10, 17)]
NEW_DAY = dt.date(2026, 8, 18)

HOSTILE_TITLE = '<script>alert("xss")</script><img src=x onerror=alert(1)> AI model [click](javascript:alert(2))'
HOSTILE_URL = "javascript:alert(3)"
HOSTILE_SNIPPET = '<b onmouseover="alert(4)">An AI model</b> that <a href="data:text/html,<script>alert(5)</script>">links</a> data: URLs.'


def _strip(s: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", s or "")).strip()


def hn_file_items(path: Path) -> list[Item]:
    data = json.loads(path.read_text(encoding="utf-8"))
    out = []
    for h in data["hits"]:
        if not h.get("title"):
            continue
        disc = f"https://news.ycombinator.com/item?id={h['objectID']}"
        url = h.get("url") or disc
        out.append(Item(
            kind="news", title=h["title"], url=url, key=canonical_key(url), snippet=_strip(h.get("story_text") or ""),
            published=dt.datetime.fromisoformat(h["created_at"].replace("Z", "+00:00")),
            sightings=[Sighting(source="hackernews", url=url, title=h["title"], points=h.get("points"),
                                comments=h.get("num_comments"), discussion_url=disc)],
        ))
    return out


def hf_file_items(path: Path) -> list[Item]:
    out = []
    for e in json.loads(path.read_text(encoding="utf-8")):
        p = e["paper"]
        url = f"https://arxiv.org/abs/{p['id']}"
        out.append(Item(
            kind="paper", title=e["title"], url=url, key=f"arxiv:{p['id']}", snippet=p.get("summary", ""), arxiv_id=p["id"],
            authors=[a["name"] for a in p.get("authors", [])],
            sightings=[Sighting(source="hf_papers", url=f"https://huggingface.co/papers/{p['id']}", title=e["title"],
                                upvotes=p.get("upvotes"))],
        ))
    return out


def techreview_items(day: dt.date) -> list[Item]:
    out = []
    for line in data_path("digest", "finddme_news_items.techreview_kr_first12.jsonl").read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        if d["date"] == day.isoformat():
            out.append(Item(kind="news", title=d["title"], url=d["url"], key=canonical_key(d["url"]), language="ko",
                            sightings=[Sighting(source="techreview_kr", url=d["url"], title=d["title"])]))
    return out


def hostile_item() -> Item:
    return Item(kind="news", title=HOSTILE_TITLE, url=HOSTILE_URL, key="hostile:1", snippet=HOSTILE_SNIPPET,
                sightings=[Sighting(source="hackernews", url=HOSTILE_URL, title=HOSTILE_TITLE, points=999, comments=3,
                                    discussion_url="javascript:alert(6)")])


def day_items(day: dt.date) -> list[Item]:
    if day == OLD_DAY:
        return (hn_file_items(data_path("hackernews", "algolia_raw_ikevinxie_2026-07-13", "hackernews_search.json"))
                + hf_file_items(data_path("huggingface_daily_papers", "raw_ikevinxie_2026-07-13", "huggingface_papers.json"))
                + [hostile_item()])
    if day == NEW_DAY:
        return (hn_file_items(data_path("hackernews", "algolia_raw_EienMosu_2026-08-18",
                                        "search_by_date_query-AI_tags-story_points-gt-20_hpp50.json"))
                + hf_file_items(data_path("huggingface_daily_papers", "raw_EienMosu_2026-08-18", "daily_papers_limit10.json")))
    if day in KOREAN_DAYS:
        return techreview_items(day)
    raise ValueError(day)


async def _publish(day: dt.date, items: list[Item], store: Store, out: Path, config: Config) -> None:
    store_items(store, day, items)
    run_id = store.start_run(day, "run")
    classified, health = await classify_items(store.items_for_day(day), TAX, None, config)
    for c in classified:
        if c.item.key == "hostile:1":
            c.category = "llm"  # the hostile item must be in the report, whatever the classifier thinks of it
        elif c.item.language == "ko" and c.category == "others":
            c.category = "business"  # the Korean items are AI news (the old system listed them as such)
    for kind in ("news", "paper"):
        ctx = DayContext(day=day, language="ko", config=config, taxonomy=TAX, store=store)
        digest = await build_digest(ctx, kind, [c for c in classified if c.item.kind == kind])
        health.merge(digest.health)
        write_report(digest, out, health)
        store.mark_reported(day, reported_rows(digest))
    store.finish_run(run_id, "ok", {})


def add_day(day: dt.date, reports: Path, db: Path) -> None:
    """Write the reports of `day` (one of the constructed days) into `reports`, recording the run in `db`."""
    with Store(db) as store:
        asyncio.run(_publish(day, day_items(day), store, reports, Config()))


async def _demo(reports: Path, db: Path) -> None:
    cfg = Config()
    with Store(db) as store:
        async with HttpClient.create(cfg.http, replay=DEMO_REPLAY) as http:
            await run_day(DEMO_DAY, cfg, store, http, reports, DayOptions(language="ko"))


@lru_cache(maxsize=1)
def _base() -> tuple[Path, Path]:
    root = Path(tempfile.mkdtemp(prefix="aidigest-site-days-"))
    atexit.register(shutil.rmtree, root, True)
    reports, db = root / "reports", root / "store.sqlite3"
    for day in KOREAN_DAYS + [OLD_DAY]:
        add_day(day, reports, db)
    asyncio.run(_demo(reports, db))
    return reports, db


def make_days(dest: Path) -> tuple[Path, Path]:
    """A private copy of the base days (2024-10-15..17, 2026-07-13, 2026-08-02): (reports folder, store path)."""
    reports, db = _base()
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copytree(reports, dest / "reports", copy_function=shutil.copy2)
    shutil.copy2(db, dest / "store.sqlite3")
    return dest / "reports", dest / "store.sqlite3"
