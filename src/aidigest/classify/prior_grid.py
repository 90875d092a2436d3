"""The development grid the arXiv-category weights of aidigest.classify.arxiv_prior were chosen from.

    python -m aidigest.classify.prior_grid --data DIR [--cache dev_embeddings.npy]

A tool for maintainers (it embeds every development paper): kept apart from arxiv_prior, which the offline
classifier imports, because it needs the classifier and the trainer itself.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .arxiv_prior import prior_matrix
from .labels import paper_label
from .offline import embed, item_text
from .train import fit_softmax


def grid(data: str, cache: str | None = None) -> None:
    """Choose W_PRIMARY / W_CROSS on the DEVELOPMENT papers, out of fold: the shipped model was trained on every
    dev paper (its accuracy on them is ~1.0, so it cannot tell what the prior adds), so a head of the same kind
    (logistic regression on the embeddings, aidigest.classify.train.fit_softmax) is fitted on 4/5 of the dev
    papers and scored, with each weight pair, on the other 1/5 against the dev labels (aidigest.classify.labels)."""
    papers: dict[str, dict] = {}
    for f in sorted(Path(data).glob("labeled_papers/linyueqian_*/*.jsonl")):
        for line in f.open(encoding="utf-8"):
            r = json.loads(line)
            papers.setdefault(r["id"], r)
    labelled = [(r, paper_label(r.get("categories") or [], r["title"], r.get("summary") or "")) for _, r in sorted(papers.items())]
    rows = [(r, y) for r, y in labelled if y is not None]
    texts = [item_text(r["title"], r.get("summary") or "") for r, _ in rows]
    if cache and Path(cache).is_file():
        X = np.load(cache)
    else:
        X = embed(texts)
        if cache:
            np.save(cache, X)
    ids = sorted({y for _, y in rows})
    y = np.array([ids.index(lab) for _, lab in rows])
    Z = np.zeros((len(y), len(ids)))
    fold = np.arange(len(y)) % 5
    for k in range(5):
        W, b = fit_softmax(X[fold != k], y[fold != k], len(ids))
        Z[fold == k] = X[fold == k] @ W.T + b
    cats = [r.get("categories") for r, _ in rows]
    for wp in (0.0, 1.0, 2.0, 3.0, 4.0, 6.0):
        for wc in (0.0, 0.5, 1.0, 2.0):
            P = prior_matrix(cats, ids, wp, wc)
            acc = float(((Z + (P if P is not None else 0.0)).argmax(axis=1) == y).mean())
            print(f"W_PRIMARY={wp:.1f} W_CROSS={wc:.1f}: dev out-of-fold accuracy {acc:.4f} (n={len(y)})")


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description="grid for the arXiv-category weights, on the DEVELOPMENT split")
    ap.add_argument("--data", required=True, help="shared data root holding labeled_papers/linyueqian_*")
    ap.add_argument("--cache", default=None, help="a .npy file to keep the dev embeddings in between runs")
    args = ap.parse_args()
    grid(args.data, args.cache)
