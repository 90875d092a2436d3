"""The OpenAI-compatible provider (official `openai` SDK) against a fake server on 127.0.0.1.

Every fault ends either in a successful retry or in an LLMError (LLMFatal / BudgetExceeded are LLMErrors)
that a caller turns into its offline fallback; both paths are exercised here."""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from typing import Literal

import pytest
from pydantic import BaseModel, Field

from aidigest.config import Config
from aidigest.llm.base import LLMError, LLMFatal, Message
from aidigest.llm.factory import make_llm
from aidigest.records import LLMTotals
from aidigest.infra.store import Store
from fakes.fake_openai import FakeOpenAIServer, Reply

KEY = "sk-test-SECRETVALUE0123456789"


class Pick(BaseModel):
    category: Literal["llm", "cv", "others"]
    reasons: list[str] = Field(max_length=3)


GOOD = {"category": "cv", "reasons": ["images"]}
MSGS = [Message(role="system", content="Categorize."), Message(role="user", content="A diffusion model for video")]


class Harness:
    def __init__(self, srv: FakeOpenAIServer, store: Store | None = None, model: str = "gpt-4o-mini", **llm_cfg):
        self.srv = srv
        self.store = store if store is not None else Store()
        self.totals = LLMTotals()
        self.sleeps: list[float] = []
        cfg = Config()
        cfg = cfg.updated(llm={"provider": f"openai:{model}", "timeout_s": 2.0, "retries": 2, **llm_cfg})
        self.config = cfg

        async def fake_sleep(s: float) -> None:
            self.sleeps.append(s)

        self.llm = make_llm(cfg, self.store, 7, self.totals,
                            env={"OPENAI_BASE_URL": srv.base_url, "OPENAI_API_KEY": KEY}, sleep=fake_sleep)

    def run(self, coro):
        async def go():
            try:
                return await coro
            finally:
                await self.llm.aclose()

        return asyncio.run(go())

    def complete(self, messages=MSGS, schema=Pick, **kw):
        return self.run(self.llm.complete(messages, schema=schema, purpose="test", **kw))

    def calls(self):
        return [dict(r) for r in self.store.conn.execute("SELECT * FROM llm_calls ORDER BY id")]


def offline_fallback(h: Harness, messages=MSGS, schema=Pick) -> str:
    """What classify/summarize do: the LLM answer, or the offline path on any LLMError."""
    try:
        return h.complete(messages, schema).data.category
    except LLMError:
        return "offline"


# ---- structured output ------------------------------------------------------------------------------------
def test_json_schema_mode_tokens_cost_and_log():
    with FakeOpenAIServer([Reply.ok(GOOD, tokens_in=1200, tokens_out=300)]) as srv:
        h = Harness(srv)
        r = h.complete()
    assert isinstance(r.data, Pick) and r.data.category == "cv"
    assert (r.mode, r.cached, r.attempts) == ("json_schema", False, 1)
    req = srv.completion_requests[0].body
    rf = req["response_format"]
    assert rf["type"] == "json_schema" and rf["json_schema"]["name"] == "Pick"
    assert rf["json_schema"]["schema"]["properties"]["reasons"]["maxItems"] == 3
    assert rf["json_schema"]["strict"] is True
    assert req["max_tokens"] == 1500 and req["temperature"] == 0.0  # a non-OpenAI server: max_tokens
    assert srv.completion_requests[0].headers["authorization"] == f"Bearer {KEY}"
    assert (r.tokens_in, r.tokens_out) == (1200, 300)
    assert r.cost_usd == pytest.approx((1200 * 0.15 + 300 * 0.60) / 1e6)
    t = h.totals
    assert (t.calls, t.cached, t.failed, t.tokens_in, t.tokens_out) == (1, 0, 0, 1200, 300)
    assert t.cost_usd == pytest.approx(r.cost_usd) and t.provider == "openai:gpt-4o-mini"
    (row,) = h.calls()
    assert (row["run_id"], row["purpose"], row["status"], row["mode"], row["tokens_in"]) == (7, "test", "ok", "json_schema", 1200)
    assert row["latency_s"] > 0 and row["cost_usd"] == pytest.approx(r.cost_usd)


