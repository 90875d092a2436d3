"""The data sources. `build_sources(config)` lists the enabled ones in a fixed order."""

from __future__ import annotations

from ..config import Config
from .arxiv import ArxivSource
from .base import Source
from .hackernews import HackerNewsSource
from .hf_papers import HFPapersSource
from .rss import RssSource
from .techreview_kr import TechReviewKrSource

__all__ = ["build_sources", "ArxivSource", "HackerNewsSource", "HFPapersSource", "RssSource", "TechReviewKrSource"]


def build_sources(config: Config) -> list[Source]:
    """Enabled sources, in this order: hackernews, techreview_kr, each configured feed, hf_papers, arxiv."""
    s = config.sources
    out: list[Source] = []
    if s.hackernews.enabled:
        out.append(HackerNewsSource())
    if s.techreview_kr.enabled:
        out.append(TechReviewKrSource())
    for feed in s.feeds:
        out.append(RssSource(feed.name, feed.url, feed.kind, feed.language))
    if s.hf_papers.enabled:
        out.append(HFPapersSource())
    if s.arxiv.enabled:
        out.append(ArxivSource())
    return out
