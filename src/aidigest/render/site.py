"""The static web archive: `aidigest site` builds it from the day exports (reports/YYYY-MM-DD/*.json + charts)
and the store (run times for the feeds' `updated`).

    site/index.html                     home: the latest day's digests, 30-day trends, every earlier day by month
    site/day/YYYY-MM-DD-news.html       a day's digest as the Markdown report shows it
    site/day/YYYY-MM-DD-papers.html     (its chart beside it: day/news_YYYY-MM-DD.png, day/paper_YYYY-MM-DD.png)
    site/category/<id>.html             a category's items of the last 30 days, newest first, + its months
    site/category/<id>/YYYY-MM.html     a category's items of one month
    site/trends.html                    items per category per day, last 30 and 90 days, and what grew
    site/search.html, search/YYYY-MM.js client-side search over titles and TL;DRs (our own script, no framework)
    site/feeds/news.xml, papers.xml     Atom feeds, one entry per day
    site/week/YYYY-Www-news.html        a week's roundup (`aidigest week`, reports/weekly/YYYY-Www/*.json), linked from
    site/week/YYYY-Www-papers.html      the home page's archive
    site/feeds/weekly.xml               Atom feed of the weekly roundups, one entry per week and kind
    site/static/                        CSS, the search script, the Korean web font (subset)
    site/.aidigest-site.json            build state (what each file was made from), see below

Every link is relative: the folder works from file://, any static host and GitHub Pages. Nothing is fetched
from elsewhere (a Content-Security-Policy of 'self' on every page makes sure).

Incremental: every output file has a key — a hash of what it is made from (its data, the templates, the code,
the options). The state file remembers each file's key and content hash, and a summary of every export (so
pages that span days — home, categories, trends, search, feeds — never re-read old exports). A file whose key
did not change is not rendered; a rendered file whose bytes did not change is not written. A rebuild with
nothing new writes nothing at all.

Atomic: all pages are rendered in memory first (a template error stops the build before anything is
written). The new site is then assembled in a private folder beside the old one — the old files hard-linked in,
the changed ones written — and swapped with the old folder in one rename (renameat2 RENAME_EXCHANGE where the
system has it, else two renames). A build that fails at any point leaves the old site exactly as it was; a
half-built site never replaces a good one. One build at a time per folder (a lock file beside it).

Fetched text stays text: every template autoescapes, and only http(s) links become links (templating.href).
"""

from __future__ import annotations

from ..errors import RenderError

import ctypes
import datetime as dt
import errno
import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import sqlite3
import struct
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypedDict

from pydantic import ValidationError

from ..infra.pgstore import PgError, is_url, redact
from ..report import Digest
from ..weekly.report import WEEK_RE, WeeklyDigest
from ..infra.store import finish_times
from ..summarize.header import list_strings
from ..summarize.i18n import strings
from ..summarize.tldr import signals_text
from ..taxonomy import Taxonomy, load_taxonomy
from . import webfont
from .daybars import day_chart
from .escape import one_line
from .feed import FeedEntry, FeedMeta, atom_feed
from .icons import strip_emoji
from .layout import day_page_path, week_page_path
from .markdown import offline_note
from .templating import TemplateProblem, make_env, render, safe_href, site_strings, templates_key
from .trend import CategoryInfo, trend_chart
from .weekly import WEEKDAYS, week_strings

log = logging.getLogger("aidigest.render")

STATE_NAME = ".aidigest-site.json"
STATE_VERSION = 1
KINDS = ("news", "paper")
JSON_WORD = {"news": "News", "paper": "Papers"}  # reports/D/News_D.json, Papers_D.json
PNG_WORD = {"news": "news", "paper": "paper"}  # reports/D/news_D.png, paper_D.png
FEED_NAME = {"news": "news.xml", "paper": "papers.xml"}
HOME_TOP = 3  # items per category on the home page (the day page has them all)
RECENT_DAYS = 14  # a category page shows this many days; older items are on its month pages
TREND_WINDOWS = (30, 90)
FSYNC_EACH_MAX = 64  # up to this many changed files: fsync each; more: one syncfs
DAY_DIR = re.compile(r"^\d{4}-\d{2}-\d{2}$")
STATIC = Path(__file__).resolve().parent.parent / "static"
CODE = [Path(__file__)] + [Path(__file__).with_name(n) for n in ("templating.py", "trend.py", "feed.py", "palette.py",
                                                                        "icons.py", "daybars.py", "weekly.py")]
WEEKLY_FEED = "feeds/weekly.xml"
CODE_KEY = hashlib.sha256(b"".join(p.read_bytes() for p in CODE)).hexdigest()  # the state's summaries are this code's


class SiteError(RenderError):
    """A problem the user can fix (bad template, output folder that is not a site, unreadable store): one line."""


class SumItem(TypedDict):
    """One item of a day's export as the cross-day pages need it (compact keys: the state holds thousands)."""

    c: str  # category id
    t: str  # title
    u: str  # http(s) URL ("" when the URL was not safe)
    s: str  # TL;DR ("" for compact entries)
    a: str  # anchor of the item on its day page
    g: str  # signals text, e.g. "HN 117점 · 댓글 11개"
    h: str  # HN discussion URL ("" when none)


class DaySummary(TypedDict):
    day: str
    kind: str
    language: str
    sections: list[list]  # [category id, name, emoji, total]
    items: list[SumItem]


