"""Near-duplicate detection: the same story or paper seen under different URLs with slightly different titles.

Runs after exact-key merging (`merge.merge_items`). Never compares all pairs:

1. Each title is normalized (`normalize_title`: NFKC, casefold, a trailing " | Site Name" / " - site.com"
   segment dropped, punctuation -> space) and cut into character 3-grams (with the padded word boundaries), so
   case, punctuation, a dropped word or a site suffix change only a few shingles, and Korean (no useful word
   stemming, short words) works like English.
2. A MinHash signature of `NUM_PERM` values is computed for every title at once with numpy (the shingle hashes of
   all titles in one array, `np.minimum.reduceat` per title, in bounded chunks).
3. LSH banding (`BANDS` bands of `ROWS` rows) puts titles that agree on a whole band in one bucket; only pairs
   that share a bucket are candidates. With 32 bands of 4 rows a pair at Jaccard 0.6 becomes a candidate with
   probability 0.988, one at 0.65 with 0.998, a typical unrelated pair (Jaccard ~0.05) with ~2e-4.
4. Candidates are filtered by the MinHash estimate and then verified with the EXACT Jaccard similarity of
   the two shingle sets; pairs at or above `threshold` are near-duplicates.

Optional second signal: sentence embeddings (e.g. the USE vectors the offline classifier computes). When given,
random-hyperplane LSH (SimHash) over the embeddings adds candidates that are verified by exact cosine >=
`embedding_threshold` (conservative default: on the development titles no unrelated pair reached it). This can
catch duplicates the characters cannot see (a translated title); it never removes a character-level match.

Rules: only items of the same kind are paired, and two items that both carry an arXiv id are never paired
unless the ids are equal (different arXiv ids are different papers, however alike the titles).
Everything is seeded, so the output is identical from run to run and machine to machine.

Threshold (0.6) was chosen on the DEVELOPMENT split only (linyueqian paper titles, news before 2024-11-01,
HN items of 2019): perturbed copies of those titles reach Jaccard >= 0.6 in 99.3 % of cases, while among the
~10 M pairs of distinct titles 15 pairs reach it, 13 of them real duplicates (the same story posted more than
once: four HN posts of the WeWork/T-Mobile CEO story make 6 of them); the other 2 are different papers.
"""

from __future__ import annotations

import gc
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..records import Item
from .merge import merge_pair

DEFAULT_THRESHOLD = 0.6  # exact Jaccard of character 3-gram sets
EMBEDDING_THRESHOLD = 0.95  # exact cosine of (L2-normalized) embeddings, second signal only
SHINGLE = 3
NUM_PERM = 128
BANDS = 32
ROWS = NUM_PERM // BANDS
ESTIMATE_MARGIN = 0.15  # candidates whose MinHash estimate is below threshold - margin skip exact verification
MAX_BUCKET = 50  # buckets larger than this pair each member only with the bucket's first and previous member
SEED = 20241029
EMB_BANDS = 32
EMB_ROWS = 24
_CHUNK = 1 << 15  # shingles per MinHash chunk: (128 x 32768) uint32 = 16 MB
_EST_HEAD = 32  # signature values of the first, rough estimate (margin 2x ESTIMATE_MARGIN: ~3.5 sigma)
_EST_CHUNK = 1 << 16  # candidate pairs per estimate chunk: 2 x (65536 x 128) uint32 = 64 MB

# a trailing " | Site", " - site.com", " — Site Name" segment (the last separator in the title)
_SUFFIX_SEP = re.compile(r"\s+(?:\||-|–|—|·|•|::)\s+")
_NON_WORD = re.compile(r"[\W_]+")
# the same for ASCII text, as a translate table (several times faster than the regex): non-alphanumerics -> space
_ASCII_SPACE = {c: " " for c in range(128) if not chr(c).isalnum()}


def _words(text: str) -> str:
    """casefold, non-word characters (and _) -> single spaces, stripped."""
    if text.isascii():
        return " ".join(text.lower().translate(_ASCII_SPACE).split())
    return " ".join(_NON_WORD.sub(" ", text.casefold()).split())


def _strip_site_suffix(title: str) -> str:
    last = None
    for last in _SUFFIX_SEP.finditer(title):  # noqa: B007 (keeps the last match)
        pass
    if last is None:
        return title
    head, tail = title[: last.start()], title[last.end() :]
    # a site name is short; the rest must still be a title of at least two words
    if len(tail.split()) <= 4 and len(tail) <= 40 and len(_words(head).split()) >= 2:
        return head
    return title