def test_llamacpp_like_server_discovers_json_object_and_remembers_it(tmp_path):
    db = tmp_path / "a.sqlite3"
    with FakeOpenAIServer(reject_modes={"json_schema": 500}) as srv:
        h = Harness(srv, Store(db))
        r = h.complete()
        assert r.mode == "json_object" and isinstance(r.data, Pick)
        # json_schema: a 500, retried once (could be a glitch), a 500 again -> next mode
        assert [q.mode for q in srv.completion_requests] == ["json_schema", "json_schema", "json_object"]
        sent = srv.completion_requests[-1].body
        assert sent["response_format"]["type"] == "json_object"
        assert sent["response_format"]["schema"]["properties"]["reasons"]["maxItems"] == 3
        assert "JSON Schema" in sent["messages"][0]["content"]  # schema also in the prompt for JSON mode
        h.store.close()

        # a later run (new process: memory forgotten, same database) goes straight to json_object
        srv.reset()
        h2 = Harness(srv, Store(db))
        r2 = h2.complete([Message(role="user", content="another item")])
        assert r2.mode == "json_object"
        assert [q.mode for q in srv.completion_requests] == ["json_object"]
        assert h2.store.conn.execute("SELECT mode FROM llm_modes").fetchone()[0] == "json_object"


def test_ladder_down_to_tool_call_then_prompt():
    with FakeOpenAIServer([Reply.ok(GOOD)], reject_modes={"json_schema": 400, "json_object": 400}) as srv:
        h = Harness(srv)
        r = h.complete()
    assert r.mode == "tools" and r.data.category == "cv"
    body = srv.completion_requests[-1].body
    assert body["tools"][0]["function"]["parameters"]["properties"]["reasons"]["maxItems"] == 3
    assert body["tool_choice"] == {"type": "function", "function": {"name": "Pick"}}
    assert [q.mode for q in srv.completion_requests] == ["json_schema", "json_object", "tools"]  # 400s: no retry

    fenced = Reply.text('Here you go:\n```json\n{"category": "llm", "reasons": ["text"]}\n```')
    with FakeOpenAIServer([fenced], reject_modes=["json_schema", "json_object", "tools"]) as srv:
        h = Harness(srv)
        r = h.complete()
    assert r.mode == "prompt" and r.data.category == "llm"
    assert "JSON Schema" in srv.completion_requests[-1].body["messages"][0]["content"]


def test_plain_text_call_and_wrong_language_is_returned_as_is():
    korean = "이 논문은 비디오 확산 모델을 제안한다."
    with FakeOpenAIServer([Reply.text("This paper proposes a video diffusion model."), Reply.text(korean)]) as srv:
        h = Harness(srv)
        r1 = h.complete(schema=None)
        r2 = h.complete([Message(role="user", content="요약해 주세요")], schema=None)
    assert r1.mode == "text" and r1.data is None and r1.text.startswith("This paper")
    assert r2.text == korean  # language checks belong to the summarizer
    assert "response_format" not in srv.completion_requests[0].body


# ---- transient faults: retried ------------------------------------------------------------------------------
def test_429_retry_after_is_honoured():
    with FakeOpenAIServer([Reply.rate_limited(retry_after=1), Reply.ok(GOOD)]) as srv:
        h = Harness(srv)
        r = h.complete()
    assert r.data.category == "cv" and r.attempts == 2 and srv.count == 2
    assert h.sleeps == [1.0]


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_is_retried_with_backoff(status):
    with FakeOpenAIServer([Reply.server_error(status), Reply.ok(GOOD)]) as srv:
        h = Harness(srv)
        r = h.complete()
    assert r.data.category == "cv" and srv.count == 2
    assert len(h.sleeps) == 1 and 0 <= h.sleeps[0] <= 1.0  # full jitter, first step base 1 s


def test_hang_times_out_then_succeeds():
    with FakeOpenAIServer([Reply.hang_forever(), Reply.ok(GOOD)]) as srv:
        h = Harness(srv, timeout_s=0.4)
        t0 = time.monotonic()
        r = h.complete()
        elapsed = time.monotonic() - t0
    assert r.data.category == "cv" and srv.count == 2
    assert elapsed < 5


