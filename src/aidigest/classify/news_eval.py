"""News accuracy of the offline classifier, English and Korean, on hand-labelled TEST items (aidigest/data/eval/news,
shipped in the package so an installed wheel can score them).

The sets (how they were labelled and split: src/aidigest/data/eval/news/README.md):
  * English: the Hacker News items of news_items/finddme_news_items.jsonl first seen on/after 2024-11-01
    (`en_test.jsonl`, title only, as Hacker News gives them);
  * Korean: real Korean IT/AI headlines of the test split (`ko_news.jsonl`, split "test"; title only) and the
    50 entries of the recorded GeekNews Atom feed (`geeknews_atom_raw_*.xml` + `geeknews_labels.jsonl`;
    title + the entry's text, as the feed gives them).
Every item has one category and an `accept` list of others that fit as well: a prediction is right when it is
the category or in `accept`. Per category: recall = share of the items labelled c that got an accepted answer;
precision = share of the items predicted c for which c is accepted. `ai_in_others` counts AI items (labelled
neither software nor others) filed as `others`, i.e. left out of the report. The text is all the classifier
sees (no arXiv categories here), so these are "text only" figures like the papers' fair one.
This split is for evaluation only: nothing here is used to train or tune the classifier (the dev lines of
`ko_news.jsonl` are training data, and are skipped here).
"""

from __future__ import annotations

import html
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path

from pydantic import BaseModel, Field

from ..infra.env import env_value
from ..records import Item
from ..taxonomy import load_taxonomy
from .business import business_override
from .eval import CategoryScore
from .offline import NOT_AI, OfflineClassifier, embed, item_text

NEWS_SUBDIR = Path("news")
EN_FILE = "en_test.jsonl"
KO_FILE = "ko_news.jsonl"
GEEKNEWS_LABELS = "geeknews_labels.jsonl"
GEEKNEWS_GLOB = "geeknews_atom_raw_*.xml"
ATOM = {"a": "http://www.w3.org/2005/Atom"}
_TAG = re.compile(r"<[^>]+>")


class NewsCase(BaseModel):
    title: str
    text: str = ""  # snippet/summary the source gives, "" for title-only sources
    category: str
    accept: list[str] = Field(default_factory=list)
    source: str

    def ok(self, pred: str) -> bool:
        return pred == self.category or pred in self.accept


class NewsScore(BaseModel):
    n: int
    accuracy: float  # prediction is the category or in accept
    accuracy_strict: float  # prediction is the category
    n_ai: int  # items labelled with an AI category
    ai_in_others: int  # ... filed as others (left out of the report)
    ai_as_not_ai: int  # ... filed as software or others
    not_ai_as_ai: int  # items labelled software/others (and nothing AI accepted) filed in an AI category
    per_category: dict[str, CategoryScore] = Field(default_factory=dict)
    by_source: dict[str, float] = Field(default_factory=dict)  # source -> accuracy
    by_source_n: dict[str, int] = Field(default_factory=dict)
    errors: list[tuple[str, str, str]] = Field(default_factory=list)  # (title, label, predicted)


class NewsReport(BaseModel):
    folder: str
    sets: dict[str, NewsScore] = Field(default_factory=dict)  # "en", "ko"


def _clean(fragment: str) -> str:
    return " ".join(html.unescape(_TAG.sub(" ", fragment or "")).split())


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def load_geeknews(folder: Path) -> list[NewsCase]:
    """The labelled entries of the recorded GeekNews feed(s) in `folder` (title + entry text)."""
    labels_path = folder / GEEKNEWS_LABELS
    if not labels_path.is_file():
        return []
    labels = {r["url"]: r for r in _jsonl(labels_path)}
    cases: list[NewsCase] = []
    for xml in sorted(folder.glob(GEEKNEWS_GLOB)):
        for e in ET.parse(xml).getroot().findall("a:entry", ATOM):
            link = e.find("a:link", ATOM)
            url = link.get("href") if link is not None else None
            lab = labels.get(url or "")
            if lab is None:
                continue
            title = (e.findtext("a:title", default="", namespaces=ATOM) or "").strip()
            body = e.findtext("a:content", default="", namespaces=ATOM) or e.findtext("a:summary", default="", namespaces=ATOM)
            cases.append(NewsCase(title=title, text=_clean(body or ""), category=lab["category"],
                                  accept=lab.get("accept") or [], source="geeknews"))
    return cases