def normalize_title(title: str) -> str:
    """The form titles are compared in: NFKC, casefolded, site suffix dropped, punctuation -> single spaces."""
    t = unicodedata.normalize("NFKC", title or "")
    return _words(_strip_site_suffix(t.strip()))


def title_forms(title: str) -> list[str]:
    """The normalized forms a title is compared under: without a site suffix and, when one was cut, with it.

    Both are kept because a real title can itself end in " - A Short Phrase" that the suffix rule cuts: the
    copy with an added " | site.com" then only matches the full form of the original."""
    t = title or ""
    if not t.isascii():
        t = unicodedata.normalize("NFKC", t)
    t = t.strip()
    head = _strip_site_suffix(t)
    full = _words(t)
    if head is t:
        return [full] if full else []
    core = _words(head)
    if not core:
        return [full] if full else []
    return [core] if full == core else [core, full]


def _grams(norm: str) -> set[str]:
    t = f" {norm} "
    return {t[i : i + SHINGLE] for i in range(len(t) - SHINGLE + 1)}


def shingles(title: str, n: int = SHINGLE) -> set[str]:
    """Character n-grams of the normalized title padded with one space each side (empty title -> empty set)."""
    norm = normalize_title(title)
    if not norm:
        return set()
    t = f" {norm} "
    return {t[i : i + n] for i in range(len(t) - n + 1)}


def jaccard(a: set[str], b: set[str]) -> float:
    if not a or not b:
        return 0.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