def test_garbage_body_is_retried():
    with FakeOpenAIServer([Reply.garbage_body(), Reply.ok(GOOD)]) as srv:
        h = Harness(srv)
        assert h.complete().data.category == "cv"
    assert srv.count == 2


def test_connection_refused_is_retried_then_llm_error():
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]

    class Dead:
        base_url = f"http://127.0.0.1:{port}/v1"

    h = Harness(Dead(), breaker_failures=10)  # type: ignore[arg-type]  # (the breaker is tested in test_llm_limits)
    with pytest.raises(LLMError, match="connection") as ei:
        h.complete()
    assert "after 3 attempts" in str(ei.value) and len(h.sleeps) == 2
    assert h.totals.failed == 1 and h.calls()[0]["status"] == "error"


# ---- permanent faults: one clear error, the caller goes offline ---------------------------------------
ALWAYS = {
    "429": lambda: Reply.rate_limited(retry_after=1),
    "500": lambda: Reply.server_error(500),
    "hang": lambda: Reply.hang_forever(),
    "invalid_json": Reply.invalid_json,
    "empty": Reply.empty,
    "refusal_text": Reply.refusal_text,
    "explicit_refusal": Reply.explicit_refusal,
    "schema_mismatch": lambda: Reply.ok({"category": "sports", "reasons": "many"}),
    "401": Reply.unauthorized,
    "404": lambda: Reply.model_not_found("gpt-4o-mini"),
}


@pytest.mark.parametrize("fault", sorted(ALWAYS))
def test_every_persistent_fault_becomes_one_clear_llm_error(fault, caplog):
    caplog.set_level(logging.DEBUG)
    with FakeOpenAIServer([ALWAYS[fault]() for _ in range(10)]) as srv:
        srv.reset()
        h = Harness(srv, timeout_s=0.3, retries=1)
        h.llm.mode_memory.known[("openai", srv.base_url, "gpt-4o-mini")] = "json_schema"  # skip discovery here
        assert offline_fallback(h) == "offline"
        with pytest.raises(LLMError) as ei:
            h.complete([Message(role="user", content="second item")])
    msg = str(ei.value)
    assert "\n" not in msg and "Traceback" not in msg and msg.startswith("openai:gpt-4o-mini")
    assert KEY not in msg and KEY not in caplog.text
    assert h.totals.failed == 2 and h.totals.cached == 0
    assert all(c["status"] == "error" and c["error"] for c in h.calls())
    if fault in ("401", "404"):
        assert isinstance(ei.value, LLMFatal) and srv.count == 1  # never retried, and not asked again
    elif fault == "429":
        assert srv.count == 4  # 1 try + 1 retry per call (rate limiting does not open the circuit breaker)
    elif fault in ("500", "hang"):
        # 1 try + 1 retry, then the second call's first failure is the 3rd in a row: the circuit breaker opens
        assert srv.count == 3 and "circuit breaker" in msg and h.totals.offline
    else:
        assert srv.count == 4  # invalid output: 1 try + 1 retry with the error fed back
        assert "invalid output after one retry" in msg


def test_invalid_output_is_retried_once_with_the_error_fed_back():
    with FakeOpenAIServer([Reply.invalid_json(), Reply.ok(GOOD)]) as srv:
        h = Harness(srv)
        r = h.complete()
    assert r.data.category == "cv" and r.attempts == 2
    retry = srv.completion_requests[1].body["messages"]
    assert retry[-2]["role"] == "assistant" and retry[-2]["content"].startswith('{"category": "llm", "reason": "unterm')
    assert retry[-1]["role"] == "user" and "not valid JSON" in retry[-1]["content"]


def test_schema_mismatch_feedback_names_the_field():
    with FakeOpenAIServer([Reply.ok({"category": "sports", "reasons": []}), Reply.ok(GOOD)]) as srv:
        h = Harness(srv)
        r = h.complete()
    assert r.data.category == "cv"
    feedback = srv.completion_requests[1].body["messages"][-1]["content"]
    assert "does not match the schema" in feedback and "category" in feedback


