"""Snippets for news links (the text helpers the sources share are in aidigest.text).

The old system categorized news by title alone. `enrich_snippets` fetches the page behind each news item
that has no snippet yet, extracts the main text with trafilatura and keeps the first `max_chars` characters
cut at a sentence boundary. It never raises for one page: every outcome is counted.

Pages that are not fetched at all: PDFs (by URL), arXiv / Hugging Face paper pages and Hacker News
discussion links (their text is not an article), and everything past `max_per_day` (counted `over_cap`,
the highest-scored items are fetched first). Links to loopback, private, link-local or other non-public
addresses — directly, through DNS or through a redirect — are refused by the HTTP layer (counted `blocked`,
named in run health; see aidigest.infra.netguard); a page that does not arrive within `[http] deadline_s` is
counted `timed_out`.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from pydantic import Field

from ..configbase import Strict
from ..infra.http import Blocked, DeadlineExceeded, FetchError, ReplayMissing, ResponseTooLarge
from ..records import Item
from ..reuse import SnippetCache
from ..text import clip_text
from ..urls import arxiv_id_from_url, host_of
from .base import FetchContext
from .registry import SourceSpec

if TYPE_CHECKING:
    from ..infra.http import Response
    from ..infra.store import Store

# ---------------------------------------------------------------------------------------------------
# Snippet enrichment (I/O through ctx.http)
# ---------------------------------------------------------------------------------------------------
_NO_ARTICLE_HOSTS = {"news.ycombinator.com", "huggingface.co", "hf.co"}
_HTML_TYPES = ("text/html", "application/xhtml+xml")
COUNTERS = ("has_snippet", "fetched", "cached", "missing", "skipped_pdf", "skipped_link", "skipped_non_html", "too_large",
            "empty", "failed", "over_cap", "blocked", "timed_out")


def _is_pdf_url(url: str) -> bool:
    try:
        return urlsplit(url).path.lower().endswith(".pdf")
    except ValueError:
        return False


def extract_snippet(page: str | bytes, max_chars: int, url: str | None = None) -> str:
    """Main text of an HTML page (trafilatura), clipped at a sentence boundary. "" when nothing is found."""
    import trafilatura  # imported lazily: it is slow to import and only needed when pages are fetched

    if isinstance(page, bytes):
        page = page.decode("utf-8", errors="replace")
    text = trafilatura.extract(page, url=url, include_comments=False, include_tables=False) or ""
    return clip_text(text, max_chars)


async def enrich_snippets(items: list[Item], ctx: FetchContext, cache: SnippetCache | None = None) -> dict[str, int]:
    """Fill `item.snippet` in place for news items that have none. Returns counters (see COUNTERS).

    With a `cache` (aidigest.reuse.SnippetCache), a page read before (same URL, same max_chars) is not fetched
    again: its stored snippet is used and counted `cached`; a page fetched now is stored with the day."""
    cfg = ctx.config.sources.snippets
    counts = dict.fromkeys(COUNTERS, 0)
    candidates = _candidates(items, counts)
    # the most discussed stories first, so the cap drops the least important ones
    candidates.sort(key=lambda it: -(it.hn_points or 0))
    if len(candidates) > cfg.max_per_day:
        counts["over_cap"] = len(candidates) - cfg.max_per_day
        candidates = candidates[: cfg.max_per_day]
    for outcome in await asyncio.gather(*(_snippet_for(it, ctx, cfg, cache) for it in candidates)):
        counts[outcome] += 1
    return counts


def _candidates(items: list[Item], counts: dict[str, int]) -> list[Item]:
    """The news items whose page may hold their snippet; the others are counted in `counts`."""
    candidates: list[Item] = []
    for it in items:
        if it.kind != "news":
            continue
        if it.snippet.strip():
            counts["has_snippet"] += 1
            continue
        if _is_pdf_url(it.url):
            counts["skipped_pdf"] += 1
        elif arxiv_id_from_url(it.url) or host_of(it.url) in _NO_ARTICLE_HOSTS:
            counts["skipped_link"] += 1
        elif not it.url.lower().startswith(("http://", "https://")):
            counts["skipped_link"] += 1
        else:
            candidates.append(it)
    return candidates


async def _snippet_for(it: Item, ctx: FetchContext, cfg: SnippetConfig, cache: SnippetCache | None) -> str:
    """Fill one item's snippet, from the cache or its page; returns the outcome counted (a key of COUNTERS)."""
    if cache is not None:
        hit = cache.get(it.url, cfg.max_chars)
        if hit is not None:
            it.snippet = hit[0]
            return "cached"
    page = await _fetch_page(it.url, ctx, cfg)
    if isinstance(page, str):
        return page
    try:
        text = await asyncio.to_thread(extract_snippet, page.text, cfg.max_chars, page.url)
    except Exception:  # noqa: BLE001 - a page trafilatura chokes on is one failed snippet, not a crash
        return "failed"
    if not text:
        return "empty"
    it.snippet = text
    if cache is not None:
        cache.put(it.url, cfg.max_chars, text, ctx.day.isoformat())
    return "fetched"


async def _fetch_page(url: str, ctx: FetchContext, cfg: SnippetConfig) -> Response | str:
    """The HTML page at `url`, or the outcome that ends the item's snippet (a key of COUNTERS)."""
    try:
        resp = await ctx.http.get(url, max_bytes=cfg.max_bytes, retries=1)
    except ReplayMissing:
        return "missing"
    except ResponseTooLarge:
        return "too_large"
    except Blocked:  # a link (or a redirect hop) to a loopback/private/link-local address: see aidigest.infra.netguard
        return "blocked"
    except DeadlineExceeded:
        return "timed_out"
    except FetchError:
        return "failed"
    except Exception:  # noqa: BLE001 - e.g. an invalid URL from a feed: one failed snippet, counted
        return "failed"
    if resp.status >= 400:
        return "failed"
    ctype = resp.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype == "application/pdf" or resp.body[:5] == b"%PDF-":
        return "skipped_pdf"
    if ctype and ctype not in _HTML_TYPES:
        return "skipped_non_html"
    return resp


# ---------------------------------------------------------------------------------------------------
# Registration: an enricher (configured under [sources.snippets], runs after the sources are merged)
# ---------------------------------------------------------------------------------------------------
class SnippetConfig(Strict):
    enabled: bool = True
    max_per_day: int = Field(60, ge=0)
    max_bytes: int = Field(2_000_000, ge=1)
    max_chars: int = Field(600, ge=1)


class SnippetEnricher:
    """Article snippets for the merged news items; its outcome in run health is `snippets`."""

    name = "snippets"
    kind = "news"

    async def enrich(self, items: list[Item], ctx: FetchContext, store: Store | None) -> tuple[int, dict[str, int]]:
        notes = await enrich_snippets(items, ctx, SnippetCache(store) if store is not None else None)
        return notes.get("fetched", 0) + notes.get("cached", 0), notes  # cached: read on an earlier run


SPEC = SourceSpec("snippets", SnippetConfig, lambda c: SnippetEnricher() if c.enabled else None, role="enricher")
