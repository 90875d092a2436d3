"""Any RSS/Atom feed (config `[[sources.feeds]]`), parsed with feedparser.

Each entry becomes an Item: title, link, the summary stripped of HTML as snippet (news: clipped to
`snippets.max_chars` at a sentence boundary; papers: the whole abstract), published date, the feed's
configured language and kind. rss.arxiv.org feeds are understood: their "arXiv:<id> Announce Type: new
Abstract:" prefix is removed, the comma-separated `dc:creator` becomes the author list, entries announced as
replacements (`replace`, `replace-cross`: old papers) are skipped and counted.

A feed is a rolling list, not a dated listing, so `fetch` keeps the entries published within
`WINDOW_DAYS` days ending with the requested date (UTC; undated entries are kept) and counts the others as
`outside_window`. A feed with no entries (e.g. rss.arxiv.org on a weekend) is "empty", not failed.
Requests are conditional (ETag / Last-Modified) so an unchanged feed costs one 304.
"""

from __future__ import annotations

import calendar
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from typing import Literal

import feedparser

from ..configbase import Strict
from ..infra.http import FetchError
from ..records import Item, Kind, Sighting
from ..urls import arxiv_id_from_url, canonical_key
from .base import FetchContext, FetchResult, ParseError
from .registry import SourceSpec
from ..text import clip_text, normalize_space, strip_html

WINDOW_DAYS = 2  # the requested date and the day before
_ARXIV_PREFIX = re.compile(r"^arXiv:\S+\s+Announce Type:\s*(?P<type>[\w-]+)\s*Abstract:\s*", re.I)
_SKIP_ANNOUNCE = {"replace", "replace-cross"}


@dataclass
class FeedPage:
    items: list[Item]
    title: str = ""
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> count


def _when(entry) -> dt.datetime | None:
    t = entry.get("published_parsed") or entry.get("updated_parsed")
    if not t:
        return None
    return dt.datetime.fromtimestamp(calendar.timegm(t), tz=dt.UTC)


def _authors(entry, kind: Kind) -> list[str]:
    names = [a.get("name", "") for a in entry.get("authors") or [] if isinstance(a, dict)]
    if not names and entry.get("author"):
        names = [entry["author"]]
    if kind == "paper":  # rss.arxiv.org puts all authors in one dc:creator, comma-separated
        names = [n for name in names for n in name.split(",")]
    return [n for n in (normalize_space(x) for x in names) if n]


def parse_feed(
    raw: bytes | str,
    source: str = "rss",
    kind: Kind = "news",
    language: str = "en",
    max_chars: int = 600,
) -> FeedPage:
    """Items of an RSS/Atom body. Raises ParseError when the body is not a feed."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8")
    # a stream, never bytes/str: feedparser would treat those as a URL or a file name to open
    d = feedparser.parse(io.BytesIO(raw))
    if not d.get("version"):
        why = d.get("bozo_exception")
        raise ParseError(f"{source}: not an RSS/Atom feed" + (f" ({why})" if why else ""))
    page = FeedPage([], title=normalize_space(d.feed.get("title", "")))

    def skip(reason: str) -> None:
        page.skipped[reason] = page.skipped.get(reason, 0) + 1

    for entry in d.entries:
        link = (entry.get("link") or "").strip()
        title = normalize_space(entry.get("title", ""))
        if not link or not title:
            skip("no_link_or_title")
            continue
        summary = ""
        if entry.get("summary"):
            summary = entry["summary"]
        elif entry.get("content"):
            summary = entry["content"][0].get("value", "")
        text = strip_html(summary)
        m = _ARXIV_PREFIX.match(text)
        if m:
            if m.group("type").lower() in _SKIP_ANNOUNCE:
                skip("arxiv_replacement")
                continue
            text = text[m.end():]
        aid = arxiv_id_from_url(link)
        page.items.append(
            Item(
                kind=kind,
                title=title,
                url=link,
                key=canonical_key(link, aid),
                snippet=text if kind == "paper" else clip_text(text, max_chars),
                language=language,
                published=_when(entry),
                arxiv_id=aid,
                authors=_authors(entry, kind),
                sightings=[Sighting(source=source, url=link, title=title, rank=len(page.items))],
            )
        )
    return page


def parse(raw: bytes | str, source: str = "rss", kind: Kind = "news", language: str = "en",
          max_chars: int = 600) -> list[Item]:
    return parse_feed(raw, source, kind, language, max_chars).items


def in_window(published: dt.datetime | None, day: dt.date, days: int = WINDOW_DAYS) -> bool:
    if published is None:
        return True
    d = published.astimezone(dt.UTC).date()
    return day - dt.timedelta(days=days - 1) <= d <= day


async def fetch_feed(ctx: FetchContext, source: str, url: str, kind: Kind, language: str) -> FetchResult:
    """GET a feed (conditional), parse it, keep the entries of the date's window. Shared by feed sources."""
    resp = await ctx.http.get(url, conditional=True)
    if resp.status >= 400:
        raise FetchError(f"{resp.url}: feed answered HTTP {resp.status}")
    page = parse_feed(resp.body, source, kind, language, ctx.config.sources.snippets.max_chars)
    notes = dict(page.skipped)
    kept = [it for it in page.items if in_window(it.published, ctx.day)]
    notes["outside_window"] = len(page.items) - len(kept)
    for rank, it in enumerate(kept):
        it.sightings[0].rank = rank
    return FetchResult(kept, notes)


class RssSource:
    """One configured feed; its name in run health is `rss:<name>`."""

    def __init__(self, name: str, url: str, kind: Kind = "news", language: str = "en"):
        self.name = f"rss:{name}"
        self.kind = kind
        self.url = url
        self.language = language

    async def fetch(self, ctx: FetchContext) -> FetchResult:
        return await fetch_feed(ctx, self.name, self.url, self.kind, self.language)


class FeedConfig(Strict):
    name: str
    url: str
    kind: Literal["news", "paper"] = "news"
    language: str = "en"


SPEC = SourceSpec(
    "feeds", list[FeedConfig], lambda feeds: [RssSource(f.name, f.url, f.kind, f.language) for f in feeds], default=list
)
