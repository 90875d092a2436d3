"""A reader profile's score of each item, and the short reason shown beside it. Offline: no LLM call.

    model = build_profile("nlp", cfg, liked, embed_texts)   # embed_texts: texts -> (N, 512) L2-normalized
    scores = score_items(model, items, X, day)               # X: the items' embeddings (same encoder)
    scores.score[i], reason(model, scores, i, "ko")           # "‘강화학습’ 관심사와 가까움"

Score of item i (every part is shown in the reason, higher first):

    W_SIM  · max(similarity to the interests, similarity to the liked papers)
  + W_KEYWORD   if a profile include keyword is in its title or text (`[digest] include_keywords`' matcher)
  + W_AUTHOR    if one of its authors is pinned
  + W_POPULAR · its popularity (aidigest.select.items.rank_score) / the day's highest

Similarity is the cosine of the multilingual sentence embeddings (the offline classifier's encoder, cached in
the store by text: aidigest.reuse.embed_cached), taken after subtracting the day's mean embedding from both sides
(from `CENTER_MIN` items on): every text of the encoder shares a common direction (unrelated texts sit near 0.1,
not 0), which squeezes the differences that matter; centred on the day, a cosine says "closer to the reader than
the day's average item". To the nearest interest sentence, and to the liked papers as the mean of the
`LIKED_TOP` nearest ones (one odd paper in a library does not pull in everything near it). Centred cosines and
LIKED_TOP = 5 were chosen on the dev split only (`aidigest eval profiles --split dev`; the comparison with plain
cosines and other LIKED_TOP values is in bench/results): the one setting where every simulated reader gets at
least twice the popularity baseline, with the highest mean precision@10. The reasons quote the plain cosine to
the nearest interest / liked paper (`REASON_SIM`), which does not depend on the day.
Items matching a profile exclude keyword are not scored here: aidigest.profiles.personalize leaves them out.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from ..classify.offline import item_text
from ..config import ProfileConfig
from ..records import Item
from .reader import LikedPaper
from ..select.items import rank_scores

LATIN_KEYWORD = re.compile(r"[0-9A-Za-z][0-9A-Za-z .+#-]*")  # as aidigest.select.items.keyword_pattern
_WORD = frozenset(b"0123456789abcdefghijklmnopqrstuvwxyz")
W_SIM = 4.0
W_KEYWORD = 1.0
W_AUTHOR = 3.0
W_POPULAR = 0.6
LIKED_TOP = 5
CENTER_MIN = 30  # fewer items: their mean is mostly themselves, no centring
REASON_SIM = 0.25  # a similarity below this is not given as a reason (unrelated texts of the encoder sit near 0.1)
REASONS_MAX = 2
INTEREST_LABEL_CHARS = 24

_WORDS: Mapping[str, Mapping[str, str]] = MappingProxyType({
    "ko": MappingProxyType({"interest": "‘{x}’ 관심사와 가까움", "liked": "좋아한 논문 {x}와 비슷함", "author": "저자 {x}",
           "keyword": "키워드 ‘{x}’", "popular": "오늘 많이 본 항목", "pick": "추천"}),
    "en": MappingProxyType({"interest": "close to your interest ‘{x}’", "liked": "similar to liked paper {x}", "author": "author {x}",
           "keyword": "keyword ‘{x}’", "popular": "popular today", "pick": "Picked for you"}),
})


def words(language: str) -> Mapping[str, str]:
    return _WORDS.get(language, _WORDS["en"])


@dataclass(frozen=True)
class ProfileModel:
    name: str
    interests: list[str]
    interest_vecs: np.ndarray  # (k, 512)
    liked: list[LikedPaper]
    liked_vecs: np.ndarray  # (m, 512)
    keywords: tuple[tuple[str, str, bool], ...]  # (casefolded, as configured, whole words only) per include keyword
    authors: dict[str, str]  # normalized name -> as configured


class Prepared:
    """What every profile reads of the day's items, computed once per run: the casefolded text (title + snippet)
    of all items in one string, and which items each (normalized) author wrote. Keyword hits are searched in the
    whole day at once (one C-speed scan per keyword, kept for the next profile), not item by item."""

    def __init__(self, items: Sequence[Item]):
        self.n = len(items)
        # UTF-8 bytes: bytes.find is a fast scan; a multi-byte character's bytes are >= 0x80, never word bytes
        parts = [f"{it.title}\n{it.snippet}".casefold().encode("utf-8") for it in items]
        self.starts: list[int] = []
        pos = 0
        for t in parts:
            self.starts.append(pos)
            pos += len(t) + 1
        self.text = b"\x00".join(parts)  # \x00 is no word byte: an item's edges are word boundaries
        self.by_author: dict[str, list[int]] = {}
        for i, it in enumerate(items):
            for a in dict.fromkeys(_norm_name(x) for x in it.authors):
                self.by_author.setdefault(a, []).append(i)
        self._hits: dict[tuple[str, bool], list[int]] = {}
        self._centre: tuple[np.ndarray, np.ndarray, np.ndarray, float, np.ndarray] | None = None

    def centre(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
        """(mu, X @ mu, mu @ mu, |x - mu| per row) of the day's embeddings X: once per run, not per profile."""
        if self._centre is not None and self._centre[0] is X:
            return self._centre[1:]  # type: ignore[return-value]
        n = X.shape[0]
        mu = X.mean(axis=0) if n >= CENTER_MIN else np.zeros(X.shape[1], dtype=X.dtype)
        x_mu = X @ mu
        mu_mu = float(mu @ mu)
        x_norm = np.sqrt(np.maximum(np.einsum("ij,ij->i", X, X) - 2 * x_mu + mu_mu, 1e-12))
        self._centre = (X, mu, x_mu, mu_mu, x_norm)
        return mu, x_mu, mu_mu, x_norm

    def keyword_hits(self, keyword: str, whole: bool) -> list[int]:
        """Items whose text holds the casefolded `keyword` (whole words only when `whole`), in item order."""
        key = (keyword, whole)
        if key in self._hits:
            return self._hits[key]
        kw = keyword.encode("utf-8")
        text, starts, out = self.text, self.starts, []
        j = text.find(kw)
        while j >= 0:
            end = j + len(kw)
            if not whole or ((j == 0 or text[j - 1] not in _WORD) and (end >= len(text) or text[end] not in _WORD)):
                i = bisect_right(starts, j) - 1
                out.append(i)
                if i + 1 >= len(starts):
                    break
                j = text.find(kw, starts[i + 1])  # one hit per item is enough
            else:
                j = text.find(kw, j + 1)
        self._hits[key] = out
        return out


