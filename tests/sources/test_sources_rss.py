"""RSS/Atom source on every real feed recording: rss.arxiv.org (arxiv_rss/*) and hackernews.betacat.io's Atom feed."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from pathlib import Path

import pytest
from conftest import DATA, data_bytes, data_path

from aidigest.collect import collect_day
from aidigest.config import Config
from aidigest.infra.http import HttpClient, Recording
from aidigest.sources import rss
from aidigest.sources.base import FetchContext, ParseError
from aidigest.infra.store import Store

ARXIV_TRIMMED = sorted((DATA / "arxiv_rss" / "trimmed_jmamath_2026-04-27").glob("*.xml"))
WEEKEND = DATA / "arxiv_rss" / "raw_BuiVannn_2026-08-01" / "rss_cs.CL_weekend_empty.xml"
BETACAT = DATA / "betacat_hn" / "feed_2023-06-29.xml"


@pytest.mark.parametrize("path", ARXIV_TRIMMED, ids=lambda p: p.name)
def test_arxiv_rss_feeds_as_papers(path: Path):
    raw = path.read_bytes()
    links = [m.decode() for m in re.findall(rb"<link>(https://arxiv\.org/abs/[^<]+)</link>", raw)]
    creators = [m.decode() for m in re.findall(rb"<dc:creator>([^<]+)</dc:creator>", raw)]
    items = rss.parse(raw, source="rss:arxiv", kind="paper")
    assert [it.url for it in items] == links and len(items) == 3
    for it, creator in zip(items, creators, strict=True):
        aid = it.url.rsplit("/", 1)[1]
        assert it.kind == "paper" and it.arxiv_id == aid and it.key == f"arxiv:{aid}"
        assert not it.snippet.startswith("arXiv:") and "Announce Type" not in it.snippet  # prefix removed
        assert len(it.snippet) > 200  # the whole abstract for papers
        assert it.authors == [a.strip() for a in creator.split(",") if a.strip()]
        assert it.published == dt.datetime(2026, 4, 27, 4, 0, tzinfo=dt.UTC)  # Mon, 27 Apr 2026 00:00 -0400
        assert it.sightings[0].source == "rss:arxiv"


def test_arxiv_weekend_feed_has_no_items():
    page = rss.parse_feed(WEEKEND.read_bytes())
    assert page.items == [] and page.title == "cs.CL updates on arXiv.org"


def test_betacat_atom_feed_as_news():
    raw = BETACAT.read_bytes()
    items = rss.parse(raw, source="rss:betacat", kind="news", language="en", max_chars=300)
    assert len(items) == 24 == raw.count(b"<entry")
    first = items[0]
    assert first.title == "Canada announces open work-permit for tech workers and digital nomads"
    assert first.url.startswith("https://www.canada.ca/en/immigration-refugees-citizenship/news/2023/06/")
    assert first.snippet.startswith("Canada has launched its first-ever Tech Talent Strategy")
    assert first.published == dt.datetime(2023, 6, 29, 4, 19, 16, tzinfo=dt.UTC)
    for it in items:
        assert it.kind == "news" and it.language == "en"
        assert "<" not in it.snippet and "&#34;" not in it.snippet and "&lt;" not in it.snippet  # HTML stripped
        assert 0 < len(it.snippet) <= 301  # clipped (an ellipsis may be added when no sentence end fits)


@pytest.mark.parametrize("name", [("betacat_hn", "index_2023-06-29.html"),
                                  ("hackernews", "algolia_raw_scout-cpu_2026-08-02",
                                   "search_by_date_tags-story_points-ge-20_hpp30.json")])
def test_non_feed_bodies_are_parse_errors(name):
    with pytest.raises(ParseError, match="not an RSS/Atom feed"):
        rss.parse(data_bytes(*name), source="rss:x")


def test_a_string_body_is_never_opened_as_a_file_or_url():
    # feedparser.parse("<path>") would read that file; our parse must treat the string as the body itself
    with pytest.raises(ParseError):
        rss.parse(str(data_path("betacat_hn", "feed_2023-06-29.xml")))


def test_window_keeps_the_date_and_the_day_before():
    day = dt.date(2023, 6, 29)
    assert rss.in_window(dt.datetime(2023, 6, 28, 0, 0, tzinfo=dt.UTC), day)
    assert rss.in_window(dt.datetime(2023, 6, 29, 23, 59, tzinfo=dt.UTC), day)
    assert not rss.in_window(dt.datetime(2023, 6, 27, 23, 59, tzinfo=dt.UTC), day)
    assert not rss.in_window(dt.datetime(2023, 6, 30, 0, 0, tzinfo=dt.UTC), day)
    assert rss.in_window(None, day)


def _feed_ctx(tmp_path: Path, url: str, body: bytes, day: dt.date):
    rec = Recording(tmp_path / "rec")
    rec.add("GET", url, 200, {"content-type": "application/rss+xml"}, body, note="real feed body")
    cfg = Config()
    return cfg, HttpClient.create(cfg.http, replay=tmp_path / "rec")


@pytest.mark.parametrize("day,kept", [(dt.date(2023, 6, 29), 24), (dt.date(2023, 7, 5), 0)])
def test_fetch_keeps_the_dates_entries_and_counts_the_rest(tmp_path, day, kept):
    url = "https://hackernews.betacat.io/feed.xml"
    cfg, http = _feed_ctx(tmp_path, url, BETACAT.read_bytes(), day)
    src = rss.RssSource("betacat", url)

    async def go():
        async with http:
            return await src.fetch(FetchContext(day, http, cfg))

    res = asyncio.run(go())
    assert len(res.items) == kept and res.notes["outside_window"] == 24 - kept
    assert src.name == "rss:betacat"


def test_weekend_feed_is_reported_empty_not_failed(tmp_path):
    url = "https://rss.arxiv.org/rss/cs.CL"
    day = dt.date(2026, 8, 1)
    cfg, http = _feed_ctx(tmp_path, url, WEEKEND.read_bytes(), day)
    cfg = cfg.updated(sources={"snippets": {"enabled": False}})

    async def go():
        async with http:
            return await collect_day(day, cfg, Store(":memory:"), http, sources=[rss.RssSource("arxiv-cl", url, "paper")])

    [outcome] = asyncio.run(go()).outcomes
    assert (outcome.source, outcome.status, outcome.items, outcome.error) == ("rss:arxiv-cl", "empty", 0, None)
