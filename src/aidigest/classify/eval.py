"""Accuracy of the offline classifier on the held-out TEST split (labeled_papers/dw-dengwei_*).

The test papers have no label of ours, only arXiv categories, so the score is per *family*: a paper counts as
correct when our category is one of the ids its arXiv primary category (= categories[0]) allows:

    cs.CV, eess.IV      -> cv | multimodal
    cs.CL               -> llm | nlp | multimodal
    cs.RO               -> robotics | rl
    cs.SD, eess.AS      -> audio | multimodal

Other primaries (cs.AI, cs.LG, ...) are not scored (counted in n_skipped). Input text = title + abstract.
Papers are de-duplicated by arXiv id (the files list a paper once per matching listing).
Per category (`per_category`): precision and recall against the label the documented rules of
aidigest.classify.labels give each test paper from its arXiv categories, title and abstract (the same rules that
made the DEV training labels; papers they cannot label are left out), for every category with at least
`MIN_CATEGORY_N` test papers. The classifier uses the arXiv categories too (aidigest.classify.arxiv_prior), so
the table is printed for "text + arXiv categories" (what a run does) and "text only" (what the text model alone
gets right): the labels come partly from the same categories, so the first column is optimistic where the rule is
category-only (audio, robotics, science, policy) — the text-only column is the honest floor.
This split is for evaluation only: nothing here is used to train or tune the classifier.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from pathlib import Path

from pydantic import BaseModel, Field

from ..infra.env import env_value
from .labels import paper_label
from .offline import OfflineClassifier, embed, item_text

FAMILIES: dict[str, tuple[str, set[str]]] = {
    "cs.CV": ("cv", {"cv", "multimodal"}),
    "eess.IV": ("cv", {"cv", "multimodal"}),
    "cs.CL": ("cl", {"llm", "nlp", "multimodal"}),
    "cs.RO": ("ro", {"robotics", "rl"}),
    "cs.SD": ("audio", {"audio", "multimodal"}),
    "eess.AS": ("audio", {"audio", "multimodal"}),
}
TEST_GLOB = "dw-dengwei_*"
# the test split shipped with the package (so `aidigest eval classify` works from a wheel): byte-for-byte copies
PACKAGED_SPLIT = Path(__file__).resolve().parents[1] / "data" / "eval"
MIN_CATEGORY_N = 10


class CategoryScore(BaseModel):
    n: int  # test papers with this label
    predicted: int  # papers predicted as this category (among the labelled ones)
    precision: float
    recall: float


class EvalReport(BaseModel):
    accuracy: float
    n_scored: int
    n_skipped: int  # unique papers whose primary category is not scored
    n_duplicates: int = 0  # lines dropped as repeats of an already seen arXiv id
    per_family: dict[str, float] = Field(default_factory=dict)  # family -> accuracy
    per_family_n: dict[str, int] = Field(default_factory=dict)  # family -> scored papers
    confusion: dict[str, dict[str, int]] = Field(default_factory=dict)  # family -> predicted id -> count
    files: list[str] = Field(default_factory=list)
    seconds: float = 0.0
    n_labelled: int = 0  # unique test papers the label rules give a category
    per_category: dict[str, CategoryScore] = Field(default_factory=dict)  # text + arXiv categories
    per_category_text_only: dict[str, CategoryScore] = Field(default_factory=dict)
    accuracy_labelled: float = 0.0  # share of labelled papers whose prediction equals the label (text + arXiv)
    accuracy_labelled_text_only: float = 0.0
    accuracy_text_only: float = 0.0  # family accuracy without the arXiv categories


def family_of(categories: list[str]) -> tuple[str, set[str]] | None:
    """(family name, accepted ids) for a paper's arXiv categories, or None when its primary is not scored."""
    if not categories:
        return None
    return FAMILIES.get(categories[0])


def split_files(folder: str | Path) -> list[Path]:
    """The test-split jsonl files under `folder`: accepts the shared data root (labeled_papers/dw-dengwei_*/),
    the labeled_papers folder, a dw-dengwei_* folder itself, or a folder holding such folders."""
    root = Path(folder)
    for pattern in (f"labeled_papers/{TEST_GLOB}/*.jsonl", f"{TEST_GLOB}/*.jsonl"):
        found = sorted(root.glob(pattern))
        if found:
            return found
    if root.name.startswith(TEST_GLOB[:-1]):
        return sorted(root.glob("*.jsonl"))
    return []


