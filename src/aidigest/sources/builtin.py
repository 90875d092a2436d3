"""The built-in data sources, one registration line each, through the registry's `register` (the hook a plugin
uses too: docs/extending.md). The order of the lines is the order of the `[sources]` keys and of the fetches:
hackernews, techreview_kr, geeknews, each configured feed, hf_papers, arxiv, deeplearn (off by default); then the
enrichers (snippets).

Import the registry's contents from here (`from aidigest.sources.builtin import SOURCES, build_sources`): the
built-ins are registered by then."""

from __future__ import annotations

from . import arxiv, deeplearn, geeknews, hackernews, hf_papers, rss, snippets, techreview_kr
from .registry import SOURCES, Enricher, SourceSpec, build_enrichers, build_sources, is_enricher, register

__all__ = ["SOURCES", "Enricher", "SourceSpec", "build_enrichers", "build_sources", "is_enricher", "register"]

register(hackernews.SPEC)
register(techreview_kr.SPEC)
register(geeknews.SPEC)
register(rss.SPEC)
register(hf_papers.SPEC)
register(arxiv.SPEC)
register(deeplearn.SPEC)
register(snippets.SPEC)