# ---- vectorized MinHash -----------------------------------------------------------------------------------
def _mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64 finalizer (uint64 -> uint64), wrapping arithmetic."""
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _shingle_hashes(norms: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """32-bit hashes of every character 3-gram of every padded title, concatenated, and per-title counts."""
    padded = [f" {t} " if t else "" for t in norms]
    lens = np.fromiter((len(p) for p in padded), dtype=np.int64, count=len(padded))
    counts = np.maximum(lens - (SHINGLE - 1), 0)
    total = int(lens.sum())
    if total == 0:
        return np.zeros(0, dtype=np.uint32), counts
    cps = np.frombuffer("".join(padded).encode("utf-32-le"), dtype=np.uint32)
    cps = np.concatenate([cps, np.zeros(SHINGLE - 1, dtype=np.uint32)])
    # an n-gram may start anywhere except in the last n-1 characters of its title
    valid = np.ones(total, dtype=bool)
    ends = np.cumsum(lens)
    for k in range(1, SHINGLE):
        ix = ends - k
        valid[ix[ix >= 0]] = False
    idx = np.flatnonzero(valid)
    g = cps[idx].astype(np.uint64)
    for k in range(1, SHINGLE):  # code points are < 2**21: three fit in 63 bits exactly
        g <<= np.uint64(21)
        g |= cps[idx + k]
    return (_mix64(g) >> np.uint64(32)).astype(np.uint32), counts


def _perm_params(seed: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    a = (rng.integers(0, 2**32, size=k, dtype=np.uint64) | np.uint64(1)).astype(np.uint32)
    b = rng.integers(0, 2**32, size=k, dtype=np.uint64).astype(np.uint32)
    return a, b


def minhash_signatures(norms: Sequence[str], num_perm: int = NUM_PERM, seed: int = SEED) -> np.ndarray:
    """(N, num_perm) uint32 MinHash signatures of the 3-gram sets; rows of empty titles are all 0xFFFFFFFF.

    The shingles are first hashed to well-mixed 32-bit values (splitmix64); permutation i is then
    x -> a_i * x + b_i (mod 2**32) with odd a_i, a bijection. Computed column-major ((num_perm, chunk) blocks,
    `np.minimum.reduceat` along the contiguous axis): ~1.5 ns per shingle and permutation."""
    h, counts = _shingle_hashes(norms)
    n = len(norms)
    sig = np.full((num_perm, n), np.iinfo(np.uint32).max, dtype=np.uint32)
    if len(h) == 0:
        return sig.T.copy()
    a, b = _perm_params(seed, num_perm)
    a, b = a[:, None], b[:, None]
    ends = np.cumsum(counts)
    title_start = ends - counts
    nonempty = np.nonzero(counts > 0)[0]
    ne_ends = ends[nonempty]
    buf = np.empty((num_perm, _CHUNK), dtype=np.uint32)
    # whole titles per chunk, so no reduceat segment crosses a chunk
    i = 0
    while i < len(nonempty):
        lo = title_start[nonempty[i]]
        j = max(int(np.searchsorted(ne_ends, lo + _CHUNK, side="right")), i + 1)
        sel = nonempty[i:j]
        hi = ends[sel[-1]]
        if hi - lo > buf.shape[1]:  # one title longer than a chunk
            buf = np.empty((num_perm, hi - lo), dtype=np.uint32)
        v = buf[:, : hi - lo]
        np.multiply(a, h[lo:hi][None, :], out=v)
        v += b
        sig[:, sel] = np.minimum.reduceat(v, title_start[sel] - lo, axis=1)
        i = j
    return sig.T.copy()


# ---- LSH banding ------------------------------------------------------------------------------------------
def _bucket_pairs(keys: np.ndarray, active: np.ndarray) -> np.ndarray:
    """Pairs (as i*N + j, i < j) of active rows that share a key. Oversized buckets are chained, not squared."""
    n = len(keys)
    rows = np.nonzero(active)[0]
    if len(rows) < 2:
        return np.zeros(0, dtype=np.int64)
    k = keys[rows]
    order = np.argsort(k, kind="stable")
    ks = k[order]
    ids = rows[order]
    new = np.ones(len(ks), dtype=bool)
    new[1:] = ks[1:] != ks[:-1]
    run_id = np.cumsum(new) - 1
    run_start = np.nonzero(new)[0]
    run_len = np.diff(np.append(run_start, len(ks)))
    pos = np.arange(len(ks)) - run_start[run_id]  # position inside the run
    size = run_len[run_id]
    out = []
    small = size <= MAX_BUCKET
    # all pairs inside small runs: element at position p pairs with the p earlier ones
    cnt = np.where(small, pos, 0)
    tot = int(cnt.sum())
    if tot:
        right = np.repeat(np.arange(len(ks)), cnt)
        offs = np.arange(tot) - np.repeat(np.cumsum(cnt) - cnt, cnt)
        left = run_start[run_id[right]] + offs
        out.append((ids[left], ids[right]))
    big = (~small) & (pos > 0)
    if big.any():
        r = np.nonzero(big)[0]
        out.append((ids[run_start[run_id[r]]], ids[r]))  # with the bucket's first member
        r2 = r[pos[r] > 1]
        out.append((ids[r2 - 1], ids[r2]))  # and with the previous one
    if not out:
        return np.zeros(0, dtype=np.int64)
    a = np.concatenate([o[0] for o in out])
    b = np.concatenate([o[1] for o in out])
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    return lo.astype(np.int64) * n + hi.astype(np.int64)


def _band_keys(sig: np.ndarray, bands: int, rows: int, seed: int) -> np.ndarray:
    """(bands, N) uint64 keys, one per band: a seeded mix of the band's `rows` values."""
    rng = np.random.default_rng(seed + 1)
    mult = rng.integers(1, 2**63, size=rows, dtype=np.uint64) | np.uint64(1)
    n = sig.shape[0]
    v = sig[:, : bands * rows].reshape(n, bands, rows).astype(np.uint64)
    acc = np.zeros((n, bands), dtype=np.uint64)
    for r in range(rows):
        acc = _mix64(acc ^ (v[:, :, r] * mult[r]))
    return acc.T.copy()


def _simhash_keys(emb: np.ndarray, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed + 2)
    planes = rng.standard_normal((emb.shape[1], EMB_BANDS * EMB_ROWS)).astype(np.float32)
    bits = (emb @ planes) > 0  # (N, B*R)
    bits = bits.reshape(len(emb), EMB_BANDS, EMB_ROWS)
    weights = (np.uint64(1) << np.arange(EMB_ROWS, dtype=np.uint64))
    keys = (bits.astype(np.uint64) * weights).sum(axis=2, dtype=np.uint64)  # (N, B)
    return keys.T.copy()


def _allowed(pairs: np.ndarray, n: int, kind: np.ndarray, arx: np.ndarray) -> np.ndarray:
    i, j = pairs // n, pairs % n
    ok = kind[i] == kind[j]
    ok &= ~((arx[i] >= 0) & (arx[j] >= 0) & (arx[i] != arx[j]))
    return pairs[ok]


