"""The Markdown reports whose bytes tests/render/test_render_template.py pins (tests/data/render_reference/): each case
builds a digest from the suite's real fixtures (the same helpers tests/render/test_render_markdown.py uses) and renders it.
`python tests/render_reference_cases.py DIR` writes every case to DIR/<case>.md (how the references were made, with
the render_markdown of before the Markdown report came from a template)."""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
from pathlib import Path

HERE = Path(__file__).parent
sys.path[:0] = [str(HERE), str(HERE / "render"), str(HERE / "digest")]  # shared helpers, the test modules used

from test_render_markdown import DAY, TAX, _as_llm, _as_llm_items, _digest, _hostile_items  # noqa: E402
from test_summarize_fixtures import classify, hf_items, hn_category, hn_items  # noqa: E402

from aidigest.assemble import build_digest  # noqa: E402
from aidigest.config import Config  # noqa: E402
from aidigest.context import DayContext  # noqa: E402
from aidigest.records import LLMTotals, RunHealth, SourceOutcome  # noqa: E402
from aidigest.render.markdown import render_markdown  # noqa: E402
from aidigest.infra.store import Store  # noqa: E402

CHART = "news_2026-08-02.png"


def _hn():
    return _digest(classify(hn_items(), hn_category))


def _hostile(llm: bool):
    items = _hostile_items()
    d = _digest(classify(items, lambda it: "business"), config=Config.model_validate({"digest": {"per_category": 20}}))
    return _as_llm_items(d, items) if llm else d


def _papers_en(tmp: Path):
    items = hf_items()
    top = max(items, key=lambda it: it.hf_upvotes)
    with Store(tmp / "s.sqlite3") as store:
        store.mark_reported(DAY - dt.timedelta(days=2), [(top.key, "paper", "llm", 50.0)])
        ctx = DayContext(day=DAY, language="en", config=Config(), taxonomy=TAX, store=store)
        return asyncio.run(build_digest(ctx, "paper", classify(items, lambda it: "llm")))


def _health():
    health = RunHealth(outcomes=[
        SourceOutcome(source="hackernews", kind="news", status="ok", items=30, duration_s=1.2),
        SourceOutcome(source="arxiv", kind="paper", status="failed", error="HTTP 503 <html>](x)", duration_s=9.9)],
        llm=LLMTotals(provider="openai:gpt-4o-mini", calls=7, cached=2, failed=1, tokens_in=12000, tokens_out=3400,
                      cost_usd=0.0042, budget_stopped=True, unpriced=True),
        notes=["a note with <b>html</b> and [a](javascript:x)"])
    health.fallback("summary paper/cv: llm → extractive (language)")
    return _digest(classify(hn_items(), hn_category), health=health)


def cases(tmp: Path) -> dict[str, str]:
    """case name -> the Markdown report of that case (tmp: a scratch folder for a store)."""
    hn = _hn()
    papers = _papers_en(tmp)
    other_off = _digest(classify(hn_items(), hn_category), config=Config.model_validate({"digest": {"other_tech_max": 0}}))
    return {
        "hn_offline": render_markdown(hn, CHART),
        "hn_llm": render_markdown(_as_llm(hn), CHART),
        "hostile_offline": render_markdown(_hostile(False), CHART),
        "hostile_llm": render_markdown(_hostile(True), CHART),
        "papers_en_offline": render_markdown(papers, None),
        "papers_en_llm": render_markdown(_as_llm(papers), None),
        "health": render_markdown(_health(), CHART),
        "other_tech_dropped": render_markdown(other_off, None),
        "empty": render_markdown(_digest([]), None),
        "ja_llm": render_markdown(_as_llm(_digest(classify(hf_items()[:6], lambda it: "cv"), kind="paper", language="ja")), None),
        "xx_llm": render_markdown(_as_llm(_digest(classify(hf_items()[:6], lambda it: "cv"), kind="paper", language="xx")), None),
    }


if __name__ == "__main__":
    import tempfile

    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name, md in cases(Path(tmp)).items():
            (out / f"{name}.md").write_text(md, encoding="utf-8", newline="")
