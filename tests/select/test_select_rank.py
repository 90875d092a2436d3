"""`rank_score` reads the signals in one pass over the sightings (speed on big days); it must give exactly the
score of the formula in aidigest.select.items's docstring computed from the Item properties, on real items: HN
stories (points, comments), HF daily papers (upvotes), arXiv papers, items seen by several sources, items
without a date and with a naive date."""

from __future__ import annotations

import datetime as dt
import math

from test_summarize_fixtures import arxiv_day_items, hf_items, hn_items, techreview_items

from aidigest.records import Item
from aidigest.select.items import rank_score


def _reference(item: Item, day: dt.date) -> float:
    s = 0.0
    if item.hn_points is not None:
        s += 1.0 * math.log1p(max(item.hn_points, 0))
    if item.hn_comments is not None:
        s += 0.5 * math.log1p(max(item.hn_comments, 0))
    if item.hf_upvotes is not None:
        s += 1.2 * math.log1p(max(item.hf_upvotes, 0)) + 0.5
    s += 0.7 * max(len(item.sources) - 1, 0)
    if item.published is not None:
        pub = item.published if item.published.tzinfo else item.published.replace(tzinfo=dt.timezone.utc)
        end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=dt.timezone.utc)
        age_h = max((end - pub).total_seconds() / 3600.0, 0.0)
        s += 1.0 * math.exp(-age_h / 48.0)
    return round(s, 9)


def test_rank_score_is_the_documented_formula_on_real_items():
    items = hn_items() + hn_items("hn_algolia_EienMosu_llm_2026-08-18.json") + hf_items() + arxiv_day_items()[:100]
    items += techreview_items("2024-10-15")
    hn = hn_items()
    # several sources with different signals: the largest counts, every distinct source adds
    s0 = hn[0].sightings[0]
    items.append(hn[0].model_copy(update={"sightings": [
        s0, s0.model_copy(update={"source": "rss:x", "points": (s0.points or 0) + 7, "comments": None}),
        s0.model_copy(update={"source": "hf_papers", "points": None, "upvotes": 3}),
        s0.model_copy(update={"source": "rss:x", "points": 1, "comments": 999}),
    ]}))
    items.append(hn[1].model_copy(update={"published": None}))
    items.append(hn[2].model_copy(update={"published": hn[2].published.replace(tzinfo=None)}))
    assert any(it.hn_points for it in items) and any(it.hf_upvotes for it in items) and any(len(it.sources) > 1 for it in items)
    for day in (dt.date(2026, 8, 2), dt.date(2024, 10, 15), dt.date(2025, 6, 26), dt.date(2030, 1, 1)):
        for it in items:
            assert rank_score(it, day) == _reference(it, day), it.title