def find_near_duplicates(
    items: Sequence[Item],
    embeddings: np.ndarray | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    embedding_threshold: float = EMBEDDING_THRESHOLD,
    seed: int = SEED,
) -> list[tuple[int, int, float]]:
    """Near-duplicate pairs (i, j, similarity) with i < j, sorted by (i, j).

    similarity is the exact character 3-gram Jaccard of the normalized titles when it reaches `threshold`,
    otherwise (embeddings given) the cosine of the two embeddings when that reaches `embedding_threshold`.
    Pairs of different kinds, or of two different arXiv ids, are never returned."""
    # The cyclic GC would re-scan every live object (100k pydantic items) again and again while this creates
    # many small sets; nothing here makes cycles, so it is paused for the call.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _find(items, embeddings, threshold, embedding_threshold, seed)
    finally:
        if was_enabled:
            gc.enable()


def _find(
    items: Sequence[Item],
    embeddings: np.ndarray | None,
    threshold: float,
    embedding_threshold: float,
    seed: int,
) -> list[tuple[int, int, float]]:
    """find_near_duplicates without the GC pause."""
    n = len(items)
    if embeddings is not None and len(embeddings) != n:
        raise ValueError(f"embeddings has {len(embeddings)} rows for {n} items")
    if n < 2:
        return []
    rules = _PairRules.of(items)
    found = _title_pairs([title_forms(it.title) for it in items], rules, threshold, seed)
    if embeddings is not None:
        for key, sim in _embedding_pairs(embeddings, rules, embedding_threshold, seed):
            if key not in found:
                found[key] = sim
    return [(i, j, s) for (i, j), s in sorted(found.items())]


@dataclass(frozen=True)
class _PairRules:
    """What may pair: two items of the same kind, and never two different arXiv ids (`_allowed`)."""

    n: int
    kind: np.ndarray  # 0 news, 1 paper
    arx: np.ndarray  # a code per distinct arXiv id, -1 without

    @classmethod
    def of(cls, items: Sequence[Item]) -> _PairRules:
        n = len(items)
        kind = np.fromiter((0 if it.kind == "news" else 1 for it in items), dtype=np.int8, count=n)
        arx_codes: dict[str, int] = {}
        arx = np.fromiter(
            (arx_codes.setdefault(it.arxiv_id, len(arx_codes)) if it.arxiv_id else -1 for it in items),
            dtype=np.int64,
            count=n,
        )
        return cls(n, kind, arx)

    def allowed(self, cand: np.ndarray) -> np.ndarray:
        return _allowed(cand, self.n, self.kind, self.arx)


def _title_pairs(
    forms_of: list[list[str]], rules: _PairRules, threshold: float, seed: int
) -> dict[tuple[int, int], float]:
    """{(i, j): exact Jaccard} of the item pairs whose title forms reach `threshold` (best pair of forms)."""
    forms = [f for fs in forms_of for f in fs]
    owner = np.asarray([k for k, fs in enumerate(forms_of) for _ in fs], dtype=np.int64)
    found: dict[tuple[int, int], float] = {}
    if len(forms) < 2:
        return found
    cand = rules.allowed(_minhash_candidates(forms, owner, rules.n, threshold, seed))
    by_item: dict[int, list[set[str]]] = {}

    def sets(k: int) -> list[set[str]]:
        v = by_item.get(k)
        if v is None:
            v = by_item[k] = [_grams(f) for f in forms_of[k]]
        return v

    n = rules.n
    for c in cand.tolist():
        i, j = divmod(c, n)
        sim = max(jaccard(a, b) for a in sets(i) for b in sets(j))
        if sim >= threshold:
            found[(i, j)] = sim
    return found


