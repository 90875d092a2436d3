"""MIT Technology Review Korea (AI section WordPress RSS).

NO REAL RECORDING of technologyreview.kr exists (no raw /feed/ or HTML was found in any searchable repository,
see SOURCES.md (b) in ../shared/data). So:
- the feedparser-based parsing is tested on the real feed recordings we do have (rss.arxiv.org, betacat Atom);
- Korean handling uses REAL technologyreview.kr titles and URLs (tests/data/news_items/
  finddme_news_items.techreview_kr_first5.jsonl, lines of the seed system's own reports, DEV split) PUT INTO
  A WORDPRESS-STYLE RSS ENVELOPE BUILT HERE, because no recording of the feed exists. The excerpt text is
  the real Korean category summary stored with those items.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from xml.sax.saxutils import escape

import pytest
from conftest import data_bytes, data_path

from aidigest.config import Config
from aidigest.infra.http import HttpClient, Recording, ReplayMissing
from aidigest.sources import techreview_kr
from aidigest.sources.base import FetchContext


def _real_items() -> list[dict]:
    lines = data_path("news_items", "finddme_news_items.techreview_kr_first5.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in lines.splitlines()]


def _envelope(items: list[dict]) -> bytes:
    """A WordPress RSS 2.0 envelope (the shape of /category/ai/feed/) around real titles and URLs."""
    entries = "".join(
        f"<item><title>{escape(d['title'])}</title><link>{escape(d['url'])}</link>"
        f"<pubDate>Tue, 15 Oct 2024 01:00:00 +0000</pubDate>"
        f"<description><![CDATA[<p>{d['category_summary_ko']}</p>]]></description></item>"
        for d in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        "<title>AI &#8211; MIT Technology Review</title><link>https://www.technologyreview.kr</link>"
        f"<language>ko-KR</language>{entries}</channel></rss>"
    ).encode()


def test_real_korean_titles_in_a_feed_envelope_are_kept_intact():
    real = _real_items()
    items = techreview_kr.parse(_envelope(real), max_chars=200)
    assert [it.title for it in items] == [d["title"] for d in real]  # e.g. "중국 정부가 AI 규제에 소극적인 이유는?"
    assert "중국 정부가 AI 규제에 소극적인 이유는?" in [it.title for it in items]
    for it, d in zip(items, real, strict=True):
        assert it.language == "ko" and it.kind == "news"
        assert it.sightings[0].source == "techreview_kr"
        assert it.url == d["url"] and it.key == d["url"].replace("https://www.", "https://").rstrip("/")
        assert it.published == dt.datetime(2024, 10, 15, 1, 0, tzinfo=dt.UTC)
        # the Korean excerpt: HTML stripped, whitespace collapsed, clipped, characters untouched
        flat = " ".join(d["category_summary_ko"].split())
        body = it.snippet.rstrip("…")
        assert 0 < len(it.snippet) <= 201 and flat.startswith(body)


@pytest.mark.parametrize("parts", [
    ("arxiv_rss", "trimmed_jmamath_2026-04-27", "arxiv_cs_ai.xml"),
    ("betacat_hn", "feed_2023-06-29.xml"),
])
def test_feedparser_parsing_on_real_feeds_with_korean_language(parts):
    items = techreview_kr.parse(data_bytes(*parts))
    assert items and all(it.language == "ko" and it.sightings[0].source == "techreview_kr" for it in items)


def test_fetch_without_a_recording_is_replay_missing(tmp_path):
    (tmp_path / "rec").mkdir()
    Recording(tmp_path / "rec").save()  # an empty recording: like the demo, which has no technologyreview.kr
    cfg = Config()

    async def go():
        async with HttpClient.create(cfg.http, replay=tmp_path / "rec") as http:
            return await techreview_kr.TechReviewKrSource().fetch(FetchContext(dt.date(2026, 8, 2), http, cfg))

    with pytest.raises(ReplayMissing, match="technologyreview.kr/category/ai/feed/"):
        asyncio.run(go())
