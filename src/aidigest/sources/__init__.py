"""The data sources, one registration line each (see aidigest.sources.registry). The order of the lines is the
order of the `[sources]` keys and of the fetches: hackernews, techreview_kr, geeknews, each configured feed, hf_papers,
arxiv, deeplearn (off by default); then the enrichers (snippets)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, cast

from . import arxiv, deeplearn, geeknews, hackernews, hf_papers, rss, snippets, techreview_kr
from .arxiv import ArxivSource
from .base import Source
from .hackernews import HackerNewsSource
from .hf_papers import HFPapersSource
from .registry import SOURCES, Enricher, SourceSpec, is_enricher, register
from .rss import RssSource
from .techreview_kr import TechReviewKrSource

if TYPE_CHECKING:
    from ..config import Config

__all__ = [
    "SOURCES", "Enricher", "SourceSpec", "build_enrichers", "build_sources", "is_enricher", "register",
    "ArxivSource", "HackerNewsSource", "HFPapersSource", "RssSource", "TechReviewKrSource",
]

register(hackernews.SPEC)
register(techreview_kr.SPEC)
register(geeknews.SPEC)
register(rss.SPEC)
register(hf_papers.SPEC)
register(arxiv.SPEC)
register(deeplearn.SPEC)
register(snippets.SPEC)


def build_sources(config: Config) -> list[Source]:
    """Enabled sources, in registration order."""
    out: list[Source] = []
    for spec in SOURCES.values():
        if spec.role == "source":
            out.extend(cast(Sequence[Source], spec.build(getattr(config.sources, spec.name))))
    return out


def build_enrichers(config: Config) -> list[Enricher]:
    """Enabled enrichers, in registration order (they run after the sources' items are merged)."""
    built = (spec.build(getattr(config.sources, spec.name)) for spec in SOURCES.values() if spec.role == "enricher")
    return [cast(Enricher, e) for e in built if e is not None]
