"""Selection: ranking by signals, per-category cap + compact list + count, `others` left out, cross-day
dedup against a real SQLite store (tmp file), growing stories returning once. Real items only
(see test_summarize_fixtures.py for the files and how categories are assigned)."""

from __future__ import annotations

import asyncio
import datetime as dt
import random

import pytest
from test_summarize_fixtures import (
    arxiv_day_items,
    classify,
    hf_items,
    hn_category,
    hn_items,
    paper_category,
    techreview_items,
)

from aidigest.assemble import build_digest
from aidigest.config import Config
from aidigest.context import DayContext
from aidigest.report import reported_rows
from aidigest.select.items import COMPACT_MAX, SelectOptions, grew, popularity, rank_score, select_items
from aidigest.infra.store import Store
from aidigest.taxonomy import load_taxonomy

TAX = load_taxonomy()
HN_DAY = dt.date(2026, 8, 2)


def _build(day, kind, classified, store, config=None, language="ko"):
    """(the digest, the report its building returned)"""
    ctx = DayContext(day=day, language=language, config=config or Config(), taxonomy=TAX, store=store)
    digest = asyncio.run(build_digest(ctx, kind, classified))
    return digest, digest.health


# ---- ranking and capping --------------------------------------------------------------------------
def test_hn_items_rank_by_points_comments_and_recency():
    items = hn_items()
    ranked = sorted(items, key=lambda it: (-rank_score(it, HN_DAY), it.key))
    # the bottom of the ranking is made of the small stories, the top of the big ones
    assert max(it.hn_points for it in ranked[-5:]) < min(it.hn_points for it in ranked[:5])
    by_title = {it.title: it for it in items}
    big = by_title["How the words we teach English language learners changed"]  # 177 points, 107 comments
    small = by_title["Cancelling Cursor"]  # 25 points, 10 comments
    assert rank_score(big, HN_DAY) > rank_score(small, HN_DAY)
    # an extra source carrying the item adds to its score
    two = small.model_copy(update={"sightings": small.sightings + [small.sightings[0].model_copy(update={"source": "rss:x"})]})
    assert rank_score(two, HN_DAY) > rank_score(small, HN_DAY)


def test_hf_upvotes_order_papers_within_a_category():
    classified = classify(hf_items(), lambda it: "llm")
    sel = select_items(HN_DAY, classified, TAX, options=SelectOptions(per_category=5))
    [cat] = sel.categories
    ups = [it.hf_upvotes for it, _ in cat.top]
    assert ups[:3] == [292, 283, 168]  # AskChem, Qwen-UI-Agent, Frontis-MA1 in the recording
    assert len(cat.top) == 5 and len(cat.compact) == COMPACT_MAX == 20 and cat.counted_only == 5


def test_500_paper_day_is_capped_compacted_and_counted():
    items = arxiv_day_items()
    classified = classify(items, paper_category)
    sel = select_items(dt.date(2025, 6, 26), classified, TAX, options=SelectOptions(per_category=8))
    s = sel.stats
    assert s.classified == 462
    assert s.full + s.compact + s.counted_only + s.others == 462
    for cat in sel.categories:
        assert len(cat.top) <= 8 and len(cat.compact) <= COMPACT_MAX
        assert cat.total == s.per_category[cat.category]
    big = max(sel.categories, key=lambda c: c.total)
    assert big.total > 100 and len(big.top) == 8 and len(big.compact) == COMPACT_MAX
    assert big.counted_only == big.total - 8 - COMPACT_MAX
    # categories come in taxonomy order, `others` never among them
    ids = [c.category for c in sel.categories]
    assert ids == [i for i in TAX.ids if i in ids] and "others" not in ids


def test_selection_is_deterministic_whatever_the_input_order():
    classified = classify(arxiv_day_items(), paper_category)
    a = select_items(dt.date(2025, 6, 26), classified, TAX)
    shuffled = list(classified)
    random.Random(7).shuffle(shuffled)
    b = select_items(dt.date(2025, 6, 26), shuffled, TAX)
    flat = lambda sel: [(c.category, [it.key for it, _ in c.top], [it.key for it in c.compact]) for c in sel.categories]  # noqa: E731
    assert flat(a) == flat(b)
    # arXiv listing items have no signals: ties are broken by key
    top = a.categories[0].top
    assert [it.key for it, _ in top] == sorted(it.key for it, _ in top)


def test_others_are_left_out_and_counted_in_health(tmp_path):
    items = hn_items()
    classified = classify(items, hn_category)
    n_others = sum(1 for c in classified if c.category == "others")
    assert n_others == 6
    with Store(tmp_path / "s.sqlite3") as store:
        digest, health = _build(HN_DAY, "news", classified, store)
    shown = {e.key for s in digest.sections for e in s.entries} | {c.key for s in digest.sections for c in s.more}
    shown |= {o.key for o in digest.other_tech}  # `software`: the short non-AI list at the end
    assert not shown & {c.item.key for c in classified if c.category == "others"}
    assert digest.stats.others == n_others
    assert health.others == 0  # the classifier's counter: build_digest does not add to it (no double count)
    # the non-AI list is capped ([digest] other_tech_max): the rest of it is counted, not shown
    assert len(shown) + digest.stats.other_tech - digest.stats.other_tech_listed == len(items) - n_others
    assert digest.stats.other_tech_listed == len(digest.other_tech) == Config().digest.other_tech_max


