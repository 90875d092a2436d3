"""The static site (aidigest.render.site) without a browser: every page and link, hostile data as text, Atom
feeds parsed back with feedparser, incremental and no-op rebuilds (checked on the files' inodes and bytes),
a failing build leaving the old site as it was, template overrides, bad exports, the trend data, the CLI.

The days are real (tests/site_days.py): the demo day through the real pipeline, and days built from other real
recordings through the same stages; one hand-written hostile item."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import feedparser
import pytest
from markupsafe import escape
from site_days import DEMO_DAY, HOSTILE_TITLE, KOREAN_DAYS, NEW_DAY, OLD_DAY, add_day, make_days

from aidigest.render import site as site_mod
from aidigest.render.palette import category_colour
from aidigest.render.site import STATE_NAME, SiteError, SiteOptions, build_site
from aidigest.render.trend import CategoryInfo, trend_chart

ROOT = Path(__file__).resolve().parents[2]


# ---- helpers ------------------------------------------------------------------------------------------------
class Links(HTMLParser):
    """Every URL a page refers to (a/link href, img/script src), the <html lang>, text and inline handlers."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.refs: list[tuple[str, str, str]] = []  # (tag, attr, url)
        self.lang = None
        self.handlers: list[str] = []
        self.scripts_inline = 0
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        for k, v in attrs:
            if k.startswith("on"):
                self.handlers.append(f"{tag} {k}={v}")
        for attr in ("href", "src"):
            if attr in a and a[attr] is not None:
                self.refs.append((tag, attr, a[attr]))
        if tag == "script":
            self._in_script = "src" not in a and a.get("type") != "application/json"

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.scripts_inline += 1

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False


def parse(path: Path) -> Links:
    p = Links()
    p.feed(path.read_text(encoding="utf-8"))
    return p


def snapshot(d: Path) -> dict[str, tuple[int, int, bytes]]:
    """path -> (inode, mtime_ns, bytes) of every file under d."""
    out = {}
    for p in sorted(d.rglob("*")):
        if p.is_file():
            st = p.stat()
            out[str(p.relative_to(d))] = (st.st_ino, st.st_mtime_ns, p.read_bytes())
    return out


def day_of(link: str) -> str:
    """The day of a day page's link: .../day/2026-08-02-news.html -> 2026-08-02."""
    return re.search(r"/day/(\d{4}-\d{2}-\d{2})-", link).group(1)


