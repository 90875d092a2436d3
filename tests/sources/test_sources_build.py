"""build_sources: the enabled sources in their fixed order."""

from __future__ import annotations

from aidigest.config import Config
from aidigest.sources.rss import FeedConfig
from aidigest.sources.builtin import build_sources


def test_default_order():
    assert [s.name for s in build_sources(Config())] == ["hackernews", "techreview_kr", "geeknews", "hf_papers", "arxiv"]
    assert [s.kind for s in build_sources(Config())] == ["news", "news", "news", "paper", "paper"]


def test_feeds_between_techreview_and_papers_and_disabled_sources_left_out():
    cfg = Config()
    cfg = cfg.updated(sources={"feeds": [FeedConfig(name="import-ai", url="https://importai.substack.com/feed"),
                                         FeedConfig(name="arxiv-cl", url="https://rss.arxiv.org/rss/cs.CL", kind="paper")]})
    assert [s.name for s in build_sources(cfg)] == [
        "hackernews", "techreview_kr", "geeknews", "rss:import-ai", "rss:arxiv-cl", "hf_papers", "arxiv"]
    assert build_sources(cfg)[4].kind == "paper"
    cfg = cfg.updated(sources={"hackernews": {"enabled": False}, "techreview_kr": {"enabled": False}, "arxiv": {"enabled": False},
                              "geeknews": {"enabled": False}})
    assert [s.name for s in build_sources(cfg)] == ["rss:import-ai", "rss:arxiv-cl", "hf_papers"]