def load_news_sets(folder: str | Path) -> dict[str, list[NewsCase]]:
    """{"en": [...], "ko": [...]} test cases from a news folder (the files above); missing files give empty lists."""
    root = Path(folder)
    sets: dict[str, list[NewsCase]] = {"en": [], "ko": []}
    if (root / EN_FILE).is_file():
        sets["en"] = [NewsCase(title=r["title"], category=r["category"], accept=r.get("accept") or [], source="hackernews")
                      for r in _jsonl(root / EN_FILE) if r.get("split", "test") == "test"]
    if (root / KO_FILE).is_file():
        sets["ko"] = [NewsCase(title=r["title"], category=r["category"], accept=r.get("accept") or [],
                               source=_site(r["url"])) for r in _jsonl(root / KO_FILE) if r["split"] == "test"]
    sets["ko"] += load_geeknews(root)
    return sets


def _site(url: str) -> str:
    m = re.match(r"https?://([^/]+)", url)
    return m.group(1) if m else "?"


def news_dir_candidates(data_dir: str | Path | None) -> list[Path]:
    here = Path(__file__).resolve()
    env = env_value("AIDIGEST_EVAL_NEWS")
    out: list[Path] = [Path(env)] if env else []
    if data_dir is not None:
        d = Path(data_dir)
        out += [d, d / NEWS_SUBDIR, d / "classify" / NEWS_SUBDIR]
    out.append(here.parents[1] / "data" / "eval" / NEWS_SUBDIR)  # the copy shipped in the package
    return out


def default_news_dir(data_dir: str | Path | None = None, candidates: Iterable[Path] | None = None) -> Path | None:
    """The first folder holding the labelled news set: $AIDIGEST_EVAL_NEWS, `data_dir` (or its news/ or
    classify/news/), else the copy shipped in the package (aidigest/data/eval/news)."""
    for c in (list(candidates) if candidates is not None else news_dir_candidates(data_dir)):
        if (c / EN_FILE).is_file() or (c / KO_FILE).is_file():
            return c
    return None


def score_news(preds: list[str], cases: list[NewsCase]) -> NewsScore:
    n = len(cases)
    ok = [c.ok(p) for p, c in zip(preds, cases, strict=True)]
    ai = [c.category not in NOT_AI for c in cases]
    per: dict[str, CategoryScore] = {}
    for cid in sorted({c.category for c in cases}):
        lab = [i for i, c in enumerate(cases) if c.category == cid]
        pred_c = [i for i, p in enumerate(preds) if p == cid]
        per[cid] = CategoryScore(
            n=len(lab), predicted=len(pred_c),
            recall=sum(ok[i] for i in lab) / len(lab),
            precision=(sum(cases[i].ok(cid) for i in pred_c) / len(pred_c)) if pred_c else 0.0,
        )
    by_src: dict[str, list[bool]] = {}
    for c, good in zip(cases, ok, strict=True):
        by_src.setdefault(c.source, []).append(good)
    return NewsScore(
        n=n,
        accuracy=sum(ok) / n if n else 0.0,
        accuracy_strict=(sum(p == c.category for p, c in zip(preds, cases, strict=True)) / n) if n else 0.0,
        n_ai=sum(ai),
        ai_in_others=sum(a and p == "others" and not c.ok("others") for a, p, c in zip(ai, preds, cases, strict=True)),
        ai_as_not_ai=sum(a and p in NOT_AI and not c.ok(p) for a, p, c in zip(ai, preds, cases, strict=True)),
        not_ai_as_ai=sum((not a) and p not in NOT_AI and not c.ok(p) for a, p, c in zip(ai, preds, cases, strict=True)),
        per_category=per,
        by_source={k: sum(v) / len(v) for k, v in sorted(by_src.items())},
        by_source_n={k: len(v) for k, v in sorted(by_src.items())},
        errors=[(c.title, c.category, p) for p, c, good in zip(preds, cases, ok, strict=True) if not good],
    )


def predict_news(cases: list[NewsCase], model: OfflineClassifier | None = None) -> list[str]:
    """What a run files each case under offline: the model on "title. text", then the news business rule
    (aidigest.classify.business.business_override), as `aidigest classify` and the pipeline do."""
    model = model or OfflineClassifier.load()
    taxonomy = load_taxonomy()
    texts = [item_text(c.title, c.text) for c in cases]
    preds = [cid for cid, _ in model.predict_embeddings(embed(texts), texts)]
    return [business_override(Item(kind="news", title=c.title, url=f"https://example.invalid/{i}", key=str(i)), p, taxonomy)
            for i, (c, p) in enumerate(zip(cases, preds, strict=True))]


def eval_news(folder: str | Path, model: OfflineClassifier | None = None) -> NewsReport:
    """Scores of the shipped (or given) offline model on the English and Korean news test sets in `folder`."""
    report = NewsReport(folder=str(folder))
    for lang, cases in load_news_sets(folder).items():
        if cases:
            report.sets[lang] = score_news(predict_news(cases, model), cases)
    return report