def test_refusal_then_compliance():
    with FakeOpenAIServer([Reply.refusal_text(), Reply.ok(GOOD)]) as srv:
        h = Harness(srv)
        r = h.complete()
    assert r.data.category == "cv"
    assert "no JSON" in srv.completion_requests[1].body["messages"][-1]["content"]


def test_truncated_answer_feedback_says_cut_off():
    cut = Reply(content='{"category": "cv", "reasons": ["a very long', finish_reason="length")
    with FakeOpenAIServer([cut, Reply.ok(GOOD)]) as srv:
        h = Harness(srv)
        h.complete()
    assert "cut off" in srv.completion_requests[1].body["messages"][-1]["content"]


def test_auth_error_names_env_var_and_never_leaks_the_key(caplog):
    caplog.set_level(logging.DEBUG)
    leaky = Reply.unauthorized(f"Incorrect API key provided: {KEY}. You can find your API key at ...")
    with FakeOpenAIServer([leaky]) as srv:
        h = Harness(srv)
        with pytest.raises(LLMFatal) as ei:
            h.complete()
    msg = str(ei.value)
    assert "OPENAI_API_KEY" in msg and "HTTP 401" in msg
    assert KEY not in msg and KEY not in caplog.text
    assert srv.count == 1 and h.sleeps == []  # fail fast
    dump = repr(h.calls())
    assert KEY not in dump
    assert KEY[:12] not in repr(h.store.conn.execute("SELECT * FROM llm_cache").fetchall())


def test_model_not_found_names_the_model():
    with FakeOpenAIServer([Reply.model_not_found("gpt-9")]) as srv:
        h = Harness(srv, model="gpt-9")
        with pytest.raises(LLMFatal, match=r"model 'gpt-9' not found .*--llm"):
            h.complete()
    assert srv.count == 1


def test_sdk_retries_are_disabled():
    """Our retries are the only ones: retries=0 means exactly one HTTP request."""
    with FakeOpenAIServer([Reply.server_error(503) for _ in range(5)]) as srv:
        h = Harness(srv, retries=0)
        h.llm.mode_memory.known[("openai", srv.base_url, "gpt-4o-mini")] = "json_schema"
        with pytest.raises(LLMError, match="HTTP 503"):
            h.complete()
    assert srv.count == 1


# ---- concurrency ------------------------------------------------------------------------------------------
def test_concurrency_limit_is_global():
    with FakeOpenAIServer(latency_s=0.15) as srv:
        h = Harness(srv, concurrency=2)
        h.llm.mode_memory.known[("openai", srv.base_url, "gpt-4o-mini")] = "json_schema"

        async def many():
            return await asyncio.gather(
                *(h.llm.complete([Message(role="user", content=f"item {i}")], schema=Pick) for i in range(6))
            )

        results = h.run(many())
    assert len(results) == 6 and all(isinstance(r.data, Pick) for r in results)
    assert srv.count == 6 and srv.max_in_flight == 2


def test_discovery_happens_once_under_concurrency():
    with FakeOpenAIServer(reject_modes={"json_schema": 500}, latency_s=0.05) as srv:
        h = Harness(srv, concurrency=4)

        async def many():
            return await asyncio.gather(
                *(h.llm.complete([Message(role="user", content=f"item {i}")], schema=Pick) for i in range(4))
            )

        results = h.run(many())
    assert {r.mode for r in results} == {"json_object"}
    modes = [q.mode for q in srv.completion_requests]
    assert modes.count("json_schema") == 2 and modes.count("json_object") == 4


def test_calls_waiting_for_discovery_then_run_concurrently():
    """The calls that waited while the first one discovered the mode must not also run one by one (they did:
    the wait held the discovery lock through each call, making a day's first classification N rounds)."""
    with FakeOpenAIServer(reject_modes={"json_schema": 500}, latency_s=0.3) as srv:
        h = Harness(srv, concurrency=4)

        async def many():
            return await asyncio.gather(
                *(h.llm.complete([Message(role="user", content=f"item {i}")], schema=Pick) for i in range(4))
            )

        results = h.run(many())
    assert {r.mode for r in results} == {"json_object"}
    assert srv.max_in_flight == 3  # after the discovering call: the three others at once


