"""Offline (extractive) summaries from real items: four non-empty parts even without any text, quoted
sentences really come from the cited item, themes cite the items that contain the term, honest labels."""

from __future__ import annotations

import asyncio
import datetime as dt
import re

import pytest
from test_summarize_fixtures import arxiv_day_items, hf_items, hn_items, techreview_items

import aidigest.summarize.sections as summarize_mod
from aidigest.config import Config
from aidigest.context import DayContext
from aidigest.render.markdown import extractive_label, render_summary
from aidigest.select.items import CategorySelection
from aidigest.summarize.sections import summarize_sections
from aidigest.summarize.checks import check_citations, check_parts, final_guard
from aidigest.summarize.extractive import DocFreq, extractive_summary, item_terms
from aidigest.summarize.text import clean, split_sentences, stem, words
from aidigest.summarize.tldr import extractive_tldr
from aidigest.taxonomy import load_taxonomy


def _valid(summary, tldrs, n):
    assert check_parts(summary) == [] and check_citations(summary, n) == []
    final_guard(summary, tldrs, n)


def test_korean_titles_without_snippets_still_give_four_parts():
    items = techreview_items("2024-10-15")
    summary, tldrs = extractive_summary(items, total=5, language="ko")
    _valid(summary, tldrs, 5)
    assert summary.source_language == "ko"
    assert extractive_label(summary, "ko") == "(추출 요약: 원문 문장 발췌, LLM 미사용)"
    assert tldrs == [clean(it.title) for it in items]  # no text: the TL;DR is the title
    events = [p.text for p in summary.events]
    assert events[0] == clean(items[0].title)


def test_hn_titles_only_use_points_and_comments():
    items = [it for it in hn_items() if not it.snippet][:6]
    summary, tldrs = extractive_summary(items, total=9, language="ko")
    _valid(summary, tldrs, 6)
    assert all(re.search(r"HN \d+점", p.text) for p in summary.events)
    top = max(range(6), key=lambda i: items[i].hn_points)
    assert any(p.text.startswith("가장 주목받은 항목") and p.cites == [top + 1] for p in summary.impact)
    assert summary.bottom_line[0].text == "오늘 이 분야 9건, 상위 6건을 아래에 정리"
    assert summary.source_language == "en"
    assert "영어" in extractive_label(summary, "ko")


def _norm(s: str) -> str:
    return clean(s).rstrip("…").strip()


def test_quoted_sentences_come_from_the_cited_abstract():
    items = [it for it in arxiv_day_items() if it.primary_category == "cs.CL"][:8]
    summary, tldrs = extractive_summary(items, total=64, language="ko", corpus_df=DocFreq.from_items(arxiv_day_items()))
    _valid(summary, tldrs, 8)
    quoted = [p for p in summary.events + summary.impact + summary.bottom_line[1:]]
    assert len(quoted) >= 6
    for p in quoted:
        if p.text.startswith("가장 주목받은"):
            continue
        [n] = p.cites
        assert _norm(p.text) in clean(items[n - 1].snippet), p.text
    # events: one per top item, in rank order
    assert [p.cites for p in summary.events] == [[1], [2], [3], [4], [5]]
    for i, t in enumerate(tldrs):
        assert len(t) <= 180 and _norm(t) in clean(items[i].snippet)


@pytest.mark.parametrize("which", [slice(0, 10), slice(10, 20), slice(20, 30)])
def test_themes_cite_exactly_the_items_containing_the_term(which):
    items = hf_items()[which]
    summary, _ = extractive_summary(items, total=10, language="en", corpus_df=DocFreq.from_items(hf_items()))
    assert summary.themes and all(p.text.startswith("Recurring topic") for p in summary.themes)
    for p in summary.themes:
        term = re.search(r"“(.+)”", p.text).group(1)
        key = " ".join(stem(w) for w in term.split())
        if len(term.split()) <= 2:
            holders = [i + 1 for i, it in enumerate(items) if key in item_terms(it)]
        else:  # a merged phrase ("large language models"): the stems in sequence
            holders = [i + 1 for i, it in enumerate(items)
                       if f" {key} " in " " + " ".join(stem(w) for w in words(it.title + " . " + it.snippet)) + " "]
        assert p.cites == holders and len(holders) >= 2
        assert f"in {len(holders)} items" in p.text