@dataclass
class Export:
    """One day's export of one kind found in the reports folder."""

    day: dt.date
    kind: str
    path: Path
    sha: str
    chart: Path | None
    chart_sha: str | None
    summary: DaySummary
    updated: dt.datetime
    published: dt.datetime

    @property
    def id(self) -> str:
        return f"{self.day.isoformat()}/{self.kind}"

    @property
    def page(self) -> str:
        return day_page_path(self.day, self.kind)


@dataclass
class WeekExport:
    """One week's roundup of one kind found in the reports folder (reports/weekly/YYYY-Www/)."""

    week: WeeklyDigest
    sha: str

    @property
    def id(self) -> str:
        return f"{self.week.week}/{self.week.kind}"

    @property
    def page(self) -> str:
        return week_page_path(self.week.week, self.week.kind)


def scan_weeks(reports: Path, skipped: list[str]) -> list[WeekExport]:
    """Every readable weekly export under `reports/weekly`, oldest first; bad files are listed in `skipped`."""
    root = Path(reports) / "weekly"
    out: list[WeekExport] = []
    if not root.is_dir():
        return out
    for d in sorted(p for p in root.iterdir() if p.is_dir() and WEEK_RE.match(p.name)):
        for kind in KINDS:
            path = d / f"{JSON_WORD[kind]}_{d.name}.json"
            if not path.is_file():
                continue
            data = path.read_bytes()
            try:
                week = WeeklyDigest.model_validate_json(data)
            except ValueError:
                skipped.append(f"{path}: not a weekly export")
                continue
            if week.week != d.name or week.kind != kind:
                skipped.append(f"{path}: holds {week.kind} of {week.week}, not {kind} of {d.name}")
                continue
            out.append(WeekExport(week, _sha(data)))
    return out


@dataclass
class Output:
    path: str  # relative to the site root, posix
    key: str
    produce: Callable[..., bytes]  # called without arguments (lambdas bind their values as defaults)


@dataclass
class SiteResult:
    out: Path
    days: int
    exports: int
    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    rendered: int = 0
    unchanged: int = 0
    skipped: list[str] = field(default_factory=list)  # export files that could not be read, one line each
    seconds: float = 0.0
    swapped: bool = False  # False: nothing changed, nothing written

    @property
    def index(self) -> Path:
        return self.out / "index.html"


# ---- small helpers ----------------------------------------------------------------------------------------
def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _key(*parts: object) -> str:
    return _sha(json.dumps(parts, ensure_ascii=False, sort_keys=True, default=str).encode("utf-8"))


def _root(path: str) -> str:
    """Relative prefix from the page at `path` back to the site root."""
    return "../" * path.count("/")


def _iso(t: dt.datetime) -> str:
    return t.astimezone(dt.timezone.utc).isoformat()


def _png_size(data: bytes) -> tuple[int, int] | None:
    if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR":
        w, h = struct.unpack(">II", data[16:24])
        return int(w), int(h)
    return None


def _kind_label(kind: str, language: str) -> str:
    s = site_strings(language)
    return s.news if kind == "news" else s.papers


# ---- reading the inputs ----------------------------------------------------------------------------------
def summarize_digest(digest: Digest) -> DaySummary:
    """The cross-day view of one export: its sections and every item it lists (full, compact, returning)."""
    lang = digest.language
    items: list[SumItem] = []

    def sig(e) -> str:
        return signals_text(lang, e.hn_points, e.hn_comments, e.hf_upvotes, len(e.sources))

    for sec in digest.sections:
        for e in sec.entries:
            items.append(SumItem(c=sec.category, t=one_line(e.title), u=safe_href(e.url) or "", s=one_line(e.tldr),
                                 a=f"{sec.category}-{e.n}", g=sig(e), h=safe_href(e.discussion_url or "") or ""))
        for i, m in enumerate(sec.more, start=1):
            items.append(SumItem(c=sec.category, t=one_line(m.title), u=safe_href(m.url) or "", s="",
                                 a=f"{sec.category}-m{i}", g="", h=""))
    for r in digest.returning:
        e = r.entry
        items.append(SumItem(c=e.category, t=one_line(e.title), u=safe_href(e.url) or "", s=one_line(e.tldr),
                             a=f"ret-{e.n}", g=sig(e), h=safe_href(e.discussion_url or "") or ""))
    return DaySummary(
        day=digest.day.isoformat(), kind=digest.kind, language=lang,
        sections=[[s.category, s.name, s.emoji, s.total] for s in digest.sections], items=items,
    )


def parse_export(data: bytes, path: Path) -> tuple[Digest, dict]:
    try:
        raw = json.loads(data.decode("utf-8"))
        return Digest.model_validate(raw), raw
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"{path}: not JSON ({e})") from None
    except ValidationError as e:
        err = e.errors()[0]
        raise ValueError(f"{path}: not a digest export ({'.'.join(map(str, err['loc']))}: {err['msg']})") from None


def run_times(db: Path | str | None) -> dict[str, float]:
    """day -> when its latest successful run finished (epoch seconds), read from the store without writing
    to it; {} when there is no store. `db`: a SQLite file, or a PostgreSQL store's URL."""
    if db is None or not (is_url(db) or Path(db).is_file()):
        return {}
    try:
        return finish_times(db)
    except (sqlite3.Error, PgError) as e:
        raise SiteError(f"--db {redact(str(db)) if is_url(db) else db}: cannot read the store ({e})") from None


