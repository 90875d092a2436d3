"""LLM categories checked against the offline classifier (aidigest.classify.check).

The LLM here is `ScriptedLLM` (tests/fakes/scripted_llm.py: NOT a model, it answers from a script) or, for the
measurement, the loopback OpenAI-compatible fake of tests/fakes behind bench/llm_check.py's `WrongResponder`
(a wrong category for 20 % of the demo day's items, chosen deterministically). What is real: the offline
classifier (shipped weights) on real titles (tests/data/digest: the Hacker News recording of 2026-08-02; the demo
day's replay), the prompts, the per-item validation, the rule, the run-health lines of the real report.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
from pathlib import Path

from test_summarize_fixtures import hn_items

from aidigest.assemble import build_digest
from aidigest.classify.items import classify_items
from aidigest.classify.check import CONFIDENT, strong_disagreement
from aidigest.config import Config
from aidigest.context import DayContext
from aidigest.records import RunHealth
from aidigest.render.markdown import render_markdown
from aidigest.taxonomy import load_taxonomy

from fakes.scripted_llm import ScriptedLLM

TAX = load_taxonomy()
XBOX = "Microsoft raises Xbox prices by up to 43%"
AI = "An internal OpenAI Astra model solved 10 major open math and CS problems"


def _items():
    items = {it.title: it for it in hn_items()}
    return [items[XBOX], items[AI]]


def _answer(cats: dict[str, str]):
    def step(idx: list[int], titles: list[str]) -> dict:
        return {"items": [f"{i}:{cats[t]}" for i, t in zip(idx, titles)]}
    return step


def _run(llm, items):
    return asyncio.run(classify_items(items, TAX, llm, Config()))


def test_families_come_from_the_taxonomy():
    assert TAX["llm"].family_id == TAX["cv"].family_id == "ai_research"
    assert TAX["business"].family_id == TAX["policy"].family_id == "ai_world"
    assert TAX["software"].family_id == TAX["others"].family_id == "not_ai"
    assert strong_disagreement(TAX, "llm", "software", 0.9)
    assert not strong_disagreement(TAX, "llm", "nlp", 0.99)  # same family: the LLM's answer stands
    assert not strong_disagreement(TAX, "llm", "software", CONFIDENT - 0.01)  # offline unsure: no evidence


def test_every_llm_answer_carries_the_offline_opinion_and_agreement_costs_no_call():
    items = _items()
    llm = ScriptedLLM({"classify": [_answer({XBOX: "software", AI: "llm"})]})
    out, health = _run(llm, items)
    assert [c.category for c in out] == ["software", "llm"] and all(c.method == "llm" for c in out)
    assert out[0].offline_category == "software" and out[0].offline_confidence >= CONFIDENT
    assert all(c.offline_category in TAX for c in out)
    assert len(llm.calls) == 1 and health.checks == []


def test_xbox_filed_as_llm_is_asked_again_and_an_insisting_llm_is_overruled():
    items = _items()
    llm = ScriptedLLM({"classify": [_answer({XBOX: "llm", AI: "llm"}), _answer({XBOX: "llm"})]})
    out, health = _run(llm, items)
    assert len(llm.calls) == 2
    second = llm.calls[1]["messages"][-1].content
    assert "Note on item 0: you answered `llm`" in second and "confident it is `software`" in second
    assert XBOX in second and AI not in second  # only the disputed item is asked again
    assert [c.category for c in out] == ["software", "llm"]
    (check,) = health.checks
    assert (check.title, check.llm, check.offline, check.second, check.final) == (XBOX, "llm", "software", "llm", "software")
    assert check.names["llm@ko"] == "대규모 언어 모델" and check.names["software@ko"] == "소프트웨어·컴퓨팅"


def test_a_corrected_second_answer_is_taken_and_a_failed_second_call_takes_the_offline_category():
    items = _items()
    fixed = ScriptedLLM({"classify": [_answer({XBOX: "llm", AI: "llm"}), _answer({XBOX: "others"})]})
    out, health = _run(fixed, items)
    assert out[0].category == "others" and health.checks[0].second == "others"  # same family as software: taken
    failed = ScriptedLLM({"classify": [_answer({XBOX: "llm", AI: "llm"})]})  # no second answer scripted: LLMError
    out, health = _run(failed, items)
    assert out[0].category == "software" and health.checks[0].second is None


def test_run_health_counts_and_names_the_disagreements_in_korean(tmp_path):
    items = _items()
    llm = ScriptedLLM({"classify": [_answer({XBOX: "llm", AI: "llm"}), _answer({XBOX: "llm"})]})
    classified, health = _run(llm, items)
    cfg = Config()
    ctx = DayContext(day=dt.date(2026, 8, 2), language="ko", config=cfg, taxonomy=TAX)
    run = RunHealth()
    run.merge(health)
    run.llm.provider = "openai:fake-model"
    md = {}
    for kind in ("news", "paper"):
        d = asyncio.run(build_digest(ctx, kind, classified))
        md[kind] = render_markdown(d.model_copy(update={"health": run}), None)
    news = md["news"]
    assert "LLM 분류 점검: 오프라인 분류기와 크게 엇갈린 항목 1건 (다시 물어 LLM이 고친 것 0건, 오프라인 분류를 따른 것 1건)" in news
    assert "**오프라인 분류기와 엇갈린 LLM 분류:**" in news
    assert f"“{XBOX}”: LLM 대규모 언어 모델 → 소프트웨어·컴퓨팅 (오프라인 분류기: 소프트웨어·컴퓨팅, 신뢰도 0." in news
    assert " · 다시 물은 답: 대규모 언어 모델)" in news
    # the Xbox story is in the non-AI list, not in the LLM section
    assert "## 🧠 대규모 언어 모델" in news and XBOX not in news.split("## 🧠 대규모 언어 모델")[1].split("## ")[0]
    # the Papers report had no disputed paper: its count line says 0 and names nothing
    assert "LLM 분류 점검: 오프라인 분류기와 크게 엇갈린 항목 없음" in md["paper"] and XBOX not in md["paper"]


def test_twenty_percent_wrong_answers_before_and_after(tmp_path):
    """The bench's measurement (bench/llm_check.py) on the demo day: the after-figure is bounded."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    from llm_check import measure

    before = measure(tmp_path / "before", check=False)
    after = measure(tmp_path / "after", check=True)
    assert before["planted"] == after["planted"] == round(0.2 * before["items"])
    assert before["xbox"] == "llm" and after["xbox"] == "software"  # not unchallenged
    assert before["wrong_in_report"] >= before["planted"] - 2  # the planted slips do reach the report without it
    # after: at most the slips the check is not meant to catch (inside a family) and one or two with an unsure
    # offline classifier; in all at most 10 % of the day's items
    same_family = after["planted"] - after["cross_family_planted"]
    assert after["wrong_in_report"] <= same_family + 2
    assert after["wrong_in_report"] <= 0.1 * after["items"] < before["wrong_in_report"]
    assert after["right_overturned"] == 0 and after["rechecks"] == 1