def prepare(items: Sequence[Item]) -> Prepared:
    return Prepared(items)


def _norm_name(name: str) -> str:
    """'  André   FREITAS' and 'Andre Freitas' alike: spaces collapsed, case and accents dropped."""
    name = " ".join(name.split()).casefold()
    if name.isascii():
        return name
    return "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))


def liked_text(p: LikedPaper) -> str:
    return item_text(p.title, p.abstract)


def build_profile(name: str, cfg: ProfileConfig, liked: list[LikedPaper],
                  embed_texts: Callable[[list[str]], np.ndarray]) -> ProfileModel:
    interests = [s.strip() for s in cfg.interests if s.strip()]
    texts = interests + [liked_text(p) for p in liked]
    vecs = np.asarray(embed_texts(texts), dtype=np.float32) if texts else np.zeros((0, 512), dtype=np.float32)
    return ProfileModel(
        name=name, interests=interests, interest_vecs=vecs[: len(interests)], liked=list(liked),
        liked_vecs=vecs[len(interests):],
        keywords=tuple((k.strip().casefold(), k.strip(), bool(LATIN_KEYWORD.fullmatch(k.strip())))
                       for k in cfg.include_keywords if k.strip()),
        authors={_norm_name(a): a.strip() for a in cfg.authors if a.strip()},
    )