@dataclass(frozen=True)
class _ExportFile:
    """Where one day's export of one kind would be, and its chart."""

    day: dt.date
    name: str  # the day folder's name
    kind: str
    path: Path
    chart: Path

    @property
    def ident(self) -> str:
        return f"{self.name}/{self.kind}"


def _export_files(reports: Path) -> Iterator[_ExportFile]:
    for day_dir in sorted(p for p in reports.iterdir() if p.is_dir() and DAY_DIR.match(p.name)):
        try:
            day = dt.date.fromisoformat(day_dir.name)
        except ValueError:
            continue
        for kind in KINDS:
            yield _ExportFile(day, day_dir.name, kind, day_dir / f"{JSON_WORD[kind]}_{day_dir.name}.json",
                              day_dir / f"{PNG_WORD[kind]}_{day_dir.name}.png")


def _stat_key(st: os.stat_result) -> list[int]:
    return [st.st_size, st.st_mtime_ns, st.st_ino]


def _chart_sha(chart: Path, chart_stat: list[int] | None, prev: dict | None) -> str | None:
    if chart_stat is None:
        return None
    if prev and prev.get("chart_stat") == chart_stat and prev.get("chart_sha"):
        return prev["chart_sha"]
    return _sha(chart.read_bytes())


def _entry_times(updated: dt.datetime, prev: dict | None, sha: str) -> tuple[dt.datetime, dt.datetime]:
    """(updated, published) of an export read in full, made at `updated`, given its previous state `prev`."""
    if prev and prev.get("sha") is None and prev.get("content") == sha:  # same content, re-read by new code
        return dt.datetime.fromisoformat(prev["updated"]), dt.datetime.fromisoformat(prev["published"])
    if prev:  # content changed: its entry must move forward in time
        before = dt.datetime.fromisoformat(prev["updated"])
        if updated <= before:
            updated = before + dt.timedelta(seconds=1)
        return updated, dt.datetime.fromisoformat(prev["published"])
    return updated, updated


@dataclass
class _Scan:
    """`scan_exports`'s inputs and the lists it fills (see there)."""

    cache: dict
    times: dict[str, float]
    skipped: list[str]
    parsed: dict | None

    def one(self, f: _ExportFile) -> tuple[Export, dict] | None:
        """The export at `f` and its new cache entry; None when there is none or it was skipped."""
        try:
            stat = _stat_key(f.path.stat())
        except FileNotFoundError:
            return None
        try:
            chart_stat: list[int] | None = _stat_key(f.chart.stat())
        except FileNotFoundError:
            chart_stat = None
        prev = self.cache.get(f.ident)
        # unchanged files (same size, mtime and inode as last time: the pipeline writes by rename) are not re-read
        data = None
        if prev and prev.get("stat") == stat:
            sha = prev["sha"]
        else:
            data = f.path.read_bytes()
            sha = _sha(data)
        chart_sha = _chart_sha(f.chart, chart_stat, prev)
        if prev and prev.get("sha") == sha:
            summary = prev["summary"]
            updated = dt.datetime.fromisoformat(prev["updated"])
            published = dt.datetime.fromisoformat(prev["published"])
        else:
            read = self._read(f, data, prev, sha)
            if read is None:
                return None
            summary, (updated, published) = read
        export = Export(f.day, f.kind, f.path, sha, f.chart if chart_sha else None, chart_sha, summary, updated, published)
        return export, {"sha": sha, "stat": stat, "chart_sha": chart_sha, "chart_stat": chart_stat,
                        "updated": _iso(updated), "published": _iso(published), "summary": summary}

    def _read(self, f: _ExportFile, data: bytes | None, prev: dict | None,
              sha: str) -> tuple[DaySummary, tuple[dt.datetime, dt.datetime]] | None:
        """A new or changed export read in full: its summary and (updated, published); None when it is skipped."""
        try:
            digest, raw = parse_export(f.path.read_bytes() if data is None else data, f.path)
            if digest.day != f.day or digest.kind != f.kind:
                raise ValueError(f"{f.path}: holds {digest.kind} of {digest.day}, not {f.kind} of {f.day}")
        except ValueError as e:
            self.skipped.append(str(e))
            return None
        if self.parsed is not None:
            self.parsed[f.ident] = (digest, raw)
        summary = summarize_digest(digest)
        made = self.times.get(f.name) or f.path.stat().st_mtime
        updated = dt.datetime.fromtimestamp(made, dt.timezone.utc).replace(microsecond=0)
        return summary, _entry_times(updated, prev, sha)


def scan_exports(
    reports: Path, cache: dict, times: dict[str, float], skipped: list[str], parsed: dict | None = None
) -> tuple[list[Export], dict[str, dict]]:
    """Every readable export under `reports`, sorted by (day, kind); bad files are listed in `skipped`
    (one line each) and left out. `cache`: the previous state's exports (summaries are reused by hash).
    `parsed`, if given, receives (Digest, raw dict) of every export read in full (new or changed ones), so the
    build does not read them twice."""
    exports: list[Export] = []
    new_cache: dict[str, dict] = {}
    if not reports.is_dir():
        raise SiteError(f"reports folder {reports} does not exist (run `aidigest run` first, or pass --reports)")
    scan = _Scan(cache, times, skipped, parsed)
    for f in _export_files(reports):
        found = scan.one(f)
        if found is not None:
            exports.append(found[0])
            new_cache[f.ident] = found[1]
    return exports, new_cache


