"""Issue 12: a taxonomy that keeps the built-in ids and adds some keeps the trained model for the ids it knows;
`aidigest train` fits a head on a user's labels (numpy); arXiv categories are strong evidence; the per-category
table of `aidigest eval classify`. Real data only: the 2026-08-02 Hacker News front page, 2019 Hacker News
titles (DEV period), the 50 DEV papers of tests/data/result_sentences and the demo day's arXiv recording."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import DEMO_REPLAY, REPO, data_path
from test_classify import _hn_2019_titles
from test_summarize_fixtures import hn_items
from test_public_repo import MACHINE_PATH  # tests/architecture: an absolute development-machine path

from aidigest.classify.items import classify_offline
from aidigest.classify.arxiv_prior import prior_logits
from aidigest.classify.eval import PACKAGED_SPLIT, category_scores, default_test_dir
from aidigest.classify.labels import paper_label
from aidigest.classify.offline import HybridClassifier, OfflineClassifier, ZeroShotClassifier, item_text, offline_for
from aidigest.classify.train import train_head
from aidigest.records import Item, RunHealth
from aidigest.taxonomy import Category, Taxonomy, load_taxonomy

QUANTUM = Category(id="quantum", name="Quantum Computing", name_ko="양자 컴퓨팅", emoji="⚛️",
                   description="Quantum computers, qubits, quantum supremacy, quantum algorithms and quantum error correction.")


def _own_taxonomy() -> Taxonomy:
    """The built-in taxonomy without `tabular`, plus a new `quantum` category."""
    return Taxonomy([c for c in load_taxonomy().categories if c.id != "tabular"] + [QUANTUM])


def test_added_category_keeps_the_trained_model_for_known_ids():
    tax = _own_taxonomy()
    clf = offline_for(tax)
    assert isinstance(clf, HybridClassifier) and not isinstance(clf, ZeroShotClassifier)  # was: all zero-shot
    assert "quantum" in clf.note and "zero-shot" in clf.note and "trained model decides" in clf.note
    items = hn_items()
    texts = [item_text(it.title, it.snippet) for it in items]
    trained = OfflineClassifier.load().restricted([i for i in tax.ids if i != "quantum"]).predict(texts)
    mine = clf.predict(texts)
    moved = [(it.title, m) for it, (t, _), (m, _) in zip(items, trained, mine, strict=True) if m != t]
    assert all(m == "quantum" for _, m in moved) and len(moved) <= 1, moved
    xbox = next(i for i, it in enumerate(items) if "Xbox" in it.title)
    assert mine[xbox][0] not in ("rl", "quantum")  # pure zero-shot filed console prices under 강화학습

    hn = _hn_2019_titles()
    qt = [t for t in hn if "quantum" in t.lower()]
    assert len(qt) >= 3
    got = [c for c, _ in clf.predict(qt)]
    assert sum(c == "quantum" for c in got) >= len(qt) - 1, list(zip(qt, got))


def test_run_health_says_zero_shot_in_words():
    health = RunHealth()
    classify_offline([Item(kind="news", title="Unpacking the Quantum Supremacy Benchmark with Python", url="https://e.com",
                           key="q")], _own_taxonomy(), health)
    [note] = health.notes
    assert note.startswith("offline classifier: the shipped model was not trained on 1 category of this taxonomy (quantum)")


def _dev_labelled_lines() -> list[str]:
    """The 50 DEV papers as a user's labelled JSONL: title, text, category (labels by the documented rules)."""
    out = []
    for line in data_path("result_sentences", "dev_papers.jsonl").read_text(encoding="utf-8").splitlines():
        p = json.loads(line)
        lab = paper_label(p["categories"], p["title"], p["summary"])
        if lab:
            out.append(json.dumps({"title": p["title"], "text": p["summary"], "category": lab}))
    return out


def test_train_fits_a_head_that_the_offline_path_uses(tmp_path):
    lines = _dev_labelled_lines()
    lines.insert(3, "{not json")
    lines.insert(5, json.dumps({"title": "x", "category": "no-such-id"}))
    rep = train_head(lines, load_taxonomy().ids, tmp_path / "head")
    assert rep.bad_lines == 2 and rep.examples == len(lines) - 2 and rep.train_accuracy >= 0.9
    assert {m.split(":")[0] for m in rep.messages} == {"line 4", "line 6"}
    meta = json.loads((tmp_path / "head" / "meta.json").read_text())
    assert set(meta["labels"]) == set(rep.per_label) and meta["trained_on"]["examples"] == rep.examples
    # the offline path loads it; ids it has no examples for are zero-shot, and that is said
    clf = offline_for(load_taxonomy(), tmp_path / "head")
    assert isinstance(clf, HybridClassifier) and str(tmp_path / "head") in clf.note
    rows = [json.loads(x) for x in lines if x.startswith("{\"title\"") and "no-such-id" not in x]
    preds = [c for c, _ in clf.trained.predict([item_text(r["title"], r["text"]) for r in rows])]
    assert sum(p == r["category"] for p, r in zip(preds, rows, strict=True)) / len(rows) >= 0.9
    with pytest.raises(ValueError):
        train_head(lines[:1], load_taxonomy().ids, tmp_path / "one")


