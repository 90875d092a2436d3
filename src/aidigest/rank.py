"""A reader profile's score of each item, and the short reason shown beside it. Offline: no LLM call.

    model = build_profile("nlp", cfg, liked, embed_texts)   # embed_texts: texts -> (N, 512) L2-normalized
    scores = score_items(model, items, X, day)               # X: the items' embeddings (same encoder)
    scores.score[i], reason(model, scores, i, "ko")           # "‘강화학습’ 관심사와 가까움"

Score of item i (every part is shown in the reason, higher first):

    W_SIM  · max(similarity to the interests, similarity to the liked papers)
  + W_KEYWORD   if a profile include keyword is in its title or text (`[digest] include_keywords`' matcher)
  + W_AUTHOR    if one of its authors is pinned
  + W_POPULAR · its popularity (aidigest.select.rank_score) / the day's highest

Similarity is the cosine of the multilingual sentence embeddings (the offline classifier's encoder, cached in
the store by text: aidigest.reuse.embed_cached): to the nearest interest sentence, and to the liked papers as
the mean of the `LIKED_TOP` nearest ones (one odd paper in a library does not pull in everything near it).
Items matching a profile exclude keyword are not scored here: aidigest.personalize leaves them out.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .classify.offline import item_text
from .config import ProfileConfig
from .models import Item
from .profiles import LikedPaper
from .select import keyword_pattern, rank_score

W_SIM = 4.0
W_KEYWORD = 1.0
W_AUTHOR = 3.0
W_POPULAR = 0.6
LIKED_TOP = 3
REASON_SIM = 0.25  # a similarity below this is not given as a reason (unrelated texts of the encoder sit near 0.1)
REASONS_MAX = 2
INTEREST_LABEL_CHARS = 24

_WORDS = {
    "ko": {"interest": "‘{x}’ 관심사와 가까움", "liked": "좋아한 논문 {x}와 비슷함", "author": "저자 {x}",
           "keyword": "키워드 ‘{x}’", "popular": "오늘 많이 본 항목", "pick": "추천"},
    "en": {"interest": "close to your interest ‘{x}’", "liked": "similar to liked paper {x}", "author": "author {x}",
           "keyword": "keyword ‘{x}’", "popular": "popular today", "pick": "Picked for you"},
}


def words(language: str) -> dict[str, str]:
    return _WORDS.get(language, _WORDS["en"])


@dataclass(frozen=True)
class ProfileModel:
    name: str
    interests: list[str]
    interest_vecs: np.ndarray  # (k, 512)
    liked: list[LikedPaper]
    liked_vecs: np.ndarray  # (m, 512)
    includes: re.Pattern[str] | None
    authors: dict[str, str]  # normalized name -> as configured


def _norm_name(name: str) -> str:
    return re.sub(r"\s+", " ", name).strip().casefold()


def liked_text(p: LikedPaper) -> str:
    return item_text(p.title, p.abstract)


def build_profile(name: str, cfg: ProfileConfig, liked: list[LikedPaper],
                  embed_texts: Callable[[list[str]], np.ndarray]) -> ProfileModel:
    interests = [s.strip() for s in cfg.interests if s.strip()]
    texts = interests + [liked_text(p) for p in liked]
    vecs = np.asarray(embed_texts(texts), dtype=np.float32) if texts else np.zeros((0, 512), dtype=np.float32)
    return ProfileModel(
        name=name, interests=interests, interest_vecs=vecs[: len(interests)], liked=list(liked),
        liked_vecs=vecs[len(interests):], includes=keyword_pattern(cfg.include_keywords),
        authors={_norm_name(a): a.strip() for a in cfg.authors if a.strip()},
    )


@dataclass
class Scores:
    score: np.ndarray  # (n,) the profile score
    interest_sim: np.ndarray  # (n,) best similarity to an interest (0 without interests)
    interest_at: np.ndarray  # (n,) which interest
    liked_sim: np.ndarray  # (n,) mean of the LIKED_TOP best similarities to liked papers (0 without any)
    liked_at: np.ndarray  # (n,) the nearest liked paper
    keyword: list[str | None]  # the include keyword found
    author: list[str | None]  # the pinned author found
    popular: np.ndarray  # (n,) popularity / the day's highest, in [0, 1]


def score_items(model: ProfileModel, items: Sequence[Item], X: np.ndarray, day: dt.date,
                popularity: np.ndarray | None = None) -> Scores:
    """Scores of `items` (X: their embeddings, row i = item i). `popularity`: their `rank_score`s when already
    computed (shared by every profile of a run); else computed here."""
    n = len(items)
    if popularity is None:
        popularity = np.array([rank_score(it, day) for it in items], dtype=np.float64)
    top = float(popularity.max()) if n else 0.0
    popular = popularity / top if top > 0 else np.zeros(n)
    zeros_f, zeros_i = np.zeros(n, dtype=np.float32), np.zeros(n, dtype=np.int64)
    if len(model.interest_vecs):
        sims = X @ model.interest_vecs.T
        interest_at = sims.argmax(axis=1)
        interest_sim = sims[np.arange(n), interest_at]
    else:
        interest_sim, interest_at = zeros_f, zeros_i
    if len(model.liked_vecs):
        sims = X @ model.liked_vecs.T
        liked_at = sims.argmax(axis=1)
        k = min(LIKED_TOP, sims.shape[1])
        liked_sim = (np.partition(sims, sims.shape[1] - k, axis=1)[:, -k:].mean(axis=1) if k < sims.shape[1]
                     else sims.mean(axis=1))
    else:
        liked_sim, liked_at = zeros_f, zeros_i
    inc, authors = model.includes, model.authors
    keyword: list[str | None] = [None] * n
    author: list[str | None] = [None] * n
    kw_hit = np.zeros(n)
    au_hit = np.zeros(n)
    for i, it in enumerate(items):
        if inc is not None:
            m = inc.search(it.title) or inc.search(it.snippet)
            if m:
                keyword[i] = m.group(0)
                kw_hit[i] = 1.0
        if authors:
            for a in it.authors:
                hit = authors.get(_norm_name(a))
                if hit is not None:
                    author[i] = hit
                    au_hit[i] = 1.0
                    break
    sem = np.maximum(interest_sim, liked_sim).astype(np.float64)
    score = W_SIM * sem + W_KEYWORD * kw_hit + W_AUTHOR * au_hit + W_POPULAR * popular
    return Scores(np.round(score, 6), interest_sim, interest_at, liked_sim, liked_at, keyword, author, popular)


def _short(text: str, n: int = INTEREST_LABEL_CHARS) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


def reasons(model: ProfileModel, s: Scores, i: int, language: str) -> list[str]:
    """Why item i ranks where it does, strongest first (at most REASONS_MAX); plain text (escape to print)."""
    w = words(language)
    parts: list[tuple[float, str]] = []
    if s.author[i]:
        parts.append((W_AUTHOR, w["author"].format(x=s.author[i])))
    if len(model.interest_vecs) and s.interest_sim[i] >= REASON_SIM:
        parts.append((W_SIM * float(s.interest_sim[i]),
                      w["interest"].format(x=_short(model.interests[int(s.interest_at[i])]))))
    if len(model.liked_vecs) and s.liked_sim[i] >= REASON_SIM:
        parts.append((W_SIM * float(s.liked_sim[i]), w["liked"].format(x=model.liked[int(s.liked_at[i])].label)))
    if s.keyword[i]:
        parts.append((W_KEYWORD, w["keyword"].format(x=s.keyword[i])))
    if not parts and s.popular[i] >= 0.5:
        parts.append((W_POPULAR, w["popular"]))
    parts.sort(key=lambda p: -p[0])
    return [t for _, t in parts[:REASONS_MAX]]


def reason(model: ProfileModel, s: Scores, i: int, language: str) -> str:
    return " · ".join(reasons(model, s, i, language))