# ---- the build --------------------------------------------------------------------------------------------
@dataclass
class SiteOptions:
    reports: Path
    out: Path
    db: Path | str | None = None  # str: a PostgreSQL store's URL
    base_url: str = ""
    templates: Path | None = None
    language: str = "ko"
    title: str = ""
    feed_days: int = 30
    taxonomy: Taxonomy | None = None
    profiles: list[tuple[str, str]] = field(default_factory=list)  # (name, its site's index.html): linked from home


class _Builder:
    def __init__(self, opts: SiteOptions, state: dict, parsed: dict | None = None, weeks: list[WeekExport] | None = None):
        self.weeks = weeks or []
        self.o = opts
        self.state = state
        self.parsed = parsed or {}
        self.entries_old: dict[str, dict] = state.get("feed_entries", {})
        self.entries_new: dict[str, dict] = {}  # rendered feed entries kept for the next build (see _feed)
        try:
            self.env = make_env(opts.templates)
        except TemplateProblem as e:
            raise SiteError(str(e)) from None
        self.tax = opts.taxonomy or load_taxonomy(None)
        self.lang = opts.language
        self.s = site_strings(self.lang)
        self.title = opts.title or self.s.site_title
        self.base = opts.base_url.rstrip("/") + "/" if opts.base_url else ""
        font = webfont.font_key()
        self.font_key = font
        static = sorted((p.relative_to(STATIC).as_posix(), _sha(p.read_bytes())) for p in _static_files())
        self.renderer = _key(
            templates_key(self.env), [_sha(p.read_bytes()) for p in CODE], static, font,
            self.lang, self.title, self.base, opts.feed_days, [c.model_dump() for c in self.tax.categories],
            bool(self.weeks),  # the weekly feed is listed on every page once there is a week
        )

    # -- shared context --
    def ctx(self, path: str, **kw) -> dict:
        return dict(
            root=_root(path), s=self.s, lang=self.lang, site_title=self.title, has_font=self.font_key is not None,
            feeds=[(_kind_label(k, self.lang), f"feeds/{FEED_NAME[k]}") for k in KINDS]
            + ([(self.weekly_label(), WEEKLY_FEED)] if self.weeks else []), page=path, **kw,
        )

    def page(self, path: str, template: str, **kw) -> bytes:
        try:
            return render(self.env, template, **self.ctx(path, **kw)).encode("utf-8")
        except TemplateProblem as e:
            raise SiteError(f"{path}: {e}") from None

    def categories(self, exports: list[Export]) -> list[CategoryInfo]:
        """Reported taxonomy categories (in taxonomy order), then any other id found in the exports."""
        out = [CategoryInfo(c.id, c.display_name(self.lang), c.emoji) for c in self.tax.reported()]
        known = {c.id for c in out}
        for e in exports:
            for cid, name, emoji, _ in e.summary["sections"]:
                if cid not in known:
                    known.add(cid)
                    out.append(CategoryInfo(cid, name, emoji))
        return out

    # -- the outputs --
    def outputs(self, exports: list[Export]) -> list[Output]:
        outs: list[Output] = []
        outs += self.static_outputs()
        by_kind: dict[str, list[Export]] = {k: [e for e in exports if e.kind == k] for k in KINDS}
        by_day: dict[dt.date, dict[str, Export]] = defaultdict(dict)
        for e in exports:
            by_day[e.day][e.kind] = e
        cats = self.categories(exports)
        for kind, lst in by_kind.items():
            for i, e in enumerate(lst):
                prev = lst[i - 1] if i > 0 else None
                nxt = lst[i + 1] if i + 1 < len(lst) else None
                other = by_day[e.day].get("paper" if kind == "news" else "news")
                outs += self.day_outputs(e, prev, nxt, other)
        days = sorted(by_day)
        counts = {k: {e.day: {c[0]: c[3] for c in e.summary["sections"]} for e in lst} for k, lst in by_kind.items()}
        outs.append(self.home_output(days, by_day, counts, cats))
        outs.append(self.trends_output(days, counts, cats))
        outs += self.category_outputs(exports, cats, days)
        outs += self.search_outputs(exports)
        outs += self.feed_outputs(by_kind)
        outs += self.week_outputs()
        return outs

    # -- the weekly roundups --
    def weekly_label(self) -> str:
        return "주간" if self.lang == "ko" else "Weekly"

    def week_context(self, w: WeeklyDigest) -> dict:
        return {"week": w, "t": strings(w.language), "ws": week_strings(w.language),
                "wd": WEEKDAYS.get(w.language, WEEKDAYS["en"])}

    def week_outputs(self) -> list[Output]:
        outs = []
        by_week: dict[str, dict[str, WeekExport]] = defaultdict(dict)
        for e in self.weeks:
            by_week[e.week.week][e.week.kind] = e
        for e in self.weeks:
            other = by_week[e.week.week].get("paper" if e.week.kind == "news" else "news")
            path = e.page

            def produce(e=e, other=other, path=path) -> bytes:
                label = f"{_kind_label(e.week.kind, self.lang)} · {self.weekly_label()}"
                return self.page(path, "week.html.j2", kind_label=label,
                                 other=_root(path) + other.page if other else None,
                                 other_label=_kind_label(other.week.kind, self.lang) if other else None,
                                 page_title=f"{label} {e.week.week}", **self.week_context(e.week))

            outs.append(Output(path, _key(self.renderer, "week", e.sha, other and other.sha), produce))
        if self.weeks:
            recent = list(reversed(self.weeks))[: max(0, self.o.feed_days)]
            outs.append(Output(WEEKLY_FEED, _key(self.renderer, "weeklyfeed", [(e.id, e.sha) for e in recent]),
                               lambda recent=recent: self._week_feed(recent)))
        return outs

    def _week_feed(self, recent: list[WeekExport]) -> bytes:
        entries = []
        for e in recent:
            link = self._link(e.page, WEEKLY_FEED)
            try:
                html = render(self.env, "_week.html.j2", base=link, s=self.s, lang=self.lang, **self.week_context(e.week))
            except TemplateProblem as err:
                raise SiteError(f"{WEEKLY_FEED}: {err}") from None
            # a week is complete when it ends: its entry is dated the Monday after (stable across rebuilds)
            when = dt.datetime.combine(e.week.end + dt.timedelta(days=1), dt.time(), tzinfo=dt.timezone.utc)
            entries.append(FeedEntry(kind=f"weekly-{e.week.kind}", day=e.week.start,
                                     title=f"{self.title} {_kind_label(e.week.kind, self.lang)} · {self.weekly_label()} {e.week.week}",
                                     link=link, content_html=html, updated=when, published=when))
        epoch = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)
        return atom_feed("weekly", entries, FeedMeta(title=f"{self.title} — {self.weekly_label()}",
                         subtitle=f"{self.weekly_label()} · {self.title}", site_link=self._link("index.html", WEEKLY_FEED),
                         self_link=self._link(WEEKLY_FEED, WEEKLY_FEED), language=self.lang, author=self.title,
                         fallback_updated=epoch))

    def static_outputs(self) -> list[Output]:
        outs = []
        for p in _static_files():
            data = p.read_bytes()
            outs.append(Output(f"static/{p.relative_to(STATIC).as_posix()}", _key(self.renderer, "static", _sha(data)),
                               lambda d=data: d))
        if self.font_key:
            def font() -> bytes:
                data = webfont.subset_woff()
                if data is None:
                    raise SiteError("the Korean web font could not be made (see the warning above)")
                return data

            outs.append(Output(f"static/{webfont.FILE_NAME}", _key("font", self.font_key), font))
            css = (
                f"@font-face {{ font-family: \"{webfont.FAMILY}\"; src: url(\"{webfont.FILE_NAME}\") format(\"woff\");"
                " font-weight: 100 900; font-display: swap; }\n"
            ).encode()
            outs.append(Output("static/font.css", _key("fontcss", _sha(css)), lambda: css))
        return outs

    def day_outputs(self, e: Export, prev: Export | None, nxt: Export | None, other: Export | None) -> list[Output]:
        outs = []
        chart_name = None
        size = None
        if e.chart is not None:
            chart_name = e.chart.name
            chart_path = e.chart
            chart_bytes_key = e.chart_sha
            outs.append(Output(f"day/{chart_name}", _key("chart", chart_bytes_key),
                               lambda p=chart_path: p.read_bytes()))
            with open(chart_path, "rb") as f:
                size = _png_size(f.read(32))
        path = e.page
        rel = lambda x: _root(path) + x.page if x else None  # noqa: E731

        def produce() -> bytes:
            digest, raw = self.digest(e)
            t = strings(digest.language)
            kind_label = _kind_label(e.kind, self.lang)
            return self.page(
                path, "day.html.j2", digest=digest, raw=raw, t=t, kind=e.kind, kind_label=kind_label,
                day=e.day.isoformat(), chart=chart_name, chart_size=size, bars=day_chart(digest),
                chart_alt=self.s.chart_alt.format(kind=kind_label, day=e.day.isoformat()), offline_note=offline_note(digest),
                prev=rel(prev), prev_day=prev.day.isoformat() if prev else None,
                next=rel(nxt), next_day=nxt.day.isoformat() if nxt else None,
                other=rel(other), other_label=_kind_label(other.kind, self.lang) if other else None,
                page_title=self.s.kind_day.format(kind=kind_label, day=e.day.isoformat()),
                digest_lang=digest.language, other_tech_heading=list_strings(digest.language).other_tech,
            )

        key = _key(self.renderer, "day", e.sha, e.chart_sha, size, prev and prev.day, nxt and nxt.day, other and other.kind)
        outs.append(Output(path, key, produce))
        return outs

    def home_output(self, days, by_day, counts, cats) -> Output:
        latest = days[-1] if days else None
        latest_exports = [by_day[latest][k] for k in KINDS if k in by_day[latest]] if latest else []
        months: dict[str, list[tuple[str, list[tuple[str, str]]]]] = defaultdict(list)
        for d in reversed(days):
            links = [(_kind_label(k, self.lang), by_day[d][k].page) for k in KINDS if k in by_day[d]]
            months[d.strftime("%Y-%m")].append((d.isoformat(), links))
        charts = self.trend_charts(counts, cats, latest, (TREND_WINDOWS[0],)) if latest else []
        weeks: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for w in reversed(self.weeks):
            weeks[w.week.week].append((_kind_label(w.week.kind, self.lang), w.page))
        week_links = list(weeks.items())
        key = _key(self.renderer, "home", [e.sha for e in latest_exports], week_links,
                   [(d.isoformat(), sorted(by_day[d])) for d in days], self.trend_key(counts, latest, TREND_WINDOWS[0]),
                   self.o.profiles)

        def produce() -> bytes:
            latest_view = [
                {"kind": e.kind, "label": _kind_label(e.kind, self.lang), "href": e.page, "summary": e.summary,
                 "by_cat": _group(e.summary["items"])}
                for e in latest_exports
            ]
            return self.page("index.html", "home.html.j2", latest_day=latest and latest.isoformat(), latest=latest_view,
                             months=list(months.items()), charts=charts, categories=cats, page_title=self.title,
                             home_top=HOME_TOP, profiles=self.o.profiles, weeks=week_links,
                             weekly_label=self.weekly_label())

        return Output("index.html", key, produce)

    def trend_key(self, counts, end, window) -> list:
        if end is None:
            return []
        start = end - dt.timedelta(days=window - 1)
        return [(k, sorted((d.isoformat(), sorted(c.items())) for d, c in counts[k].items() if start <= d <= end))
                for k in KINDS]

    def trend_charts(self, counts, cats, end, windows) -> list:
        out = []
        for w in windows:
            for k in KINDS:
                if counts[k]:
                    chart = trend_chart(k, counts[k], cats, end, w)
                    out.append({"chart": chart, "label": self.s.trend_caption.format(kind=_kind_label(k, self.lang), n=w),
                                "id": f"trend-{k}-{w}"})
        return out

    def trends_output(self, days, counts, cats) -> Output:
        end = days[-1] if days else None
        key = _key(self.renderer, "trends", self.trend_key(counts, end, max(TREND_WINDOWS)), [c.id for c in cats])

        def produce() -> bytes:
            charts = self.trend_charts(counts, cats, end, TREND_WINDOWS) if end else []
            return self.page("trends.html", "trends.html.j2", charts=charts, categories=cats, page_title=self.s.trends)

        return Output("trends.html", key, produce)

    def category_outputs(self, exports: list[Export], cats: list[CategoryInfo], days: list[dt.date]) -> list[Output]:
        outs = []
        end = days[-1] if days else None
        # category -> month -> [{day, kind, label, page, entries}], newest day first
        groups: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
        shas = {(e.day.isoformat(), e.kind): e.sha for e in exports}
        for e in sorted(exports, key=lambda x: (x.day, KINDS.index(x.kind)), reverse=True):
            per_cat: dict[str, list[SumItem]] = defaultdict(list)
            for it in e.summary["items"]:
                per_cat[it["c"]].append(it)
            for cid, items in per_cat.items():
                groups[cid][e.day.strftime("%Y-%m")].append(
                    {"day": e.day.isoformat(), "kind": e.kind, "label": _kind_label(e.kind, self.lang), "page": e.page,
                     "entries": items})
        for c in cats:
            months = groups.get(c.id, {})
            month_list = sorted(months, reverse=True)
            recent = []
            if end is not None:
                start = (end - dt.timedelta(days=RECENT_DAYS - 1)).isoformat()
                for m in month_list:
                    recent += [g for g in months[m] if g["day"] >= start]
            path = f"category/{c.id}.html"

            def ids(groups: list) -> list:  # what the groups are made from: their exports' contents
                return [(g["day"], g["kind"], shas[(g["day"], g["kind"])]) for g in groups]

            outs.append(Output(path, _key(self.renderer, "cat", c, ids(recent), month_list),
                               self._category_page(path, c, recent, month_list, cats, None)))
            for m in month_list:
                mpath = f"category/{c.id}/{m}.html"
                outs.append(Output(mpath, _key(self.renderer, "catmonth", c, ids(months[m]), month_list),
                                   self._category_page(mpath, c, months[m], month_list, cats, m)))
        return outs

    def _category_page(self, path, c, groups, months, cats, month) -> Callable[[], bytes]:
        def produce() -> bytes:
            title = c.name + (f" — {month}" if month else "")  # no emoji in <title>: tabs have no icon images
            desc = self.tax[c.id].description if c.id in self.tax else ""
            return self.page(path, "category.html.j2", category=c, description=desc, groups=groups, months=months,
                             month=month, categories=cats, page_title=title, recent_days=RECENT_DAYS)

        return produce

    def search_outputs(self, exports: list[Export]) -> list[Output]:
        outs = []
        by_month: dict[str, list[Export]] = defaultdict(list)
        for e in exports:
            by_month[e.day.strftime("%Y-%m")].append(e)
        months = sorted(by_month, reverse=True)
        for m in months:
            lst = sorted(by_month[m], key=lambda x: (x.day, KINDS.index(x.kind)), reverse=True)

            def shard(lst=lst) -> bytes:
                rows = []
                for e in lst:
                    for it in e.summary["items"]:
                        rows.append([e.day.isoformat(), e.kind, it["c"], it["t"], it["s"], f"{e.page}#{it['a']}", it["u"]])
                payload = json.dumps(rows, ensure_ascii=False, separators=(",", ":"))
                # JSON inside a script file: "<" escaped so no "</script" or "<!--" can appear in it
                payload = payload.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
                return f"aidigestSearch.add({payload});\n".encode()

            outs.append(Output(f"search/{m}.js", _key(self.renderer, "shard", [(e.id, e.sha) for e in lst]), shard))
        cats = {c.id: strip_emoji(c.name) for c in self.categories(exports)}  # search.js shows them as text
        outs.append(Output("search.html", _key(self.renderer, "search", months, cats), lambda: self.page(
            "search.html", "search.html.j2", shards=[f"search/{m}.js" for m in months], page_title=self.s.search,
            cat_names=cats)))
        return outs

    def feed_outputs(self, by_kind: dict[str, list[Export]]) -> list[Output]:
        outs = []
        for kind in KINDS:
            recent = list(reversed(by_kind[kind]))[: max(0, self.o.feed_days)]
            path = f"feeds/{FEED_NAME[kind]}"
            key = _key(self.renderer, "feed", [(e.id, e.sha, _iso(e.updated), _iso(e.published)) for e in recent])
            outs.append(Output(path, key, lambda kind=kind, recent=recent, path=path: self._feed(kind, recent, path)))
        return outs

    def _link(self, target: str, from_path: str) -> str:
        return self.base + target if self.base else _root(from_path) + target

    def digest(self, e: Export) -> tuple[Digest, dict]:
        got = self.parsed.get(e.id)
        return got if got is not None else parse_export(e.path.read_bytes(), e.path)

    def _entry_html(self, e: Export, link: str, path: str) -> str:
        """A feed entry's content; kept in the state by (renderer, export, link): a new day renders one entry."""
        key = _key(self.renderer, "entry", e.sha, link)
        old = self.entries_old.get(e.id)
        if old and old.get("key") == key:
            self.entries_new[e.id] = old
            return old["html"]
        digest, raw = self.digest(e)
        try:
            html = render(self.env, "feed_entry.html.j2", digest=digest, raw=raw, t=strings(digest.language),
                          page=link, s=self.s, lang=self.lang, kind=e.kind,
                          note=offline_note(digest))
        except TemplateProblem as err:
            raise SiteError(f"{path}: {err}") from None
        self.entries_new[e.id] = {"key": key, "html": html}
        return html

    def keep_entries(self, exports: list[Export]) -> None:
        """Carry the cached entries of feeds that are not re-rendered into the next state."""
        for e in exports:
            if e.id in self.entries_old and e.id not in self.entries_new:
                self.entries_new[e.id] = self.entries_old[e.id]

    def _feed(self, kind: str, recent: list[Export], path: str) -> bytes:
        label = _kind_label(kind, self.lang)
        entries = []
        for e in recent:
            link = self._link(e.page, path)
            html = self._entry_html(e, link, path)
            entries.append(FeedEntry(kind=kind, day=e.day, title=f"{self.title} {label} — {e.day.isoformat()}",
                                     link=link, content_html=html, updated=e.updated, published=e.published))
        epoch = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)
        return atom_feed(kind, entries, FeedMeta(title=f"{self.title} — {label}", subtitle=f"{label} · {self.title}",
                         site_link=self._link("index.html", path), self_link=self._link(path, path), language=self.lang,
                         author=self.title, fallback_updated=epoch))


