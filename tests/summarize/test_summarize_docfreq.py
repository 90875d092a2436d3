"""The restricted document frequency (`DocFreq.for_terms`, what a day's summaries use) counts exactly what
`DocFreq.from_items` counts, on real items (English abstracts, HN titles with story text, Korean titles), and
its fast tokenizer gives the same words and clause breaks as the regular expressions of summarize.text.
Same output, less work: the summaries built with either frequency are identical."""

from __future__ import annotations

import asyncio
import datetime as dt
import random

import pytest
from test_summarize_fixtures import arxiv_day_items, hf_items, hn_items, paper_category, techreview_items

import aidigest.summarize.sections as summarize_mod
from aidigest.config import Config
from aidigest.context import DayContext
from aidigest.select.items import select_items
from aidigest.summarize.sections import summarize_sections
from aidigest.summarize.extractive import (
    _CLAUSE_MARK,
    DocFreq,
    _clause_tokens,
    _surface_words,
    item_terms,
    needed_terms,
)
from aidigest.summarize.i18n import strings
from aidigest.summarize.text import _CLAUSE, _WORD, content_words, stem
from aidigest.taxonomy import load_taxonomy


def _corpora():
    korean = techreview_items("2024-10-15") + techreview_items("2024-10-16") + techreview_items("2024-10-17")
    return {"arxiv": arxiv_day_items(), "hf": hf_items(), "hn": hn_items(), "hn-llm": hn_items("hn_algolia_EienMosu_llm_2026-08-18.json"),
            "korean": korean}


@pytest.mark.parametrize("name", ["arxiv", "hf", "hn", "hn-llm", "korean"])
def test_for_terms_counts_every_term_like_from_items(name):
    items = _corpora()[name]
    full = DocFreq.from_items(items)
    assert full.df, name
    fast = DocFreq.for_terms(items, set(full.df))  # every term any item has
    assert fast.n_docs == full.n_docs
    assert dict(fast.df) == dict(full.df)
    for term in list(full.df)[:50] + ["never-seen-term", "never seen"]:
        assert fast.idf(term) == full.idf(term)


def test_a_term_outside_the_counted_set_is_counted_when_asked():
    items = arxiv_day_items()
    full = DocFreq.from_items(items)
    fast = DocFreq.for_terms(items, {"model"})
    assert fast.df["model"] == full.df["model"] > 10
    assert "language model" not in fast.terms
    assert fast.idf("language model") == full.idf("language model")  # counted on demand
    assert fast.df["language model"] == full.df["language model"] > 5


def test_needed_terms_cover_item_terms_and_title_words():
    items = hf_items()[:5] + techreview_items("2024-10-15")[:3]
    terms = needed_terms(items)
    for it in items:
        assert set(item_terms(it)) <= terms
        assert {stem(w) for w in content_words(it.title)} <= terms  # title_keywords' keys, short Korean words too
    assert any("\uac00" <= k[0] <= "\ud7a3" for k in terms)


def test_surface_words_are_every_word_with_that_stem():
    words = {w for it in arxiv_day_items()[:200] for w in _WORD.findall((it.title + " " + it.snippet).lower())}
    words |= {w for it in techreview_items("2024-10-16") for w in _WORD.findall(it.title.lower())}
    by_stem: dict[str, set[str]] = {}
    for w in words:
        by_stem.setdefault(stem(w), set()).add(w)
    for key, ws in by_stem.items():
        assert ws <= set(_surface_words(key)), key


def _reference_tokens(low: str) -> list[str]:
    return _WORD.findall(_CLAUSE.sub(_CLAUSE_MARK, low))


def _signature(tokens: list[str]) -> tuple[list[str], set[tuple[str, str]]]:
    """What the count depends on: the words in order (clause marks aside) and the adjacent pairs."""
    return [t for t in tokens if t != "0"], {p for p in zip(tokens, tokens[1:]) if "0" not in p}


def test_fast_tokenizer_matches_the_regular_expressions_on_real_text():
    texts = [t for items in _corpora().values() for it in items for t in (it.title, it.snippet) if t]
    assert len(texts) > 900 and sum(t.isascii() for t in texts) > 800
    for t in texts:
        low = t.lower()
        assert _signature(_clause_tokens(low)) == _signature(_reference_tokens(low)), t


def test_fast_tokenizer_matches_on_random_punctuation_soup():
    rng = random.Random(20241029)
    alphabet = list("ab9-' ,.;:!?()[]{}\"|/\t\n_@#+*=<>~`^\\$%&\x0b\x1c") + ["x"] * 6 + [" "] * 4
    for _ in range(20_000):
        s = "".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 16)))
        assert _signature(_clause_tokens(s)) == _signature(_reference_tokens(s)), repr(s)


def test_summaries_are_identical_with_the_full_frequency(monkeypatch):
    """The day's summaries (restricted frequency) are exactly those built from the full one."""
    tax = load_taxonomy()
    from test_summarize_fixtures import classify

    items = arxiv_day_items()
    sel = select_items(dt.date(2025, 6, 26), classify(items, paper_category), tax)

    def run():
        ctx = DayContext(day=dt.date(2025, 6, 26), language="ko", config=Config(), taxonomy=tax)
        return asyncio.run(summarize_sections(ctx, "paper", sel.categories, corpus=items))[0]

    fast = run()
    monkeypatch.setattr(summarize_mod.DocFreq, "for_terms", classmethod(lambda cls, its, terms: DocFreq.from_items(its)))
    full = run()
    assert len(fast) == len(full) == len(sel.categories) > 3
    assert [(d.summary.model_dump(), d.tldrs) for d in fast] == [(d.summary.model_dump(), d.tldrs) for d in full]
    recurring = strings("ko").recurring_term.split("{")[0]
    assert sum(p.text.startswith(recurring) for d in fast for p in d.summary.themes) >= 3  # themes use the df