def test_the_offline_opinion_computed_beside_the_llm_is_the_offline_classifiers(tmp_path):
    """classify_offline_async (worker thread, store read/written on the caller's thread) answers what
    classify_offline answers, and a second call is answered from the store."""
    from aidigest.classify.items import classify_offline, classify_offline_async
    from aidigest.infra.store import Store

    items = hn_items()[:12]
    want = classify_offline(items, TAX)
    with Store(str(tmp_path / "s.db")) as store:
        got = asyncio.run(classify_offline_async(items, TAX, store=store))
        n = store.scalar("SELECT COUNT(*) FROM offline_labels")
        again = asyncio.run(classify_offline_async(items, TAX, store=store))
    assert [c for c, _ in got] == [c for c, _ in want] == [c for c, _ in again]
    assert all(abs(a - b) < 1e-4 for (_, a), (_, b) in zip(got, want))
    assert n == len(items)  # 12 distinct texts, each stored once


def test_aidigest_classify_says_how_many_llm_answers_were_disputed():
    import io
    import json

    from aidigest.classify.jsonl import classify_jsonl

    lines = [json.dumps({"title": XBOX}) + "\n", json.dumps({"title": AI}) + "\n"]
    llm = ScriptedLLM({"classify": [_answer({XBOX: "llm", AI: "llm"}), _answer({XBOX: "llm"})]})
    out, err = io.StringIO(), io.StringIO()
    assert classify_jsonl(lines, out, TAX, llm, Config(), err=err) == 0
    assert [json.loads(x)["category"] for x in out.getvalue().splitlines()] == ["software", "llm"]
    assert "note: 1 LLM category disputed by the offline classifier and asked again; 1 changed" in err.getvalue()
