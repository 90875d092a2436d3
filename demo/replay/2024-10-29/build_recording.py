"""Rebuild this replay recording of 2024-10-29 (the day of the old system's report, docs/old-system/) from the real
items of that day in ../shared/data/news_items/finddme_news_items.jsonl. See NOTES.md: BOTH ENVELOPES ARE
RECONSTRUCTED (no response of either site was recorded on that day); only the titles and links are real.

- lines 259-263: the 5 technologyreview.kr items -> an RSS 2.0 envelope in the shape of the site's WordPress feed
  (the request of the `techreview_kr` source, https://www.technologyreview.kr/category/ai/feed/);
- lines 264-267: the 4 Hacker News items -> an Atom envelope in the shape of hackernews.betacat.io/feed.xml
  (the old system's Hacker News source; shape from the real recording tests/data/betacat_hn/feed_2023-06-29.xml),
  read by a `[[sources.feeds]]` entry in this folder's aidigest.toml.

Each entry holds exactly the title and the link; no date (the data's date is the report's date, not the
article's: entries without a date are kept by the feed sources), no description/content (the data has no
article text; its `category_summary_ko` is the old system's LLM summary of a whole category, not the item's
text, so it is left out), no points or comments. Written in the order of the lines.

Run from the repository root:  .venv/bin/python demo/replay/2024-10-29/build_recording.py [SHARED_DATA_DIR]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

HERE = Path(__file__).resolve().parent
JSONL = "news_items/finddme_news_items.jsonl"
TECHREVIEW_LINES = range(259, 264)  # 1-based line numbers in finddme_news_items.jsonl
HN_LINES = range(264, 268)
TECHREVIEW_URL = "https://www.technologyreview.kr/category/ai/feed/"
BETACAT_URL = "https://hackernews.betacat.io/feed.xml"


def _lines(data: Path) -> dict[int, dict]:
    with open(data / JSONL, encoding="utf-8") as f:
        return {n: json.loads(line) for n, line in enumerate(f, 1) if n in TECHREVIEW_LINES or n in HN_LINES}


def techreview_rss(rows: list[dict]) -> bytes:
    items = "".join(f"\n<item>\n\t<title>{escape(r['title'])}</title>\n\t<link>{escape(r['url'])}</link>\n</item>"
                    for r in rows)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0">\n<channel>\n'
            "\t<title>AI &#8211; MIT Technology Review</title>\n\t<link>https://www.technologyreview.kr</link>\n"
            f"\t<language>ko-KR</language>{items}\n</channel>\n</rss>\n").encode("utf-8")


def betacat_atom(rows: list[dict]) -> bytes:
    entries = "".join(f"\n  <entry>\n    <title type=\"text\">{escape(r['title'])}</title>\n    <id>{escape(r['url'])}</id>"
                      f"\n    <link href={quoteattr(r['url'])} />\n  </entry>" for r in rows)
    return ('<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">\n'
            '  <title type="text">Hacker News Summary</title>\n  <id>https://hackernews.betacat.io/feed.xml</id>\n'
            f'  <link href="https://hackernews.betacat.io/feed.xml" rel="self" />{entries}\n</feed>\n').encode("utf-8")


def main(data: Path) -> None:
    rows = _lines(data)
    assert all(rows[n]["date"] == "2024-10-29" for n in rows), "the lines are no longer the 2024-10-29 items"
    assert all(rows[n]["domain"] == "www.technologyreview.kr" for n in TECHREVIEW_LINES)
    bodies = {
        "bodies/techreview_kr_reconstructed_2024-10-29.xml": (
            TECHREVIEW_URL, "application/rss+xml; charset=UTF-8", techreview_rss([rows[n] for n in TECHREVIEW_LINES]),
            "RECONSTRUCTED envelope (RSS 2.0, the WordPress feed's shape) around the real titles and links of lines "
            "259-263 of ../shared/data/news_items/finddme_news_items.jsonl (the 5 technologyreview.kr items of the "
            "old system's 2024-10-29 report). No date, no description: the data has neither."),
        "bodies/betacat_hn_reconstructed_2024-10-29.xml": (
            BETACAT_URL, "application/atom+xml; charset=utf-8", betacat_atom([rows[n] for n in HN_LINES]),
            "RECONSTRUCTED envelope (Atom, the shape of hackernews.betacat.io/feed.xml, the old system's Hacker News "
            "source) around the real titles and links of lines 264-267 of ../shared/data/news_items/"
            "finddme_news_items.jsonl (the 4 Hacker News items of the old system's 2024-10-29 report). No date, no "
            "content, no points or comments: the data has none."),
    }
    (HERE / "bodies").mkdir(exist_ok=True)
    index: dict = {"version": 1, "entries": []}
    for name, (url, ctype, body, note) in bodies.items():
        (HERE / name).write_bytes(body)
        index["entries"].append({"method": "GET", "url": url, "status": 200, "headers": {"content-type": ctype},
                                 "body_file": name, "note": note})
    tmp = HERE / "index.json.tmp"
    tmp.write_text(json.dumps(index, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(HERE / "index.json")
    print(f"wrote {len(index['entries'])} entries to {HERE / 'index.json'}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[3].parent / "shared" / "data")
