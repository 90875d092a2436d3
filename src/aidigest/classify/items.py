"""Categorization: every item gets exactly one id of the closed taxonomy.

    classified, report = await classify_items(items, taxonomy, llm, config)   # the pipeline stage
    bad_lines = classify_jsonl(sys.stdin.buffer, sys.stdout, taxonomy, llm, config)  # `aidigest classify` (.jsonl)

With an LLM, items go to it in batches (aidigest.classify.llm) and anything it cannot answer falls back to the
offline classifier (aidigest.classify.offline, plus `business_override` for news), counted in
`report.fallbacks`; every LLM answer is checked against the offline classifier's opinion
(aidigest.classify.check: strong disagreements asked once more, named in `report.checks`). Without one, everything is
classified offline. `report` is this stage's RunHealth (the pipeline merges it): `report.others` is the
number of items classified `others`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from ..config import Config
from ..llm.base import LLM
from ..records import Classified, Item, RunHealth
from ..reuse import predict_offline_cached, predict_offline_cached_async
from ..infra.store import Store
from ..taxonomy import Taxonomy
from .business import business_override
from .check import check_answers
from .llm import FALLBACK_KEY, LLMClassifier
from . import offline as offline_module
from .offline import ZeroShotClassifier, item_text, offline_for


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