def test_warm_up_learns_the_mode_with_one_tiny_call_and_calls_made_meanwhile_do_not_wait():
    """The pipeline starts warm_up() before collecting. Real calls made while its probe is out try the strongest
    mode themselves: an endpoint that accepts it answers them in one round (a real call discovering the mode
    under the lock would hold the others back for its whole duration)."""
    with FakeOpenAIServer(latency_s=0.3) as srv:
        h = Harness(srv, concurrency=8)

        async def go():
            warm = asyncio.create_task(h.llm.warm_up())
            await asyncio.sleep(0)  # started (it is now making the client in a thread)
            results = await asyncio.gather(
                *(h.llm.complete([Message(role="user", content=f"item {i}")], schema=Pick) for i in range(4))
            )
            await warm
            return results

        results = h.run(go())
        probes = [q for q in srv.completion_requests if "Reply with" in q.body["messages"][-1]["content"]]
        assert len(probes) == 1 and probes[0].body["max_tokens"] <= 64
        assert srv.count == 5 and srv.max_in_flight == 5  # nobody waited for anybody
        assert {r.mode for r in results} == {"json_schema"} and h.totals.calls == 5
        assert sorted(c["purpose"] for c in h.calls()) == [""] * 4 + ["discover-mode"]

        h2 = Harness(srv, store=h.store)  # the mode is known now: warm_up has nothing to do
        h2.run(h2.llm.warm_up())
        assert srv.count == 5 and h2.llm._state is None  # no call, not even a client


def test_calls_wait_for_the_probe_once_it_saw_a_mode_rejected():
    """A llama.cpp-like endpoint: once the probe's json_schema was rejected, real calls wait for it to find
    json_object instead of each walking down the ladder."""
    with FakeOpenAIServer(reject_modes={"json_schema": 500}, latency_s=0.3) as srv:
        h = Harness(srv, concurrency=8)

        async def go():
            warm = asyncio.create_task(h.llm.warm_up())
            while not any(q.mode == "json_object" for q in srv.completion_requests):  # the probe moved down
                await asyncio.sleep(0.01)
            results = await asyncio.gather(
                *(h.llm.complete([Message(role="user", content=f"item {i}")], schema=Pick) for i in range(4))
            )
            await warm
            return results

        results = h.run(go())
    modes = [q.mode for q in srv.completion_requests]
    assert {r.mode for r in results} == {"json_object"}
    assert modes.count("json_schema") == 2 and modes.count("json_object") == 5  # only the probe's rejections


def test_warm_up_never_raises():
    with FakeOpenAIServer([Reply.unauthorized()]) as srv:
        h = Harness(srv)
        h.run(h.llm.warm_up())  # a bad key: logged, and the first real call fails at once
        with pytest.raises(LLMFatal):
            h.complete()
    assert srv.count == 1


# ---- the fake itself, as the benchmark uses it ------------------------------------------------------------
def test_fake_server_latency_token_rate_and_custom_responder():
    """bench/ relies on per-server latency, token counts and rate, and on a pluggable responder."""
    with FakeOpenAIServer(latency_s=0.05, tokens_per_s=100, tokens_in=500, tokens_out=20) as srv:
        h = Harness(srv)
        t0 = time.monotonic()
        r = h.complete()
        elapsed = time.monotonic() - t0
    assert elapsed >= 0.25  # 0.05 s + 20 tokens / 100 tokens/s
    assert (r.tokens_in, r.tokens_out) == (500, 20)
    Pick.model_validate(r.data.model_dump())  # the default responder answers from the request's schema

    seen = []

    def responder(req):
        seen.append(req.mode)
        return Reply.ok({"category": "llm", "reasons": [req.body["model"]]})

    with FakeOpenAIServer(responder=responder) as srv:
        r = Harness(srv).complete()
    assert r.data.reasons == ["gpt-4o-mini"] and seen == ["json_schema"]
