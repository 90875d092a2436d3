"""arXiv: the date's new papers in the configured categories, from the export.arxiv.org API (Atom).

Query: `(cat:A OR cat:B ...) AND submittedDate:[<start> TO <end>]`, sortBy=submittedDate, descending,
paginated with `start`/`max_results` (`page_size` per page, at most `max_results` in total), with
`ctx.http.polite_pause(max(3, delay_s))` between pages (skipped in replay). Paging stops at the first page
that returns fewer entries than asked (or once `totalResults` is reached).

The window. arXiv announces papers in batches: everything submitted between two consecutive 14:00
US-Eastern deadlines is announced together that evening (20:00 ET). For date D we take the batch whose
deadline falls on D:

    start = 14:00 America/New_York on D-1,   end = 14:00 America/New_York on D (minus one minute),

converted to UTC (the API's submittedDate is GMT, minute resolution, both ends inclusive; hence the minute).
Consecutive dates tile time with no gap and no overlap, so every paper belongs to exactly one date, and
the batch is complete once arXiv announced it (from 20:00 ET on D; for a Thursday/Friday deadline
the announcement waits until Sunday evening). Daylight saving time is handled by zoneinfo.
Cross-listed papers match `cat:` too; they are kept and carry their real primary category.

Parsing uses ElementTree (no network, no entity expansion): `arxiv:primary_category` (the first
`<category>` when missing), authors, abstract, published. An API error (arXiv answers an Atom feed whose
single entry has an `.../api/errors#...` id, e.g. HTTP 400 for a malformed id) raises ParseError naming it.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field

from ..configbase import Strict
from ..infra.http import FetchError
from ..records import Item, Kind, Sighting
from ..urls import canonical_key, normalize_arxiv_id
from .base import FetchContext, FetchResult, ParseError
from .registry import SourceSpec
from ..text import normalize_space

NAME = "arxiv"
API_URL = "https://export.arxiv.org/api/query"
ABS_URL = "https://arxiv.org/abs/{id}"
MIN_DELAY_S = 3.0
DEADLINE = dt.time(14, 0)


def _us_eastern_offset(day: dt.date) -> dt.timezone:
    """US Eastern offset at 14:00 on `day` by the US DST rule (since 2007): 2nd Sunday of March to 1st Sunday of
    November. Only used when the system has no time zone database (and no `tzdata` package)."""
    def nth_sunday(month: int, n: int) -> dt.date:
        first = dt.date(day.year, month, 1)
        return first + dt.timedelta(days=(6 - first.weekday()) % 7 + 7 * (n - 1))

    dst = nth_sunday(3, 2) <= day < nth_sunday(11, 1)
    return dt.timezone(dt.timedelta(hours=-4 if dst else -5))


try:
    EASTERN: dt.tzinfo | None = ZoneInfo("America/New_York")
except ZoneInfoNotFoundError:  # pragma: no cover - depends on the machine
    EASTERN = None


def _deadline(day: dt.date) -> dt.datetime:
    tz = EASTERN if EASTERN is not None else _us_eastern_offset(day)
    return dt.datetime.combine(day, DEADLINE, tzinfo=tz)

NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "arxiv": "http://arxiv.org/schemas/atom",
    "opensearch": "http://a9.com/-/spec/opensearch/1.1/",
}


@dataclass
class ArxivPage:
    items: list[Item]
    entries: int  # <entry> elements on the page
    total: int | None  # opensearch:totalResults
    start: int | None  # opensearch:startIndex
    skipped: int = 0  # entries without a usable id or title


def _text(el: ET.Element | None) -> str:
    return normalize_space("".join(el.itertext())) if el is not None else ""


def _int(el: ET.Element | None) -> int | None:
    try:
        return int(_text(el)) if el is not None else None
    except ValueError:
        return None


def _time(s: str) -> dt.datetime | None:
    if not s:
        return None
    try:
        return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        return None


def parse_page(raw: bytes | str, source: str = NAME) -> ArxivPage:
    if isinstance(raw, str):
        raw = raw.encode("utf-8")
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as err:
        head = raw[:60].decode("utf-8", "replace").strip()
        raise ParseError(f"arXiv API: not valid Atom XML ({err}; starts {head!r})") from None
    if root.tag != f"{{{NS['atom']}}}feed":
        raise ParseError(f"arXiv API: expected an Atom <feed>, got <{root.tag.split('}')[-1]}>")
    entries = root.findall("atom:entry", NS)
    for e in entries:
        eid = _text(e.find("atom:id", NS))
        if "/api/errors" in eid:
            msg = _text(e.find("atom:summary", NS)) or eid.rsplit("#", 1)[-1].replace("_", " ")
            raise ParseError(f"arXiv API error: {msg} ({eid})")
    items: list[Item] = []
    skipped = 0
    for e in entries:
        eid = _text(e.find("atom:id", NS))
        aid = normalize_arxiv_id(eid.split("/abs/", 1)[-1]) if "/abs/" in eid else None
        title = _text(e.find("atom:title", NS))
        if not aid or not title:
            skipped += 1
            continue
        prim = e.find("arxiv:primary_category", NS)
        primary = prim.get("term") if prim is not None else None
        if not primary:
            first = e.find("atom:category", NS)
            primary = first.get("term") if first is not None else None
        url = ABS_URL.format(id=aid)
        items.append(
            Item(
                kind="paper",
                title=title,
                url=url,
                key=canonical_key(url, aid),
                snippet=_text(e.find("atom:summary", NS)),
                language="en",
                published=_time(_text(e.find("atom:published", NS))),
                arxiv_id=aid,
                primary_category=primary,
                arxiv_categories=_categories(e, primary),
                authors=[n for a in e.findall("atom:author", NS) if (n := _text(a.find("atom:name", NS)))],
                sightings=[Sighting(source=source, url=url, title=title, rank=len(items))],
            )
        )
    return ArxivPage(
        items, len(entries), _int(root.find("opensearch:totalResults", NS)),
        _int(root.find("opensearch:startIndex", NS)), skipped,
    )


def parse(raw: bytes | str) -> list[Item]:
    """Papers in an arXiv API Atom response (current and 2016 formats). Raises ParseError on an error body."""
    return parse_page(raw).items


def window(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) in UTC: from the 14:00 US-Eastern deadline of the day before to the one of `day`."""
    return _deadline(day - dt.timedelta(days=1)).astimezone(dt.UTC), _deadline(day).astimezone(dt.UTC)


