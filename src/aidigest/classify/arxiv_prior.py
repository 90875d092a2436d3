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
the DEVELOPMENT split only (labeled_papers/linyueqian_*; `python -m aidigest.classify.prior_grid --data DIR`
prints the grid); the test split only measures the result (`aidigest eval classify`).
Ids the taxonomy in use does not have are ignored.
"""

from __future__ import annotations

import numpy as np

# dev out-of-fold accuracy of an embedding head (grid printed by `python -m aidigest.classify.prior_grid`):
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
