"""The offline classifier, the test-split evaluation, `classify_jsonl` and the zero-shot fallback.

Real data only: src/aidigest/data/eval/ (shipped in the package) holds byte-for-byte copies of the TEST split
(labeled_papers/dw-dengwei_*/*.jsonl); tests/data/classify/ holds selected lines of news_items/finddme_news_items.jsonl
(6 technologyreview.kr titles and 14 Hacker News titles, all test period except the Mill title, which is DEV);
tests/data/hackernews/ holds the 2019 Hacker News item lists. Nothing here was used to train the model
except the Mill title (dev), which the brief names as a case to keep right.
"""

from __future__ import annotations

import asyncio
import io
import json
import re

import numpy as np
import pytest

from aidigest.classify.items import classify_items

from aidigest.classify.jsonl import classify_jsonl

from aidigest.classify.offline import item_text, offline_for
from aidigest.classify.eval import PACKAGED_SPLIT, FAMILIES, default_test_dir, eval_classify, load_split_papers, score
from aidigest.classify.labels import paper_label
from aidigest.classify.offline import OfflineClassifier, ZeroShotClassifier
from aidigest.config import Config
from aidigest.records import Item
from aidigest.taxonomy import Taxonomy, load_taxonomy

from conftest import DATA, REPO

CLASSIFY = DATA / "classify"
SELECTED = CLASSIFY / "finddme_news_items.selected.jsonl"


@pytest.fixture(scope="module")
def model() -> OfflineClassifier:
    m = OfflineClassifier.load()
    m.predict(["warm-up"])  # loads the sentence encoder once for the module
    return m


@pytest.fixture(scope="module")
def news() -> dict[str, dict]:
    rows = [json.loads(line) for line in SELECTED.read_text(encoding="utf-8").splitlines() if line.strip()]
    return {r["title"]: r for r in rows}


def _hn_2019_titles() -> dict[str, str]:
    out: dict[str, str] = {}
    for f in sorted((DATA / "hackernews" / "derived_items_victorqribeiro_2019-11").glob("*.json")):
        for it in json.loads(f.read_text(encoding="utf-8")):
            if it and it.get("title"):
                out[it["title"]] = it.get("url") or ""
    return out


# ---- the shipped model -----------------------------------------------------------------------------------
def test_shipped_weights_match_the_builtin_taxonomy_and_are_small():
    folder = REPO / "src" / "aidigest" / "data" / "classifier"
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    assert meta["labels"] == load_taxonomy().ids
    assert meta["trained_on"]["split"] == "development only"
    assert all("dw-dengwei" not in f for f in meta["trained_on"]["paper_files"])
    size = sum(p.stat().st_size for p in folder.iterdir())
    assert size < 1_000_000, size
    m = OfflineClassifier.from_files(folder)
    assert m.W.shape == (len(meta["labels"]), 512) and m.W.dtype == np.float32


def test_load_is_a_cached_singleton(model):
    assert OfflineClassifier.load() is model


def test_item_text_joins_title_and_snippet():
    assert item_text("  A  title ", "") == "A title"
    assert item_text("A title", "Some   text\nhere") == "A title. Some text here"
    assert item_text("Why?", "Because.") == "Why? Because."
    assert len(item_text("t", "x" * 5000)) == len("t. ") + 1200


# ---- real titles ------------------------------------------------------------------------------------------
KOREAN = {
    # technologyreview.kr titles (test period): what a reader would file them under
    "AI 선구자이자 파멸론자 제프리 힌턴, 노벨 물리학상 수상": {"science", "policy", "business"},
    "앤트로픽 수석과학자가 전망하는 2025년 ‘AI 에이전트’의 4대 혁신": {"llm", "business"},
    "2024년 AI 분야 최악의 실패 사례들": {"policy", "business"},
    "사람 같은 AI 에이전트 시대, 윤리적 문제는 없을까?": {"policy", "llm"},
    "구글의 ‘프로젝트 아스트라’는 생성형 AI의 킬러앱이 될 수 있을까": {"multimodal", "llm", "business"},
    "이 놀라운 AI 마인크래프트 캐릭터가 인간이 하는 일들을 스스로 해냈다": {"llm", "rl"},
}
SOFTWARE = [
    "Implementing a Tiny CPU Rasterizer",
    "Unix core utilities implemented in Haskell",
    "Do you need Redis? PostgreSQL does queuing, locking, and pub/sub",
    "Kernel optimization with BOLT (binary optimization and layout tool)",
    "Spin 3.0 – open-source tooling for building and running WASM apps",
    "Show HN: Scooter – Interactive find and replace in the terminal",
]
AI_NEWS = {
    "SVDQuant: 4-Bit Quantization Powers 12B Flux on a 16GB 4090 GPU with 3x Speedup": {"inference", "cv"},
    "Ollama 0.4 is released with support for Meta's Llama 3.2 Vision models locally": {"multimodal", "llm", "inference"},
    "DeepMind debuts watermarks for AI-generated text": {"policy", "llm"},
    "Claude AI to process secret government data through new Palantir deal": {"business", "policy"},
    "OpenAI, Google and Anthropic are struggling to build more advanced AI": {"business", "llm"},
    "AI for real-time fusion plasma behavior prediction and manipulation": {"science"},
    "Audio Decomposition – open-source seperation of music to constituent instruments": {"audio"},
    "gptel: a simple LLM client for Emacs": {"llm"},
}


