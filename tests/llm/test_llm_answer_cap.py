"""An LLM answer has a size cap, as a fetched page has (llm.max_response_bytes, aidigest.llm.bodycap): an endpoint
that streams a huge body fails the call fast with bounded memory, and the run takes its offline fallback, named in
run health. Before the cap a 200 MB answer was read whole (a run grew to 4.9 GB) and the run exited 0 as if the
answer were fine.

The endpoint is `FloodServer` below, a real HTTP server on 127.0.0.1 that fakes a broken OpenAI-compatible
endpoint: it answers every POST with 200 and the start of a chat completion whose content never ends (up to
`total` bytes), written in 64 kB chunks; it counts the bytes the client took before it hung up."""

from __future__ import annotations

import asyncio
import resource
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from clihelp import DAY, DEMO, aidigest, no_traceback  # noqa: E402

from aidigest.config import Config
from aidigest.llm.base import LLMError, Message
from aidigest.llm.factory import make_llm
from aidigest.records import LLMTotals
from aidigest.infra.store import Store

CHUNK = b"a" * 65536
MB = 1_000_000


class FloodServer:
    def __init__(self, total: int, declare_length: bool = False):
        self.total, self.declare_length = total, declare_length
        self.sent = 0
        self.requests = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"  # the body ends when the connection closes: no length needed

            def log_message(self, *a):
                pass

            def do_POST(self):
                self.rfile.read(int(self.headers.get("content-length") or 0))
                outer.requests += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                if outer.declare_length:
                    self.send_header("Content-Length", str(outer.total))
                self.end_headers()
                try:
                    self.wfile.write(b'{"choices": [{"message": {"role": "assistant", "content": "')
                    written = 0
                    while written < outer.total:
                        self.wfile.write(CHUNK)
                        written += len(CHUNK)
                        outer.sent += len(CHUNK)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def __enter__(self):
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def ask(srv: FloodServer, provider: str = "openai", **llm_cfg) -> tuple[Exception | None, float]:
    cfg = Config().updated(llm={"provider": f"{provider}:flood-model", "timeout_s": 30.0, "retries": 0, **llm_cfg})
    env = ({"OPENAI_BASE_URL": srv.base_url, "OPENAI_API_KEY": "sk-x"} if provider == "openai" else
           {"ANTHROPIC_BASE_URL": srv.base_url.removesuffix("/v1"), "ANTHROPIC_API_KEY": "sk-ant-x"})

    async def no_sleep(_s: float) -> None:
        pass

    llm = make_llm(cfg, Store(), 7, LLMTotals(), env=env, sleep=no_sleep)

    async def go():
        try:
            await llm.complete([Message(role="user", content="One sentence, please.")], purpose="test")
        finally:
            await llm.aclose()

    t0 = time.monotonic()
    try:
        asyncio.run(go())
    except Exception as e:  # noqa: BLE001 - the test inspects what came out
        return e, time.monotonic() - t0
    return None, time.monotonic() - t0


@pytest.mark.parametrize("provider", ["openai", "anthropic"])  # our httpx client; the Anthropic SDK's
def test_a_huge_answer_fails_the_call_fast_with_bounded_memory(provider):
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kB, the peak so far
    with FloodServer(total=200 * MB) as srv:
        err, seconds = ask(srv, provider)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1000
    assert isinstance(err, LLMError), err
    assert "max_response_bytes" in str(err) and "4,000,000" in str(err)
    assert srv.requests == 1  # retries = 0: one attempt
    # the client hung up just past the 4 MB cap (kernel socket buffers hold a few MB more): far from the 200 MB
    assert srv.sent < 30 * MB, srv.sent
    assert grown_mb < 60, f"the process grew by {grown_mb:.0f} MB"
    assert seconds < 20


def test_a_declared_length_above_the_cap_fails_before_the_body_and_the_cap_is_configurable():
    with FloodServer(total=50 * MB, declare_length=True) as srv:
        err, _ = ask(srv, max_response_bytes=100_000)
    assert isinstance(err, LLMError) and "50,000,000 declared" in str(err) and "100,000" in str(err), err
    assert srv.sent < 30 * MB
    with pytest.raises(Exception, match="max_response_bytes"):
        Config().updated(llm={"max_response_bytes": 10})


def test_a_run_against_a_flooding_endpoint_falls_back_offline_and_says_so(tmp_path):
    with FloodServer(total=100 * MB) as srv:
        r = aidigest("run", "--date", DAY, "--replay", str(DEMO), "--db", str(tmp_path / "s.db"), "--out",
                     str(tmp_path / "r"), "--llm", "openai:flood-model", cwd=tmp_path,
                     env={"OPENAI_BASE_URL": srv.base_url, "OPENAI_API_KEY": "sk-x"}, timeout=300)
    assert r.returncode == 0 and no_traceback(r), r.stderr[-3000:]
    assert "max_response_bytes" in r.stderr  # the fallback is named on the console ...
    report = (tmp_path / "r" / DAY / f"News_{DAY}_report.md").read_text(encoding="utf-8")
    assert "llm.max\\_response\\_bytes" in report and "classified offline" in report  # ... and in run health
    assert srv.sent < srv.requests * 30 * MB