def test_train_command_is_one_line_on_bad_input(tmp_path):
    good = tmp_path / "labels.jsonl"
    good.write_text("\n".join(_dev_labelled_lines()[:12] + ["[1, 2]"]) + "\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIDIGEST_")}
    env["COLUMNS"] = "300"  # one line, as a terminal that wide shows it
    r = subprocess.run([sys.executable, "-m", "aidigest.cli", "train", str(good), "--out", str(tmp_path / "m")],
                       cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 1 and "Traceback" not in r.stderr  # a bad line: exit 1, the rest trained
    assert "line 13: needs a JSON object" in r.stderr and "trained on 12 examples" in r.stdout
    assert (tmp_path / "m" / "weights.npz").exists()
    r2 = subprocess.run([sys.executable, "-m", "aidigest.cli", "train", str(tmp_path / "nope.jsonl"), "--out", "m"],
                        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert r2.returncode == 2 and "no such file" in r2.stderr and "Traceback" not in r2.stderr


# ---- arXiv categories -------------------------------------------------------------------------------------
def test_arxiv_categories_are_evidence_for_their_topics():
    ids = load_taxonomy().ids
    z = prior_logits(["eess.AS", "cs.CL"], ids)
    assert ids[int(z.argmax())] == "audio"
    assert ids[int(prior_logits(["cs.RO", "cs.CV"], ids).argmax())] == "robotics"
    assert ids[int(prior_logits(["q-bio.QM"], ids).argmax())] == "science"
    assert prior_logits(["cs.LG", "cs.AI"], ids) is None and prior_logits([], ids) is None


def test_demo_day_arxiv_papers_carry_their_cross_lists_and_land_right():
    """The misfiles named in the issue (humanoid dodgeball, speech emotion recognition, clinical-risk fairness)
    were filed under cv by the text model alone; their arXiv categories put them where their authors did."""
    import asyncio
    import datetime as dt

    from aidigest.config import Config
    from aidigest.infra.http import HttpClient
    from aidigest.sources.arxiv import ArxivSource

    from aidigest.sources.base import FetchContext

    async def fetch():
        cfg = Config()
        async with HttpClient.create(cfg.http, replay=DEMO_REPLAY) as http:
            return (await ArxivSource().fetch(FetchContext(day=dt.date(2026, 8, 2), http=http, config=cfg))).items

    items = asyncio.run(fetch())
    assert items and all(it.arxiv_categories and it.arxiv_categories[0] == it.primary_category for it in items)
    assert any(len(it.arxiv_categories) > 1 for it in items)
    preds = dict(zip((it.title for it in items), (c for c, _ in classify_offline(items, load_taxonomy()))))
    for it in items:
        cats = set(it.arxiv_categories)
        if cats & {"cs.SD", "eess.AS"}:
            assert preds[it.title] in ("audio", "multimodal"), (it.title, it.arxiv_categories, preds[it.title])
        if it.primary_category == "cs.RO":
            assert preds[it.title] == "robotics", (it.title, preds[it.title])


# ---- the per-category table -----------------------------------------------------------------------------
def test_category_scores_precision_recall():
    truths = ["audio"] * 10 + ["cv"] * 10 + ["rl"] * 3
    preds = ["audio"] * 8 + ["cv"] * 2 + ["cv"] * 9 + ["audio"] + ["cv"] * 3
    s = category_scores(preds, truths)
    assert set(s) == {"audio", "cv"}  # rl has < 10 papers
    assert (s["audio"].precision, s["audio"].recall) == (8 / 9, 0.8)
    assert (s["cv"].n, s["cv"].predicted, s["cv"].recall) == (10, 14, 0.9)


def test_eval_data_is_found_without_a_machine_path(tmp_path, monkeypatch):
    src = (REPO / "src" / "aidigest" / "classify" / "eval.py").read_text(encoding="utf-8")
    assert not MACHINE_PATH.search(src.encode("utf-8"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AIDIGEST_EVAL_DATA", str(PACKAGED_SPLIT))
    assert default_test_dir() == PACKAGED_SPLIT
    monkeypatch.delenv("AIDIGEST_EVAL_DATA")
    assert default_test_dir() is not None  # the repository's own copy, from any working directory