def test_unknown_category_and_duplicates_are_counted_not_dropped_silently():
    items = hf_items()[:4]
    classified = classify(items, lambda it: "llm")
    classified[0] = classified[0].model_copy(update={"category": "no-such-category"})
    classified.append(classified[1])
    sel = select_items(HN_DAY, classified, TAX)
    assert sel.stats.unknown_category == 1 and sel.stats.duplicates == 1
    assert sel.stats.full == 3


def test_growth_rule():
    assert grew(40, 132) and grew(0, 30)
    assert not grew(100, 150)  # not 2x
    assert not grew(3, 8)  # 2x but only +5


# ---- cross-day dedup with a real store ---------------------------------------------------------------
def test_item_reported_yesterday_is_skipped_today(tmp_path):
    """The old system listed the same technologyreview.kr stories on 2024-10-15, -16 and -17 (real data)."""
    d1, d2 = dt.date(2024, 10, 15), dt.date(2024, 10, 16)
    with Store(tmp_path / "s.sqlite3") as store:
        day1 = classify(techreview_items("2024-10-15"), lambda it: "business")
        digest1, _ = _build(d1, "news", day1, store)
        assert digest1.stats.full == 5
        store.mark_reported(d1, reported_rows(digest1))

        day2 = classify(techreview_items("2024-10-16"), lambda it: "business")
        assert {c.item.key for c in day2} == {c.item.key for c in day1}  # the same five stories again
        digest2, health2 = _build(d2, "news", day2, store)
        assert digest2.sections == [] and digest2.returning == []
        assert digest2.stats.repeated_skipped == 5 and health2.repeated_skipped == 5

    # outside the window they come back as new
    with Store(tmp_path / "s.sqlite3") as store:
        digest_late, _ = _build(d1 + dt.timedelta(days=8), "news", day2, store)
        assert digest_late.stats.full == 5 and digest_late.stats.repeated_skipped == 0


def test_rerun_of_the_same_day_is_not_a_repeat(tmp_path):
    with Store(tmp_path / "s.sqlite3") as store:
        classified = classify(hn_items(), hn_category)
        first, _ = _build(HN_DAY, "news", classified, store)
        store.mark_reported(HN_DAY, reported_rows(first))
        again, _ = _build(HN_DAY, "news", classified, store)
        assert again.stats.repeated_skipped == 0
        assert reported_rows(again) == reported_rows(first)


def test_growing_story_returns_once_under_still_trending(tmp_path):
    """No recording shows one HN story on two days, so yesterday's state is written into the store by the test:
    "A Rant About “Technology” (2005)" reported yesterday at 40 points; the recording has it at 132 today."""
    items = hn_items()
    rant = next(it for it in items if it.title.startswith("A Rant About"))
    cancelling = next(it for it in items if it.title == "Cancelling Cursor")  # 25 points today
    yesterday = HN_DAY - dt.timedelta(days=1)
    with Store(tmp_path / "s.sqlite3") as store:
        store.mark_reported(yesterday, [(rant.key, "news", "software", 40.0), (cancelling.key, "news", "business", 20.0)])
        classified = classify(items, hn_category)
        every = Config.model_validate({"digest": {"other_tech_max": 100}})  # every software item listed (and reported)
        digest, health = _build(HN_DAY, "news", classified, store, config=every)
        assert [r.entry.key for r in digest.returning] == [rant.key]
        r = digest.returning[0]
        assert r.popularity_then == 40.0 and r.entry.popularity == 132.0 and r.reported_day == yesterday
        shown = {e.key for s in digest.sections for e in s.entries} | {c.key for s in digest.sections for c in s.more}
        shown |= {o.key for o in digest.other_tech}
        assert rant.key not in shown and cancelling.key not in shown  # Cursor did not grow enough: skipped
        assert digest.stats.repeated_skipped == 1 and digest.stats.returning == 1
        rows = {k: score for k, _, _, score in reported_rows(digest)}
        assert rows[rant.key] == 132.0
        store.mark_reported(HN_DAY, reported_rows(digest))

        # next day, same points: it does not return a second time
        nxt, _ = _build(HN_DAY + dt.timedelta(days=1), "news", classified, store, config=every)
        assert nxt.returning == []
        assert nxt.stats.repeated_skipped == len(classified) - nxt.stats.others

        # even if it doubles again, a story returns only once
        store.mark_reported(HN_DAY + dt.timedelta(days=1), reported_rows(nxt))
        bigger = rant.model_copy(update={"sightings": [s.model_copy(update={"points": 500}) for s in rant.sightings]})
        later, _ = _build(HN_DAY + dt.timedelta(days=2), "news", classify([bigger], hn_category), store, config=every)
        assert later.returning == [] and later.stats.repeated_skipped == 1


def test_reported_rows_cover_full_and_compact_entries(tmp_path):
    with Store(tmp_path / "s.sqlite3") as store:
        classified = classify(hf_items(), lambda it: "llm")
        digest, _ = _build(HN_DAY, "paper", classified, store, config=Config.model_validate({"digest": {"per_category": 3}}))
    rows = reported_rows(digest)
    assert len(rows) == 3 + 20  # 3 in full + COMPACT_MAX one-liners; the other 7 were only counted
    assert all(kind == "paper" and cat == "llm" for _, kind, cat, _ in rows)
    by_key = {k: s for k, _, _, s in rows}
    assert by_key["arxiv:2607.28618"] == 292.0  # popularity = HF upvotes
    assert popularity(hn_items()[0]) == 37.0  # HN points


def test_per_category_must_be_positive():
    with pytest.raises(ValueError):
        select_items(HN_DAY, [], TAX, options=SelectOptions(per_category=0))
