"""Issue 13: work already done is never redone, calls shaped for the critical path, tokens per item reported.

Real SQLite files (reopened between "runs"), the real offline classifier and encoder, a real HTTP server on
127.0.0.1 serving a real page. The one double is `CountingEncoder` below: a deterministic stand-in for the
sentence encoder that only counts what it is asked to embed (the tests check that the cache keeps texts
away from it; the real encoder is used in the offline-classification test).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import sqlite3

import numpy as np
import pytest
from test_sources_snippets import PAGE, PageServer, _news

from aidigest.classify.items import classify_items, classify_offline
from aidigest.classify import offline as offline_mod
from aidigest.classify.eval import PACKAGED_SPLIT
from aidigest.config import Config
from aidigest.infra.http import HttpClient
from aidigest.llm.shape import MIN_CLASSIFY_BATCH, PROMPT_GROWTH, classify_batches, extra_calls_allowed
from aidigest.records import Item, LLMTotals, RunHealth
from aidigest.reuse import SnippetCache, embed_cached, model_fingerprint, predict_offline_cached
from aidigest.sources.base import FetchContext
from aidigest.sources.snippets import enrich_snippets, extract_snippet
from aidigest.infra.store import SCHEMA_VERSION, Store
from legacy_schema import MIGRATIONS
from aidigest.taxonomy import load_taxonomy
from conftest import DATA
from fakes.scripted_llm import ScriptedLLM

TAX = load_taxonomy()


class CountingEncoder:
    """NOT a model: a vector derived from the text's hash, and a record of every text it was asked for."""

    def __init__(self):
        self.asked: list[str] = []

    def __call__(self, texts: list[str]) -> np.ndarray:
        self.asked += texts
        out = np.zeros((len(texts), 512), dtype=np.float32)
        for i, t in enumerate(texts):
            seed = int(hashlib.sha256(t.encode()).hexdigest()[:8], 16)
            v = np.random.default_rng(seed).standard_normal(512).astype(np.float32)
            out[i] = v / np.linalg.norm(v)
        return out


# ---- embeddings by text hash ------------------------------------------------------------------------------
def test_embeddings_are_stored_and_a_rerun_skips_the_encoder(tmp_path):
    db = tmp_path / "s.db"
    texts = ["a title. its snippet", "another title", "a title. its snippet", "third"]
    enc = CountingEncoder()
    with Store(db) as store:
        first = embed_cached(texts, store, embed=enc, encoder="test-enc")
    assert enc.asked == ["a title. its snippet", "another title", "third"]  # a repeated text is embedded once
    assert np.array_equal(first[0], first[2])

    enc2 = CountingEncoder()
    with Store(db) as store:  # a later run on the same store: nothing goes to the encoder
        again = embed_cached(texts, store, embed=enc2, encoder="test-enc")
        # a backfill day sharing one item with the first: only the new text is embedded
        mixed = embed_cached(["another title", "brand new"], store, embed=enc2, encoder="test-enc")
        # another encoder never gets these vectors
        other = embed_cached(["third"], store, embed=enc2, encoder="other-enc")
    assert np.array_equal(first, again)  # byte-identical vectors
    assert np.array_equal(mixed[0], first[1])
    assert enc2.asked == ["brand new", "third"]
    assert np.array_equal(other[0], first[3])  # the same (deterministic) double, asked again: not served from cache


def test_without_a_store_everything_is_embedded():
    enc = CountingEncoder()
    embed_cached(["x", "y"], None, embed=enc, encoder="e")
    assert enc.asked == ["x", "y"]


# ---- offline classification reused (the real model and encoder) ------------------------------------------
def _real_items(n: int = 12) -> list[Item]:
    rows = [json.loads(x) for x in
            (DATA / "classify" / "finddme_news_items.selected.jsonl").read_text(encoding="utf-8").splitlines()[:n]]
    return [Item(kind="news", title=r["title"], url=r.get("url") or f"https://example.org/{i}", key=f"k{i}",
                 snippet=r.get("snippet") or "") for i, r in enumerate(rows)]


def test_offline_classification_is_reused_when_the_text_is_unchanged(tmp_path, monkeypatch):
    items = _real_items()
    expected = classify_offline(items, TAX)  # no store: the plain path
    db = tmp_path / "s.db"
    with Store(db) as store:
        assert classify_offline(items, TAX, store=store) == expected
        assert store.conn.execute("SELECT COUNT(*) FROM offline_labels").fetchone()[0] == len({i.title for i in items})
        assert store.conn.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0] >= 1

    def no_encoder(texts):
        raise AssertionError(f"the encoder ran for {len(texts)} text(s) on a rerun")

    monkeypatch.setattr(offline_mod, "embed", no_encoder)
    with Store(db) as store:
        assert classify_offline(items, TAX, store=store) == expected  # answered from the store, encoder untouched
        # one changed text: only it is embedded and predicted again
        changed = [*items[:-1], items[-1].model_copy(update={"snippet": items[-1].snippet + " More text."})]
        with pytest.raises(AssertionError, match="encoder ran for 1 text"):
            classify_offline(changed, TAX, store=store)


