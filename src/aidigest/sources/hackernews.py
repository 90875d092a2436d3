"""Hacker News: the day's front-page stories with points, comment counts and the discussion link.

Two paths:
- any date: the Algolia API (`search_by_date`, tags=story, numericFilters
  `created_at_i>=<day start>,created_at_i<<next day start>,points>=<min_points>`, UTC day), paginated
  (`HITS_PER_PAGE` per page, at most `MAX_PAGES`; a page with fewer hits than asked is the last one), then
  ranked by points and capped at `max_items` (the rest counted as `over_cap`);
- today (ctx.day is today in UTC): the official Firebase API, `topstories.json` (the live front page order)
  then `item/<id>.json` for the first `max_items` ids, kept when the score reaches `min_points`.

Ask HN / text posts without a URL use the discussion link (https://news.ycombinator.com/item?id=<id>) as
their URL and the post text as snippet.

Bad records, not bad sources: a hit whose numbers are not finite (`"points": Infinity`) or whose timestamp is
out of range is skipped and counted (`skipped_invalid`); a body with invalid UTF-8 is decoded with U+FFFD in
place of the bad bytes and the records that carried them are counted (`repaired_encoding`); several
submissions of one URL (different story ids) are merged into one item whose points and comments are their
sums (`merged_duplicates`; every discussion link is kept as a sighting).

`parse(raw)` reads every Hacker News body we have recordings of: Algolia responses (current format and the
2017 one, whose search results also hold comments, skipped), single Firebase items (pretty or minified) and
lists of Firebase items. Id lists (`topstories.json`, `updates.json`) go through `parse_ids`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field

from pydantic import Field

from ..configbase import Strict
from ..infra.http import FetchError, ReplayMissing
from ..records import Item, Kind, Sighting
from ..urls import arxiv_id_from_url, canonical_key
from .base import FetchContext, FetchResult, ParseError
from .registry import SourceSpec
from ..text import clip_text, strip_html

NAME = "hackernews"
ALGOLIA_URL = "https://hn.algolia.com/api/v1/search_by_date"
FIREBASE_URL = "https://hacker-news.firebaseio.com/v0"
DISCUSSION_URL = "https://news.ycombinator.com/item?id={id}"
HITS_PER_PAGE = 200
MAX_PAGES = 10
TEXT_SNIPPET_CHARS = 600
KEEP_TYPES = {"story", "poll"}  # front-page entries worth reporting (jobs, comments, poll options are not)


def discussion_url(story_id: int | str) -> str:
    return DISCUSSION_URL.format(id=story_id)


class _BadRecord(ValueError):  # private: one skipped record, caught in this module (errors.py)
    pass


def _load_json_lenient(raw: bytes | str, what: str) -> tuple[object, bool]:
    """(data, repaired): invalid UTF-8 bytes become U+FFFD instead of failing the whole body."""
    if isinstance(raw, (bytes, bytearray)):
        try:
            text = bytes(raw).decode("utf-8")
        except UnicodeDecodeError:
            return _load_json(bytes(raw).decode("utf-8", errors="replace"), what), True
        return _load_json(text, what), False
    return _load_json(raw, what), False


def _load_json(raw: bytes | str, what: str):
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        head = (raw[:60] if isinstance(raw, str) else raw[:60].decode("utf-8", "replace")).strip()
        raise ParseError(f"{what}: not valid JSON ({e.msg if hasattr(e, 'msg') else e}; starts {head!r})") from None


def _as_int(v) -> int | None:
    if v is None or isinstance(v, bool):
        return None
    if isinstance(v, float) and not math.isfinite(v):
        raise _BadRecord(f"not a finite number: {v}")
    try:
        return int(v)
    except (TypeError, ValueError):
        return None


_RECORD_ERRORS = (_BadRecord, ValueError, TypeError, OverflowError, OSError)


@dataclass(frozen=True)
class _Story:
    """A story as both APIs give it (Algolia's hit and Firebase's item name the fields differently)."""

    id: int
    title: str
    url: str | None
    points: int | None
    comments: int | None
    created: int | None  # epoch seconds
    text: str | None


def _make_item(story: _Story, rank: int) -> Item:
    disc = discussion_url(story.id)
    link = (story.url or "").strip() or disc
    aid = arxiv_id_from_url(link)
    published = dt.datetime.fromtimestamp(story.created, tz=dt.UTC) if story.created is not None else None
    return Item(
        kind="news",
        title=story.title.strip(),
        url=link,
        key=canonical_key(link, aid),
        snippet=clip_text(strip_html(story.text), TEXT_SNIPPET_CHARS) if story.text else "",
        language="en",
        published=published,
        arxiv_id=aid,
        sightings=[
            Sighting(source=NAME, url=link, title=story.title.strip(), points=story.points, comments=story.comments,
                     discussion_url=disc, rank=rank)
        ],
    )


# ---------------------------------------------------------------------------------------------------
# Algolia
# ---------------------------------------------------------------------------------------------------
@dataclass
class AlgoliaPage:
    items: list[Item]
    hits: int  # hits on this page (stories and everything else)
    page: int
    nb_pages: int
    skipped: int = 0  # hits that are not stories (comments in the old format, untitled entries)
    invalid: int = 0  # hits with impossible values (non-finite numbers, out-of-range timestamps): skipped
    repaired: int = 0  # hits whose text had invalid UTF-8 bytes (replaced by U+FFFD)


def _hit_to_item(hit: dict, rank: int) -> Item | None:
    tags = hit.get("_tags") or []
    title = hit.get("title")
    sid = _as_int(hit.get("objectID")) or _as_int(hit.get("story_id"))
    if not title or sid is None or "comment" in tags or hit.get("comment_text"):
        return None
    return _make_item(_Story(
        sid, str(title), hit.get("url"), _as_int(hit.get("points")), _as_int(hit.get("num_comments")),
        _as_int(hit.get("created_at_i")), hit.get("story_text"),
    ), rank)


def parse_algolia_page(raw: bytes | str) -> AlgoliaPage:
    data, repaired_body = _load_json_lenient(raw, "Hacker News (Algolia)")
    if not isinstance(data, dict):
        raise ParseError(f"Hacker News (Algolia): expected a JSON object, got {type(data).__name__}")
    if "hits" not in data:
        if "message" in data:
            raise ParseError(f"Hacker News Algolia API error: {data.get('message')} (status {data.get('status')})")
        raise ParseError(f"Hacker News (Algolia): no 'hits' in the response (keys: {', '.join(sorted(data)[:8])})")
    hits = data["hits"]
    if not isinstance(hits, list):
        raise ParseError("Hacker News (Algolia): 'hits' is not a list")
    items: list[Item] = []
    skipped = invalid = repaired = 0
    for hit in hits:
        try:
            it = _hit_to_item(hit, len(items)) if isinstance(hit, dict) else None
        except _RECORD_ERRORS:
            invalid += 1
            continue
        if it is None:
            skipped += 1
            continue
        if repaired_body and "\ufffd" in json.dumps(hit, ensure_ascii=False):
            repaired += 1
        items.append(it)
    try:
        page, nb_pages = _as_int(data.get("page")) or 0, _as_int(data.get("nbPages")) or 0
    except _BadRecord:
        page, nb_pages = 0, 0
    return AlgoliaPage(items, len(hits), page, nb_pages, skipped, invalid, repaired)


def day_range(day: dt.date) -> tuple[int, int]:
    """[start, end) of the UTC day as Unix seconds."""
    start = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
    return int(start.timestamp()), int((start + dt.timedelta(days=1)).timestamp())


def algolia_params(day: dt.date, min_points: int, page: int = 0, hits_per_page: int = HITS_PER_PAGE) -> dict[str, str | int]:
    start, end = day_range(day)
    return {
        "tags": "story",
        "numericFilters": f"created_at_i>={start},created_at_i<{end},points>={min_points}",
        "hitsPerPage": hits_per_page,
        "page": page,
    }


# ---------------------------------------------------------------------------------------------------
# Firebase
# ---------------------------------------------------------------------------------------------------
def parse_ids(raw: bytes | str) -> list[int]:
    """A Firebase id list (`topstories.json` & co, pretty or minified; `updates.json` -> its item ids)."""
    data = _load_json(raw, "Hacker News (Firebase ids)")
    if isinstance(data, dict) and isinstance(data.get("items"), list):
        data = data["items"]
    if not isinstance(data, list) or not all(isinstance(x, int) and not isinstance(x, bool) for x in data):
        raise ParseError(f"Hacker News (Firebase ids): expected a list of item ids, got {type(data).__name__}")
    return list(data)


@dataclass
class FirebaseItems:
    items: list[Item]
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> count (job, comment, deleted, invalid, ...)


def parse_firebase_items(raw: bytes | str | dict | list | None, first_rank: int = 0) -> FirebaseItems:
    """One Firebase item object, `null` (a deleted item), or a list of items."""
    repaired_body = False
    data: object
    if isinstance(raw, (dict, list)) or raw is None:
        data = raw
    else:
        data, repaired_body = _load_json_lenient(raw, "Hacker News (Firebase item)")
    objs = data if isinstance(data, list) else [data]
    out = FirebaseItems([])
    for obj in objs:
        reason = None
        if obj is None:
            reason = "null"
        elif not isinstance(obj, dict) or "id" not in obj or "type" not in obj:
            raise ParseError("Hacker News (Firebase item): not an item object"
                             + (f" (keys: {', '.join(sorted(obj)[:8])})" if isinstance(obj, dict) else ""))
        elif obj.get("deleted") or obj.get("dead"):
            reason = "deleted"
        elif obj["type"] not in KEEP_TYPES:
            reason = str(obj["type"])
        elif not obj.get("title"):
            reason = "untitled"
        if reason:
            out.skipped[reason] = out.skipped.get(reason, 0) + 1
            continue
        assert isinstance(obj, dict)  # every other case has a reason or raised
        try:
            item = _make_item(_Story(
                int(obj["id"]), str(obj["title"]), obj.get("url"), _as_int(obj.get("score")),
                _as_int(obj.get("descendants")), _as_int(obj.get("time")), obj.get("text"),
            ), first_rank + len(out.items))
        except _RECORD_ERRORS:
            out.skipped["invalid"] = out.skipped.get("invalid", 0) + 1
            continue
        if repaired_body and "\ufffd" in json.dumps(obj, ensure_ascii=False):
            out.skipped["repaired_encoding"] = out.skipped.get("repaired_encoding", 0) + 1
        out.items.append(item)
    return out


def merge_submissions(items: list[Item]) -> tuple[list[Item], int, int]:
    """One item per URL. The same story seen twice (it moved between pages while paginating) is dropped;
    different submissions of one URL are merged: points and comments summed into the first (highest-ranked)
    sighting, the other discussion links kept as sightings. Returns (items, merged, repeated)."""
    by_key: dict[str, Item] = {}
    out: list[Item] = []
    merged = repeated = 0
    for it in items:
        first = by_key.get(it.key)
        if first is None:
            by_key[it.key] = it
            out.append(it)
            continue
        new = it.sightings[0]
        if any(s.discussion_url == new.discussion_url for s in first.sightings):
            repeated += 1
            continue
        head = first.sightings[0]
        if new.points is not None:
            head.points = (head.points or 0) + new.points
        if new.comments is not None:
            head.comments = (head.comments or 0) + new.comments
        first.sightings.append(new.model_copy(update={"points": None, "comments": None}))
        if not first.snippet and it.snippet:
            first.snippet = it.snippet
        merged += 1
    return out, merged, repeated


def parse(raw: bytes | str) -> list[Item]:
    """Stories in any Hacker News body: an Algolia response, a Firebase item or a list of Firebase items."""
    data = _load_json(raw, "Hacker News")
    if isinstance(data, dict) and ("hits" in data or "message" in data):
        return parse_algolia_page(raw).items
    if isinstance(data, list) and data and all(isinstance(x, int) for x in data):
        raise ParseError("Hacker News: this is an id list (topstories.json), read it with parse_ids")
    if isinstance(data, (dict, list)) or data is None:
        return parse_firebase_items(data).items
    raise ParseError(f"Hacker News: unexpected JSON {type(data).__name__}")


# ---------------------------------------------------------------------------------------------------
# The source
# ---------------------------------------------------------------------------------------------------
def _utc_today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def _raise_for_status(resp, what: str) -> None:
    if resp.status >= 400:
        detail = ""
        try:
            body = json.loads(resp.body)
            if isinstance(body, dict) and body.get("message"):
                detail = f": {body['message']}"
        except (ValueError, UnicodeDecodeError):
            pass
        raise FetchError(f"{resp.url}: {what} answered HTTP {resp.status}{detail}")


class HackerNewsSource:
    name = NAME
    kind: Kind = "news"

    def __init__(self, today: Callable[[], dt.date] = _utc_today):
        self.today = today  # injectable clock: decides between the Firebase (today) and Algolia paths

    async def fetch(self, ctx: FetchContext) -> FetchResult:
        if ctx.day == self.today():
            return await self.fetch_firebase(ctx)
        return await self.fetch_algolia(ctx)

    async def fetch_algolia(self, ctx: FetchContext) -> FetchResult:
        cfg = ctx.config.sources.hackernews
        items: list[Item] = []
        notes = {"pages": 0, "skipped_non_story": 0, "over_cap": 0, "skipped_invalid": 0, "repaired_encoding": 0,
                 "merged_duplicates": 0}
        for page in range(MAX_PAGES):
            params = algolia_params(ctx.day, cfg.min_points, page, HITS_PER_PAGE)
            resp = await ctx.http.get(ALGOLIA_URL, params=params)
            _raise_for_status(resp, "Algolia")
            p = parse_algolia_page(resp.body)
            notes["pages"] += 1
            notes["skipped_non_story"] += p.skipped
            notes["skipped_invalid"] += p.invalid
            notes["repaired_encoding"] += p.repaired
            items.extend(p.items)
            if p.hits < HITS_PER_PAGE or page + 1 >= p.nb_pages:
                break
        # one item per story even if a story moved between pages while paginating; resubmissions merged
        items.sort(key=lambda it: -(it.hn_points or 0))
        unique, notes["merged_duplicates"], _ = merge_submissions(items)
        unique.sort(key=lambda it: -(it.hn_points or 0))
        if len(unique) > cfg.max_items:
            notes["over_cap"] = len(unique) - cfg.max_items
            unique = unique[: cfg.max_items]
        for rank, it in enumerate(unique):
            it.sightings[0].rank = rank
        return FetchResult(unique, notes)

    async def fetch_firebase(self, ctx: FetchContext) -> FetchResult:
        cfg = ctx.config.sources.hackernews
        resp = await ctx.http.get(f"{FIREBASE_URL}/topstories.json")
        _raise_for_status(resp, "Firebase")
        ids = parse_ids(resp.body)[: cfg.max_items]
        notes = {"item_errors": 0, "skipped_non_story": 0, "below_min_points": 0, "skipped_invalid": 0,
                 "repaired_encoding": 0, "merged_duplicates": 0}
        errors: list[Exception] = []

        async def one(rank: int, sid: int) -> list[Item]:
            try:
                r = await ctx.http.get(f"{FIREBASE_URL}/item/{sid}.json")
                _raise_for_status(r, "Firebase")
                got = parse_firebase_items(r.body, first_rank=rank)
            except (FetchError, ParseError) as e:
                notes["item_errors"] += 1
                errors.append(e)
                return []
            notes["skipped_invalid"] += got.skipped.pop("invalid", 0)
            notes["repaired_encoding"] += got.skipped.pop("repaired_encoding", 0)
            notes["skipped_non_story"] += sum(got.skipped.values())
            return got.items

        batches = await asyncio.gather(*(one(rank, sid) for rank, sid in enumerate(ids)))
        if ids and notes["item_errors"] == len(ids):
            msg = f"all {len(ids)} Hacker News items failed; first: {errors[0]}"
            raise ReplayMissing(msg) if all(isinstance(e, ReplayMissing) for e in errors) else FetchError(msg)
        merged_items, notes["merged_duplicates"], _ = merge_submissions([it for batch in batches for it in batch])
        items: list[Item] = []
        for it in merged_items:
            if (it.hn_points or 0) < cfg.min_points:
                notes["below_min_points"] += 1
            else:
                items.append(it)
        return FetchResult(items, notes)


class HackerNewsConfig(Strict):
    enabled: bool = True
    min_points: int = Field(20, ge=0)  # front-page stories only; Algolia numericFilters points>=min_points
    max_items: int = Field(100, ge=1)


SPEC = SourceSpec("hackernews", HackerNewsConfig, lambda c: [HackerNewsSource()] if c.enabled else [],
                  title="Hacker News")
