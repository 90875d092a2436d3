"""MIT Technology Review Korea, AI section: the site's WordPress RSS (config `sources.techreview_kr.url`).

Parsed by the generic feed parser (aidigest.sources.rss) with language "ko": Korean titles and excerpts are
kept exactly as the feed has them (only HTML is stripped from the excerpt). The feed is a rolling list,
so the same date window as every feed applies (rss.WINDOW_DAYS).

No recording of this feed exists anywhere we could find (see SOURCES.md (b) of the shared data folder); the demo
reports it as `no_recording`.
"""

from __future__ import annotations

from ..configbase import Strict
from ..records import Item, Kind
from .base import FetchContext, FetchResult
from .registry import SourceSpec
from .rss import fetch_feed, parse_feed

NAME = "techreview_kr"
LANGUAGE = "ko"


def parse(raw: bytes | str, max_chars: int = 600) -> list[Item]:
    """News items of the section feed (language "ko")."""
    return parse_feed(raw, source=NAME, kind="news", language=LANGUAGE, max_chars=max_chars).items


class TechReviewKrSource:
    name = NAME
    kind: Kind = "news"

    async def fetch(self, ctx: FetchContext) -> FetchResult:
        return await fetch_feed(ctx, NAME, ctx.config.sources.techreview_kr.url, "news", LANGUAGE)


class TechReviewKrConfig(Strict):
    enabled: bool = True
    url: str = "https://www.technologyreview.kr/category/ai/feed/"


SPEC = SourceSpec("techreview_kr", TechReviewKrConfig, lambda c: [TechReviewKrSource()] if c.enabled else [],
                  title="MIT Technology Review Korea")