@dataclass
class Scores:
    score: np.ndarray  # (n,) the profile score
    interest_sim: np.ndarray  # (n,) plain cosine to the nearest interest (0 without interests)
    interest_at: np.ndarray  # (n,) which interest (nearest after centring)
    liked_sim: np.ndarray  # (n,) plain cosine to the nearest liked paper (0 without any)
    liked_at: np.ndarray  # (n,) the nearest liked paper (after centring)
    keyword: list[str | None]  # the include keyword found
    author: list[str | None]  # the pinned author found
    popular: np.ndarray  # (n,) popularity / the day's highest, in [0, 1]


def score_items(model: ProfileModel, items: Sequence[Item], X: np.ndarray, day: dt.date,
                popularity: np.ndarray | None = None, prepared: Prepared | None = None) -> Scores:
    """Scores of `items` (X: their embeddings, row i = item i). `popularity` (their `rank_score`s) and
    `prepared` (`prepare(items)`): computed once for every profile of a run; else computed here."""
    n = len(items)
    prepared = prepared or prepare(items)
    if popularity is None:
        popularity = np.array(rank_scores(list(items), day), dtype=np.float64)
    top = float(popularity.max()) if n else 0.0
    popular = popularity / top if top > 0 else np.zeros(n)
    zeros_f, zeros_i = np.zeros(n, dtype=np.float32), np.zeros(n, dtype=np.int64)
    sem = np.zeros(n, dtype=np.float64)
    interest_sim, interest_at, liked_sim, liked_at = zeros_f, zeros_i, zeros_f, zeros_i
    if len(model.interest_vecs) or len(model.liked_vecs):
        mu, x_mu, mu_mu, x_norm = prepared.centre(X)

        def centred(V: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            """(plain cosines, cosines after subtracting mu from both sides), (n, len(V)) each."""
            raw = X @ V.T
            v_mu = V @ mu
            v_norm = np.sqrt(np.maximum(np.einsum("ij,ij->i", V, V) - 2 * v_mu + mu_mu, 1e-12))
            c = raw - x_mu[:, None] - v_mu[None, :] + mu_mu
            c /= x_norm[:, None]
            c /= v_norm[None, :]
            return raw, c

        rows = np.arange(n)
        if len(model.interest_vecs):
            raw, c = centred(model.interest_vecs)
            interest_at = c.argmax(axis=1)
            interest_sim = raw[rows, interest_at]
            sem = c[rows, interest_at].astype(np.float64)
        if len(model.liked_vecs):
            raw, c = centred(model.liked_vecs)
            liked_at = c.argmax(axis=1)
            liked_sim = raw[rows, liked_at]
            k = min(LIKED_TOP, c.shape[1])
            near = np.partition(c, c.shape[1] - k, axis=1)[:, -k:].mean(axis=1) if k < c.shape[1] else c.mean(axis=1)
            sem = np.maximum(sem, near) if len(model.interest_vecs) else near.astype(np.float64)
    authors = model.authors
    keyword: list[str | None] = [None] * n
    author: list[str | None] = [None] * n
    kw_hit = np.zeros(n)
    au_hit = np.zeros(n)
    # include keywords (the rule of `[digest] include_keywords`, aidigest.select.items.keyword_pattern: a keyword of
    # Latin letters/digits as a whole word, any other (Korean) as a substring; case-insensitive), first one wins
    for kw, shown, whole in model.keywords:
        for i in prepared.keyword_hits(kw, whole):
            if keyword[i] is None:
                keyword[i] = shown
                kw_hit[i] = 1.0
    for norm, shown in authors.items():
        for i in prepared.by_author.get(norm, ()):
            if author[i] is None:
                author[i] = shown
                au_hit[i] = 1.0
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
