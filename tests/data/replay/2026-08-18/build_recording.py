"""Rebuild this replay recording (index.json + bodies/) of 2026-08-18 from the real recordings in tests/data.

The workflow harness (tests/cli/test_workflow_harness.py) needs a SECOND recorded day after the demo day
(demo/replay/2026-08-02). 2026-08-18 is the next day with real recordings: EienMosu/ai-news-digest's Hacker News
(Algolia) and Hugging Face Daily Papers answers, recorded on 2026-08-18 and copied byte for byte into
tests/data/ from the shared data folder (tests/data/README.md). Each entry maps the EXACT request our source
sends for `--date 2026-08-18` with the default config to one of those bodies; the entry's "note" says how our
request differs from the recorded one.

Not recorded on that day, so deliberately absent: arXiv (the source shows `no_recording`), technologyreview.kr,
and the linked article pages.

Run from the repository root:  .venv/bin/python tests/data/replay/2026-08-18/build_recording.py
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import httpx

from aidigest.config import Config
from aidigest.sources import hackernews, hf_papers

DAY = dt.date(2026, 8, 18)
HERE = Path(__file__).resolve().parent
DATA = HERE.parents[1]  # tests/data


def main() -> None:
    hn_cfg = Config().sources.hackernews
    start, end = hackernews.day_range(DAY)
    entries = [
        {
            "url": str(httpx.URL(hackernews.ALGOLIA_URL, params=hackernews.algolia_params(DAY, hn_cfg.min_points, 0))),
            "content_type": "application/json; charset=utf-8",
            "src": "hackernews/algolia_raw_EienMosu_2026-08-18/search_by_date_query-AI_tags-story_points-gt-20_hpp50.json",
            "body_file": "bodies/hn_algolia_search_by_date_EienMosu_2026-08-18.json",
            "note": (
                "Real body: tests/data/hackernews/algolia_raw_EienMosu_2026-08-18/"
                "search_by_date_query-AI_tags-story_points-gt-20_hpp50.json (EienMosu/ai-news-digest, recorded "
                "2026-08-18). Recorded request: search_by_date?query=AI&tags=story&numericFilters=points>20"
                "&hitsPerPage=50 (no date filter). Ours has no query, asks "
                f"created_at_i>={start},created_at_i<{end} (the UTC day 2026-08-18), points>={hn_cfg.min_points} and "
                f"hitsPerPage={hackernews.HITS_PER_PAGE}. The 50 recorded hits were created 2026-08-15..08-18 UTC and "
                "all match 'AI': the real answer to our request would be that day's stories on every subject. "
                "50 hits < hitsPerPage ends our pagination."
            ),
        },
        {
            "url": str(httpx.URL(hf_papers.API_URL, params=hf_papers.request_url(DAY)[1])),
            "content_type": "application/json; charset=utf-8",
            "src": "huggingface_daily_papers/raw_EienMosu_2026-08-18/daily_papers_limit10.json",
            "body_file": "bodies/hf_daily_papers_EienMosu_2026-08-18.json",
            "note": (
                "Real body: tests/data/huggingface_daily_papers/raw_EienMosu_2026-08-18/daily_papers_limit10.json "
                "(EienMosu/ai-news-digest, recorded 2026-08-18). Recorded request: daily_papers?limit=10 (the 10 "
                "latest listed papers). Ours: daily_papers?date=2026-08-18 (same schema; the listing of that "
                "exact date was not recorded)."
            ),
        },
    ]
    (HERE / "bodies").mkdir(exist_ok=True)
    index = {"version": 1, "entries": []}
    for e in entries:
        shutil.copyfile(DATA / e["src"], HERE / e["body_file"])  # byte for byte
        index["entries"].append({
            "method": "GET", "url": e["url"], "status": 200, "headers": {"content-type": e["content_type"]},
            "body_file": e["body_file"], "note": e["note"],
        })
    tmp = HERE / "index.json.tmp"
    tmp.write_text(json.dumps(index, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(HERE / "index.json")
    print(f"wrote {len(index['entries'])} entries to {HERE / 'index.json'}")


if __name__ == "__main__":
    main()
