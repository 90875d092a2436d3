"""The Anthropic provider (official `anthropic` SDK, ANTHROPIC_BASE_URL pointed at a loopback fake)."""

from __future__ import annotations

import asyncio
import logging

import pytest
from pydantic import BaseModel, Field

from aidigest.config import Config
from aidigest.llm.base import LLMConfigError, LLMError, LLMFatal, Message
from aidigest.llm.factory import make_llm
from aidigest.records import LLMTotals
from aidigest.infra.store import Store
from fakes.fake_anthropic import FakeAnthropicServer, Reply

KEY = "sk-ant-api03-TESTSECRET0123456789"
MODEL = "claude-3-5-haiku-20241022"


class Verdict(BaseModel):
    category: str
    keywords: list[str] = Field(max_length=5)


GOOD = {"category": "robotics", "keywords": ["manipulation"]}
MSGS = [Message(role="system", content="You categorize AI news."), Message(role="user", content="A robot hand")]


def harness(srv, env_key=KEY, **llm_cfg):
    cfg = Config()
    cfg = cfg.updated(llm={"provider": f"anthropic:{MODEL}", "timeout_s": 2.0, "retries": 2, **llm_cfg})
    sleeps: list[float] = []

    async def fake_sleep(s):
        sleeps.append(s)

    totals = LLMTotals()
    store = Store()
    env = {"ANTHROPIC_BASE_URL": srv.base_url, "ANTHROPIC_API_KEY": env_key}
    llm = make_llm(cfg, store, 3, totals, env=env, sleep=fake_sleep)
    return llm, totals, sleeps, store


def run(llm, messages=MSGS, schema=Verdict):
    async def go():
        try:
            return await llm.complete(messages, schema=schema, purpose="classify")
        finally:
            await llm.aclose()

    return asyncio.run(go())


def test_tool_use_request_shape_usage_and_cost():
    with FakeAnthropicServer([Reply.ok(GOOD, tokens_in=2000, tokens_out=100)], api_key=KEY) as srv:
        llm, totals, _, store = harness(srv)
        r = run(llm)
    assert r.data == Verdict(**GOOD) and r.mode == "tools"
    req = srv.completion_requests[0]
    assert req.path == "/v1/messages"
    assert KEY in (req.headers.get("x-api-key"), req.headers.get("authorization", "").removeprefix("Bearer "))
    body = req.body
    assert body["system"] == "You categorize AI news."
    assert body["messages"] == [{"role": "user", "content": "A robot hand"}]
    assert body["tools"][0]["input_schema"]["properties"]["keywords"]["maxItems"] == 5
    assert body["tool_choice"] == {"type": "tool", "name": "Verdict"}
    assert body["max_tokens"] == 1500
    assert (r.tokens_in, r.tokens_out) == (2000, 100)
    assert r.cost_usd == pytest.approx((2000 * 0.80 + 100 * 4.0) / 1e6)
    assert totals.provider == f"anthropic:{MODEL}" and totals.calls == 1
    assert store.conn.execute("SELECT status, mode FROM llm_calls").fetchone()[:] == ("ok", "tools")


def test_plain_text_call():
    with FakeAnthropicServer([Reply.text("요약입니다.")]) as srv:
        llm, *_ = harness(srv)
        r = run(llm, schema=None)
    assert r.text == "요약입니다." and r.mode == "text" and "tools" not in srv.completion_requests[0].body


@pytest.mark.parametrize("fault", [Reply.overloaded, lambda: Reply.rate_limited(retry_after=1), Reply.server_error])
def test_529_429_500_are_retried(fault):
    with FakeAnthropicServer([fault(), Reply.ok(GOOD)]) as srv:
        llm, _, sleeps, _ = harness(srv)
        r = run(llm)
    assert r.data.category == "robotics" and srv.count == 2 and len(sleeps) == 1
    if sleeps[0] == 1.0:
        assert srv.completion_requests[0].answered == 429  # Retry-After: 1 honoured


def test_overloaded_for_good_is_one_clear_error():
    with FakeAnthropicServer([Reply.overloaded() for _ in range(5)]) as srv:
        llm, totals, sleeps, _ = harness(srv, retries=2)
        with pytest.raises(LLMError, match=r"HTTP 529.*after 3 attempts"):
            run(llm)
    assert srv.count == 3 and totals.failed == 1


def test_401_names_env_var_and_scrubs_the_key(caplog):
    caplog.set_level(logging.DEBUG)
    with FakeAnthropicServer(api_key="a-different-key") as srv:
        llm, totals, sleeps, store = harness(srv)
        with pytest.raises(LLMFatal) as ei:
            run(llm)
    assert "ANTHROPIC_API_KEY" in str(ei.value) and KEY not in str(ei.value)
    assert KEY not in caplog.text and KEY not in repr(store.conn.execute("SELECT * FROM llm_calls").fetchall())
    assert srv.count == 1 and sleeps == []


def test_404_model_not_found():
    with FakeAnthropicServer([Reply.model_not_found(MODEL)]) as srv:
        llm, *_ = harness(srv)
        with pytest.raises(LLMFatal, match=f"model '{MODEL}' not found"):
            run(llm)


def test_refusal_is_invalid_output_retried_with_feedback():
    with FakeAnthropicServer([Reply.explicit_refusal(), Reply.ok(GOOD)]) as srv:
        llm, *_ = harness(srv)
        r = run(llm)
    assert r.data.category == "robotics"
    retry = srv.completion_requests[1].body["messages"]
    assert retry[-1]["role"] == "user" and "refused" in retry[-1]["content"]
    assert retry[-2]["role"] == "assistant"


def test_text_instead_of_tool_use_twice_is_an_llm_error():
    with FakeAnthropicServer([Reply.refusal_text(), Reply.refusal_text()]) as srv:
        llm, totals, *_ = harness(srv)
        with pytest.raises(LLMError, match="invalid output after one retry: the answer contains no JSON"):
            run(llm)
    assert totals.failed == 1


def test_tool_use_rejected_falls_back_to_prompt_mode():
    with FakeAnthropicServer([Reply.text('{"category": "robotics", "keywords": []}')], reject_modes=["tools"]) as srv:
        llm, *_ = harness(srv)
        r = run(llm)
    assert r.mode == "prompt" and r.data.category == "robotics"
    assert [q.mode for q in srv.completion_requests] == ["tools", "prompt"]
    assert "JSON Schema" in srv.completion_requests[1].body["system"]


def test_missing_key_is_a_config_error():
    cfg = Config()
    cfg = cfg.updated(llm={"provider": f"anthropic:{MODEL}"})
    with pytest.raises(LLMConfigError, match="ANTHROPIC_API_KEY"):
        make_llm(cfg, None, None, LLMTotals(), env={})
