"""Shaping the LLM calls of a day for its critical path: no call on the chain generates more than it must.

A day is two rounds of calls (categorize, then summarize) and each round lasts as long as its LONGEST answer:
at a hosted model's ~100 tokens/s, the answer length, not the number of rounds, sets the day's time.

Categorization: a call answers one short string per item (`"12:llm"`: ~3 completion tokens by the bench's
count, ~5 with a real tokenizer; `{"index": 12, "category": "llm"}` took ~9 / ~12), so a 25-item batch
decodes for ~0.8 s and a 14-item one for ~0.5 s. `classify_batches` spreads the items evenly over as many
parallel calls as the concurrency allows, within a prompt budget: every call repeats the taxonomy system
prompt (~625 tokens, once per call), so the calls added beyond the fewest possible may repeat it for at most
`PROMPT_GROWTH` (15 %) of the items' own prompt tokens. Categorization is about a third of a day's prompt
tokens, so the day's prompt grows by well under 10 %. Sample day (82 items, ~9,900 item tokens): 4 calls of
25/25/25/7 -> 6 calls of 13-14, +1,250 prompt tokens (+4 %), the longest answer ~48 tokens.

Summaries stay one call per category section with its TL;DRs, written compactly (points as
"<cites>: <text>", TL;DRs as "<n>: <sentence>": aidigest.summarize.llm). Moving the TL;DRs into the
categorization answers (where the item text already is) does not shorten the day: a TL;DR per item makes a
14-item categorization answer longer than the 8 TL;DRs it takes out of the longest section; it pays only
with <= 5-6 items a call, i.e. ~16 calls each repeating the taxonomy prompt (+~6,000 prompt tokens, over
the 10 % bound), and it writes TL;DRs for items never shown. Splitting a long section sends its sources
twice (numbers in docs/llm.md, "Cost and critical path").
"""

from __future__ import annotations

import math

PROMPT_GROWTH = 0.15  # extra system prompts <= this share of the items' prompt tokens
MIN_CLASSIFY_BATCH = 4  # never a call for fewer items than this (unless the day has fewer)


def estimate_tokens(text: str) -> int:
    """~4 characters per token: the budget arithmetic only needs the ratio of two prompt parts."""
    return (len(text) + 3) // 4


def extra_calls_allowed(item_tokens: int, system_tokens: int, growth: float = PROMPT_GROWTH) -> int:
    """How many calls beyond the fewest may repeat the system prompt within the prompt budget."""
    if system_tokens <= 0:
        return 0
    return int(growth * max(0, item_tokens) // system_tokens)


def classify_batches(n_items: int, max_batch: int, concurrency: int, extra_calls: int | None = None,
                     min_batch: int = MIN_CLASSIFY_BATCH) -> list[int]:
    """Sizes of the categorization batches for `n_items` (sum = n_items; sizes differ by at most one).

    The fewest calls of at most `max_batch` items (config llm.batch_size), plus up to `extra_calls` more
    (None: no limit) to spread the items over `concurrency` parallel calls, never below `min_batch` items a
    call. More items than one round holds (concurrency x max_batch): batches of `max_batch`, as before."""
    if n_items <= 0:
        return []
    max_batch = max(1, max_batch)
    fewest = math.ceil(n_items / max_batch)
    calls = max(1, min(max(1, concurrency), n_items // max(1, min(min_batch, max_batch)) or 1))
    if extra_calls is not None:
        calls = min(calls, fewest + max(0, extra_calls))
    calls = max(calls, fewest)
    base, extra = divmod(n_items, calls)
    return [base + (1 if i < extra else 0) for i in range(calls)]