def test_korean_technologyreview_titles_land_in_sensible_ai_categories(model, news):
    # Korean is the weak spot: only 9 Korean titles exist in the dev data, so Korean relies on the multilingual
    # embedding alone. Every one must be recognized as AI news (never software/others, which would drop it or
    # misfile it); the exact category may miss for up to 2 of the 6.
    titles = list(KOREAN)
    assert all(t in news for t in titles)  # the titles are the real recorded ones
    preds = dict(zip(titles, (c for c, _ in model.predict(titles))))
    assert not [t for t, c in preds.items() if c in ("software", "others")], preds
    wrong = {t: c for t, c in preds.items() if c not in KOREAN[t]}
    assert len(wrong) <= 2, wrong


def test_java_build_tool_is_software_not_training(model, news):
    title = "Mill: A fast JVM build tool for Java and Scala"
    assert title in news and news[title]["category"] == "Model training technique"  # the old system's mistake
    (cat, conf), = model.predict([title])
    assert cat == "software", (cat, conf)


def test_non_ai_hacker_news_titles_are_software(model, news):
    assert all(t in news for t in SOFTWARE)
    preds = dict(zip(SOFTWARE, (c for c, _ in model.predict(SOFTWARE))))
    wrong = {t: c for t, c in preds.items() if c != "software"}
    assert len(wrong) <= 1, wrong
    assert not [c for c in preds.values() if c not in ("software", "others", "inference")], preds


def test_ai_hacker_news_titles_are_not_software(model, news):
    # The accepted sets are a reader's judgement written before the first run. At most 2 of the 8 may miss
    # (observed with the shipped model: the SVDQuant title, which names no AI term, reads as a GPU/software
    # story, and "watermarks for AI-generated text" goes to cv, where image-watermarking papers live).
    titles = list(AI_NEWS)
    assert all(t in news for t in titles)
    preds = dict(zip(titles, (c for c, _ in model.predict(titles))))
    wrong = {t: c for t, c in preds.items() if c not in AI_NEWS[t]}
    assert len(wrong) <= 2, wrong
    # every title that names AI/LLMs outright is never filed as software/others
    named = [t for t in titles if re.search(r"\b(AI|LLM)\b", t)]
    assert len(named) == 5 and all(preds[t] not in ("software", "others") for t in named), preds


def test_confidence_is_a_probability_and_batches_keep_order(model, news):
    titles = list(KOREAN) + SOFTWARE
    together = model.predict(titles)
    one_by_one = [model.predict([t])[0] for t in titles]
    assert [c for c, _ in together] == [c for c, _ in one_by_one]
    assert all(0.0 < p <= 1.0 for _, p in together)
    assert model.predict([]) == []


# ---- evaluation on the test split ---------------------------------------------------------------------------
def test_eval_on_the_test_split_reaches_the_target(model):
    report = eval_classify(PACKAGED_SPLIT)  # the test split ships inside the package (aidigest eval classify)
    papers, dupes, files = load_split_papers(PACKAGED_SPLIT)
    assert len(files) == 3 and dupes > 0  # the files repeat a paper once per listing
    scored = [p for p in papers if p["categories"] and p["categories"][0] in FAMILIES]
    assert report.n_scored == len(scored) > 600
    assert report.n_skipped == len(papers) - len(scored)
    assert report.n_duplicates == dupes
    assert sum(report.per_family_n.values()) == report.n_scored
    assert sum(sum(row.values()) for row in report.confusion.values()) == report.n_scored
    assert report.accuracy >= 0.85, report.model_dump()


def test_score_counts_families_and_skips_unscored_primaries():
    r = score(["cv", "llm", "cv", "robotics", "training"],
              [["cs.CV"], ["cs.CV", "cs.CL"], ["cs.CL"], ["cs.RO"], ["cs.LG"]])
    assert (r.n_scored, r.n_skipped) == (4, 1)
    assert r.per_family == {"cl": 0.0, "cv": 0.5, "ro": 1.0}
    assert r.accuracy == 0.5
    assert r.confusion["cv"] == {"cv": 1, "llm": 1}


