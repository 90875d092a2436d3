"""aidigest.urls.canonical_key on the URL variants sources see (one key per story or paper)."""

from __future__ import annotations

import pytest

from aidigest.urls import arxiv_id_from_url, canonical_key, normalize_arxiv_id

STORY = "https://seanhelvey.com/tools-and-their-tools"  # a real HN link of 2026-08-02


@pytest.mark.parametrize("variant", [
    "https://seanhelvey.com/tools-and-their-tools/",
    "http://seanhelvey.com/tools-and-their-tools/",
    "https://www.seanhelvey.com/tools-and-their-tools/",
    "HTTPS://SeanHelvey.com/tools-and-their-tools",
    "https://seanhelvey.com:443/tools-and-their-tools/",
    "https://seanhelvey.com/tools-and-their-tools/#comments",
    "https://seanhelvey.com/tools-and-their-tools/?utm_source=hn&utm_medium=social&utm_campaign=x",
    "https://seanhelvey.com/tools-and-their-tools/?fbclid=abc&ref=hackernews",
    "  https://seanhelvey.com/tools-and-their-tools/  ",
])
def test_news_url_variants_share_one_key(variant):
    assert canonical_key(variant) == STORY


def test_meaningful_query_parameters_are_kept_and_sorted():
    assert canonical_key("https://news.ycombinator.com/item?id=49148159&utm_source=x") == \
        "https://news.ycombinator.com/item?id=49148159"
    assert canonical_key("https://a.example/p?b=2&a=1") == canonical_key("https://a.example/p?a=1&b=2")
    assert canonical_key("https://a.example/p?id=1") != canonical_key("https://a.example/p?id=2")
    assert canonical_key("https://a.example/x") != canonical_key("https://b.example/x")


@pytest.mark.parametrize("variant", [
    "https://arxiv.org/abs/2607.28582",
    "http://arxiv.org/abs/2607.28582v1",
    "https://arxiv.org/abs/2607.28582v3",
    "https://arxiv.org/pdf/2607.28582",
    "https://arxiv.org/pdf/2607.28582v2.pdf",
    "https://www.arxiv.org/abs/2607.28582/",
    "https://export.arxiv.org/abs/2607.28582",
    "https://arxiv.org/html/2607.28582v1",
    "https://huggingface.co/papers/2607.28582",
    "https://hf.co/papers/2607.28582",
    "https://arxiv.org/abs/2607.28582?utm_source=twitter#S2",
])
def test_paper_url_variants_share_the_arxiv_key(variant):
    assert arxiv_id_from_url(variant) == "2607.28582"
    assert canonical_key(variant) == "arxiv:2607.28582"


def test_explicit_arxiv_id_wins_and_old_style_ids():
    assert canonical_key("https://huggingface.co/papers/whatever", arxiv_id="2607.28582v2") == "arxiv:2607.28582"
    assert canonical_key("http://arxiv.org/abs/astro-ph/0601001v1") == "arxiv:astro-ph/0601001"
    assert normalize_arxiv_id("arXiv:2607.23193v2") == "2607.23193"
    assert normalize_arxiv_id("abc") is None
    assert canonical_key("https://github.com/arxiv/2607.28582") == "https://github.com/arxiv/2607.28582"
