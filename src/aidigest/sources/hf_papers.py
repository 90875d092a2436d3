"""Hugging Face Daily Papers for a date: `https://huggingface.co/api/daily_papers?date=YYYY-MM-DD`.

The API answers a JSON array, one object per paper (`paper.id` is the arXiv id, `paper.summary` the
abstract, `paper.upvotes` the community votes). Items are papers keyed `arxiv:<id>`, so they merge with the
same paper seen on arXiv or linked from Hacker News. The item URL is the arXiv abstract page; the
sighting keeps the Hugging Face paper page and the upvotes. Items keep the API's listing order as rank.
"""

from __future__ import annotations

import datetime as dt
import json

from ..configbase import Strict
from ..infra.http import FetchError
from ..records import Item, Kind, Sighting
from ..urls import canonical_key, normalize_arxiv_id
from .base import FetchContext, FetchResult, ParseError
from .registry import SourceSpec
from ..text import normalize_space

NAME = "hf_papers"
API_URL = "https://huggingface.co/api/daily_papers"
PAPER_PAGE = "https://huggingface.co/papers/{id}"
ABS_URL = "https://arxiv.org/abs/{id}"


def _parse_time(v) -> dt.datetime | None:
    if not isinstance(v, str) or not v:
        return None
    try:
        return dt.datetime.fromisoformat(v.replace("Z", "+00:00"))
    except ValueError:
        return None


def _paper_to_item(entry: dict, rank: int) -> Item | None:
    paper = entry.get("paper")
    if not isinstance(paper, dict):
        return None
    pid = str(paper.get("id") or "").strip()
    title = normalize_space(str(paper.get("title") or entry.get("title") or ""))
    if not pid or not title:
        return None
    aid = normalize_arxiv_id(pid)
    page = PAPER_PAGE.format(id=pid)
    url = ABS_URL.format(id=aid) if aid else page
    authors = [
        str(a["name"]).strip()
        for a in paper.get("authors") or []
        if isinstance(a, dict) and a.get("name") and not a.get("hidden")
    ]
    upvotes = paper.get("upvotes")
    return Item(
        kind="paper",
        title=title,
        url=url,
        key=canonical_key(page, aid),
        snippet=normalize_space(str(paper.get("summary") or entry.get("summary") or "")),
        language="en",
        published=_parse_time(paper.get("publishedAt")) or _parse_time(entry.get("publishedAt")),
        arxiv_id=aid,
        authors=authors,
        sightings=[
            Sighting(source=NAME, url=page, title=title,
                     upvotes=int(upvotes) if isinstance(upvotes, int) else None, rank=rank)
        ],
    )


def parse_with_skipped(raw: bytes | str) -> tuple[list[Item], int]:
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ParseError(f"Hugging Face daily papers: not valid JSON ({e})") from None
    if isinstance(data, dict):
        if "error" in data:
            raise ParseError(f"Hugging Face API error: {data['error']}")
        raise ParseError(f"Hugging Face daily papers: expected a JSON array, got an object (keys: {', '.join(sorted(data)[:8])})")
    if not isinstance(data, list):
        raise ParseError(f"Hugging Face daily papers: expected a JSON array, got {type(data).__name__}")
    items: list[Item] = []
    skipped = 0
    for entry in data:
        it = _paper_to_item(entry, len(items)) if isinstance(entry, dict) else None
        if it is None:
            skipped += 1
        else:
            items.append(it)
    return items, skipped


def parse(raw: bytes | str) -> list[Item]:
    """Papers in a daily_papers response (with or without `?date=`; the schema is the same)."""
    return parse_with_skipped(raw)[0]


def request_url(day: dt.date) -> tuple[str, dict[str, str]]:
    return API_URL, {"date": day.isoformat()}


class HFPapersSource:
    name = NAME
    kind: Kind = "paper"

    async def fetch(self, ctx: FetchContext) -> FetchResult:
        url, params = request_url(ctx.day)
        resp = await ctx.http.get(url, params=params, max_bytes=ctx.config.sources.hf_papers.max_bytes)
        if resp.status >= 400:
            try:
                parse(resp.body)  # an API error body names the problem
            except ParseError as e:
                raise ParseError(f"HTTP {resp.status}: {e}") from None
            raise FetchError(f"{resp.url}: Hugging Face answered HTTP {resp.status}")
        items, skipped = parse_with_skipped(resp.body)
        return FetchResult(items, {"skipped_malformed": skipped})


class HFPapersConfig(Strict):
    enabled: bool = True
    max_bytes: int = 50_000_000  # a 1,000-paper day is ~5.6 MB


SPEC = SourceSpec("hf_papers", HFPapersConfig, lambda c: [HFPapersSource()] if c.enabled else [],
                  title="HF Daily Papers")