def _categories(entry, primary: str | None) -> list[str]:
    """Every `<category term=...>` of an entry, the primary one first, no repeats."""
    cats = [primary] if primary else []
    for c in entry.findall("atom:category", NS):
        term = c.get("term")
        if term and term not in cats:
            cats.append(term)
    return cats


def search_query(day: dt.date, categories: list[str]) -> str:
    start, end = window(day)
    last = end - dt.timedelta(minutes=1)  # the API range is inclusive at minute resolution
    cats = " OR ".join(f"cat:{c}" for c in categories)
    return f"({cats}) AND submittedDate:[{start:%Y%m%d%H%M} TO {last:%Y%m%d%H%M}]"


def page_params(day: dt.date, categories: list[str], start: int, max_results: int) -> dict[str, str | int]:
    return {
        "search_query": search_query(day, categories),
        "sortBy": "submittedDate",
        "sortOrder": "descending",
        "start": start,
        "max_results": max_results,
    }


class ArxivSource:
    name = NAME
    kind: Kind = "paper"

    async def fetch(self, ctx: FetchContext) -> FetchResult:
        cfg = ctx.config.sources.arxiv
        if not cfg.categories:
            return FetchResult([], {"pages": 0})
        items: list[Item] = []
        notes = {"pages": 0, "skipped_malformed": 0, "duplicates": 0}
        seen: set[str] = set()
        start = 0
        while start < cfg.max_results:
            if notes["pages"]:
                await ctx.http.polite_pause(max(MIN_DELAY_S, cfg.delay_s))
            asked = min(cfg.page_size, cfg.max_results - start)
            resp = await ctx.http.get(API_URL, params=page_params(ctx.day, cfg.categories, start, asked))
            try:
                page = parse_page(resp.body)
            except ParseError as e:
                raise ParseError(f"HTTP {resp.status}: {e}" if resp.status >= 400 else str(e)) from None
            if resp.status >= 400:
                raise FetchError(f"{resp.url}: arXiv answered HTTP {resp.status}")
            notes["pages"] += 1
            notes["skipped_malformed"] += page.skipped
            for it in page.items:
                if it.key in seen:  # results shifted between pages
                    notes["duplicates"] += 1
                    continue
                seen.add(it.key)
                it.sightings[0].rank = len(items)
                items.append(it)
            start += page.entries
            if page.entries < asked or (page.total is not None and start >= page.total):
                break
        return FetchResult(items, notes)


class ArxivConfig(Strict):
    enabled: bool = True
    categories: list[str] = Field(
        default_factory=lambda: ["cs.AI", "cs.CL", "cs.CV", "cs.LG", "cs.RO", "cs.SD", "eess.AS"]
    )
    page_size: int = Field(200, ge=1, le=2000)
    max_results: int = Field(2000, ge=0)
    delay_s: float = Field(3.0, ge=0)  # arXiv asks for at least 3 s between calls


SPEC = SourceSpec("arxiv", ArxivConfig, lambda c: [ArxivSource()] if c.enabled else [], title="arXiv")
