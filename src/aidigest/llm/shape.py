"""Shaping the LLM calls of a day for its critical path: no call on the chain generates more than it must.

A day is two rounds of calls (categorize, then summarize) and each round lasts as long as its LONGEST answer:
at a hosted model's ~100 tokens/s, the answer length, not the number of rounds, sets the day's time.

Categorization: a call answers ~9 completion tokens per item (`{"index": 12, "category": "llm"}`), so one
25-item batch decodes for ~2.3 s while a 7-item one is done in 0.6 s. `classify_batches` spreads the items
evenly over as many parallel calls as the concurrency allows, but never below `MIN_CLASSIFY_BATCH` items per
call: every call repeats the taxonomy system prompt (~625 tokens, once per call), and smaller batches would
grow the day's prompt tokens by more than 10 % (sample day, 82 items: 4 calls of 25/25/25/7 -> 6 calls of
13-14 = +1,250 prompt tokens, +4 %; the longest answer ~240 -> ~130 tokens).

Summaries stay one call per category section with its TL;DRs: moving the TL;DRs to the first round would
need each item's text in a second prompt (or would lengthen every categorization answer by a sentence per
item, for items never shown), and splitting a long section would send its sources twice: both break the
prompt-token bound for the time they save (measured in bench/results, see docs/performance.md).
"""

from __future__ import annotations

import math

MIN_CLASSIFY_BATCH = 12


def classify_batches(n_items: int, max_batch: int, concurrency: int, min_batch: int = MIN_CLASSIFY_BATCH) -> list[int]:
    """Sizes of the categorization batches for `n_items` (sum = n_items; sizes differ by at most one).

    As many calls as `concurrency` runs at once (one round), each at least `min_batch` items (the prompt
    budget) and at most `max_batch` (config llm.batch_size). More items than concurrency x max_batch:
    batches of `max_batch` size (several rounds, as before)."""
    if n_items <= 0:
        return []
    max_batch = max(1, max_batch)
    min_batch = max(1, min(min_batch, max_batch))
    calls = min(max(1, concurrency), max(1, n_items // min_batch))
    calls = max(calls, math.ceil(n_items / max_batch))
    base, extra = divmod(n_items, calls)
    return [base + (1 if i < extra else 0) for i in range(calls)]
