"""Snippet enrichment against a real HTTP server on 127.0.0.1 serving the real hackernews.betacat.io page,
and in replay. No recording of a real linked article exists (SOURCES.md): the betacat page is the one real
news web page we have, so it stands in for "the linked article"."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from conftest import data_bytes

from aidigest.config import Config
from aidigest.infra.http import HttpClient, Recording
from aidigest.records import Item, Sighting
from aidigest.sources.base import FetchContext
from aidigest.sources.snippets import enrich_snippets, extract_snippet
from aidigest.text import clip_text, strip_html
from aidigest.urls import canonical_key

PAGE = data_bytes("betacat_hn", "index_2023-06-29.html")
FEED = data_bytes("betacat_hn", "feed_2023-06-29.xml")


class PageServer:
    """Serves the real page under several paths with different content types; records requested paths."""

    routes = {
        "/article.html": (200, "text/html; charset=utf-8", PAGE),
        "/article2.html": (200, "text/html", PAGE),
        "/feed.xml": (200, "application/atom+xml", FEED),
        "/served-pdf": (200, "application/pdf", b"%PDF-1.4\n" + PAGE[:100]),
    }

    def __init__(self):
        self.requested: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                outer.requested.append(self.path)
                status, ctype, body = outer.routes.get(self.path, (404, "text/plain", b"not found"))
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = PageServer()
    yield s
    s.close()


def _news(url: str, points: int = 10, snippet: str = "") -> Item:
    return Item(kind="news", title=url, url=url, key=canonical_key(url), snippet=snippet,
                sightings=[Sighting(source="hackernews", url=url, points=points)])


def _run(items, cfg: Config, replay=None):
    cfg = cfg.updated(http={"allow_networks": ["127.0.0.1/32"]})  # the page server is on loopback: allowed explicitly (SSRF guard)

    async def go():
        async with HttpClient.create(cfg.http, replay=replay) as http:
            return await enrich_snippets(items, FetchContext(dt.date(2023, 6, 29), http, cfg))

    return asyncio.run(go())


def test_clip_text_cuts_at_a_sentence_boundary():
    text = "First sentence here. Second one is longer than that! Third? " + "x" * 50
    assert clip_text(text, 55) == "First sentence here. Second one is longer than that!"
    assert clip_text("짧은 문장입니다. 두 번째 문장도 있습니다. 세 번째", 28) == "짧은 문장입니다. 두 번째 문장도 있습니다."
    assert clip_text("no sentence end at all in this long run of words", 20) == "no sentence end at…"
    assert clip_text("short.", 600) == "short."


def test_strip_html():
    assert strip_html("<p>a &amp; b</p><script>x()</script><p>c</p>") == "a & b c"
    assert strip_html(None) == ""


def test_extract_snippet_from_the_real_page():
    s = extract_snippet(PAGE, 600)
    assert s.startswith("Canada has launched its first-ever Tech Talent Strategy")
    assert len(s) <= 600 and s.endswith(".")


def test_enrich_over_real_sockets(server):
    cfg = Config()
    cfg = cfg.updated(sources={"snippets": {"max_per_day": 4}})
    b = server.base
    items = [
        _news(f"{b}/article.html", points=100),
        _news(f"{b}/feed.xml", points=90),  # not HTML
        _news(f"{b}/served-pdf", points=80),  # a PDF discovered by its content type
        _news(f"{b}/missing.html", points=70),  # 404
        _news(f"{b}/paper.pdf", points=60),  # a PDF by URL: never requested
        _news("https://arxiv.org/abs/2607.28628", points=50),  # paper pages are not articles: never requested
        _news("https://news.ycombinator.com/item?id=8863", points=40),  # Ask HN discussion: never requested
        _news(f"{b}/article2.html", points=5, snippet="already has one"),
        _news(f"{b}/article2.html?second", points=1),  # 5th candidate, fewest points: over the cap of 4
        Item(kind="paper", title="p", url=f"{b}/article.html#p", key="arxiv:2607.28582"),  # papers keep abstracts
    ]
    counts = _run(items, cfg)
    assert counts == {"has_snippet": 1, "fetched": 1, "cached": 0, "missing": 0, "skipped_pdf": 2, "skipped_link": 2,
                      "skipped_non_html": 1, "too_large": 0, "empty": 0, "failed": 1, "over_cap": 1,
                      "blocked": 0, "timed_out": 0}
    assert items[0].snippet == extract_snippet(PAGE, 600)
    assert items[7].snippet == "already has one" and items[8].snippet == "" and items[9].snippet == ""
    assert sorted(server.requested) == ["/article.html", "/feed.xml", "/missing.html", "/served-pdf"]


def test_response_cap(server):
    cfg = Config()
    cfg = cfg.updated(sources={"snippets": {"max_bytes": 10_000}})  # the real page is ~130 kB
    items = [_news(f"{server.base}/article.html")]
    counts = _run(items, cfg)
    assert counts["too_large"] == 1 and items[0].snippet == ""


def test_replay_missing_pages_are_counted_not_raised(tmp_path):
    rec = Recording(tmp_path / "rec")
    url = "https://example.org/post"
    rec.add("GET", url, 200, {"content-type": "text/html; charset=utf-8"}, PAGE, note="real betacat page")
    cfg = Config()
    items = [_news(url, 30), _news("https://seanhelvey.com/tools-and-their-tools/", 37)]
    counts = _run(items, cfg, replay=tmp_path / "rec")
    assert (counts["fetched"], counts["missing"], counts["failed"]) == (1, 1, 0)
    assert items[0].snippet.startswith("Canada has launched") and items[1].snippet == ""
