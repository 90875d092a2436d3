"""The fake LLM's answers for a whole day: VALID classification and summary answers, so a run against the loopback
OpenAI-compatible server (fakes.fake_openai) exercises the LLM path, not the fallbacks. Shared by the golden days,
the profile and weekly pipeline tests, and the benchmarks (bench/fake_llm.py adds timing on top).

What it fakes (honestly: no model runs):
- classification calls (the request's schema is `Categories`: `items` of "<index>:<id>" strings): one
  answer per item index named in the prompt, the category taken from `categories` (title -> taxonomy id,
  computed beforehand by the real offline classifier on the same day's items, so the category mix is a real
  one); a title it does not know gets a stable hash-picked reported category and is counted in `unmapped`;
- summary calls (the schema has `themes`): a Korean section in the shape tests/cli/test_cli.py's `korean_summary`
  uses (themes / events / impact / bottom line as "<cites>: <text>" points citing real source numbers, one
  "<n>: <sentence>" TL;DR per source), so every summary check passes;
- anything else: schema-valid JSON generated from the request's schema.

`offline_categories` computes the `categories` map the real way: the recorded day collected by replay, near-duplicates
merged, classified by the real offline classifier.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import re
from pathlib import Path
from typing import Any

from fakes import RecordedRequest, Reply, sample_from_schema

_ITEM_BLOCK = re.compile(r'<untrusted-text label="item (\d+)">\n(.*?)\n</untrusted-text>', re.S)
_SOURCES = re.compile(r"Sources \((\d+),")


def norm_title(title: str) -> str:
    """Titles as keys: look-alikes folded the way prompts carry them (aidigest.llm.prompts.wrap_untrusted)."""
    from aidigest.injection import normalize_lookalikes

    return " ".join(normalize_lookalikes(title).casefold().split())


def request_schema(body: dict) -> dict:
    rf = body.get("response_format") or {}
    schema = (rf.get("json_schema") or {}).get("schema") or rf.get("schema")
    if isinstance(schema, dict):
        return schema
    tools = body.get("tools") or []
    if tools:
        return (tools[0].get("function") or {}).get("parameters") or {}
    return {}


def call_kind(body: Any) -> str:
    """classify | summary | other, from the request's schema (the prompt-mode schema is in the text)."""
    if not isinstance(body, dict):
        return "other"
    text = json.dumps(request_schema(body)) or ""
    if not request_schema(body):
        text = json.dumps(body.get("messages") or [], ensure_ascii=False)
    if "themes" in text and "tldr" in text:
        return "summary"
    if '"Categories"' in text or ('"category"' in text and '"items"' in text):
        return "classify"
    return "other"


class Responder:
    """Valid answers for the pipeline's two kinds of calls (see the module docstring)."""

    def __init__(self, categories: dict[str, str], reported_ids: list[str]):
        self.categories = {norm_title(t): c for t, c in categories.items()}
        self.reported_ids = reported_ids
        self.unmapped = 0
        self.calls: dict[str, int] = {"classify": 0, "summary": 0, "other": 0}

    def _category(self, title: str) -> str:
        cat = self.categories.get(norm_title(title))
        if cat is None:
            self.unmapped += 1
            h = int(hashlib.sha256(norm_title(title).encode()).hexdigest()[:8], 16)
            cat = self.reported_ids[h % len(self.reported_ids)]
        return cat

    def __call__(self, req: RecordedRequest) -> Reply:
        body = req.body if isinstance(req.body, dict) else {}
        kind = call_kind(body)
        self.calls[kind] += 1
        prompt = (body.get("messages") or [{}])[-1].get("content") or ""
        if kind == "classify":
            answers = []
            for idx, block in _ITEM_BLOCK.findall(prompt):
                m = re.search(r"^title: (.*)$", block, re.M)
                answers.append(f"{int(idx)}:{self._category(m.group(1) if m else '')}")
            return Reply(json={"items": answers})
        if kind == "summary":
            m = _SOURCES.search(prompt)
            n = int(m.group(1)) if m else 1
            point = lambda t, c: f"{', '.join(map(str, c))}: {t}"  # noqa: E731
            return Reply(json={
                "themes": [point("이 분야의 새로운 연구와 발표가 이어졌다.", [1])],
                "events": [point(f"{i}번 출처가 새로운 결과를 발표했다.", [i]) for i in range(1, min(n, 6) + 1)],
                "impact": [point("연구자들이 바로 활용할 수 있는 방법과 자료가 늘었다.", [1])],
                "bottom_line": [point("오늘 이 분야에서 가장 주목할 결과는 1번 출처이다.", [1])],
                "tldr": [f"{i}: {i}번 출처의 핵심 내용을 한 문장으로 정리했다." for i in range(1, n + 1)],
            })
        schema = request_schema(body)
        return Reply(json=sample_from_schema(schema)) if schema else Reply()


def offline_categories(out: Path, day: str, replay: Path) -> dict:
    """The day's titles -> the real offline classifier's category (the fake LLM answers with these)."""
    from aidigest.classify.items import classify_offline
    from aidigest.collect import collect_day
    from aidigest.config import Config
    from aidigest.dedupe.near import merge_near_duplicates
    from aidigest.infra.http import HttpClient
    from aidigest.infra.store import Store
    from aidigest.taxonomy import load_taxonomy

    date = dt.date.fromisoformat(day)
    cfg = Config()
    taxonomy = load_taxonomy()

    async def go():
        with Store(str(out / "prepare.db")) as store:
            async with HttpClient.create(cfg.http, replay=replay) as http:
                await collect_day(date, cfg, store, http)
            return store.items_for_day(date)

    items, _ = merge_near_duplicates(asyncio.run(go()))
    preds = classify_offline(items, taxonomy)
    return {
        "categories": {it.title: cat for it, (cat, _) in zip(items, preds)},
        "reported_ids": [c.id for c in taxonomy.reported()],
        "items": len(items),
    }
