"""deeplearn.org "Hot Papers".

NO SAVED PAGE OF deeplearn.org EXISTS (SOURCES.md (e) of the shared data). The page parsed here is RENDERED IN THIS
TEST from the structure of the site's public templates (repository zomux/dlmonitor, `dlmonitor/webapp/templates/
index.html` @ c004f7cd and `post_arxiv.html` @ 9de04031: `div.panel > div.panel-heading > h3.panel-title`, then
`div.panel-body` with one `div.post` per paper: `div.title > a[href="/arxiv/<n>/<title lowercased, spaces ->
dashes>"]`, `div.author`, a date label, a PDF button `onclick="window.open('<pdf_url>', '_blank');"` and a Mendeley
button importing `<arxiv_url>`), with the hidden column template and a second panel ("Fresh Papers") the old
system's whole-page selector would also have read.

The posts are REAL: titles and deeplearn.org links from tests/data/news_items/finddme_papers_items.deeplearn_lines.jsonl
(lines 109, 131-141 odd, 143, 145, 146 of the shared data's news_items/finddme_papers_items.jsonl, copied with sed):
the 6 Hot Papers the old system reported on 2024-10-27, and 3 of 2024-10-28 put in the other panel. The arXiv
link of a post is known for one of them only: "DynamicCity", whose arXiv copy (http://arxiv.org/abs/2410.18084v1,
line 109) the old system also reported. The other posts' PDF/Mendeley URLs are rendered EMPTY, not invented:
they test the path of a post without an arXiv link. The date label is the old report's date (the data has no
publication date); the parser does not read it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import threading
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from conftest import data_path

from aidigest.collect import collect_day
from aidigest.config import Config
from aidigest.dedupe.merge import merge_items
from aidigest.infra.http import HttpClient, Recording
from aidigest.records import Item, Sighting
from aidigest.sources.builtin import build_sources
from aidigest.sources import deeplearn
from aidigest.sources.base import FetchContext, ParseError
from aidigest.infra.store import Store
from aidigest.urls import canonical_key

DAY = dt.date(2024, 10, 27)
ARXIV = {"DynamicCity: Large-Scale LiDAR Generation from Dynamic Scenes": "http://arxiv.org/abs/2410.18084v1"}


def _rows() -> list[dict]:
    lines = data_path("news_items", "finddme_papers_items.deeplearn_lines.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in lines.splitlines()]


def _post(row: dict) -> str:
    href = row["url"].removeprefix("https://deeplearn.org")
    abs_url = ARXIV.get(row["title"], "")
    pdf_url = abs_url.replace("/abs/", "/pdf/")
    return f"""<div class="post">
    <div class="title"><a href="{escape(href)}" target="_blank">{escape(row['title'])}</a></div>
    <div class="author"></div>
    <div class="tools clearfix">
        <span class="btns">
            <span class="label label-default">{row['date']}</span>
            <button type="button" class="btn btn-info" onclick="window.open('{pdf_url}', '_blank');">PDF</button>
            <button type="button" class="btn btn-danger" onclick="window.open('https://www.mendeley.com/import/?url={abs_url}', '_blank');">Mendeley</button>
            <span class="label label-hot">Hot</span>
        </span>
    </div>
</div>
<div class="hrline"></div>
"""


def _panel(i: int, title: str, rows: list[dict]) -> str:
    return f"""<div class="column">
  <div class="panel panel-default">
    <div class="panel-heading clearfix">
      <h3 id="column-title-{i}" class="panel-title">{escape(title)}</h3>
      <span id="close-btn-{i}" class="close-btn label" onclick="dlmonitor.removeKeyword(this);"><span class="fa fa-close"></span></span>
    </div>
    <div id="posts-{i}" class="panel-body">
{''.join(_post(r) for r in rows)}    </div>
  </div>
</div>
"""


def render_home(panels: list[tuple[str, list[dict]]]) -> bytes:
    """The home page as the dlmonitor templates render it (structure only; scripts and styles left out)."""
    hidden = """<div id="column-template" style="display:none;"><div class="column"><div class="panel panel-default">
  <div class="panel-heading clearfix"><h3 id="column-title-NUM" class="panel-title"></h3></div>
  <div id="posts-NUM" class="panel-body">Loading ...</div></div></div></div>"""
    cols = "".join(_panel(i, t, rows) for i, (t, rows) in enumerate(panels))
    return f"""<!DOCTYPE html><html xmlns="http://www.w3.org/1999/xhtml"><head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8" /><title>Deep Learning Monitor</title></head><body>