def default_test_dir(candidates: Iterable[str | Path] | None = None) -> Path | None:
    """Where the test split lives: $AIDIGEST_EVAL_DATA, ../shared/data (from the working directory or next to the
    repository), else the copy shipped inside the package (aidigest/data/eval, in the wheel too). No
    machine-specific path."""
    here = Path(__file__).resolve()
    repo = here.parents[3]  # src/aidigest/classify/eval.py -> repo root (in an installed package: harmless)
    env = env_value("AIDIGEST_EVAL_DATA")
    options = list(candidates) if candidates is not None else [
        *([Path(env)] if env else []),
        Path.cwd().parent / "shared" / "data",
        repo.parent / "shared" / "data",
        PACKAGED_SPLIT,
    ]
    for c in options:
        if split_files(c):
            return Path(c)
    return None


def load_split_papers(folder: str | Path) -> tuple[list[dict], int, list[Path]]:
    """Unique test papers (first occurrence of each id, files in name order), number of duplicate lines, files."""
    files = split_files(folder)
    if not files:
        raise FileNotFoundError(f"no {TEST_GLOB}/*.jsonl test files under {folder}")
    seen: set[str] = set()
    papers: list[dict] = []
    dupes = 0
    for f in files:
        with f.open(encoding="utf-8") as fh:
            for line in fh:
                if not line.strip():
                    continue
                rec = json.loads(line)
                if rec["id"] in seen:
                    dupes += 1
                    continue
                seen.add(rec["id"])
                papers.append(rec)
    return papers, dupes, files


def score(predictions: list[str], categories: list[list[str]]) -> EvalReport:
    """Family accuracy of `predictions` (our ids) against arXiv categories (primary first)."""
    per_ok: dict[str, int] = {}
    per_n: dict[str, int] = {}
    confusion: dict[str, dict[str, int]] = {}
    skipped = 0
    for pred, cats in zip(predictions, categories, strict=True):
        fam = family_of(cats)
        if fam is None:
            skipped += 1
            continue
        name, ok_ids = fam
        per_n[name] = per_n.get(name, 0) + 1
        per_ok[name] = per_ok.get(name, 0) + (pred in ok_ids)
        row = confusion.setdefault(name, {})
        row[pred] = row.get(pred, 0) + 1
    n = sum(per_n.values())
    return EvalReport(
        accuracy=(sum(per_ok.values()) / n) if n else 0.0,
        n_scored=n,
        n_skipped=skipped,
        per_family={k: per_ok[k] / per_n[k] for k in sorted(per_n)},
        per_family_n=dict(sorted(per_n.items())),
        confusion={k: dict(sorted(v.items(), key=lambda kv: -kv[1])) for k, v in sorted(confusion.items())},
    )


def category_scores(preds: list[str], truths: list[str], min_n: int = MIN_CATEGORY_N) -> dict[str, CategoryScore]:
    """Precision/recall per category for every category with at least `min_n` true papers."""
    out: dict[str, CategoryScore] = {}
    for cid in sorted(set(truths)):
        n = sum(t == cid for t in truths)
        if n < min_n:
            continue
        pred_n = sum(p == cid for p in preds)
        tp = sum(p == cid and t == cid for p, t in zip(preds, truths, strict=True))
        out[cid] = CategoryScore(n=n, predicted=pred_n, precision=tp / pred_n if pred_n else 0.0, recall=tp / n)
    return out


def eval_classify(data_dir: str | Path) -> EvalReport:
    """Offline-classifier scores on the test split found under `data_dir` (see `split_files`): family accuracy
    and per-category precision/recall, with and without the arXiv categories as evidence."""

    t0 = time.perf_counter()
    papers, dupes, files = load_split_papers(data_dir)
    model = OfflineClassifier.load()
    texts = [item_text(p["title"], p.get("summary") or "") for p in papers]
    cats = [p.get("categories") or [] for p in papers]
    X = embed(texts)
    with_cats = [c for c, _ in model.predict_embeddings(X, texts, cats)]
    text_only = [c for c, _ in model.predict_embeddings(X, texts)]
    scored = [i for i, p in enumerate(papers) if family_of(cats[i]) is not None]
    report = score([with_cats[i] for i in scored], [cats[i] for i in scored])
    report.accuracy_text_only = score([text_only[i] for i in scored], [cats[i] for i in scored]).accuracy
    report.n_skipped = len(papers) - len(scored)
    report.n_duplicates = dupes
    labels = [paper_label(cats[i], p["title"], p.get("summary") or "") for i, p in enumerate(papers)]
    lab = [i for i, y in enumerate(labels) if y is not None]
    truths = [y for y in labels if y is not None]  # the labels of `lab`, in order
    report.n_labelled = len(lab)
    report.per_category = category_scores([with_cats[i] for i in lab], truths)
    report.per_category_text_only = category_scores([text_only[i] for i in lab], truths)
    if lab:
        report.accuracy_labelled = sum(with_cats[i] == labels[i] for i in lab) / len(lab)
        report.accuracy_labelled_text_only = sum(text_only[i] == labels[i] for i in lab) / len(lab)
    report.files = [str(f) for f in files]
    report.seconds = round(time.perf_counter() - t0, 2)
    return report
