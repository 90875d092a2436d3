#!/usr/bin/env python
"""Rebuild the shipped offline classifier (src/aidigest/data/classifier/) from the DEVELOPMENT split only.

    .venv/bin/python scripts/train_classifier.py [--data ../shared/data] [--out src/aidigest/data/classifier]
    .venv/bin/python scripts/train_classifier.py --grid      # model selection by dev cross-validation

Training data (never the test split: labeled_papers/dw-dengwei_*, news on/after 2024-11-01):
  * labeled_papers/linyueqian_*/*.jsonl, de-duplicated by arXiv id, labels from arXiv categories by the rules
    in aidigest.classify.labels (papers the rules cannot label are left out). Each paper gives two examples:
    "title. abstract" and the title alone (news from Hacker News arrive without any snippet).
  * data/dev_news_labels.jsonl: news first seen before 2024-11-01, labeled by hand (see the "why" field):
    the dev items of news_items/finddme_news_items.jsonl, the betacat_hn feed (2023-06-29, with summaries:
    also used as "title. summary") and the 2019 Hacker News item lists (hackernews/derived_items_*).
  * src/aidigest/data/eval/news/ko_news.jsonl, the lines of split "dev" (Korean IT/AI headlines dated before
    2024-11-01, labeled by hand; see that folder's README), weighted by --ko-weight. Its "test" lines, the
    GeekNews recording and en_test.jsonl are the news TEST split: never read here.
Model: multinomial logistic regression (scikit-learn, training only) on L2-normalized USE embeddings plus
hashed word unigrams/bigrams (aidigest.classify.offline.hashed_bow, scaled by --bow-scale; with --ko-gloss, the
default, English glosses of Korean IT terms are hashed too: aidigest.classify.korean); news
examples get a larger sample weight (they are few, and the news-only classes business/policy/software/others
live mostly there). Cross-validation: 5 folds grouped by source item (a paper's two variants stay together),
folds assigned by a hash of the id, so every run gives the same numbers. Embeddings are cached by text hash
(--cache) so reruns are quick; the cache changes nothing in the result.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections import Counter
from pathlib import Path

import os

for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")  # before numpy loads: lbfgs on one BLAS thread is ~2x faster here

import numpy as np  # noqa: E402 (after the thread settings above)

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from aidigest.classify.eval import family_of  # noqa: E402
from aidigest.classify.labels import paper_label  # noqa: E402
from aidigest.classify.offline import EMBEDDING_MODEL, choose, embed, hashed_bow, item_text  # noqa: E402
from aidigest.taxonomy import load_taxonomy  # noqa: E402

DEV_PAPERS_GLOB = "labeled_papers/linyueqian_*/*.jsonl"
DEV_NEWS_LABELS = REPO / "data" / "dev_news_labels.jsonl"
DEV_KO_NEWS = REPO / "src" / "aidigest" / "data" / "eval" / "news" / "ko_news.jsonl"
DEV_CUTOFF = "2024-11-01"
FOLDS = 5
# chosen with --grid (dev cross-validation); see the printed table
DEFAULT_C = 2.0
DEFAULT_NEWS_WEIGHT = 3.0
DEFAULT_BOW_SCALE = 2.0
DEFAULT_KO_WEIGHT = 3.0
BOW_DIM = 16384


class Example:
    __slots__ = ("text", "label", "group", "source", "weight", "categories", "accept")

    def __init__(self, text: str, label: str, group: str, source: str, categories: list[str] | None = None,
                 accept: list[str] | None = None):
        self.text, self.label, self.group, self.source = text, label, group, source
        self.weight = 1.0
        self.categories = categories or []
        self.accept = accept or []  # other labels that fit as well (Korean dev lines)


def load_examples(data: Path) -> tuple[list[Example], dict]:
    files = sorted(data.glob(DEV_PAPERS_GLOB))
    if not files:
        raise SystemExit(f"error: no dev papers ({DEV_PAPERS_GLOB}) under {data}")
    papers: dict[str, dict] = {}
    for f in files:
        for line in f.open(encoding="utf-8"):
            if line.strip():
                r = json.loads(line)
                papers.setdefault(r["id"], r)
    ex: list[Example] = []
    unlabeled = 0
    for pid in sorted(papers):
        r = papers[pid]
        lab = paper_label(r["categories"], r["title"], r.get("summary") or "")
        if lab is None:
            unlabeled += 1
            continue
        ex.append(Example(item_text(r["title"], r.get("summary") or ""), lab, f"arxiv:{pid}", "paper_full", r["categories"]))
        ex.append(Example(item_text(r["title"]), lab, f"arxiv:{pid}", "paper_title", r["categories"]))
    news = 0
    for line in DEV_NEWS_LABELS.open(encoding="utf-8"):
        if not line.strip():
            continue
        r = json.loads(line)
        if r["date"] >= DEV_CUTOFF:
            raise SystemExit(f"error: {DEV_NEWS_LABELS} has a test-split item ({r['date']}): {r['title']}")
        group = "news:" + " ".join(r["title"].lower().split())  # repeated titles stay in one fold
        ex.append(Example(item_text(r["title"]), r["category"], group, "news"))
        if r.get("snippet"):
            ex.append(Example(item_text(r["title"], r["snippet"]), r["category"], group, "news_text"))
        news += 1
    ko = 0
    for line in DEV_KO_NEWS.open(encoding="utf-8"):
        if not line.strip():
            continue
        r = json.loads(line)
        if r["split"] != "dev":
            continue
        if r["date"] >= DEV_CUTOFF:
            raise SystemExit(f"error: {DEV_KO_NEWS} has a dev line of the test period ({r['date']}): {r['title']}")
        ex.append(Example(item_text(r["title"]), r["category"], "news:" + r["url"], "news_ko", accept=r.get("accept")))
        ko += 1
    info = {"paper_files": [str(f.relative_to(data)) for f in files], "papers": len(papers),
            "papers_unlabeled": unlabeled, "news": news, "news_ko": ko}
    return ex, info


def embed_cached(texts: list[str], cache: Path | None) -> np.ndarray:
    keys = [hashlib.sha1(t.encode("utf-8")).hexdigest() for t in texts]
    store: dict[str, np.ndarray] = {}
    if cache and cache.exists():
        with np.load(cache, allow_pickle=False) as z:
            store = dict(zip(z["keys"].tolist(), z["X"]))
    todo = sorted({k: t for k, t in zip(keys, texts) if k not in store}.items())
    if todo:
        t0 = time.perf_counter()
        X = embed([t for _, t in todo])
        print(f"embedded {len(todo)} texts in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
        store.update(zip([k for k, _ in todo], X))
        if cache:
            cache.parent.mkdir(parents=True, exist_ok=True)
            ks = sorted(store)
            tmp = cache.with_suffix(".tmp.npz")
            np.savez(tmp, keys=np.array(ks), X=np.stack([store[k] for k in ks]))
            tmp.replace(cache)
    return np.stack([store[k] for k in keys]).astype(np.float32)


def fold_of(group: str) -> int:
    return int(hashlib.sha1(group.encode("utf-8")).hexdigest(), 16) % FOLDS


def features(X: np.ndarray, texts: list[str], bow_scale: float, ko_gloss: bool = True):
    """[embedding | bow_scale * hashed words] as one sparse matrix (or the embedding alone for scale 0)."""
    if bow_scale <= 0:
        return X.astype(np.float64)
    import scipy.sparse as sp

    rows, cols, vals = [], [], []
    for r, t in enumerate(texts):
        idx, val = hashed_bow(t, BOW_DIM, ko_gloss)
        rows.append(np.full(len(idx), r))
        cols.append(idx)
        vals.append(val.astype(np.float64) * bow_scale)
    H = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(len(texts), BOW_DIM))
    return sp.hstack([sp.csr_matrix(X.astype(np.float64)), H]).tocsr()


def fit(F, y: np.ndarray, w: np.ndarray, C: float):
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=C, max_iter=1000, tol=1e-4)
    clf.fit(F, y, sample_weight=w)
    return clf


def weights_for(ex: list[Example], news_weight: float, ko_weight: float = DEFAULT_KO_WEIGHT) -> np.ndarray:
    return np.array([ko_weight if e.source == "news_ko" else news_weight if e.source.startswith("news") else 1.0
                     for e in ex], dtype=np.float64)


def cross_validate(ex: list[Example], X, C: float, news_weight: float, ko_weight: float = DEFAULT_KO_WEIGHT) -> dict:
    y = np.array([e.label for e in ex])
    w = weights_for(ex, news_weight, ko_weight)
    folds = np.array([fold_of(e.group) for e in ex])
    pred = np.empty(len(ex), dtype=object)
    for k in range(FOLDS):
        tr, te = folds != k, folds == k
        clf = fit(X[tr], y[tr], w[tr], C)
        P = clf.predict_proba(X[te])
        classes = [str(c) for c in clf.classes_]
        texts = [e.text for e, t in zip(ex, te) if t]
        pred[te] = [classes[choose(P[i], classes, texts[i])] for i in range(len(texts))]  # the shipped decision rule
    out: dict = {}
    for src in ("paper_full", "paper_title", "news", "news_text", "news_ko"):
        m = np.array([e.source == src for e in ex])
        if m.any():
            out[src] = float((pred[m] == y[m]).mean())
    ko = [(e, p) for e, p in zip(ex, pred) if e.source == "news_ko"]
    if ko:  # Korean dev: right = the label or one of its accepted labels; AI lines filed under others
        out["news_ko_accept"] = sum(p == e.label or p in e.accept for e, p in ko) / len(ko)
        out["news_ko_ai_in_others"] = float(sum(e.label not in ("software", "others") and p == "others" for e, p in ko))
    # the test split's family scoring, applied to the dev papers (title + abstract)
    fam_ok = fam_n = 0
    fam_errors: Counter = Counter()
    for e, p in zip(ex, pred):
        if e.source == "paper_full":
            fam = family_of(e.categories)
            if fam:
                fam_n += 1
                fam_ok += p in fam[1]
                if p not in fam[1]:
                    fam_errors[f"{fam[0]}->{p}"] += 1
    out["paper_family"] = fam_ok / fam_n
    out["family_errors"] = dict(fam_errors.most_common(12))
    m = np.array([e.source == "news" for e in ex])
    labels = sorted(set(y[m]))
    out["news_per_class"] = {c: (float((pred[m][y[m] == c] == c).mean()), int((y[m] == c).sum())) for c in labels}
    out["news_balanced"] = float(np.mean([v[0] for v in out["news_per_class"].values()]))
    out["all"] = float((pred == y).mean())
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared" / "data", help="shared data root")
    ap.add_argument("--out", type=Path, default=REPO / "src" / "aidigest" / "data" / "classifier")
    ap.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "aidigest" / "train_embeddings.npz")
    ap.add_argument("--no-cache", action="store_true")
    ap.add_argument("--C", type=float, default=DEFAULT_C)
    ap.add_argument("--news-weight", type=float, default=DEFAULT_NEWS_WEIGHT)
    ap.add_argument("--bow-scale", type=float, default=DEFAULT_BOW_SCALE, help="0 = embedding only")
    ap.add_argument("--ko-weight", type=float, default=DEFAULT_KO_WEIGHT, help="sample weight of the Korean dev lines")
    ap.add_argument("--no-ko", action="store_true", help="leave the Korean dev lines out")
    ap.add_argument("--no-ko-gloss", action="store_true", help="hash the Latin words only (no glosses of Korean terms)")
    ap.add_argument("--grid-ko-weight", default="3", help="Korean weights for --grid (comma-separated)")
    ap.add_argument("--grid", action="store_true", help="cross-validate a grid of C x news weight, write nothing")
    ap.add_argument("--grid-C", default="2,8,32", help="C values for --grid (comma-separated)")
    ap.add_argument("--grid-news-weight", default="1,3", help="news weights for --grid (comma-separated)")
    ap.add_argument("--grid-bow-scale", default="0,1,2", help="bow scales for --grid (comma-separated)")
    args = ap.parse_args()

    ex, info = load_examples(args.data)
    if args.no_ko:
        ex = [e for e in ex if e.source != "news_ko"]
        info["news_ko"] = 0
    ko_gloss = not args.no_ko_gloss
    taxonomy = load_taxonomy()
    bad = sorted({e.label for e in ex} - set(taxonomy.ids))
    if bad:
        raise SystemExit(f"error: labels not in the taxonomy: {bad}")
    X = embed_cached([e.text for e in ex], None if args.no_cache else args.cache)
    counts = Counter(e.label for e in ex)
    print(f"{len(ex)} examples: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1])))

    if args.grid:
        print(f"{'bow':>4} {'C':>6} {'news_w':>6} {'ko_w':>5} | {'all':>6} {'p_full':>6} {'p_title':>7} {'p_fam':>6}"
              f" {'news':>6} {'news_bal':>8} {'ko':>6} {'ko_acc':>6} {'ko_ai_oth':>9}")
        for bs in [float(v) for v in args.grid_bow_scale.split(",")]:
            F = features(X, [e.text for e in ex], bs, ko_gloss)
            for C in [float(v) for v in args.grid_C.split(",")]:
                for nw in [float(v) for v in args.grid_news_weight.split(",")]:
                    for kw in [float(v) for v in args.grid_ko_weight.split(",")]:
                        r = cross_validate(ex, F, C, nw, kw)
                        print(f"{bs:>4} {C:>6} {nw:>6} {kw:>5} | {r['all']:.4f} {r['paper_full']:.4f} {r['paper_title']:.4f}  "
                              f"{r['paper_family']:.4f} {r['news']:.4f} {r['news_balanced']:.4f} {r.get('news_ko', 0):.4f}"
                              f" {r.get('news_ko_accept', 0):.4f} {r.get('news_ko_ai_in_others', 0):>9.0f}", flush=True)
        return 0

    F = features(X, [e.text for e in ex], args.bow_scale, ko_gloss)
    cv = cross_validate(ex, F, args.C, args.news_weight, args.ko_weight)
    print(f"dev {FOLDS}-fold cross-validation (C={args.C}, news weight={args.news_weight}, Korean weight={args.ko_weight}, "
          f"bow scale={args.bow_scale}, Korean glosses={ko_gloss}):")
    for k in ("all", "paper_full", "paper_title", "paper_family", "news", "news_text", "news_balanced", "news_ko",
              "news_ko_accept", "news_ko_ai_in_others"):
        if k in cv:
            print(f"  {k:<14} {cv[k]:.4f}")
    print("  dev family errors (family->predicted): " + ", ".join(f"{k} {v}" for k, v in cv["family_errors"].items()))
    print("  news per class: " + ", ".join(f"{c} {a:.2f} (n={n})" for c, (a, n) in cv["news_per_class"].items()))

    y = np.array([e.label for e in ex])
    clf = fit(F, y, weights_for(ex, args.news_weight, args.ko_weight), args.C)
    labels = [c for c in taxonomy.ids if c in set(clf.classes_)]
    order = [list(clf.classes_).index(c) for c in labels]
    coef = np.asarray(clf.coef_)[order]
    W = coef[:, :512].astype(np.float32)
    b = clf.intercept_[order].astype(np.float32)
    arrays = {"W": W, "b": b}
    if args.bow_scale > 0:
        arrays["V"] = coef[:, 512:].astype(np.float16)  # float16 halves the file; argmax is unaffected
    meta = {
        "format": 1,
        "labels": labels,
        "embedding_model": EMBEDDING_MODEL,
        "text": "title + '. ' + snippet/abstract (first 1200 chars), or the title alone; see aidigest.classify.offline.item_text",
        "model": "multinomial logistic regression (scikit-learn lbfgs); inference: softmax(X @ W.T + scale * H @ V.T + b)"
                 ", numpy only",
        "bow": {"dim": BOW_DIM, "scale": args.bow_scale, "ko_gloss": ko_gloss,
                "features": "crc32 of lower-cased [a-z0-9]+ unigrams and bigrams, "
                "1+log(tf), L2-normalized (aidigest.classify.offline.hashed_bow); with ko_gloss, plus the English "
                "glosses of Korean IT terms (aidigest.classify.korean.gloss)"} if args.bow_scale > 0 else None,
        "hyperparameters": {"C": args.C, "news_weight": args.news_weight, "ko_weight": args.ko_weight,
                            "bow_scale": args.bow_scale, "max_iter": 1000, "tol": 1e-4},
        "trained_on": {"split": "development only", **info, "examples": len(ex),
                       "label_counts": dict(sorted(counts.items()))},
        "cv": {k: round(v, 4) for k, v in cv.items() if isinstance(v, float)},
        "built_by": "scripts/train_classifier.py",
    }
    args.out.mkdir(parents=True, exist_ok=True)
    tmp = args.out / "weights.tmp.npz"
    np.savez_compressed(tmp, **arrays)
    tmp.replace(args.out / "weights.npz")
    tmp_meta = args.out / "meta.json.tmp"
    tmp_meta.write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp_meta.replace(args.out / "meta.json")
    size = (args.out / "weights.npz").stat().st_size + (args.out / "meta.json").stat().st_size
    print(f"wrote {args.out}/weights.npz + meta.json ({size / 1024:.1f} KiB), labels: {', '.join(labels)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