def test_the_cache_key_names_the_model():
    model = offline_mod.OfflineClassifier.load()
    restricted = model.restricted([i for i in model.labels if i != "others"])
    assert model_fingerprint(model) == model_fingerprint(model)
    assert model_fingerprint(model) != model_fingerprint(restricted)


def test_predictions_of_another_model_are_not_reused(tmp_path):
    model = offline_mod.OfflineClassifier.load()
    restricted = model.restricted(["llm", "cv", "software"])
    texts = [offline_mod.item_text(it.title, it.snippet) for it in _real_items(4)]
    enc = CountingEncoder()
    with Store(tmp_path / "s.db") as store:
        a = predict_offline_cached(model, texts, store, embed=enc)
        b = predict_offline_cached(restricted, texts, store, embed=enc)
    assert len(enc.asked) == len(set(texts))  # embeddings shared (same encoder) ...
    assert {c for c, _ in b} <= {"llm", "cv", "software"}  # ... predictions not: each model answers itself
    assert a != b or {c for c, _ in a} <= {"llm", "cv", "software"}


# ---- snippets with their fetch date ------------------------------------------------------------------------
def test_snippets_are_cached_with_their_fetch_date(tmp_path):
    server = PageServer()
    try:
        # the page server is on loopback: allowed explicitly (the SSRF guard refuses it by default)
        cfg = Config.model_validate({"http": {"allow_networks": ["127.0.0.1/32"]}})
        url = f"{server.base}/article.html"

        def run(day: dt.date) -> tuple[dict, Item]:
            item = _news(url, points=50)

            async def go():
                with Store(tmp_path / "s.db") as store:
                    async with HttpClient.create(cfg.http) as http:
                        return await enrich_snippets([item], FetchContext(day, http, cfg), SnippetCache(store))

            return asyncio.run(go()), item

        counts1, item1 = run(dt.date(2023, 6, 29))
        counts2, item2 = run(dt.date(2023, 6, 30))
    finally:
        server.close()
    assert counts1["fetched"] == 1 and counts1["cached"] == 0
    assert counts2["fetched"] == 0 and counts2["cached"] == 1
    assert server.requested == ["/article.html"]  # fetched once, on the first day only
    assert item1.snippet == item2.snippet == extract_snippet(PAGE, 600)
    with Store(tmp_path / "s.db") as store:
        assert SnippetCache(store).get(url, 600) == (item1.snippet, "2023-06-29")
        assert SnippetCache(store).get(url, 300) is None  # another clip length is another snippet


# ---- the store migration ------------------------------------------------------------------------------------
def test_an_older_store_gains_the_reuse_tables_and_keeps_its_rows(tmp_path):
    db = tmp_path / "old.db"
    conn = sqlite3.connect(db)
    for i, script in enumerate(MIGRATIONS[:2], start=1):
        conn.executescript(script)
        conn.execute(f"PRAGMA user_version = {i}")
    conn.execute("INSERT INTO llm_modes VALUES ('openai', 'http://x', 'm', 'json_schema', 0)")
    conn.commit()
    conn.close()
    with Store(db) as store:
        assert store.schema_version == SCHEMA_VERSION
        tables = {r[0] for r in store.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {"embeddings", "offline_labels", "snippets", "offline_summaries"} <= tables
        assert store.conn.execute("SELECT mode FROM llm_modes").fetchone()[0] == "json_schema"


# ---- call shaping -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("n", "max_batch", "concurrency", "extra", "expected"), [
    (82, 25, 16, 2, [14, 14, 14, 14, 13, 13]),  # the sample day, hosted default: 6 short calls, not 25/25/25/7
    (82, 25, 4, None, [21, 21, 20, 20]),  # a local server's 4 slots: 4 calls, evenly sized
    (200, 25, 4, None, [25] * 8),  # more than one round's worth: full batches
    (7, 25, 16, None, [7]),  # a handful of items: one call
    (7, 3, 1, 0, [3, 2, 2]),
    (0, 25, 16, None, []),
])
def test_classify_batches(n, max_batch, concurrency, extra, expected):
    sizes = classify_batches(n, max_batch, concurrency, extra)
    assert sizes == expected and sum(sizes) == n
    if sizes:
        assert max(sizes) <= max_batch and max(sizes) - min(sizes) <= 1