def opts(reports: Path, out: Path, db: Path | None, **kw) -> SiteOptions:
    return SiteOptions(reports=reports, out=out, db=db, **kw)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A site of the five base days: (reports, db, site folder, first build result)."""
    tmp = tmp_path_factory.mktemp("site")
    reports, db = make_days(tmp / "in")
    res = build_site(opts(reports, tmp / "site", db))
    return reports, db, tmp / "site", res


# ---- pages and links ----------------------------------------------------------------------------------------
def test_every_page_exists_and_every_internal_link_resolves(built):
    _, _, site, res = built
    assert res.days == 5 and not res.skipped
    days = [*(d.isoformat() for d in KOREAN_DAYS), OLD_DAY.isoformat(), DEMO_DAY.isoformat()]
    for d in days:
        assert (site / "day" / f"{d}-news.html").is_file() and (site / "day" / f"{d}-papers.html").is_file()
    assert (site / "day" / "news_2026-08-02.png").is_file()
    for page in ("index.html", "trends.html", "search.html", "feeds/news.xml", "feeds/papers.xml", "category/llm.html",
                 "category/llm/2026-08.html", "category/llm/2026-07.html", "search/2026-08.js", "search/2024-10.js",
                 "static/site.css", "static/search.js"):
        assert (site / page).is_file(), page
    pages = sorted(site.rglob("*.html"))
    assert len(pages) >= 20
    checked = 0
    for page in pages:
        p = parse(page)
        assert p.lang == "ko", page
        assert not p.handlers, (page, p.handlers)  # no inline event handlers anywhere
        assert p.scripts_inline == 0, page  # every script is a file of the site
        html = page.read_text(encoding="utf-8")
        assert "Content-Security-Policy" in html and "default-src 'none'" in html
        assert 'name="viewport"' in html
        for tag, _attr, url in p.refs:
            parts = urlsplit(url)
            if parts.scheme in ("http", "https"):
                assert tag == "a", (page, tag, url)  # outside links only as links the reader clicks, never loaded
                continue
            assert parts.scheme == "" and not parts.netloc, (page, url)  # no javascript:, data:, file:, //host
            if not parts.path:
                anchor = parts.fragment
                assert f'id="{anchor}"' in html, (page, url)
                continue
            target = (page.parent / unquote(parts.path)).resolve()
            assert target.is_file(), (page, url)
            assert site.resolve() in target.parents, (page, url)
            if parts.fragment and target.suffix == ".html":
                assert f'id="{parts.fragment}"' in target.read_text(encoding="utf-8"), (page, url)
            checked += 1
    assert checked > 500


def test_day_page_shows_what_the_report_shows(built):
    reports, _, site, _ = built
    digest = json.loads((reports / "2026-08-02" / "News_2026-08-02.json").read_text(encoding="utf-8"))
    html = (site / "day" / "2026-08-02-news.html").read_text(encoding="utf-8")
    for sec in digest["sections"]:
        assert f'id="cat-{sec["category"]}"' in html
        for e in sec["entries"]:
            assert f'id="{sec["category"]}-{e["n"]}"' in html
            if e["discussion_url"]:
                assert f'href="{e["discussion_url"]}"' in html  # HN points link to the discussion
        if sec.get("summary"):  # the four-part summary exists only where an LLM wrote it
            for part in ("주요 주제", "주요 사건", "영향 분석", "최종 요약"):
                assert part in html
        else:  # offline: the facts header line, then the ranked list with each item's result sentence
            assert str(escape(sec["header"])) in html
            for e in sec["entries"]:
                if e.get("result"):
                    assert str(escape(e["result"])) in html
    if any(sec.get("summary") for sec in digest["sections"]):
        assert 'class="cite" href="#' in html  # citations link to their sources
    assert digest["other_tech"] and 'id="other-tech"' in html  # the non-AI list comes last
    for o in digest["other_tech"]:
        assert str(escape(o["title"])) in html
    assert '<details class="health"' in html and "실행 상태" in html  # run health folded away
    assert 'class="png" href="news_2026-08-02.png"' in html  # the report's PNG chart is linked from the HTML chart
    assert html.count('<svg class="bar"') == len(digest["sections"]) + 1  # one bar per category + the non-AI bar
    assert 'rel="prev" href="../day/2026-07-13-news.html"' in html
    papers = (site / "day" / "2026-08-02-papers.html").read_text(encoding="utf-8")
    assert "HF 추천" in papers  # HF upvotes
    home = (site / "index.html").read_text(encoding="utf-8")
    assert "2026-08-02" in home and 'href="day/2024-10-15-news.html"' in home  # archive reaches the oldest day
    assert 'id="m-2024-10"' in home and 'id="m-2026-07"' in home  # by month


def test_hostile_item_stays_text(built):
    _, _, site, _ = built
    html = (site / "day" / "2026-07-13-news.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(&#34;xss&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<script>alert" not in html and "<img src=x" not in html
    lower = html.lower()
    assert 'href="javascript:' not in lower and 'href="data:' not in lower and "onmouseover=" not in lower.replace("onmouseover=&#34;", "")
    # everywhere: no element carries a javascript:/data: link, no inline handler (checked on parsed HTML)
    for page in site.rglob("*.html"):
        for tag, _attr, url in parse(page).refs:
            assert urlsplit(url.strip()).scheme.lower() in ("", "http", "https"), (page, tag, url)
    shard = (site / "search" / "2026-07.js").read_text(encoding="utf-8")
    assert "<" not in shard and "\\u003cscript>alert" in shard
    rows = json.loads(shard[len("aidigestSearch.add("):-3])
    hostile = [r for r in rows if r[3] == HOSTILE_TITLE]
    assert hostile and hostile[0][6] == ""  # its javascript: URL was not kept
    feed = feedparser.parse(str(site / "feeds" / "news.xml"))
    entry = next(e for e in feed.entries if e.link.endswith("2026-07-13-news.html"))
    content = entry.content[0].value
    assert "&lt;script&gt;" in content and "<script" not in content and "javascript:" not in content.replace(
        "[click](javascript:alert(2))", "")


# ---- feeds --------------------------------------------------------------------------------------------------
def test_feeds_are_valid_one_entry_per_day_with_stable_ids(built, tmp_path):
    reports, db, site, _ = built
    first = {}
    for kind, name in (("news", "news.xml"), ("paper", "papers.xml")):
        f = feedparser.parse(str(site / "feeds" / name))
        assert f.bozo == 0, f.bozo_exception
        assert f.feed.language == "ko"
        days = sorted(p.parent.name for p in reports.glob(f"*/{'News' if kind == 'news' else 'Papers'}_*.json"))
        assert len(f.entries) == len(days) == 5
        assert [day_of(e.link) for e in f.entries] == sorted(days, reverse=True)  # newest first
        assert len({e.id for e in f.entries}) == 5 and all(e.id.startswith("urn:uuid:") for e in f.entries)
        first[kind] = {day_of(e.link): (e.id, e.updated) for e in f.entries}
    # `updated` of a day = when its run finished, from the store
    with sqlite3.connect(db) as conn:
        finished = dict(conn.execute("SELECT day, MAX(finished_at) FROM runs WHERE status='ok' GROUP BY day"))
    for day, (_, updated) in first["news"].items():
        want = dt.datetime.fromtimestamp(finished[day], dt.timezone.utc).replace(microsecond=0)
        assert dt.datetime.fromisoformat(updated) == want, day
    # another site from the same reports, with a base URL: the same ids
    other = build_site(opts(reports, tmp_path / "other", db, base_url="https://example.org/digest"))
    f2 = feedparser.parse(str(other.out / "feeds" / "news.xml"))
    assert {day_of(e.link): e.id for e in f2.entries} == {d: v[0] for d, v in first["news"].items()}
    assert all(e.link.startswith("https://example.org/digest/day/") for e in f2.entries)
    assert f2.feed.link == "https://example.org/digest/index.html"


def test_rerun_of_a_day_updates_its_entry_not_duplicates(tmp_path):
    reports, db = make_days(tmp_path / "in")
    out = tmp_path / "site"
    build_site(opts(reports, out, db))
    before = {e.id: e for e in feedparser.parse(str(out / "feeds" / "news.xml")).entries}
    # rerun the old day: its report changes (one more item per category listed in full) and a new run is recorded
    path = reports / "2026-07-13" / "News_2026-07-13.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    # (an offline section: the item's own sentence is both its TL;DR and the "원문 발췌" the day page quotes)
    data["sections"][0]["entries"][0]["tldr"] = data["sections"][0]["entries"][0]["result"] = "다시 실행한 날의 한 줄 요약"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    later = dt.datetime.now(dt.timezone.utc).timestamp() + 120
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO runs (day, command, started_at, finished_at, status, summary) VALUES (?,?,?,?,?,?)",
                     ("2026-07-13", "run", later - 5, later, "ok", "{}"))
    res = build_site(opts(reports, out, db))
    assert "day/2026-07-13-news.html" in res.written and "feeds/news.xml" in res.written
    after = {e.id: e for e in feedparser.parse(str(out / "feeds" / "news.xml")).entries}
    assert after.keys() == before.keys()  # same ids, nothing added
    changed = [i for i in after if after[i].updated != before[i].updated]
    assert len(changed) == 1 and after[changed[0]].link.endswith("2026-07-13-news.html")
    assert dt.datetime.fromisoformat(after[changed[0]].updated) == dt.datetime.fromtimestamp(int(later), dt.timezone.utc)
    assert after[changed[0]].published == before[changed[0]].published
    assert "다시 실행한 날의 한 줄 요약" in after[changed[0]].content[0].value


# ---- incremental, no-op, atomic ------------------------------------------------------------------------------
def test_new_day_rerenders_only_what_changed_and_noop_writes_nothing(tmp_path):
    reports, db = make_days(tmp_path / "in")
    out = tmp_path / "site"
    build_site(opts(reports, out, db))
    before = snapshot(out)
    add_day(NEW_DAY, reports, db)
    res = build_site(opts(reports, out, db))
    written = set(res.written)
    d = NEW_DAY.isoformat()
    assert {f"day/{d}-news.html", f"day/{d}-papers.html", f"day/news_{d}.png", "index.html", "trends.html",
            "feeds/news.xml", "feeds/papers.xml", "search/2026-08.js"} <= written
    assert "day/2026-08-02-news.html" in written  # its "next day" link now points to the new day
    # nothing about the older days was touched: same inode, same mtime, same bytes
    untouched = [p for p in before if p.startswith(("day/2024-", "day/2026-07-13", "search/2024-10", "static/"))]
    assert untouched and all(snapshot_one(out / p) == before[p] for p in untouched)
    assert not any(p.startswith(("day/2024-", "day/2026-07-13", "search/2024-", "search/2026-07", "static/"))
                   for p in written), sorted(written)
    assert "category/llm/2024-10.html" not in written
    assert len(written) < 45, sorted(written)
    # the new day is the home page's latest and is searchable
    assert f'<time datetime="{d}">{d}</time>' in (out / "index.html").read_text(encoding="utf-8")
    # no-op rebuild: nothing written, not even the state; no staging folder left behind
    snap = snapshot(out)
    again = build_site(opts(reports, out, db))
    assert not again.swapped and again.written == [] and again.removed == [] and again.rendered == 0
    assert snapshot(out) == snap
    assert not list(tmp_path.glob(".site.build-*")) and not list(tmp_path.glob(".site.old-*"))


def snapshot_one(p: Path) -> tuple[int, int, bytes]:
    st = p.stat()
    return st.st_ino, st.st_mtime_ns, p.read_bytes()


def test_a_failing_build_leaves_the_old_site_untouched(tmp_path, monkeypatch):
    reports, db = make_days(tmp_path / "in")
    out = tmp_path / "site"
    build_site(opts(reports, out, db))
    before = snapshot(out)
    add_day(NEW_DAY, reports, db)
    # 1. a template error on the new day's page: stops before anything is written
    tpl = tmp_path / "tpl"
    tpl.mkdir()
    src = (ROOT / "src" / "aidigest" / "templates" / "day.html.j2").read_text(encoding="utf-8")
    (tpl / "day.html.j2").write_text(src.replace("{% block main %}", "{% block main %}{% if day == '2026-08-18' %}{{ no_such_name }}{% endif %}"),
                                     encoding="utf-8")
    with pytest.raises(SiteError, match=r"day/2026-08-18-news.html: template day.html.j2: .*no_such_name"):
        build_site(opts(reports, out, db, templates=tpl))
    assert snapshot(out) == before
    # 2. a crash at the very last step (the swap): the old site is still whole, no staging folder left
    def boom(staging, target):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(site_mod, "_swap_in", boom)
    with pytest.raises(OSError, match="simulated"):
        build_site(opts(reports, out, db))
    assert snapshot(out) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".site.")] == [".site.lock"]
    # 3. a writer killed mid-way (crash inside a file write): same
    monkeypatch.undo()
    real = site_mod._write_file
    calls = {"n": 0}

    def dies_halfway(path, data, fsync=False):
        calls["n"] += 1
        if calls["n"] == 5:
            path.write_bytes(data[: len(data) // 2])
            raise KeyboardInterrupt
        real(path, data, fsync)

    monkeypatch.setattr(site_mod, "_write_file", dies_halfway)
    with pytest.raises(KeyboardInterrupt):
        build_site(opts(reports, out, db))
    assert snapshot(out) == before
    monkeypatch.undo()
    # and the next build completes
    res = build_site(opts(reports, out, db))
    assert res.swapped and (out / "day" / "2026-08-18-news.html").is_file()


def test_out_folder_that_is_not_a_site_is_refused(tmp_path):
    reports, db = make_days(tmp_path / "in")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(SiteError, match="not an aidigest site"):
        build_site(opts(reports, tmp_path / "mine", db))
    assert (tmp_path / "mine" / "notes.txt").read_text(encoding="utf-8") == "keep me"


def test_user_files_in_the_site_survive_rebuilds(tmp_path):
    reports, db = make_days(tmp_path / "in")
    out = tmp_path / "site"
    build_site(opts(reports, out, db))
    (out / "CNAME").write_text("digest.example.org\n", encoding="utf-8")
    add_day(NEW_DAY, reports, db)
    build_site(opts(reports, out, db))
    assert (out / "CNAME").read_text(encoding="utf-8") == "digest.example.org\n"


def test_a_removed_day_removes_its_pages(tmp_path):
    reports, db = make_days(tmp_path / "in")
    out = tmp_path / "site"
    build_site(opts(reports, out, db))
    shutil.rmtree(reports / "2024-10-16")
    res = build_site(opts(reports, out, db))
    assert "day/2024-10-16-news.html" in res.removed
    assert not list((out / "day").glob("2024-10-16*"))
    assert "2024-10-16" not in (out / "index.html").read_text(encoding="utf-8")


# ---- templates ------------------------------------------------------------------------------------------------
def test_templates_can_be_overridden_from_a_folder(tmp_path):
    reports, db = make_days(tmp_path / "in")
    out = tmp_path / "site"
    build_site(opts(reports, out, db))
    tpl = tmp_path / "tpl"
    tpl.mkdir()
    (tpl / "trends.html.j2").write_text(
        '{% extends "base.html.j2" %}{% block main %}<h1>우리 추세</h1><p>{{ "<b>escaped</b>" }}</p>{% endblock %}',
        encoding="utf-8")
    res = build_site(opts(reports, out, db, templates=tpl))
    html = (out / "trends.html").read_text(encoding="utf-8")
    assert "<h1>우리 추세</h1>" in html and "&lt;b&gt;escaped&lt;/b&gt;" in html  # autoescape holds in overrides
    assert res.written == ["trends.html"]  # every page was re-rendered (templates changed), only this one differs
    with pytest.raises(SiteError, match="does not exist"):
        build_site(opts(reports, out, db, templates=tmp_path / "nope"))


def test_a_bad_export_is_skipped_and_reported(tmp_path):
    reports, db = make_days(tmp_path / "in")
    bad = reports / "2026-07-20"
    bad.mkdir()
    (bad / "News_2026-07-20.json").write_text('{"day": "2026-07-20", "kind": "news"', encoding="utf-8")
    (bad / "Papers_2026-07-20.json").write_text('{"day": "2026-07-20"}', encoding="utf-8")
    res = build_site(opts(reports, tmp_path / "site", db))
    assert len(res.skipped) == 2
    assert "News_2026-07-20.json: not JSON" in res.skipped[0] and "Papers_2026-07-20.json: not a digest export" in res.skipped[1]
    assert res.days == 5 and (tmp_path / "site" / "day" / "2026-08-02-news.html").is_file()
    assert not list((tmp_path / "site" / "day").glob("2026-07-20*"))


# ---- trend data -----------------------------------------------------------------------------------------------
def test_trend_counts_growth_and_colours(built):
    _, _, site, _ = built
    cats = [CategoryInfo("llm", "대규모 언어 모델", "🧠"), CategoryInfo("cv", "컴퓨터 비전", "👁️")]
    end = dt.date(2026, 8, 30)
    counts = {end - dt.timedelta(days=20): {"llm": 5, "cv": 1}, end: {"llm": 2, "cv": 4}, end - dt.timedelta(days=40): {"llm": 9}}
    ch = trend_chart("news", counts, cats, end, 30)
    assert ch.total == 12  # the day 40 days back is outside the window
    g = {x.category.id: (x.earlier, x.recent, x.grew) for x in ch.growth}
    assert g == {"llm": (5, 2, False), "cv": (1, 4, True)}
    assert ch.growth[0].category.id == "cv"  # the largest growth first
    assert {s.fill for s in ch.segments} == {category_colour("llm"), category_colour("cv")}
    top = min(s.y for s in ch.segments)
    assert top >= ch.plot[1] - 0.01  # bars stay inside the plot
    html = (site / "trends.html").read_text(encoding="utf-8")
    assert html.count('<svg class="trend-chart"') == 4  # news + papers, 30 + 90 days
    assert "<title>2026-08-02 · " in html and 'class="growth"' in html
    assert (site / "index.html").read_text(encoding="utf-8").count('<svg class="trend-chart"') == 2


def test_day_chart_uses_the_category_colours(built):
    """The day chart (matplotlib PNG) paints each category's bar in the colour the trend chart uses for it."""
    import numpy as np
    from matplotlib.image import imread

    reports, _, _, _ = built
    digest = json.loads((reports / "2026-08-02" / "News_2026-08-02.json").read_text(encoding="utf-8"))
    img = imread(str(reports / "2026-08-02" / "news_2026-08-02.png"))[:, :, :3]
    pixels = {tuple(int(round(v * 255)) for v in px) for px in img.reshape(-1, 3)[:: 7]}
    for sec in digest["sections"]:
        hexc = category_colour(sec["category"])
        rgb = tuple(int(hexc[i:i + 2], 16) for i in (1, 3, 5))
        assert any(np.abs(np.array(p) - rgb).max() <= 2 for p in pixels), (sec["category"], hexc)


