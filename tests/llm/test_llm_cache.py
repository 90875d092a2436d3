"""Cache (a rerun makes zero LLM calls), the call log, cache stats/clear, and the run budget."""

from __future__ import annotations

import asyncio
import time

import pytest
from pydantic import BaseModel, Field

from aidigest.config import Config, LLMPrice
from aidigest.llm.base import BudgetExceeded, LLMError, Message
from aidigest.llm.cache import cache_clear, cache_stats
from aidigest.llm.factory import make_llm
from aidigest.records import LLMTotals
from aidigest.infra.store import Store
from fakes.fake_openai import FakeOpenAIServer, Reply

KEY = "sk-test-CACHEKEY0123456789"


class Summary(BaseModel):
    headline: str
    bullets: list[str] = Field(max_length=4)


def build(srv, store, totals=None, model="gpt-4o-mini", run_id=1, **llm_cfg):
    cfg = Config()
    cfg = cfg.updated(llm={"provider": f"openai:{model}", "timeout_s": 2.0, **llm_cfg})
    totals = totals if totals is not None else LLMTotals()

    async def no_sleep(s):
        pass

    llm = make_llm(cfg, store, run_id, totals, env={"OPENAI_BASE_URL": srv.base_url, "OPENAI_API_KEY": KEY}, sleep=no_sleep)
    return llm, totals


def ask(llm, text, schema=Summary, **kw):
    async def go():
        try:
            return await llm.complete([Message(role="user", content=text)], schema=schema, purpose="summarize:cv", **kw)
        finally:
            await llm.aclose()

    return asyncio.run(go())


def test_second_identical_call_makes_no_request_and_rerun_is_free(tmp_path):
    db = tmp_path / "digest.sqlite3"
    with FakeOpenAIServer(tokens_in=400, tokens_out=100) as srv:
        store = Store(db)
        llm, totals = build(srv, store)
        first = ask(llm, "Summarize: a new vision transformer")
        assert srv.count == 1 and not first.cached
        second = ask(llm, "Summarize: a new vision transformer")
        assert srv.count == 1, "the cache must answer the identical call"
        assert second.cached and second.data == first.data and second.text == first.text
        assert (second.tokens_in, second.tokens_out, second.cost_usd) == (0, 0, 0.0)  # cached answers are free
        assert (totals.calls, totals.cached, totals.tokens_in) == (1, 1, 400)

        # anything that changes the answer changes the key
        ask(llm, "Summarize: a new vision transformer", temperature=0.7)
        ask(llm, "Summarize: a new vision transformer", max_output_tokens=200)
        ask(llm, "Summarize: a new vision transformer", schema=None)
        assert srv.count == 4
        store.close()

        # a rerun (new process, same database) makes zero calls
        srv.reset()
        store2 = Store(db)
        llm2, totals2 = build(srv, store2, run_id=2)
        again = ask(llm2, "Summarize: a new vision transformer")
        assert srv.count == 0 and again.cached and again.data == first.data
        assert (totals2.calls, totals2.cached, totals2.cost_usd) == (0, 1, 0.0)
        rows = store2.conn.execute("SELECT run_id, status, cached, tokens_in FROM llm_calls ORDER BY id").fetchall()
        assert [tuple(r) for r in rows] == [(1, "ok", 0, 400), (1, "cached", 1, 0), (1, "ok", 0, 400),
                                            (1, "ok", 0, 400), (1, "ok", 0, 400), (2, "cached", 1, 0)]


def test_cache_stats_and_clear(tmp_path):
    with FakeOpenAIServer(tokens_in=1_000_000, tokens_out=0) as srv:  # 1M input tokens of gpt-4o-mini = $0.15
        store = Store(tmp_path / "s.sqlite3")
        llm, _ = build(srv, store)
        ask(llm, "a")
        ask(llm, "b")
        ask(llm, "a")
        ask(llm, "a")
        st = cache_stats(store)
        assert st.entries == 2 and st.hits == 2 and st.calls_logged == 4
        assert st.cost_usd == pytest.approx(0.30) and st.saved_usd == pytest.approx(0.30)
        assert st.tokens_in == 2_000_000
        (m,) = st.by_model
        assert (m.provider, m.model, m.entries, m.hits) == ("openai", "gpt-4o-mini", 2, 2)
        assert st.oldest is not None and st.oldest <= st.newest
        assert list(st.modes.values()) == ["json_schema"]
        assert "CACHEKEY" not in st.model_dump_json()

        assert cache_clear(store, older_than_days=1) == 0  # both are fresh
        assert cache_clear(store, older_than_days=0, now=time.time() + 10) == 2
        assert cache_stats(store).entries == 0
        ask(llm, "a")
        assert srv.count == 3  # cleared: asked again
        assert cache_clear(store) == 1
        assert cache_stats(store).modes == {}  # a full clear also forgets discovered modes
        with pytest.raises(ValueError):
            cache_clear(store, older_than_days=-1)