<div id="wrapper" class="container"><nav class="navbar navbar-default"><div class="row"><div class="col-md-6 logo">
<div><h1><a href="/">Deep Learning Monitor</a></h1></div></div></div></nav>
{hidden}
<div class="post-columns-wrapper"><div class="post-columns-frame"><div class="post-columns" id="post-columns">
{cols}</div></div></div></div></body></html>""".encode()


def _page() -> bytes:
    rows = _rows()
    hot = [r for r in rows if r["domain"] == "deeplearn.org" and r["date"] == "2024-10-27"]
    fresh = [r for r in rows if r["domain"] == "deeplearn.org" and r["date"] == "2024-10-28"]
    assert len(hot) == 6 and len(fresh) == 3
    return render_home([("Fresh Papers", fresh), ("Hot Papers", hot), ("Hot Tweets", [])])


def test_only_the_hot_papers_panel_is_read():
    page = deeplearn.parse_page(_page())
    hot = [r for r in _rows() if r["date"] == "2024-10-27"]
    assert [it.title for it in page.items] == [r["title"] for r in hot]
    assert "Online waveform selection for cognitive radar" not in {it.title for it in page.items}  # Fresh Papers
    assert [it.sightings[0].url for it in page.items] == [r["url"] for r in hot]
    assert all(it.kind == "paper" and it.sightings[0].source == "deeplearn" for it in page.items)
    assert [it.sightings[0].rank for it in page.items] == list(range(6))


def test_each_post_is_keyed_by_its_arxiv_id_when_the_page_links_arxiv():
    page = deeplearn.parse_page(_page())
    by_title = {it.title: it for it in page.items}
    dyn = by_title["DynamicCity: Large-Scale LiDAR Generation from Dynamic Scenes"]
    assert (dyn.arxiv_id, dyn.key, dyn.url) == ("2410.18084", "arxiv:2410.18084", "https://arxiv.org/abs/2410.18084")
    # the posts whose arXiv link the data does not hold keep their deeplearn.org link, counted
    others = [it for it in page.items if it is not dyn]
    assert all(it.arxiv_id is None and it.url.startswith("https://deeplearn.org/arxiv/") for it in others)
    assert page.notes["no_arxiv_id"] == 5


def test_merges_with_the_arxiv_copy_of_the_same_paper():
    [line] = [r for r in _rows() if r["domain"] == "arxiv.org"]  # the old system's arXiv (HF Daily Papers) link
    arxiv_item = Item(kind="paper", title=line["title"], url=line["url"], key=canonical_key(line["url"]),
                      arxiv_id="2410.18084", sightings=[Sighting(source="hf_papers", url=line["url"], title=line["title"])])
    items = deeplearn.parse_page(_page()).items
    merged, n = merge_items([arxiv_item, *items])
    assert n == 1 and len(merged) == 6
    [dyn] = [it for it in merged if it.key == "arxiv:2410.18084"]
    assert {s.source for s in dyn.sightings} == {"hf_papers", "deeplearn"}


def test_a_page_without_the_panel_is_a_parse_error():
    rows = [r for r in _rows() if r["domain"] == "deeplearn.org"]
    with pytest.raises(ParseError, match="no panel titled 'Hot Papers'"):
        deeplearn.parse_page(render_home([("Fresh Papers", rows)]))
    with pytest.raises(ParseError):
        deeplearn.parse_page(b"<html><body><div class='title'><a href='/arxiv/1/x'>x</a></div></body></html>")


class _Server:
    """A real HTTP server on 127.0.0.1 answering every GET with one status and body (the site, up or down)."""

    def __init__(self, status: int, body: bytes):
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.httpd.shutdown()
        self.httpd.server_close()


def _collect(url: str):
    cfg = Config().updated(
        http={"allow_networks": ["127.0.0.1/32"], "retries": 0},  # loopback allowed explicitly (SSRF guard)
        sources={"deeplearn": {"enabled": True, "url": url}, "snippets": {"enabled": False}},
    )

    async def go():
        async with HttpClient.create(cfg.http) as http:
            return await collect_day(DAY, cfg, Store(":memory:"), http, sources=[deeplearn.DeeplearnSource(today=lambda: DAY)])

    [outcome] = asyncio.run(go()).outcomes
    return outcome


def test_the_source_through_a_loopback_server():
    with _Server(200, _page()) as srv:
        o = _collect(srv.url)
    assert (o.source, o.status, o.items, o.notes["no_arxiv_id"]) == ("deeplearn", "ok", 6, 5)


@pytest.mark.parametrize("status,body,why", [
    (500, b"<html><body>Internal Server Error</body></html>", "HTTP 500"),
    (200, render_home([("Fresh Papers", [])]), "no panel titled 'Hot Papers'"),
])
def test_a_dead_site_or_a_changed_page_is_a_named_failure_of_this_source(status, body, why):
    with _Server(status, body) as srv:
        o = _collect(srv.url)
    assert (o.source, o.status, o.items) == ("deeplearn", "failed", 0) and why in (o.error or "")


def test_a_past_day_fetches_nothing(tmp_path):
    Recording(tmp_path).save()  # an empty recording: a request would fail with ReplayMissing
    cfg = Config().updated(sources={"deeplearn": {"enabled": True}})

    async def go():
        async with HttpClient.create(cfg.http, replay=tmp_path) as http:
            return await deeplearn.DeeplearnSource(today=lambda: DAY).fetch(FetchContext(DAY - dt.timedelta(days=5), http, cfg))

    res = asyncio.run(go())
    assert res.items == [] and res.notes == {"past_day": 1}


def test_off_by_default_and_aidigest_sources_says_why(tmp_path):
    assert "deeplearn" not in [s.name for s in build_sources(Config())]
    assert "deeplearn" in [s.name for s in build_sources(Config().updated(sources={"deeplearn": {"enabled": True}}))]
    from typer.testing import CliRunner

    from aidigest.cli import app

    cfg = tmp_path / "aidigest.toml"
    cfg.write_text("", encoding="utf-8")
    r = CliRunner().invoke(app, ["sources", "--config", str(cfg), "--db", str(tmp_path / "s.sqlite3")],
                           env={"COLUMNS": "200"})
    assert r.exit_code == 0, r.output
    [row] = [ln for ln in r.output.splitlines() if "deeplearn" in ln]
    assert deeplearn.STATUS_NOTE in row