def test_default_test_dir_prefers_the_first_folder_with_the_split(tmp_path):
    assert default_test_dir([tmp_path, PACKAGED_SPLIT]) == PACKAGED_SPLIT
    assert default_test_dir([tmp_path]) is None


# ---- the pipeline stage and the CLI helper ---------------------------------------------------------------
def test_classify_items_offline_sets_method_and_others_count(model, news):
    titles = ["Mill: A fast JVM build tool for Java and Scala", *KOREAN]
    hn = _hn_2019_titles()
    others_title = "Why the Tomato was feared in Europe for over 200 years"
    assert others_title in hn
    items = [Item(kind="news", title=t, url=f"https://example.invalid/{i}", key=f"k{i}") for i, t in enumerate(titles)]
    items.append(Item(kind="news", title=others_title, url=hn[others_title], key="tomato"))
    out, health = asyncio.run(classify_items(items, load_taxonomy(), None, Config()))
    assert [c.item.key for c in out] == [it.key for it in items]
    assert all(c.method == "offline" and c.confidence is not None for c in out)
    assert out[0].category == "software"
    assert out[-1].category == "others"
    assert health.others == sum(c.category == "others" for c in out) >= 1
    assert health.fallbacks == {}


def test_classify_jsonl_writes_categories_and_reports_bad_lines(model):
    lines = [
        json.dumps({"title": "Mill: A fast JVM build tool for Java and Scala", "id": 7}),
        "{not json",
        json.dumps({"snippet": "no title here"}),
        "",
        json.dumps({"title": "gptel: a simple LLM client for Emacs", "snippet": None}),
        json.dumps(["a", "list"]),
        json.dumps({"title": "  "}),
        json.dumps({"title": "AI 선구자이자 파멸론자 제프리 힌턴, 노벨 물리학상 수상", "snippet": ""}),
    ]
    out, err = io.StringIO(), io.StringIO()
    bad = classify_jsonl([ln + "\n" for ln in lines], out, load_taxonomy(), err=err)
    assert bad == 4
    rows = [json.loads(x) for x in out.getvalue().splitlines()]
    assert [r["title"] for r in rows] == [json.loads(lines[i])["title"] for i in (0, 4, 7)]
    assert rows[0] == {"title": "Mill: A fast JVM build tool for Java and Scala", "id": 7, "category": "software"}
    assert rows[1]["category"] == "llm"
    assert rows[2]["category"] not in ("software", "others")
    msgs = err.getvalue().splitlines()
    assert [m.split(":")[1].strip() for m in msgs if m.startswith("error:")] == ["line 2", "line 3", "line 6", "line 7"]
    assert "not valid JSON" in msgs[0] and "Traceback" not in err.getvalue()


# ---- a replaced taxonomy -----------------------------------------------------------------------------------
CUSTOM = """
[[category]]
id = "space"
name = "Space & Astronomy"
name_ko = "우주"
emoji = "🚀"
description = "Rockets, satellites, space missions, planets, stars and astronomy."

[[category]]
id = "food"
name = "Food & Cooking"
name_ko = "음식"
emoji = "🍅"
description = "Food, cooking, recipes, ingredients and the history of what people eat."

[[category]]
id = "health"
name = "Health & Medicine"
name_ko = "건강"
emoji = "🩺"
description = "Diseases, drugs, doctors, public health and medical research."

[[category]]
id = "others"
name = "Others"
name_ko = "기타"
emoji = "📦"
description = "Anything else."
report = false
"""


def test_unknown_taxonomy_falls_back_to_zero_shot_and_says_so(model):
    # zero-shot by description is a crude fallback: it must work as a mechanism and be right on most of
    # these real 2019 Hacker News titles (at least 6 of 9), not on all of them
    taxonomy = Taxonomy.from_toml_text(CUSTOM, "custom")
    hn = _hn_2019_titles()
    cases = {
        "SpaceX launches another 60 Starlink satellites while setting two reuse records": "space",
        "The transit of Mercury starts at 7:35 am ET and will last for 5.5 hours": "space",
        "SpaceX launch highlights threat to astronomy from ‘megaconstellations’": "space",
        "Why the Tomato was feared in Europe for over 200 years": "food",
        "French Baguettes from a Vending Machine? ‘What a Tragedy.’": "food",
        "The Fake Backlash to Fake Meat": "food",
        "Vaping Illnesses Are Linked to Vitamin E Acetate, CDC Says": "health",
        "Researchers use CRISPR to eliminate HIV in mice, DNA and all": "health",
        "Meditation reduced an opioid dose needed to ease chronic pain by 75%": "health",
    }
    assert all(t in hn for t in cases)
    clf = offline_for(taxonomy)
    assert isinstance(clf, ZeroShotClassifier)
    assert clf.note and "space" in clf.note and "zero-shot" in clf.note
    preds = [c for c, _ in clf.predict(list(cases))]
    right = sum(p == want for p, want in zip(preds, cases.values()))
    assert right >= 6, list(zip(cases, preds))

    items = [Item(kind="news", title=t, url=hn[t], key=str(i)) for i, t in enumerate(cases)]
    out, health = asyncio.run(classify_items(items, taxonomy, None, Config()))
    assert [c.category for c in out] == preds  # the pipeline stage takes the same path
    assert all(c.method == "offline" for c in out)
    assert any("zero-shot" in n for n in health.notes)