# ---- CLI ------------------------------------------------------------------------------------------------------
def test_cli_site_builds_and_reports_errors_in_one_line(tmp_path):
    reports, db = make_days(tmp_path / "in")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIDIGEST_")}
    env["COLUMNS"] = "200"

    def run(*args):
        return subprocess.run([sys.executable, "-m", "aidigest.cli", "site", *args], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=300)

    r = run("--reports", str(reports), "--db", str(db), "--out", "web", "--base-url", "https://example.org/")
    assert r.returncode == 0, r.stderr
    assert "site: 5 days" in r.stdout and "index.html" in r.stdout
    assert (tmp_path / "web" / "index.html").is_file() and (tmp_path / "web" / STATE_NAME).is_file()
    r2 = run("--reports", str(reports), "--db", str(db), "--out", "web", "--base-url", "https://example.org/")
    assert r2.returncode == 0 and "0 files written" in r2.stdout
    h = subprocess.run([sys.executable, "-m", "aidigest.cli", "--help"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert re.search(r"\bsite\b", h.stdout)
    r3 = run("--reports", str(tmp_path / "missing"), "--out", "web2")
    assert r3.returncode == 2 and "Traceback" not in r3.stderr and "does not exist" in r3.stderr
    assert len([x for x in r3.stderr.splitlines() if x.strip()]) <= 2


def test_state_from_other_code_rereads_exports_keeps_feed_times(tmp_path):
    """The state's export summaries are tied to the code that made them: after an upgrade every export is read
    again, and since nothing in them changed, no page and no feed time changes."""
    reports, db = make_days(tmp_path / "in")
    out = tmp_path / "site"
    build_site(opts(reports, out, None))  # no store: `updated` comes from the files' times
    feed = (out / "feeds" / "news.xml").read_bytes()
    state_path = out / STATE_NAME
    state = json.loads(state_path.read_text(encoding="utf-8"))
    state["code"] = "older-code"
    for v in state["exports"].values():
        v["summary"]["items"] = []  # what an older summarize_digest might have kept
    state_path.write_text(json.dumps(state), encoding="utf-8")
    for p in reports.rglob("*.json"):
        os.utime(p)  # the files look touched (as after a copy), their content is the same
    res = build_site(opts(reports, out, None))
    assert res.written == [] and res.removed == []
    assert (out / "feeds" / "news.xml").read_bytes() == feed
    new_state = json.loads(state_path.read_text(encoding="utf-8"))
    assert new_state["code"] != "older-code" and all(v["summary"]["items"] for k, v in new_state["exports"].items()
                                                      if k.endswith("news") and v["summary"]["sections"])