def test_more_calls_stay_within_the_prompt_budget():
    system, per_item = 625, 121  # the taxonomy system prompt and an average item block of the sample day
    assert extra_calls_allowed(82 * per_item, system) == 2
    for n in range(1, 600):
        sizes = classify_batches(n, 25, 16, extra_calls_allowed(n * per_item, system))
        added = len(sizes) - -(-n // 25)
        assert added * system <= PROMPT_GROWTH * n * per_item  # repeated system prompts: <= 15 % of the items'
        assert len(sizes) == 1 or min(sizes) >= MIN_CLASSIFY_BATCH


def test_the_classifier_spreads_a_day_over_the_concurrency():
    """82 real-prompt items at the hosted concurrency: more, shorter calls than 25/25/25/7, evenly sized,
    within the prompt budget computed from the real prompts."""
    import test_classify_llm as tcl

    rows = [json.loads(x) for x in (PACKAGED_SPLIT / "dw-dengwei_daily-arXiv-ai-enhanced" / "2026-06-29.jsonl")
            .read_text(encoding="utf-8").splitlines()[:82]]
    items = [Item(kind="paper", title=r["title"], url=r["abs"], key=f"arxiv:{r['id']}", snippet=r["summary"])
             for r in rows]
    assert len(items) == 82
    llm = ScriptedLLM([lambda idx, titles: {"items": [{"index": i, "category": "llm"} for i in idx]}], concurrency=16)
    cfg = tcl.config(batch_size=25, concurrency=16)
    out, _ = asyncio.run(classify_items(items, TAX, llm, cfg))
    sizes = [len(c["indexes"]) for c in llm.calls]
    assert sum(sizes) == 82 and len(sizes) > 4 and max(sizes) - min(sizes) <= 1
    system_tokens = len(llm.calls[0]["messages"][0].content) / 4
    item_tokens = sum(len(tcl.user_prompt([(i, it)])) / 4 for i, it in enumerate(items))
    assert (len(sizes) - 4) * system_tokens <= PROMPT_GROWTH * item_tokens + system_tokens
    assert all(c.method == "llm" for c in out)


# ---- tokens per item in run health ----------------------------------------------------------------------
def test_llm_tokens_per_item():
    t = LLMTotals(provider="openai:x", calls=3, tokens_in=8200, tokens_out=1640, items=82)
    assert t.per_item() == (100.0, 20.0)
    assert LLMTotals().per_item() == (0.0, 0.0)
    h = RunHealth(llm=t)
    assert RunHealth.model_validate(h.model_dump(mode="json")).llm.items == 82  # kept in the run's summary JSON


# ---- extractive summaries reused ----------------------------------------------------------------------------
def test_extractive_summaries_are_reused_when_their_inputs_are_unchanged(tmp_path, monkeypatch):
    """build_digest on real HN stories (offline path) with a store file; the same day again: no extractive
    summary is computed, the digest is identical; one changed item: only its section is computed again."""
    import aidigest.summarize.sections as summ
    from test_summarize_fixtures import classify as classify_fixture
    from test_summarize_fixtures import hn_category, hn_items

    from aidigest.assemble import build_digest
    from aidigest.context import DayContext

    classified = classify_fixture(hn_items(), hn_category)
    day, cfg = dt.date(2024, 10, 29), Config()

    def digest(items, db):
        with Store(db) as store:
            ctx = DayContext(day=day, language="ko", config=cfg, taxonomy=TAX, store=store)
            return asyncio.run(build_digest(ctx, "news", items))

    calls: list[int] = []
    real = summ.extractive_summary

    def counting(items, *a, **kw):
        calls.append(len(items))
        return real(items, *a, **kw)

    monkeypatch.setattr(summ, "extractive_summary", counting)
    first = digest(classified, tmp_path / "a.db")
    n_sections = len(first.sections)
    assert n_sections >= 1 and len(calls) == n_sections  # AI sections only (software is the short non-AI list)
    again = digest(classified, tmp_path / "a.db")
    assert len(calls) == n_sections  # nothing computed on the rerun
    assert again.model_dump(exclude={"health"}) == first.model_dump(exclude={"health"})

    # one item of the first section changes: that section is computed again, and only because the corpus (its
    # document frequencies) changed too, every section misses -- the key covers the whole day's corpus
    target = first.sections[0].entries[0].key
    changed = [c.model_copy(update={"item": c.item.model_copy(update={"snippet": c.item.snippet + " Extra."})})
               if c.item.key == target else c for c in classified]
    digest(changed, tmp_path / "a.db")
    assert len(calls) == 2 * n_sections
    # a fresh store computes everything (nothing is shared between stores)
    digest(classified, tmp_path / "b.db")
    assert len(calls) == 3 * n_sections


def test_zero_shot_predictions_are_cached_too(tmp_path):
    """A taxonomy the shipped model does not know goes zero-shot: same caching, its own fingerprint."""
    from aidigest.taxonomy import Category, Taxonomy

    cats = [Category(id="agents", name="Agents", name_ko="에이전트", description="AI agents that act with tools", emoji="🤖"),
            Category(id="others", name="Others", name_ko="기타", description="Anything else", emoji="•", report=False)]
    zs = offline_mod.ZeroShotClassifier(Taxonomy(cats))
    texts = [offline_mod.item_text(it.title, it.snippet) for it in _real_items(3)]
    enc = CountingEncoder()
    with Store(tmp_path / "s.db") as store:
        zs._P = enc(zs.prototypes)  # prototypes through the same double, so the test needs no real encoder
        a = predict_offline_cached(zs, texts, store, embed=enc)
        asked = len(enc.asked)
        b = predict_offline_cached(zs, texts, store, embed=enc)
    assert a == b and len(enc.asked) == asked and {c for c, _ in a} <= {"agents", "others"}
