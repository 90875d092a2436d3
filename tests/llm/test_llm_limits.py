"""Issue 8, LLM half: bounded time (call and run deadlines, Retry-After cap, circuit breaker), a bad key stops
the LLM path at once, an echoed key is scrubbed everywhere, an unenforceable USD budget is announced.

Against the fake OpenAI-compatible server on 127.0.0.1 (tests/fakes: real HTTP, scripted answers, no model),
with small settings so each fault ends in seconds. The CLI tests run `aidigest run` on the demo's real
recording, as a user would.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from aidigest.config import Config
from aidigest.llm.base import LLMError, Message
from aidigest.llm.factory import make_llm
from aidigest.llm.base import LLMUnavailable
from aidigest.records import LLMTotals
from aidigest.infra.store import Store
from fakes import Reply, sample_from_schema
from fakes.fake_openai import FakeOpenAIServer

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "demo" / "replay" / "2026-08-02"
DAY = "2026-08-02"
KEY = "sk-test-ECHOEDKEY0123456789abcdef"
MSGS = [Message(role="user", content="Say something.")]


def make(srv, store=None, **llm_cfg):
    cfg = Config()
    cfg = cfg.updated(llm={"provider": "openai:gpt-4o-mini", "concurrency": 4, **llm_cfg})
    totals = LLMTotals()
    sleeps: list[float] = []

    async def fake_sleep(s):
        sleeps.append(s)

    llm = make_llm(cfg, store or Store(), 1, totals, env={"OPENAI_BASE_URL": srv.base_url, "OPENAI_API_KEY": KEY},
                   sleep=fake_sleep)
    return llm, totals, sleeps


async def _many(llm, n):
    async def one(i):
        try:
            await llm.complete([Message(role="user", content=f"item {i}")], purpose="t")
            return "ok"
        except LLMUnavailable:
            return "offline"
        except LLMError:
            return "error"

    try:
        return await asyncio.gather(*(one(i) for i in range(n)))
    finally:
        await llm.aclose()


def test_hanging_endpoint_opens_the_breaker_and_stops_calling():
    with FakeOpenAIServer(responder=lambda req: Reply.hang_forever(20)) as srv:
        llm, totals, _ = make(srv, timeout_s=0.5, call_deadline_s=2, breaker_failures=3, retries=3)
        t0 = time.monotonic()
        outcomes = asyncio.run(_many(llm, 30))
        took = time.monotonic() - t0
        asked = srv.count
    assert set(outcomes) <= {"offline", "error"} and outcomes.count("offline") >= 20
    assert took < 5, took  # 30 calls x 4 attempts x 0.5 s would be 60 s without the breaker (15 s at concurrency 4)
    assert asked <= 8  # the first round (4 in flight) and maybe a retry each: then nothing more
    assert totals.offline and "circuit breaker" in totals.offline


def test_5xx_storm_opens_the_breaker():
    with FakeOpenAIServer(responder=lambda req: Reply.server_error(503)) as srv:
        llm, totals, _ = make(srv, breaker_failures=3, retries=3, concurrency=1)
        outcomes = asyncio.run(_many(llm, 10))
        assert srv.count == 3
    assert outcomes.count("offline") == 10 and "503" in totals.offline


def test_retry_after_above_the_cap_fails_at_once():
    with FakeOpenAIServer(responder=lambda req: Reply.rate_limited(retry_after=3600)) as srv:
        llm, totals, sleeps = make(srv, max_retry_after_s=60, retries=3, concurrency=1)
        t0 = time.monotonic()
        outcomes = asyncio.run(_many(llm, 5))
        assert srv.count == 1  # the first 429 said "come back in an hour": nothing else is asked
    assert sleeps == [] and time.monotonic() - t0 < 5
    assert outcomes == ["offline"] * 5 and "3600" in totals.offline


def test_call_deadline_bounds_one_call_with_its_retries():
    with FakeOpenAIServer(responder=lambda req: Reply.hang_forever(20)) as srv:
        llm, totals, _ = make(srv, timeout_s=0.4, call_deadline_s=1.0, retries=10, breaker_failures=100, concurrency=1)

        async def go():
            t0 = time.monotonic()
            try:
                with pytest.raises(LLMError) as e:
                    await llm.complete(MSGS, purpose="t")
                return time.monotonic() - t0, str(e.value)
            finally:
                await llm.aclose()

        took, msg = asyncio.run(go())
    assert took < 1.6 and "deadline" in msg


def test_run_deadline_switches_the_llm_off():
    with FakeOpenAIServer(latency_s=0.4) as srv:
        llm, totals, _ = make(srv, run_deadline_s=1.0, concurrency=1)

        async def go():
            done = 0
            t0 = time.monotonic()
            try:
                for i in range(20):
                    try:
                        await llm.complete([Message(role="user", content=f"q{i}")], purpose="t")
                        done += 1
                    except LLMUnavailable:
                        pass
                return done, time.monotonic() - t0
            finally:
                await llm.aclose()

        done, took = asyncio.run(go())
    assert 1 <= done <= 3 and took < 2.5
    assert "run_deadline_s" in totals.offline


def test_an_echoed_key_is_scrubbed_from_answers_and_cache(tmp_path):
    def echo(req):
        return Reply(content=f"Sure. Your key is {KEY}, and again: Bearer {KEY}.")

    store = Store(tmp_path / "s.db")
    with FakeOpenAIServer(responder=echo) as srv:
        llm, totals, _ = make(srv, store=store)

        async def go():
            try:
                return await llm.complete(MSGS, purpose="t")
            finally:
                await llm.aclose()

        r = asyncio.run(go())
    store.close()
    assert KEY not in r.text and "***" in r.text
    assert KEY.encode() not in (tmp_path / "s.db").read_bytes()


# ---- the CLI, as a user runs it --------------------------------------------------------------------------
def aidigest(*args, cwd, env=None, timeout=300):
    e = {k: v for k, v in os.environ.items() if not k.startswith(("AIDIGEST_", "OPENAI_", "ANTHROPIC_", "TOGETHER_"))}
    e.update(env or {})
    e["COLUMNS"] = "200"
    return subprocess.run([sys.executable, "-m", "aidigest.cli", *args], cwd=cwd, env=e, capture_output=True,
                          text=True, timeout=timeout)


def _run_args(tmp_path, *extra):
    return ("run", "--date", DAY, "--replay", str(DEMO), "--db", str(tmp_path / "s.db"), "--out",
            str(tmp_path / "out"), *extra)


def _health(tmp_path, kind="News"):
    md = (tmp_path / "out" / DAY / f"{kind}_{DAY}_report.md").read_text()
    return md[md.index("🩺"):]


def test_run_with_a_hanging_llm_writes_the_report_in_bounded_time(tmp_path):
    (tmp_path / "aidigest.toml").write_text(
        "[llm]\ntimeout_s = 1.0\ncall_deadline_s = 2.0\nrun_deadline_s = 30.0\nbreaker_failures = 3\n"
    )
    with FakeOpenAIServer(responder=lambda req: Reply.hang_forever(60)) as srv:
        t0 = time.monotonic()
        r = aidigest(*_run_args(tmp_path, "--llm", "openai:gpt-4o-mini", "--config", str(tmp_path / "aidigest.toml")),
                     cwd=tmp_path, env={"OPENAI_BASE_URL": srv.base_url, "OPENAI_API_KEY": KEY})
        took = time.monotonic() - t0
        asked = srv.count
    assert r.returncode == 0, r.stderr
    assert took < 90, took
    assert asked <= 20
    health = _health(tmp_path)
    assert "LLM switched off" in health and "circuit breaker" in health
    assert "llm → offline" in health or "llm → extractive" in health  # the fallbacks are named
    assert "LLM switched off" in r.stderr and "Traceback" not in r.stderr


def test_a_bad_key_stops_the_llm_at_once_and_says_so(tmp_path):
    with FakeOpenAIServer(api_key="sk-the-right-key-000000") as srv:
        r = aidigest(*_run_args(tmp_path, "--llm", "openai:gpt-4o-mini"),
                     cwd=tmp_path, env={"OPENAI_BASE_URL": srv.base_url, "OPENAI_API_KEY": KEY})
        asked = srv.count
        summary_calls = [q for q in srv.requests if "themes" in json.dumps(q.body or {})]
    assert r.returncode == 2, r.stderr
    errors = [line for line in r.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "authentication failed (HTTP 401)" in errors[0] and "OPENAI_API_KEY" in errors[0]
    assert "Traceback" not in r.stderr and KEY not in r.stderr + r.stdout
    # the warm-up probe and the classification calls already in flight got a 401; nothing was asked after that:
    # the summary round, which starts once classification is over, made no request at all
    assert 1 <= asked <= 8 and summary_calls == []
    assert (tmp_path / "out" / DAY / f"News_{DAY}_report.md").exists()  # the run finished offline
    assert "authentication failed" in _health(tmp_path)


def _echo_key(req):
    """Schema-valid answers whose every string carries the API key (a proxy or model echoing the prompt)."""
    body = req.body or {}
    rf = body.get("response_format") or {}
    schema = (rf.get("json_schema") or {}).get("schema") or rf.get("schema") or {}
    if "themes" not in json.dumps(schema):
        return Reply(json=sample_from_schema(schema)) if schema else Reply()
    n = int(re.search(r"Sources \((\d+),", body["messages"][-1]["content"]).group(1))
    leak = f" (키: {KEY})"
    point = lambda t, c: {"text": t + leak, "cites": c}  # noqa: E731
    return Reply(json={
        "themes": [point("이 분야의 새로운 연구와 발표가 이어졌다.", [1])],
        "events": [point(f"{i}번 출처가 새로운 결과를 발표했다.", [i]) for i in range(1, min(n, 6) + 1)],
        "impact": [point("연구자들이 바로 활용할 수 있는 방법과 자료가 늘었다.", [1])],
        "bottom_line": [point("오늘 이 분야에서 가장 주목할 결과는 1번 출처이다.", [1])],
        "tldr": [{"n": i, "text": f"{i}번 출처의 핵심 내용을 한 문장으로 정리했다.{leak}"} for i in range(1, n + 1)],
    }, tokens_in=900, tokens_out=400)


def test_echoed_key_reaches_no_report_export_or_cache_and_unpriced_budget_is_announced(tmp_path):
    with FakeOpenAIServer(responder=_echo_key) as srv:
        r = aidigest(*_run_args(tmp_path, "--llm", "openai:my-unpriced-model", "--budget-usd", "0.5"),
                     cwd=tmp_path, env={"OPENAI_BASE_URL": srv.base_url, "OPENAI_API_KEY": KEY})
        assert srv.count > 0
    assert r.returncode == 0, r.stderr
    md = (tmp_path / "out" / DAY / f"Papers_{DAY}_report.md").read_text()
    assert "1번 출처의 핵심 내용" in md  # the LLM's (scrubbed) TL;DRs were used
    blob = b"".join(p.read_bytes() for p in (tmp_path / "out").rglob("*") if p.is_file())
    blob += (tmp_path / "s.db").read_bytes() + r.stdout.encode() + r.stderr.encode()
    assert KEY.encode() not in blob
    # the budget cannot be enforced: said on stderr (before the run's output) and in the run health
    assert "--budget-usd 0.5 cannot be enforced" in r.stderr and "--max-tokens" in r.stderr
    assert "cannot be enforced" in _health(tmp_path, "Papers")
