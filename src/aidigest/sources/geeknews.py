"""GeekNews (news.hada.io): the Korean developer news site, through its Atom feed (config `sources.geeknews.url`).

Each entry is a GeekNews topic: a Korean title, the topic page `https://news.hada.io/topic?id=<n>` and the
start of the GeekNews summary as truncated HTML in CDATA. The feed carries no link to the article a topic is
about (that link is only on the topic page), so the item's URL is the topic page, and the topic page is also
kept as the item's discussion link, as Hacker News keeps `news.ycombinator.com/item?id=` (a Show GN / Ask GN
post is the discussion itself, like an Ask HN). The HTML content becomes plain text (tags removed, entities
decoded, whitespace collapsed, clipped at a sentence end); it is fetched text, escaped wherever it is shown.

Day membership: GeekNews is a Korean site whose timestamps are KST, so the day D is the calendar day D in
`[general] timezone` (default Asia/Seoul), not the UTC window of generic feeds: an entry of 07:19 KST on D
(22:19 UTC on D-1) belongs to D. Entries of other days are counted as `outside_day`; undated entries are
kept and counted as `undated`. The feed is a rolling list of the latest 50 topics (about a day and a half),
so a day long past finds none of its entries: `empty`, not failed.
"""

from __future__ import annotations

import datetime as dt
import re

from ..configbase import Strict
from ..infra.days import zone
from ..infra.http import FetchError
from ..records import Item, Kind
from .base import FetchContext, FetchResult, ParseError
from .registry import SourceSpec
from .rss import parse_feed

NAME = "geeknews"
LANGUAGE = "ko"
_TOPIC_RE = re.compile(r"^https://news\.hada\.io/topic\?id=\d+$")


def is_topic_url(url: str) -> bool:
    return bool(_TOPIC_RE.match(url))


def parse(raw: bytes | str, max_chars: int = 600) -> list[Item]:
    """News items of the GeekNews Atom feed (language "ko"), each with its topic page as discussion link."""
    page = parse_feed(raw, source=NAME, kind="news", language=LANGUAGE, max_chars=max_chars)
    for it in page.items:
        s = it.sightings[0]
        if is_topic_url(it.url):
            s.discussion_url = it.url
    if page.items and not any(it.sightings[0].discussion_url for it in page.items):
        raise ParseError(f"{NAME}: no entry links to a news.hada.io topic (is this the GeekNews feed?)")
    return page.items


def local_day(published: dt.datetime, tz: str) -> dt.date:
    """The calendar date of `published` in zone `tz`."""
    return published.astimezone(zone(tz)).date()


class GeekNewsSource:
    name = NAME
    kind: Kind = "news"

    async def fetch(self, ctx: FetchContext) -> FetchResult:
        resp = await ctx.http.get(ctx.config.sources.geeknews.url, conditional=True)
        if resp.status >= 400:
            raise FetchError(f"{resp.url}: GeekNews feed answered HTTP {resp.status}")
        items = parse(resp.body, ctx.config.sources.snippets.max_chars)
        tz = ctx.config.general.timezone
        kept = [it for it in items if it.published is None or local_day(it.published, tz) == ctx.day]
        notes = {
            "outside_day": len(items) - len(kept),
            "undated": sum(1 for it in kept if it.published is None),
        }
        for rank, it in enumerate(kept):
            it.sightings[0].rank = rank
        return FetchResult(kept, notes)


class GeekNewsConfig(Strict):
    enabled: bool = True
    url: str = "https://news.hada.io/rss/news"


SPEC = SourceSpec(NAME, GeekNewsConfig, lambda c: [GeekNewsSource()] if c.enabled else [], title="GeekNews")