def test_budget_usd_stops_new_calls_but_not_cached_answers():
    prices = {"pricey": LLMPrice(input=1000.0, output=1000.0)}  # $1 per 1k tokens
    with FakeOpenAIServer(tokens_in=900, tokens_out=100) as srv:  # $1.00 per call
        store = Store()
        llm, totals = build(srv, store, model="pricey", prices=prices, budget_usd=1.5)
        assert ask(llm, "one").cost_usd == pytest.approx(1.0)
        ask(llm, "two")  # spent 1.0 < 1.5: allowed (the call in flight may overshoot)
        assert totals.cost_usd == pytest.approx(2.0)
        with pytest.raises(BudgetExceeded, match=r"budget of \$1.5000 reached"):
            ask(llm, "three")
        assert srv.count == 2 and totals.budget_stopped
        assert isinstance(BudgetExceeded("x"), LLMError)  # callers catching LLMError go offline
        again = ask(llm, "one")  # cached answers are free and allowed past the budget
        assert again.cached and srv.count == 2
        statuses = [r[0] for r in store.conn.execute("SELECT status FROM llm_calls ORDER BY id")]
        assert statuses == ["ok", "ok", "budget", "cached"]
        assert totals.calls == 2 and totals.failed == 0


def test_max_tokens_stops_new_calls():
    with FakeOpenAIServer(tokens_in=80, tokens_out=40) as srv:
        llm, totals = build(srv, Store(), max_tokens=200)
        ask(llm, "one")
        assert totals.tokens_in + totals.tokens_out == 120
        ask(llm, "two")
        with pytest.raises(BudgetExceeded, match="token limit of 200"):
            ask(llm, "three")
        assert srv.count == 2 and totals.budget_stopped


def test_budget_is_checked_again_after_waiting_for_a_slot():
    """Calls queued behind the concurrency limit do not start once the budget is spent meanwhile."""
    with FakeOpenAIServer(tokens_in=150, tokens_out=50, latency_s=0.1) as srv:
        store = Store()
        llm, totals = build(srv, store, max_tokens=150, concurrency=1)
        llm.mode_memory.known[("openai", srv.base_url, "gpt-4o-mini")] = "json_schema"

        async def many():
            try:
                return await asyncio.gather(
                    *(llm.complete([Message(role="user", content=f"item {i}")], schema=Summary) for i in range(4)),
                    return_exceptions=True,
                )
            finally:
                await llm.aclose()

        results = asyncio.run(many())
    ok = [r for r in results if not isinstance(r, Exception)]
    stopped = [r for r in results if isinstance(r, BudgetExceeded)]
    assert len(ok) == 1 and len(stopped) == 3 and srv.count == 1


def test_unpriced_model_costs_zero_and_says_so():
    with FakeOpenAIServer(tokens_in=1000, tokens_out=1000) as srv:
        llm, totals = build(srv, Store(), model="qwen2.5-7b-instruct-local", budget_usd=0.0001)
        r = ask(llm, "x")
        assert r.cost_usd == 0.0 and totals.cost_usd == 0.0
        assert totals.unpriced
        ask(llm, "y")  # a $ budget cannot stop an unpriced model (max_tokens can)
        assert srv.count == 2


def test_failed_call_is_logged_with_its_tokens_and_not_cached():
    with FakeOpenAIServer([Reply.invalid_json(), Reply.invalid_json()], tokens_in=10, tokens_out=5) as srv:
        store = Store()
        llm, totals = build(srv, store)
        with pytest.raises(LLMError):
            ask(llm, "x")
        assert store.query_one("SELECT COUNT(*) FROM llm_cache")[0] == 0
        (row,) = store.conn.execute("SELECT status, tokens_in, attempts, error FROM llm_calls").fetchall()
        assert row["status"] == "error" and row["tokens_in"] == 20 and row["attempts"] == 2
        assert "not valid JSON" in row["error"]
        assert (totals.calls, totals.failed, totals.tokens_in) == (1, 1, 20)  # failed tokens still cost
        ask(llm, "x")  # not cached: the next run asks again
        assert srv.count == 3
