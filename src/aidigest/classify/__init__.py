"""Categorization: every item gets exactly one id of the closed taxonomy.

    classified, report = await classify_items(items, taxonomy, llm, config)   # the pipeline stage
    bad_lines = classify_jsonl(sys.stdin.buffer, sys.stdout, taxonomy, llm, config)  # `aidigest classify`

With an LLM, items go to it in batches (aidigest.classify.llm) and anything it cannot answer falls back to the
offline classifier (aidigest.classify.offline, plus `business_override` for news), counted in
`report.fallbacks`; every LLM answer is checked against the offline classifier's opinion
(aidigest.classify.check: strong disagreements asked once more, named in `report.checks`). Without one, everything is
classified offline. `report` is this stage's RunHealth (the pipeline merges it): `report.others` is the
number of items classified `others`.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, BinaryIO, Literal, TextIO

from ..config import Config
from ..llm.base import LLM
from ..records import Classified, Item, RunHealth
from ..reuse import predict_offline_cached, predict_offline_cached_async
from ..infra.store import Store
from ..taxonomy import Taxonomy
from .check import check_answers
from .llm import FALLBACK_KEY, LLMClassifier
from . import offline as offline_module
from .offline import NOT_AI, OfflineClassifier, ZeroShotClassifier, item_text, offline_for

__all__ = [
    "FALLBACK_KEY",
    "OfflineClassifier",
    "ZeroShotClassifier",
    "classify_items",
    "classify_jsonl",
    "classify_offline",
    "classify_offline_async",
    "item_text",
    "offline_for",
]


# A news title about money, deals, jobs or companies' leaders: with an AI category it is an AI-business story.
# The model alone rarely says `business` (only 23 dev news examples; dev cross-validation: business recall
# 0.17 -> 0.54, news accuracy 0.803 -> 0.810, 1 new error in 1,346 dev news titles).
BUSINESS_TERMS = re.compile(
    r"(\b(raises?|raised|funding|valuation|valued at|investors?|invests?|invested|investment|acquires?|acquired"
    r"|acquisition|buys|IPO|revenue|profits?|layoffs?|lays off|hiring|hires|CEO|stake|shares|stock|deals|deal(?! with)"
    r"|partnerships?|billion|bubble|market|startups?)\b|\$\d+(\.\d+)?\s*(B|M|bn|billion|million)\b"
    r"|투자|인수|매출|스타트업|시장|주가|상장|채용|달러|기업)",
    re.IGNORECASE,
)


def business_override(item: Item, category: str, taxonomy: Taxonomy) -> str:
    """`business` for a news item whose offline category is an AI one and whose title names business terms."""
    if (item.kind == "news" and "business" in taxonomy and category not in NOT_AI and category != "business"
            and BUSINESS_TERMS.search(item.title)):
        return "business"
    return category


def _offline_inputs(items: Sequence[Item], taxonomy: Taxonomy, health: RunHealth | None, classifier: str | None,
                    ) -> tuple[Any, list[str], list[list[str]]]:  # the model offline_for gives
    model = offline_for(taxonomy, classifier)
    if model.note and health is not None and model.note not in health.notes:
        health.notes.append(model.note)
    texts = [item_text(it.title, it.snippet) for it in items]
    cats = [it.arxiv_categories or ([it.primary_category] if it.primary_category else []) for it in items]
    return model, texts, cats


def _offline_outputs(model, items: Sequence[Item], preds: list[tuple[str, float]], taxonomy: Taxonomy,
                     ) -> list[tuple[str, float]]:
    if isinstance(model, ZeroShotClassifier):
        return preds
    return [(business_override(it, c, taxonomy), p) for it, (c, p) in zip(items, preds)]


def classify_offline(items: Sequence[Item], taxonomy: Taxonomy, health: RunHealth | None = None,
                     classifier: str | None = None, store: Store | None = None) -> list[tuple[str, float]]:
    """(category, confidence) per item from the offline path (zero-shot for the ids the model was not trained on;
    the business rule applies to the trained model's answers only). arXiv categories, where items have them,
    are strong evidence (aidigest.classify.arxiv_prior). `classifier`: a folder written by `aidigest train`.
    With a `store`, (text, categories) this model has classified before are answered from it and embeddings
    are reused (aidigest.reuse)."""
    if not items:
        return []
    model, texts, cats = _offline_inputs(items, taxonomy, health, classifier)
    preds = (model.predict(texts, cats) if store is None
             else predict_offline_cached(model, texts, store, categories=cats,
                                                             embed=offline_module.embed))
    return _offline_outputs(model, items, preds, taxonomy)


async def classify_offline_async(items: Sequence[Item], taxonomy: Taxonomy, health: RunHealth | None = None,
                                 classifier: str | None = None, store: Store | None = None) -> list[tuple[str, float]]:
    """`classify_offline` with the encoder's work in a worker thread: run beside the LLM's calls, the offline
    opinion costs no time on the day's critical path (aidigest.reuse.predict_offline_cached_async)."""
    if not items:
        return []
    model, texts, cats = _offline_inputs(items, taxonomy, health, classifier)
    preds = await predict_offline_cached_async(model, texts, store, categories=cats)
    return _offline_outputs(model, items, preds, taxonomy)


async def classify_items(
    items: list[Item], taxonomy: Taxonomy, llm: LLM | None, config: Config, store: Store | None = None,
) -> tuple[list[Classified], RunHealth]:
    """One `Classified` per item, in input order, and this stage's report (fallbacks, notes, `others`)."""
    health = RunHealth()
    if not items:
        return [], health
    answered: dict[int, str] = {}
    clf: LLMClassifier | None = None
    classifier = config.digest.classifier or None
    if llm is not None:
        clf = LLMClassifier(llm, taxonomy, config.llm.batch_size, llm.concurrency)
        # the offline classifier's opinion on every item (beside each LLM answer, and for the fallbacks), computed
        # in a worker thread while the LLM answers: no time added to the day's critical path
        opinion = asyncio.create_task(classify_offline_async(items, taxonomy, health, classifier, store))
        try:
            answered = await clf.classify(items)
        finally:
            offline = dict(enumerate(await opinion))
    rest = [i for i in range(len(items)) if i not in answered]
    if llm is None:
        offline = dict(zip(rest, classify_offline(items, taxonomy, health, classifier, store)))
    if clf is not None and answered:
        answered, health.checks = await check_answers(clf, items, answered, offline)
    if llm is not None and rest:
        health.fallback(FALLBACK_KEY, len(rest))
        if clf is not None and clf.stopped:
            health.notes.append(f"classify: {clf.stopped}; {len(rest)} item(s) classified offline")
    out: list[Classified] = []
    for i, item in enumerate(items):
        if i in answered:
            off = offline.get(i)
            out.append(Classified(item=item, category=answered[i], method="llm",
                                  offline_category=off[0] if off else None,
                                  offline_confidence=round(off[1], 4) if off else None))
        else:
            cat, conf = offline[i]
            out.append(Classified(item=item, category=cat, method="fallback" if llm is not None else "offline",
                                  confidence=round(conf, 4)))
    health.others = sum(1 for c in out if c.category == "others")
    return out, health


MAX_LINE_BYTES = 1_000_000  # a longer `classify` input line is skipped and counted (read past, never held whole)
MAX_TITLE_CHARS = 1_000  # the classifier sees at most this much of a title (the output line keeps it all)
BATCH_LINES = 1_000  # lines classified and written together: memory stays bounded, output streams
MAX_NAMED_ERRORS = 20  # bad lines named one by one on stderr; the rest are only counted (binary input: millions)


def _parse_line(line: str, lineno: int) -> tuple[dict | None, str | None]:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as e:
        return None, f"line {lineno}: not valid JSON ({e.msg} at column {e.colno})"
    except RecursionError:
        return None, f"line {lineno}: JSON nested too deeply"
    if not isinstance(obj, dict):
        return None, f"line {lineno}: expected a JSON object with a \"title\", got {type(obj).__name__}"
    title = obj.get("title")
    if not isinstance(title, str) or not title.strip():
        return None, f"line {lineno}: no \"title\" (a non-empty string is required)"
    snippet = obj.get("snippet", "")
    if snippet is None:
        snippet = ""
    if not isinstance(snippet, str):
        return None, f"line {lineno}: \"snippet\" must be a string"
    return obj, None


def _input_lines(lines: Iterable[str] | Iterable[bytes] | BinaryIO) -> Iterator[tuple[str | None, str | None]]:
    """(text of the line, None) or (None, what is wrong with it) per input line. A binary stream is read line by
    line with a length cap (a longer line is read past in chunks), and each line decoded on its own, so one
    bad byte costs one line."""
    if isinstance(lines, io.TextIOBase) and hasattr(lines, "buffer"):
        lines = lines.buffer
    if hasattr(lines, "readline") and not isinstance(lines, io.TextIOBase):
        def chunks() -> Iterator[bytes | int]:
            while True:
                raw = lines.readline(MAX_LINE_BYTES + 1)
                if not raw:
                    return
                if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                    size = len(raw)
                    while True:
                        rest = lines.readline(1 << 20)
                        size += len(rest)
                        if not rest or rest.endswith(b"\n"):
                            break
                    yield size
                else:
                    yield raw
        source: Iterable = chunks()
    else:
        source = lines
    for raw in source:
        if isinstance(raw, int):
            yield None, f"longer than {MAX_LINE_BYTES:,} bytes ({raw:,})"
            continue
        if isinstance(raw, bytes):
            if len(raw.rstrip(b"\r\n")) > MAX_LINE_BYTES:
                yield None, f"longer than {MAX_LINE_BYTES:,} bytes ({len(raw):,})"
                continue
            try:
                yield raw.decode("utf-8"), None
            except UnicodeDecodeError as e:
                yield None, f"not valid UTF-8 (byte 0x{raw[e.start]:02x} at byte {e.start + 1})"
            continue
        if len(raw) > MAX_LINE_BYTES and len(raw.encode("utf-8", "surrogatepass")) > MAX_LINE_BYTES + 2:
            yield None, f"longer than {MAX_LINE_BYTES:,} bytes"
            continue
        yield raw, None


def classify_jsonl(
    lines: Iterable[str] | Iterable[bytes] | BinaryIO,
    out: TextIO,
    taxonomy: Taxonomy,
    llm: LLM | None = None,
    config: Config | None = None,
    err: TextIO | None = None,
) -> int:
    """Classify JSON lines {"title": ..., "snippet": ...}; write each back (all its fields kept) with
    "category": <id>, in input order. A bad line (not UTF-8, longer than MAX_LINE_BYTES, not JSON or nested too
    deeply, not an object, no title) gets a one-line error on stderr naming its line number and is skipped; every
    other line is still classified and written. Lines are classified BATCH_LINES at a time (bounded memory).
    `lines`: a binary stream (stdin.buffer), or an iterable of str or bytes lines. Returns the number of bad
    lines. Blank lines are ignored."""
    err = err if err is not None else sys.stderr
    config = config or Config()
    good: list[dict] = []
    items: list[Item] = []
    notes: list[str] = []
    fallbacks: dict[str, int] = {}
    checks: list = []  # LLM answers the offline classifier disputed (aidigest.classify.check), said at the end
    runner = asyncio.Runner()  # one event loop for every batch (an LLM client stays on the loop it started on)

    def flush() -> None:
        if not items:
            return
        classified, health = runner.run(classify_items(items, taxonomy, llm, config))
        notes.extend(n for n in health.notes if n not in notes)
        for key, n in health.fallbacks.items():
            fallbacks[key] = fallbacks.get(key, 0) + n
        checks.extend(health.checks)
        for obj, c in zip(good, classified, strict=True):
            obj["category"] = c.category
            out.write(json.dumps(obj, ensure_ascii=False) + "\n")
        out.flush()
        good.clear()
        items.clear()

    bad = [0]
    try:
        with runner:
            _classify_lines(lines, good, items, err, flush, bad)
    finally:  # also when interrupted: the count of what was skipped is never lost
        if bad[0] > MAX_NAMED_ERRORS:
            print(f"error: {bad[0]:,} bad input lines in all; the first {MAX_NAMED_ERRORS} are named above, "
                  "the others were skipped the same way", file=err)
    for note in notes:
        print(f"note: {note}", file=err)
    for key, n in fallbacks.items():
        print(f"note: {key}: {n} item(s)", file=err)
    if checks:
        changed = sum(c.final != c.llm for c in checks)
        print(f"note: {len(checks)} LLM categor{'y' if len(checks) == 1 else 'ies'} disputed by the offline classifier "
              f"and asked again; {changed} changed (docs/llm.md)", file=err)
    return bad[0]


def _classify_lines(lines, good: list[dict], items: list[Item], err: TextIO, flush, bad: list[int]) -> None:
    """Classify the good lines (via `flush`), name the first MAX_NAMED_ERRORS bad ones on `err` and count them
    all in bad[0]."""
    for lineno, (line, problem) in enumerate(_input_lines(lines), start=1):
        if problem is None:
            assert line is not None
            if lineno == 1:
                line = line.removeprefix("\ufeff")
            if not line.strip():
                continue
            obj, problem = _parse_line(line, lineno)
        else:
            problem = f"line {lineno}: {problem}"
        if problem:
            bad[0] += 1
            if bad[0] <= MAX_NAMED_ERRORS:
                print(f"error: {problem}; line skipped", file=err)
            continue
        assert obj is not None
        good.append(obj)
        kind: Literal["news", "paper"] = "paper" if obj.get("kind") == "paper" else "news"
        items.append(Item(kind=kind, title=obj["title"][:MAX_TITLE_CHARS], url=str(obj.get("url") or ""),
                          key=f"line:{lineno}", snippet=obj.get("snippet") or ""))
        if len(items) >= BATCH_LINES:
            flush()
    flush()