def _static_files() -> list[Path]:
    """The files of aidigest/static (the emoji icons in static/emoji included), sorted."""
    return sorted(p for p in STATIC.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def _group(items: list[SumItem]) -> dict[str, list[SumItem]]:
    out: dict[str, list[SumItem]] = defaultdict(list)
    for it in items:
        out[it["c"]].append(it)
    return dict(out)


# ---- files: lock, state, staging, swap ---------------------------------------------------------------------
@contextmanager
def _lock(out: Path) -> Iterator[None]:
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out.parent / f".{out.name}.lock", "a+b") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def _load_state(out: Path) -> dict:
    p = out / STATE_NAME
    if not p.is_file():
        if out.exists() and (not out.is_dir() or any(out.iterdir())):
            raise SiteError(f"--out {out} exists and is not an aidigest site (no {STATE_NAME}); "
                            "choose a new or empty folder")
        return {"version": STATE_VERSION, "exports": {}, "outputs": {}}
    try:
        state = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        state = None
    if not isinstance(state, dict) or state.get("version") != STATE_VERSION:
        log.warning("site state %s unreadable or from another version: every page is rendered again", p)
        return {"version": STATE_VERSION, "exports": {}, "outputs": {}}
    return state


def _link_tree(src: Path, dst: Path) -> None:
    """Hard-link every file of `src` into `dst` (copy when linking is impossible): the new site starts as the
    old one without copying bytes, and the old one is never modified (changed files get new inodes)."""
    for dirpath, dirnames, filenames in os.walk(src):
        rel = os.path.relpath(dirpath, src)
        target = dst if rel == "." else dst / rel
        for d in dirnames:
            (target / d).mkdir(exist_ok=True)
        for f in filenames:
            s, t = os.path.join(dirpath, f), target / f
            try:
                os.link(s, t, follow_symlinks=False)
            except OSError:
                shutil.copy2(s, t, follow_symlinks=False)