def _minhash_candidates(forms: list[str], owner: np.ndarray, n: int, threshold: float, seed: int) -> np.ndarray:
    """Sorted codes i * n + j (i < j items) of the pairs of forms sharing an LSH bucket whose MinHash estimate
    is plausible (>= threshold - ESTIMATE_MARGIN); exact Jaccard is computed later for these only."""
    m = len(forms)
    sig = minhash_signatures(forms, NUM_PERM, seed)
    head = np.ascontiguousarray(sig[:, :_EST_HEAD])  # cheap first look: a quarter of the signature
    active = np.ones(m, dtype=bool)
    kept = []
    for keys in _band_keys(sig, BANDS, ROWS, seed):
        rows = _bucket_pairs(keys, active)
        # the MinHash estimate of each bucket pair (vectorized); exact Jaccard later only for plausible ones
        for s in range(0, len(rows), _EST_CHUNK):
            r = rows[s : s + _EST_CHUNK]
            r1, r2 = r // m, r % m
            rough = (head[r1] == head[r2]).mean(axis=1) >= threshold - 2 * ESTIMATE_MARGIN
            r1, r2 = r1[rough], r2[rough]
            est = (sig[r1] == sig[r2]).mean(axis=1)
            ok = est >= threshold - ESTIMATE_MARGIN
            i1, i2 = owner[r1[ok]], owner[r2[ok]]
            diff = i1 != i2
            kept.append(np.minimum(i1, i2)[diff] * n + np.maximum(i1, i2)[diff])
    return np.unique(np.concatenate(kept)) if kept else np.zeros(0, dtype=np.int64)


def _embedding_pairs(
    embeddings: np.ndarray, rules: _PairRules, embedding_threshold: float, seed: int
) -> list[tuple[tuple[int, int], float]]:
    """((i, j), cosine) of the item pairs sharing a SimHash bucket whose embeddings reach `embedding_threshold`."""
    n = rules.n
    emb = np.asarray(embeddings, dtype=np.float32)
    emb = emb / np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-12)
    ok = np.ones(n, dtype=bool)
    parts = [_bucket_pairs(keys, ok) for keys in _simhash_keys(emb, seed)]
    ecand = rules.allowed(np.unique(np.concatenate(parts)))
    out: list[tuple[tuple[int, int], float]] = []
    for s in range(0, len(ecand), 1 << 16):
        c = ecand[s : s + (1 << 16)]
        cos = np.einsum("ij,ij->i", emb[c // n], emb[c % n])
        for pair, sim in zip(c[cos >= embedding_threshold].tolist(), cos[cos >= embedding_threshold].tolist()):
            out.append((divmod(pair, n), float(min(sim, 1.0))))
    return out


# ---- grouping and merging ---------------------------------------------------------------------------------
def near_duplicate_groups(items: Sequence[Item], pairs: Sequence[tuple[int, int, float]]) -> list[list[int]]:
    """Connected groups of indices (every item in exactly one group, singletons included), in first-seen order.

    Pairs are applied best first; a union that would put two different arXiv ids in one group is skipped."""
    parent: dict[int, int] = {}
    arx: dict[int, set[str]] = {}

    def find(x: int) -> int:
        root = x
        while parent.get(root, root) != root:
            root = parent[root]
        while x != root:  # path compression
            parent[x], x = root, parent[x]
        return root

    for i, j, _ in sorted(pairs, key=lambda p: (-p[2], p[0], p[1])):
        for k in (i, j):
            if k not in arx:
                aid = items[k].arxiv_id
                arx[k] = {aid} if aid else set()
        ri, rj = find(i), find(j)
        if ri == rj:
            continue
        if arx[ri] and arx[rj] and arx[ri] != arx[rj]:
            continue
        lo, hi = min(ri, rj), max(ri, rj)
        parent[hi] = lo
        arx[lo] |= arx[hi]
    groups: dict[int, list[int]] = {}
    for k in range(len(items)):
        groups.setdefault(find(k) if k in arx else k, []).append(k)
    return list(groups.values())  # dict order = order of each group's smallest index


def merge_near_duplicates(
    items: Sequence[Item],
    embeddings: np.ndarray | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    embedding_threshold: float = EMBEDDING_THRESHOLD,
) -> tuple[list[Item], int]:
    """Fold near-duplicates into the first-seen item of their group with `merge_pair`.

    Returns (items in first-seen order, number of items folded away)."""
    pairs = find_near_duplicates(items, embeddings, threshold=threshold, embedding_threshold=embedding_threshold)
    out: list[Item] = []
    merged = 0
    was_enabled = gc.isenabled()
    gc.disable()  # see find_near_duplicates
    try:
        for group in near_duplicate_groups(items, pairs):
            acc = items[group[0]]
            for k in group[1:]:
                acc = merge_pair(acc, items[k])
                merged += 1
            out.append(acc)
    finally:
        if was_enabled:
            gc.enable()
    return out, merged
