"""Categorization by an LLM, in batches, constrained to the taxonomy ids, with the offline model as fallback.

Batches of at most `config.llm.batch_size` items, spread evenly over the concurrency within a prompt budget
(aidigest.llm.shape). The answer schema (`answer_schema`) is an object `{"items": ["<index>:<id>", ...]}`:
one short string per item (`"12:llm"`, ~5 tokens, where `{"index": 12, "category": "llm"}` takes ~12: the
round lasts as long as its longest answer, so the answer carries nothing it need not). Its JSON Schema
carries a `pattern` whose alternatives are the taxonomy ids (so providers with structured output can only
produce valid ids) and `maxItems` = batch size. The pydantic side accepts any string on purpose (and the
older `{"index", "category"}` objects, which some models write out of habit): each answer is validated
here, per item, so one bad id does not throw away the other answers of the batch.

An item whose answer is missing, duplicated or not a taxonomy id is asked again once, in a batch of only the
failed items; if it still has no valid answer it is classified offline and counted in
`health.fallbacks["classify: llm → offline"]`. `BudgetExceeded`, `LLMFatal` or any other `LLMError` stops
the LLM for the rest of the run's classification: the batch and every later item go offline (counted too).

Titles and snippets are untrusted: each goes into the prompt only inside an `untrusted-text` block
(`aidigest.llm.prompts.wrap_untrusted`) and the system prompt says such blocks are data, not instructions.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, field_validator

from ..llm.base import LLM, BudgetExceeded, LLMError, LLMFatal, Message
from ..llm.prompts import UNTRUSTED_INSTRUCTION, wrap_untrusted
from ..llm.schema import parse_json_text
from ..llm.shape import classify_batches, estimate_tokens, extra_calls_allowed
from ..records import Item
from ..taxonomy import Taxonomy

log = logging.getLogger("aidigest.classify")

FALLBACK_KEY = "classify: llm → offline"
PURPOSE = "classify"
MAX_SNIPPET_CHARS = 500  # per item in the prompt: enough to tell the topic, keeps a 25-item batch small


class Answer(BaseModel):
    model_config = ConfigDict(extra="ignore")
    index: int
    category: str


_ENTRY_RE = re.compile(r"^\s*\[?(\d+)\]?\s*[:=]\s*(.*?)\s*$", re.S)
_ID_RE = re.compile(r"^[A-Za-z0-9_]+$")


def _entry_text(entry: Any) -> Any:
    """An answer entry as the "<index>:<id>" string (an {"index", "category"} object is turned into one)."""
    if isinstance(entry, dict) and "index" in entry and "category" in entry:
        return f"{entry['index']}:{entry['category']}"
    return entry


def _entries(value: Any) -> Any:
    return [_entry_text(e) for e in value] if isinstance(value, list) else value


@lru_cache(maxsize=32)
def answer_schema(ids: tuple[str, ...], max_items: int) -> type[BaseModel]:
    """The structured-output model for one batch: `items` bounded by `max_items`, each entry "<index>:<id>"
    with the ids as a pattern (left out if an id has characters a pattern would need to escape)."""
    extra: dict[str, Any] = {}
    if ids and all(_ID_RE.match(i) for i in ids):
        extra["pattern"] = "^[0-9]+:(" + "|".join(ids) + ")$"
    entry = Annotated[str, Field(json_schema_extra=extra or None)]
    return create_model(
        "Categories",
        __config__=ConfigDict(extra="ignore"),
        __validators__={"entries": field_validator("items", mode="before")(lambda cls, v: _entries(v))},
        items=(list[entry], Field(max_length=max_items,  # type: ignore[valid-type]
                                  description='one entry per item: "<item index>:<category id>"')),
    )


def system_prompt(taxonomy: Taxonomy) -> str:
    lines = [
        "You sort AI news stories and research papers into a closed set of categories.",
        "Categories (id: meaning):",
    ]
    lines += [f"- {c.id}: {c.name}. {c.description}" for c in taxonomy.categories]
    rule = "Rules: pick exactly one category id from the list for every item; use the most specific fitting one."
    if "software" in taxonomy:
        rule += " Computing news that is not about AI is `software`."
    rule += " Anything that fits no other category is `others`."
    lines += ["", rule, UNTRUSTED_INSTRUCTION,
              'Answer with JSON only: {"items": ["<item index>:<id>", ...]}, one entry per item, e.g. "12:llm".']
    return "\n".join(lines)


def user_prompt(batch: Sequence[tuple[int, Item]]) -> str:
    blocks = []
    for idx, item in batch:
        text = f"kind: {item.kind}\ntitle: {item.title}"
        snippet = " ".join((item.snippet or "").split())[:MAX_SNIPPET_CHARS]
        if snippet:
            text += f"\ntext: {snippet}"
        blocks.append(wrap_untrusted(f"item {idx}", text, note=False))
    return f"Categorize these {len(batch)} items (index = the number in each block's label):\n\n" + "\n\n".join(blocks)


def _answers_of(data: Any, text: str) -> list[Any]:
    """The raw `items` list of an answer: from the validated model, a dict, or (defensively) the text."""
    if isinstance(data, BaseModel):
        data = data.model_dump()
    if data is None:
        try:
            data = parse_json_text(text)
        except ValueError:
            return []
    if isinstance(data, dict):
        data = data.get("items", [])
    return data if isinstance(data, list) else []


def _parse_entry(entry: Any) -> tuple[int, str] | None:
    """(index, category) of one answer entry: "12:llm" (or "12: llm", "[12]=llm") or {"index", "category"}."""
    if isinstance(entry, dict):
        try:
            a = Answer.model_validate(entry)
        except ValidationError:
            return None
        return a.index, a.category
    if isinstance(entry, str):
        m = _ENTRY_RE.match(entry)
        if m:
            return int(m.group(1)), m.group(2)
    return None


def validate_answers(raw: list[Any], wanted: set[int], ids: set[str]) -> tuple[dict[int, str], dict[int, str]]:
    """Per-item validation: ({index: category} accepted, {index: reason} rejected). An index answered twice
    with different categories is rejected; indexes not asked for are ignored."""
    got: dict[int, str] = {}
    bad: dict[int, str] = {}
    for entry in raw:
        parsed = _parse_entry(entry)
        if parsed is None:
            continue
        index, category = parsed
        if index not in wanted:
            continue
        cat = category.strip()
        if cat not in ids:
            bad[index] = f"not a category id: {category!r}"
            continue
        if index in got and got[index] != cat:
            bad[index] = "answered twice with different categories"
            continue
        got[index] = cat
    for i in bad:
        got.pop(i, None)
    for i in wanted - set(got) - set(bad):
        bad[i] = "no answer"
    return got, bad


class LLMClassifier:
    """Runs the batches; results are {item index: category id} for the items the LLM answered validly."""

    def __init__(self, llm: LLM, taxonomy: Taxonomy, batch_size: int, concurrency: int = 1):
        self.llm = llm
        self.taxonomy = taxonomy
        self.ids = set(taxonomy.ids)
        self.batch_size = max(1, batch_size)
        self.concurrency = max(1, concurrency)
        self.system = system_prompt(taxonomy)
        self.stopped: str | None = None  # why the LLM is no longer used (budget, fatal, error)
        self.retried = 0  # items asked a second time

    async def _call(self, batch: Sequence[tuple[int, Item]]) -> tuple[dict[int, str], dict[int, str]]:
        schema = answer_schema(tuple(self.taxonomy.ids), len(batch))
        messages = [Message(role="system", content=self.system), Message(role="user", content=user_prompt(batch))]
        result = await self.llm.complete(messages, schema=schema, purpose=PURPOSE)
        return validate_answers(_answers_of(result.data, result.text), {i for i, _ in batch}, self.ids)

    async def _run_batch(self, batch: Sequence[tuple[int, Item]], out: dict[int, str]) -> None:
        if self.stopped:
            return
        try:
            got, bad = await self._call(batch)
            out.update(got)
            if bad:
                log.info("classify: %d answer(s) invalid or missing, asking once more: %s", len(bad),
                         "; ".join(f"{i}: {r}" for i, r in sorted(bad.items())[:5]))
                self.retried += len(bad)
                retry = [(i, it) for i, it in batch if i in bad]
                if self.stopped:
                    return
                got2, _ = await self._call(retry)
                out.update(got2)
        except BudgetExceeded as e:
            self._stop(f"LLM budget reached ({e})")
        except LLMFatal as e:
            self._stop(f"LLM unusable ({e})")
        except LLMError as e:
            self._stop(f"LLM call failed ({e})")

    def _stop(self, why: str) -> None:
        if not self.stopped:
            self.stopped = why
            log.warning("classify: %s; remaining items are classified offline", why)

    async def classify(self, items: Sequence[Item]) -> dict[int, str]:
        indexed = list(enumerate(items))
        batches, start = [], 0
        # evenly over the concurrency, within the prompt budget (see aidigest.llm.shape)
        item_tokens = sum(estimate_tokens(user_prompt([pair])) for pair in indexed)
        extra = extra_calls_allowed(item_tokens, estimate_tokens(self.system))
        for size in classify_batches(len(indexed), self.batch_size, self.concurrency, extra):
            batches.append(indexed[start : start + size])
            start += size
        out: dict[int, str] = {}
        sem = asyncio.Semaphore(self.concurrency)

        async def one(b: Sequence[tuple[int, Item]]) -> None:
            async with sem:
                await self._run_batch(b, out)

        await asyncio.gather(*(one(b) for b in batches))
        return out
