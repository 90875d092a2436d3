"""The benchmark's fake LLM: the loopback OpenAI-compatible server of tests/fakes, timed, with a responder that
gives VALID answers so an end-to-end run exercises the LLM path (not the fallbacks).

What it fakes (honestly: no model runs):
- classification calls (the request's schema is `Categories`: `items` of "<index>:<id>" strings): one
  answer per item index named in the prompt, the category taken from `categories` (title -> taxonomy id,
  computed beforehand by the real offline classifier on the same day's items, so the category mix is a real
  one); a title it does not know gets a stable hash-picked reported category and is counted in `unmapped`;
- summary calls (the schema has `themes`): a Korean section in the shape tests/cli/test_cli.py's `korean_summary`
  uses (themes / events / impact / bottom line as "<cites>: <text>" points citing real source numbers, one
  "<n>: <sentence>" TL;DR per source), so every summary check passes;
- anything else: schema-valid JSON generated from the request's schema.

Timing: every answered request waits `latency_s + tokens_out / tokens_per_s` (the FakeServer's own rule;
tokens_out is the fake's estimate of the answer, ~4 characters per token, unless `tokens_out` is fixed).
Each request records `t_arrive` (request read), `t_end` (answer written), `tokens_out` and `service_s`
(the nominal wait above: 0 for a rejected mode, which is answered at once) on CLOCK_MONOTONIC, which is
shared by every process of the machine, so a worker process can put its own phases on the same time line.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from fakes import RecordedRequest, Reply, sample_from_schema  # noqa: E402
from fakes.fake_openai import FakeOpenAIServer  # noqa: E402

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


class TimedFakeOpenAI(FakeOpenAIServer):
    """FakeOpenAIServer that stamps every request with arrival / answer times and its nominal service time.

    `slots` (local-endpoint fake): at most that many requests are served at once, like a llama.cpp server
    started with `--parallel N` (`n_parallel`); the others wait for a free slot. `t_arrive` is then the time
    a slot took the request (its wait is `queued_s`), so the critical chain sees the slot-limited schedule."""

    def __init__(self, *args: Any, slots: int | None = None, **kw: Any):
        super().__init__(*args, **kw)
        self.slots = slots
        self._slots = threading.BoundedSemaphore(slots) if slots else None

    def render(self, req: RecordedRequest, reply: Reply, tokens_in: int) -> tuple[int, dict[str, str], bytes, int]:
        status, headers, body, tokens_out = super().render(req, reply, tokens_in)
        req.tokens_in = tokens_in  # type: ignore[attr-defined]
        req.tokens_out = tokens_out  # type: ignore[attr-defined]
        return status, headers, body, tokens_out

    def _respond(self, h: Any, req: RecordedRequest) -> None:
        t_read = time.monotonic()
        req.t_arrive = t_read  # type: ignore[attr-defined]
        req.queued_s = 0.0  # type: ignore[attr-defined]
        req.tokens_in = req.tokens_out = 0  # type: ignore[attr-defined]
        if self._slots is not None:
            self._slots.acquire()
            req.t_arrive = time.monotonic()  # type: ignore[attr-defined]
            req.queued_s = req.t_arrive - t_read  # type: ignore[attr-defined]
        try:
            super()._respond(h, req)
        finally:
            req.t_end = time.monotonic()  # type: ignore[attr-defined]
            if self._slots is not None:
                self._slots.release()

    def service_s(self, req: RecordedRequest) -> float:
        """The wait this fake imposes on an answered call: latency + tokens_out / tokens_per_s (0 if rejected)."""
        if req.answered != 200:
            return 0.0
        s = self.latency_s
        if self.tokens_per_s:
            s += getattr(req, "tokens_out", 0) / self.tokens_per_s
        return s

    def log(self) -> list[dict]:
        """One record per completion request, in arrival order."""
        out = []
        for r in self.completion_requests:
            out.append({
                "kind": call_kind(r.body), "mode": r.mode, "status": r.answered,
                "t_arrive": getattr(r, "t_arrive", 0.0), "t_end": getattr(r, "t_end", 0.0),
                "tokens_in": getattr(r, "tokens_in", 0), "tokens_out": getattr(r, "tokens_out", 0),
                "service_s": self.service_s(r), "queued_s": getattr(r, "queued_s", 0.0),
            })
        return sorted(out, key=lambda x: x["t_arrive"])


def critical_chain(log: list[dict], eps: float = 1e-3) -> list[int]:
    """Indexes (into `log`) of the chain of calls with the largest total service time such that each call
    arrived after the previous one was answered (the longest sequential path through the calls). Rejected
    requests (service 0) can be part of it: discovery steps are sequential too."""
    n = len(log)
    order = sorted(range(n), key=lambda i: log[i]["t_arrive"])
    best: dict[int, float] = {}
    prev: dict[int, int | None] = {}
    for i in order:
        b, p = 0.0, None
        for j in order:
            if j == i or j not in best or log[j]["t_end"] > log[i]["t_arrive"] + eps:
                continue
            if p is None or (best[j], log[j]["t_end"]) > (b, log[p]["t_end"]):
                b, p = best[j], j
        best[i] = b + log[i]["service_s"]
        prev[i] = p
    if not best:
        return []
    # the chain with the largest total; ties: the one that ends last
    last = max(best, key=lambda i: (best[i], log[i]["t_end"]))
    chain = []
    cur: int | None = last
    while cur is not None:
        chain.append(cur)
        cur = prev[cur]
    return chain[::-1]
