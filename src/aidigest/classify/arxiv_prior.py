"""arXiv categories as strong features of the offline classifier.

A paper's authors file it under a primary arXiv category and may cross-list it: a speech paper is cs.SD or
eess.AS, a robot paper cs.RO, a fairness paper cs.CY. The text model alone filed humanoid dodgeball, speech
emotion recognition and clinical-risk fairness under `cv`. Where the item carries arXiv categories
(`Item.arxiv_categories`, from the arXiv API; Hugging Face papers get them when merged with the arXiv record),
their evidence is added to the model's logits before the decision:

    z[c] += W_PRIMARY * A[primary, c] + W_CROSS * sum over cross-lists x of A[x, c]

`A` (below) maps an arXiv category to the taxonomy ids it is evidence for (1.0 = the category's own topic,
0.5 = a frequent neighbour), written from the taxonomy's descriptions and arXiv's category descriptions —
generic categories (cs.LG, cs.AI, stat.ML, cs.NE ...) carry no evidence. W_PRIMARY and W_CROSS were chosen on
the DEVELOPMENT split only (labeled_papers/linyueqian_*; `python -m aidigest.classify.arxiv_prior --data DIR`
prints the grid); the test split only measures the result (`aidigest eval classify`).
Ids the taxonomy in use does not have are ignored.
"""

from __future__ import annotations

import numpy as np

# dev out-of-fold accuracy of an embedding head (grid printed by `python -m aidigest.classify.arxiv_prior`):
# no evidence 0.579; 1/1 0.663; 2/1 0.688; 3/1 0.693; 4/1 0.697; 6/2 0.698 — flat from 3 on, 3/1 taken
W_PRIMARY = 3.0
W_CROSS = 1.0

_SCIENCE = ("physics.", "q-bio.", "quant-ph", "cond-mat.", "astro-ph", "hep-", "gr-qc", "math-ph", "nlin.", "q-fin.",
            "nucl-", "econ.")

EVIDENCE: dict[str, dict[str, float]] = {
    "cs.CV": {"cv": 1.0, "multimodal": 0.5},
    "eess.IV": {"cv": 1.0, "multimodal": 0.5},
    "cs.GR": {"cv": 1.0},
    "cs.CL": {"llm": 1.0, "nlp": 1.0, "multimodal": 0.5},
    "cs.SD": {"audio": 1.0},
    "eess.AS": {"audio": 1.0},
    "cs.MM": {"multimodal": 1.0, "audio": 0.5},
    "cs.RO": {"robotics": 1.0},
    "cs.CY": {"policy": 1.0},
    "cs.CR": {"policy": 1.0},
    "cs.IR": {"nlp": 0.5, "tabular": 1.0},
    "cs.SI": {"tabular": 1.0},
    "cs.DB": {"tabular": 1.0},
    "cs.AR": {"inference": 1.0},
    "cs.DC": {"inference": 1.0},
    "cs.PF": {"inference": 1.0},
    "cs.HC": {"policy": 0.5},
    "cs.GT": {"rl": 0.5},
    "cs.SY": {"robotics": 0.5, "rl": 0.5},
    "eess.SY": {"robotics": 0.5, "rl": 0.5},
    "math.OC": {"training": 0.5, "rl": 0.5},
    "stat.AP": {"science": 0.5},
    "eess.SP": {"science": 0.5, "audio": 0.5},
}


def evidence(category: str) -> dict[str, float]:
    if category in EVIDENCE:
        return EVIDENCE[category]
    if category.startswith(_SCIENCE) or category in ("cs.CE",):
        return {"science": 1.0}
    return {}


def prior_logits(categories: list[str] | None, ids: list[str], w_primary: float = W_PRIMARY,
                 w_cross: float = W_CROSS) -> np.ndarray | None:
    """The logit offsets for one item (columns = `ids`), or None when its categories carry no evidence."""
    if not categories:
        return None
    col = {cid: j for j, cid in enumerate(ids)}
    z = np.zeros(len(ids), dtype=np.float64)
    hit = False
    for k, cat in enumerate(categories):
        w = w_primary if k == 0 else w_cross
        for cid, strength in evidence(cat).items():
            if cid in col:
                z[col[cid]] += w * strength
                hit = True
    return z if hit else None


def prior_matrix(categories: list[list[str] | None], ids: list[str], w_primary: float = W_PRIMARY,
                 w_cross: float = W_CROSS) -> np.ndarray | None:
    """(N, len(ids)) offsets for N items; None when no item has evidence."""
    rows = [prior_logits(c, ids, w_primary, w_cross) for c in categories]
    if all(r is None for r in rows):
        return None
    return np.stack([r if r is not None else np.zeros(len(ids)) for r in rows])


def _grid(data: str, cache: str | None = None) -> None:
    """Choose W_PRIMARY / W_CROSS on the DEVELOPMENT papers, out of fold: the shipped model was trained on every
    dev paper (its accuracy on them is ~1.0, so it cannot tell what the prior adds), so a head of the same kind
    (logistic regression on the embeddings, aidigest.classify.train.fit_softmax) is fitted on 4/5 of the dev
    papers and scored, with each weight pair, on the other 1/5 against the dev labels (aidigest.classify.labels)."""
    import json
    from pathlib import Path

    from .labels import paper_label
    from .offline import embed, item_text
    from .train import fit_softmax

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
    _grid(args.data, args.cache)