def test_taxonomy_that_is_a_subset_keeps_the_trained_model(model):
    full = load_taxonomy()
    keep = [c for c in full.categories if c.id in ("llm", "cv", "software", "others")]
    clf = offline_for(Taxonomy(keep))
    assert isinstance(clf, OfflineClassifier) and clf.note is None
    preds = clf.predict(["Mill: A fast JVM build tool for Java and Scala", "gptel: a simple LLM client for Emacs"])
    assert [c for c, _ in preds] == ["software", "llm"]
    assert all(c in ("llm", "cv", "software", "others") for c, _ in clf.predict(list(KOREAN)))


# ---- training labels from arXiv categories ----------------------------------------------------------------
@pytest.mark.parametrize(
    "cats,title,label",
    [
        (["cs.CV", "cs.AI"], "Depth Anything at Any Condition", "cv"),
        (["cs.CL", "cs.AI", "cs.CV"], "Do Vision-Language Models Have Internal World Models? Towards an Atomic Evaluation", "multimodal"),
        (["cs.CL"], "SMARTe: Slot-based Method for Accountable Relational Triple extraction", "nlp"),
        (["cs.CL", "cs.AI"], "Sequential Diagnosis with Language Models", "llm"),
        (["cs.RO", "cs.AI"], "Embodied Instruction Following in Unknown Environments", "robotics"),
        (["cs.SD", "eess.AS"], "A Multi-Stage Framework for Multimodal Controllable Speech Synthesis", "audio"),
        (["cs.LG", "cs.AI"], "Double Q-learning for Value-based Deep Reinforcement Learning, Revisited", "rl"),
        (["cs.LG"], "MoNE: Replacing Redundant Experts with Lightweight Novices for Structured Pruning of MoE", "inference"),
        (["cs.LG", "cs.AI"], "Parameters vs FLOPs: Scaling Laws for Optimal Sparsity for Mixture-of-Experts Language Models", "inference"),
        (["cs.LG"], "Non-collective Calibrating Strategy for Time Series Forecasting", "tabular"),
        (["q-bio.BM", "cs.AI", "cs.LG"], "DualEquiNet: A Dual-Space Hierarchical Equivariant Network for Large Biomolecules", "science"),
        (["cs.CR", "cs.LG"], "SecAlign: Defending Against Prompt Injection with Preference Optimization", "policy"),
        (["cs.LG"], "Dual Perspectives on Non-Contrastive Self-Supervised Learning", "training"),
        (["cs.AI", "cs.LO"], "Iterated belief revision: from postulates to abilities", None),
    ],
)
def test_paper_label_rules(cats, title, label):
    assert paper_label(cats, title, "") == label


def test_dev_news_labels_are_dev_split_and_valid():
    ids = set(load_taxonomy().ids)
    rows = [json.loads(x) for x in (REPO / "data" / "dev_news_labels.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(rows) > 1000
    for r in rows:
        assert {"title", "url", "date", "category", "why"} <= set(r)
        assert r["date"] < "2024-11-01" and r["category"] in ids and r["why"]
    assert {"software", "others", "business", "policy"} <= {r["category"] for r in rows}


def test_business_rule_for_ai_news_titles(model):
    from aidigest.classify.business import business_override

    tax = load_taxonomy()
    deal = "Claude AI to process secret government data through new Palantir deal"  # real, test period
    news_item = Item(kind="news", title=deal, url="https://arstechnica.com/", key="d")
    paper = Item(kind="paper", title=deal, url="https://arxiv.org/abs/x", key="p")
    assert business_override(news_item, "llm", tax) == "business"
    assert business_override(paper, "llm", tax) == "llm"  # papers keep their topic
    assert business_override(news_item, "software", tax) == "software"  # only AI stories become AI business
    no_business = Taxonomy([c for c in tax.categories if c.id != "business"])
    assert business_override(news_item, "llm", no_business) == "llm"
    mill = Item(kind="news", title="Mill: A fast JVM build tool for Java and Scala", url="u", key="m")
    out, _ = asyncio.run(classify_items([news_item, mill], tax, None, Config()))
    assert [c.category for c in out] == ["business", "software"]