def _write_file(path: Path, data: bytes, fsync: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() or path.is_symlink():
        path.unlink()  # a hard link to the old site's file: never write through it
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        if fsync:
            f.flush()
            os.fsync(f.fileno())


def _sync(d: Path) -> None:
    """Flush the files written into the staging folder to disk: one syncfs() of its filesystem (Linux; one call
    instead of an fsync per file), else sync()."""
    fd = os.open(d, os.O_RDONLY)
    try:
        try:
            fn = ctypes.CDLL(None, use_errno=True).syncfs
        except (OSError, AttributeError):
            os.sync()
            return
        if fn(fd) != 0:
            os.sync()
    finally:
        os.close(fd)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two directories in one step (Linux renameat2 RENAME_EXCHANGE); False when unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if fn(at_fdcwd, os.fsencode(str(a)), at_fdcwd, os.fsencode(str(b)), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _swap_in(staging: Path, out: Path) -> None:
    """Make `staging` the site at `out`; afterwards `staging` holds the old site (or does not exist)."""
    if not out.exists():
        os.rename(staging, out)
        return
    if _exchange(staging, out):
        return
    old = out.with_name(f".{out.name}.old-{os.getpid()}")
    os.rename(out, old)
    try:
        os.rename(staging, out)
    except BaseException:
        os.rename(old, out)
        raise
    os.rename(old, staging)


def _export_cache(state: dict) -> dict:
    """The previous build's exports, for reuse by hash; made by other code, every export is re-read (its times
    are kept)."""
    cache = state.get("exports", {})
    if state.get("code") != CODE_KEY:  # summaries made by other code: re-read every export (times are kept)
        cache = {k: {**v, "sha": None, "stat": None, "content": v.get("sha")} for k, v in cache.items()}
    return cache


def _changed_outputs(outputs: list[Output], state: dict, out: Path, result: SiteResult) -> tuple[dict[str, bytes], dict[str, dict]]:
    """(the files to write, the new state's outputs): an output whose key is unchanged is not produced again; one
    produced to the same bytes is not written again (both counted in `result`)."""
    old_outputs: dict[str, dict] = state.get("outputs", {})
    writes: dict[str, bytes] = {}
    new_outputs: dict[str, dict] = {}
    for o in outputs:
        prev = old_outputs.get(o.path)
        exists = (out / o.path).is_file()
        if prev and prev.get("key") == o.key and exists:
            new_outputs[o.path] = prev
            result.unchanged += 1
            continue
        data = o.produce()
        result.rendered += 1
        sha = _sha(data)
        new_outputs[o.path] = {"key": o.key, "sha": sha}
        if exists and prev and prev.get("sha") == sha:
            result.unchanged += 1
            continue
        writes[o.path] = data
    return writes, new_outputs


def _publish(out: Path, writes: dict[str, bytes], removed: list[str], new_state: dict) -> None:
    """The site at `out` with `writes` written, `removed` gone and the new state, swapped in at once: built in
    a staging folder of hard links to the old site, everything on disk before the swap."""
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.build-", dir=out.parent))
    try:
        os.chmod(staging, 0o755)
        if out.exists():
            _link_tree(out, staging)
        for rel in removed:
            p = staging / rel
            if p.is_file() or p.is_symlink():
                p.unlink()
            _prune_empty(p.parent, staging)
        # everything must be on disk before the new site becomes the site: a few files are fsynced one by one
        # (a syncfs would also wait for whatever else is being written on that disk), many with one syncfs
        one_by_one = len(writes) <= FSYNC_EACH_MAX
        for rel, data in writes.items():
            _write_file(staging / rel, data, fsync=one_by_one)
        _write_file(staging / STATE_NAME, json.dumps(new_state, ensure_ascii=False, separators=(",", ":")).encode("utf-8"),
                    fsync=one_by_one)
        if not one_by_one:
            _sync(staging)
        _swap_in(staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def build_site(opts: SiteOptions, progress: Callable[[str], None] | None = None) -> SiteResult:
    """Build or update the site in `opts.out` from the exports in `opts.reports` (see module doc)."""
    t0 = time.perf_counter()
    out = Path(opts.out).absolute()
    reports = Path(opts.reports)
    with _lock(out):
        for stale in out.parent.glob(f".{out.name}.build-*"):  # left by a build that was killed
            shutil.rmtree(stale, ignore_errors=True)
        state = _load_state(out)
        skipped: list[str] = []
        parsed: dict = {}
        exports, export_cache = scan_exports(reports, _export_cache(state), run_times(opts.db), skipped, parsed)
        builder = _Builder(opts, state, parsed, scan_weeks(reports, skipped))
        outputs = builder.outputs(exports)
        result = SiteResult(out=out, days=len({e.day for e in exports}), exports=len(exports), skipped=skipped)
        writes, new_outputs = _changed_outputs(outputs, state, out, result)
        removed = sorted(p for p in state.get("outputs", {}) if p not in new_outputs)
        feed_days = {e.id for k in KINDS for e in list(reversed([x for x in exports if x.kind == k]))[: max(0, opts.feed_days)]}
        builder.keep_entries([e for e in exports if e.id in feed_days])
        new_state = {"version": STATE_VERSION, "code": CODE_KEY, "exports": export_cache, "outputs": new_outputs,
                     "feed_entries": {k: v for k, v in builder.entries_new.items() if k in feed_days}}
        if not writes and not removed and new_state == state:
            result.seconds = time.perf_counter() - t0
            return result
        if progress:
            progress(f"writing {len(writes)} file(s), removing {len(removed)}")
        _publish(out, writes, removed, new_state)
        result.written = sorted(writes)
        result.removed = removed
        result.swapped = True
        result.seconds = time.perf_counter() - t0
        return result


def _prune_empty(d: Path, top: Path) -> None:
    while d != top and d.is_dir() and not any(d.iterdir()):
        d.rmdir()
        d = d.parent