def test_result_sentences_report_numbers_or_comparisons():
    items = hf_items()[:8]
    summary, _ = extractive_summary(items, total=8, language="en")
    quoted = [p.text for p in summary.impact if not p.text.startswith("Most attention")]
    assert quoted, "abstracts with reported results give result sentences"
    assert all(re.search(r"\d|outperform|state-of-the-art|surpass|beat", t, re.I) for t in quoted)


def test_single_item_category():
    [item] = hf_items()[:1]
    summary, tldrs = extractive_summary([item], total=1, language="ko")
    _valid(summary, tldrs, 1)


def test_same_input_same_summary():
    items = hf_items()[:8]
    a = extractive_summary(items, total=8, language="ko")
    b = extractive_summary(items, total=8, language="ko")
    assert a == b


def test_sentence_splitter_keeps_abbreviations_together():
    text = "Prior work (e.g. Smith et al. 2020) fails. We fix it, i.e. we add data.\nResults: 3.5x faster. 새 방법이다. 좋다."
    assert split_sentences(text) == [
        "Prior work (e.g. Smith et al. 2020) fails.", "We fix it, i.e. we add data.", "Results: 3.5x faster.",
        "새 방법이다.", "좋다.",
    ]


def test_tldr_is_truncated_first_sentence_or_title():
    it = hf_items()[0]
    t = extractive_tldr(it)
    assert t == split_sentences(it.snippet)[0] or (t.endswith("…") and len(t) <= 180)
    assert extractive_tldr(it.model_copy(update={"snippet": ""})) == it.title


def test_an_extractive_crash_still_gives_a_full_section(monkeypatch):
    """If the extractive summarizer itself fails, the section is built from titles: never empty."""
    def boom(*a, **k):
        raise RuntimeError("bug")

    monkeypatch.setattr(summarize_mod, "extractive_summary", boom)
    items = hn_items()[:3]
    ctx = DayContext(day=dt.date(2026, 8, 2), language="ko", config=Config(), taxonomy=load_taxonomy())
    [draft], _ = asyncio.run(summarize_sections(ctx, "news", [CategorySelection("business", [(it, 1.0) for it in items])]))
    _valid(draft.summary, draft.tldrs, 3)
    assert [p.text for p in draft.summary.events] == [it.title for it in items]


@pytest.mark.parametrize("lang,heads", [("ko", ["주요 주제", "주요 사건", "영향 분석", "최종 요약"]),
                                        ("en", ["Key themes", "Key events", "Impact", "Bottom line"]),
                                        ("de", ["Hauptthemen", "Wichtige Ereignisse", "Auswirkungen", "Fazit"])])
def test_headings_in_the_report_language(lang, heads):
    summary, _ = extractive_summary(hf_items()[:4], total=4, language=lang)
    md = "\n".join(render_summary(summary, lang))
    assert [m for m in re.findall(r"^\d\. \*\*(.+?)\*\*:$", md, re.M)] == heads


def test_a_single_title_only_item_is_not_just_repeated():
    item = next(it for it in hn_items() if it.title == "Microsoft raises Xbox prices by up to 43%")
    summary, tldrs = extractive_summary([item], total=1, language="ko", corpus_df=DocFreq.from_items(hn_items()))
    _valid(summary, tldrs, 1)
    assert summary.themes[0].text.startswith("핵심어: ") and "xbox" in summary.themes[0].text
    assert summary.impact[0].text == "관심도: HN 73점 · 댓글 84개"
    assert [p.text for p in summary.bottom_line] == ["오늘 이 분야 1건"]


def test_korean_titles_without_signals_name_keywords_and_the_publisher():
    items = techreview_items("2024-10-16")
    summary, _ = extractive_summary(items, total=5, language="ko")
    assert summary.impact == [type(summary.impact[0])(text="보도: technologyreview.kr", cites=[1, 2, 3, 4, 5])]
    kws = [w for p in summary.themes if p.text.startswith("핵심어: ") for w in p.text[5:].split(", ")]
    assert kws and not [w for w in kws if re.search(r"[가-힣](가|에|를|을|의)$", w)]  # particles stripped
