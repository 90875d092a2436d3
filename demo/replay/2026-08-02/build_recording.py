"""Rebuild this replay recording (index.json + bodies/) from the real recordings in ../shared/data (the shared data folder beside the repository).

2026-08-02 is the one day with real recordings of several sources (scout-cpu/personal-news-feed test
fixtures, recorded with curl on 2026-08-02). Each entry maps the EXACT request our source sends for
`--date 2026-08-02` with the default config to one of those real bodies, copied byte for byte; the entry's
"note" names the file and how our request differs from the recorded one.

Not recorded anywhere, so deliberately absent: technologyreview.kr (the source shows `no_recording`) and the
linked article pages (snippets count as `missing`).

Run from the repository root:  .venv/bin/python demo/replay/2026-08-02/build_recording.py [SHARED_DATA_DIR]
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sys
from pathlib import Path

import httpx

from aidigest.config import Config
from aidigest.sources import arxiv, hackernews, hf_papers

DAY = dt.date(2026, 8, 2)
HERE = Path(__file__).resolve().parent


def main(data: Path) -> None:
    cfg = Config()  # the default config
    hn_cfg, ax_cfg = cfg.sources.hackernews, cfg.sources.arxiv
    start, end = hackernews.day_range(DAY)
    win_start, win_end = arxiv.window(DAY)
    entries = [
        {
            "url": str(httpx.URL(hackernews.ALGOLIA_URL, params=hackernews.algolia_params(DAY, hn_cfg.min_points, 0))),
            "content_type": "application/json; charset=utf-8",
            "src": "hackernews/algolia_raw_scout-cpu_2026-08-02/search_by_date_tags-story_points-ge-20_hpp30.json",
            "body_file": "bodies/hn_algolia_search_by_date_scout-cpu_2026-08-02.json",
            "note": (
                "Real body: ../shared/data/hackernews/algolia_raw_scout-cpu_2026-08-02/"
                "search_by_date_tags-story_points-ge-20_hpp30.json (scout-cpu/personal-news-feed tests/fixtures/hn.json "
                "@ bfc5bfbd, curl on 2026-08-02 ~22:06 UTC). Recorded request: search_by_date?tags=story"
                "&numericFilters=points>=20&hitsPerPage=30 (page 0, no date filter). Ours adds "
                f"created_at_i>={start},created_at_i<{end} (the UTC day 2026-08-02) and asks hitsPerPage="
                f"{hackernews.HITS_PER_PAGE}. All 30 recorded hits were created on 2026-08-02 UTC (11:53-20:48) with "
                "points>=20, so each satisfies our filter, but the real answer to our request would also hold the "
                "day's earlier stories: this body has only the 30 latest. 30 hits < hitsPerPage ends our pagination."
            ),
        },
        {
            "url": str(httpx.URL(hf_papers.API_URL, params=hf_papers.request_url(DAY)[1])),
            "content_type": "application/json; charset=utf-8",
            "src": "huggingface_daily_papers/raw_scout-cpu_2026-08-02/daily_papers_limit30.json",
            "body_file": "bodies/hf_daily_papers_scout-cpu_2026-08-02.json",
            "note": (
                "Real body: ../shared/data/huggingface_daily_papers/raw_scout-cpu_2026-08-02/daily_papers_limit30.json "
                "(scout-cpu/personal-news-feed tests/fixtures/hf_papers.json @ bfc5bfbd, curl on 2026-08-02). "
                "Recorded request: daily_papers?limit=30 (the 30 latest listed papers, all submittedOnDailyAt "
                "2026-07-31, arXiv publishedAt 2026-07-17..07-29). Ours: daily_papers?date=2026-08-02 (same schema; "
                "the real answer would be the listing of that date, which was not recorded)."
            ),
        },
        {
            "url": str(httpx.URL(arxiv.API_URL, params=arxiv.page_params(
                DAY, ax_cfg.categories, 0, min(ax_cfg.page_size, ax_cfg.max_results)))),
            "content_type": "application/atom+xml; charset=utf-8",
            "src": "arxiv_api/raw_scout-cpu_2026-08-02/query_cat-cs.AI-OR-cs.LG-OR-cs.CL_submittedDate_desc_max25.xml",
            "body_file": "bodies/arxiv_api_query_scout-cpu_2026-08-02.xml",
            "note": (
                "Real body: ../shared/data/arxiv_api/raw_scout-cpu_2026-08-02/"
                "query_cat-cs.AI-OR-cs.LG-OR-cs.CL_submittedDate_desc_max25.xml (scout-cpu/personal-news-feed "
                "tests/fixtures/arxiv.xml @ bfc5bfbd, curl on 2026-08-02 22:07 UTC). Recorded request: "
                "search_query=cat:cs.AI OR cat:cs.LG OR cat:cs.CL, sortBy=submittedDate descending, max_results=25, "
                "no date range. Ours: 7 categories (" + " ".join(ax_cfg.categories) + ") AND submittedDate:["
                f"{win_start:%Y%m%d%H%M} TO {(win_end - dt.timedelta(minutes=1)):%Y%m%d%H%M}] (the 14:00-ET deadline "
                f"window of 2026-08-02), start=0, max_results={min(ax_cfg.page_size, ax_cfg.max_results)}. The recorded "
                "entries were submitted 2026-07-30 17:01-17:59 UTC (the latest announced at recording time); papers "
                "of our window were not yet announced then, so the real answer at that moment would have been empty. "
                "25 entries < 200 asked ends our pagination after this single page."
            ),
        },
    ]
    (HERE / "bodies").mkdir(exist_ok=True)
    index = {"version": 1, "entries": []}
    for e in entries:
        shutil.copyfile(data / e["src"], HERE / e["body_file"])  # byte for byte
        index["entries"].append({
            "method": "GET", "url": e["url"], "status": 200, "headers": {"content-type": e["content_type"]},
            "body_file": e["body_file"], "note": e["note"],
        })
    tmp = HERE / "index.json.tmp"
    tmp.write_text(json.dumps(index, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(HERE / "index.json")
    print(f"wrote {len(index['entries'])} entries to {HERE / 'index.json'}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[3].parent / "shared" / "data")
