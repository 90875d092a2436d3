"""The shared HTTP layer against a real HTTP server on 127.0.0.1 (real sockets, scripted answers)."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpcore
import httpx
import pytest

from aidigest.config import HttpConfig
from aidigest.infra.http import (
    FetchError,
    HttpClient,
    Recording,
    ReplayMissing,
    ResponseTooLarge,
    backoff_delay,
    parse_retry_after,
)
from aidigest.infra.transport import BackendTransport


class ScriptedServer:
    """Answers each path from a list of scripted responses (status, headers, body, delay); records requests."""

    def __init__(self):
        self.script: dict[str, list[tuple[int, dict, bytes, float]]] = {}
        self.requests: list[tuple[str, dict]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                with lock:
                    outer.requests.append((self.path, dict(self.headers)))
                    outer.in_flight += 1
                    outer.max_in_flight = max(outer.max_in_flight, outer.in_flight)
                    steps = outer.script.get(self.path.split("?")[0], [(404, {}, b"not scripted", 0.0)])
                    status, headers, body, delay = steps.pop(0) if len(steps) > 1 else steps[0]
                try:
                    if delay:
                        time.sleep(delay)
                    self.send_response(status)
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                finally:
                    with lock:
                        outer.in_flight -= 1

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = ScriptedServer()
    yield s
    s.close()


def client(**kw) -> tuple[HttpClient, list[float]]:
    sleeps: list[float] = []

    async def fake_sleep(s: float) -> None:  # records backoff waits instead of sleeping them
        sleeps.append(s)

    # the scripted server is on 127.0.0.1, which the SSRF guard refuses unless allowed explicitly
    cfg = HttpConfig(**{"timeout_s": 2.0, "retries": 3, "allow_networks": ["127.0.0.1/32"], **kw})
    return HttpClient(cfg, sleep=fake_sleep), sleeps


def run(coro):
    return asyncio.run(coro)


def test_retry_after_is_honoured_on_429(server):
    server.script["/a"] = [(429, {"Retry-After": "7"}, b"slow down", 0), (200, {}, b"ok", 0)]
    http, sleeps = client()

    async def go():
        async with http:
            return await http.get(server.base + "/a")

    r = run(go())
    assert r.status == 200 and r.body == b"ok"
    assert sleeps == [7.0]
    assert http.stats.retries == 1


def test_5xx_retried_with_backoff_then_gives_up_naming_url(server):
    server.script["/b"] = [(503, {}, b"down", 0)]
    http, sleeps = client(retries=2, backoff_base_s=0.5, backoff_max_s=30)

    async def go():
        async with http:
            return await http.get(server.base + "/b")

    with pytest.raises(FetchError) as e:
        run(go())
    assert "/b" in str(e.value) and "HTTP 503" in str(e.value) and "3 attempts" in str(e.value)
    assert len(sleeps) == 2 and sleeps[0] <= 0.5 and sleeps[1] <= 1.0
    assert len(server.requests) == 3


def test_404_is_returned_not_retried(server):
    server.script["/gone"] = [(404, {}, b"nope", 0)]
    http, sleeps = client()

    async def go():
        async with http:
            return await http.get(server.base + "/gone")

    assert run(go()).status == 404
    assert sleeps == [] and len(server.requests) == 1


def test_timeout_is_retried_then_fails(server):
    server.script["/hang"] = [(200, {}, b"late", 1.5)]
    http, _ = client(timeout_s=0.3, retries=1)

    async def go():
        async with http:
            return await http.get(server.base + "/hang")

    with pytest.raises(FetchError) as e:
        run(go())
    assert "Timeout" in str(e.value)


def test_response_size_cap(server):
    server.script["/big"] = [(200, {}, b"x" * 5000, 0)]
    http, _ = client(max_bytes=1000)

    async def go():
        async with http:
            return await http.get(server.base + "/big")

    with pytest.raises(ResponseTooLarge):
        run(go())


def test_user_agent_and_concurrency_limits(server):
    server.script["/slow"] = [(200, {}, b"ok", 0.2)]
    http, _ = client(max_concurrency=8, per_host=2)

    async def go():
        async with http:
            await asyncio.gather(*(http.get(f"{server.base}/slow?i={i}") for i in range(6)))

    run(go())
    assert server.max_in_flight <= 2
    assert all(h.get("User-Agent", "").startswith("aidigest/") for _, h in server.requests)


class MemoryValidators:
    def __init__(self):
        self.data = {}

    def get_validators(self, url):
        return self.data.get(url, (None, None, None))

    def put_validators(self, url, etag, last_modified, body):
        self.data[url] = (etag, last_modified, body)


def test_conditional_request_uses_etag(server):
    server.script["/feed"] = [(200, {"ETag": '"v1"'}, b"<rss/>", 0), (304, {}, b"", 0)]
    http, _ = client()
    http.validators = MemoryValidators()

    async def go():
        async with http:
            a = await http.get(server.base + "/feed", conditional=True)
            b = await http.get(server.base + "/feed", conditional=True)
            return a, b

    a, b = run(go())
    assert a.body == b.body == b"<rss/>" and b.from_cache
    assert server.requests[1][1].get("If-None-Match") == '"v1"'


def test_record_then_replay_without_network(server, tmp_path):
    server.script["/api"] = [(200, {"Content-Type": "application/json"}, b'{"x": 1}', 0)]
    rec = HttpClient.create(HttpConfig(allow_networks=["127.0.0.1/32"]), record=tmp_path / "rec")

    async def record():
        async with rec:
            return await rec.get(server.base + "/api", params={"b": 2, "a": 1})

    assert run(record()).json() == {"x": 1}
    server.close()  # the network is gone; replay must not need it
    index = json.loads((tmp_path / "rec" / "index.json").read_text())
    assert len(index["entries"]) == 1 and index["entries"][0]["status"] == 200

    rep = HttpClient.create(HttpConfig(allow_networks=["127.0.0.1/32"]), replay=tmp_path / "rec")

    async def replay():
        async with rep:
            ok = await rep.get(server.base + "/api", params={"a": 1, "b": 2})  # param order doesn't matter
            with pytest.raises(ReplayMissing) as e:
                await rep.get(server.base + "/missing")
            return ok, str(e.value)

    ok, msg = run(replay())
    assert ok.json() == {"x": 1}
    assert "/missing" in msg


def test_recording_add_and_lookup_roundtrip(tmp_path):
    r = Recording(tmp_path)
    r.add("GET", "https://example.org/x?b=1&a=2", 200, {"Content-Type": "text/plain", "Set-Cookie": "s"}, b"hi")
    again = Recording(tmp_path)
    e = again.lookup("GET", "https://example.org/x?a=2&b=1")
    assert e is not None and again.body(e) == b"hi"
    assert "Set-Cookie" not in e["headers"]  # only content headers are kept, never cookies


def test_retry_after_parsing_and_backoff_bounds():
    assert parse_retry_after("12") == 12.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("garbage") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412480.0 - 10) == pytest.approx(10, abs=1)
    import random

    rng = random.Random(1)
    vals = [backoff_delay(a, 0.5, 4.0, rng) for a in range(10)]
    assert all(0 <= v <= 4.0 for v in vals)
    assert max(vals[5:]) > 1.0  # grows beyond the base


class RecordingBackend(httpcore.AsyncNetworkBackend):
    """httpcore's own network backend, recording each connection it is asked for (what GuardedBackend hooks)."""

    def __init__(self):
        self.inner = httpcore.AnyIOBackend()
        self.connects: list[tuple[str, int]] = []

    async def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        self.connects.append((host, port))
        return await self.inner.connect_tcp(host, port, timeout=timeout, local_address=local_address,
                                            socket_options=socket_options)

    async def sleep(self, seconds):
        await self.inner.sleep(seconds)


def test_the_live_transport_connects_through_the_network_backend_it_is_given(server):
    """The SSRF guard hangs on public API only (aidigest.infra.transport: httpx's transport API over
    `httpcore.AsyncConnectionPool(network_backend=...)`). Should an httpx or httpcore release stop routing connections
    through the backend, or raise its errors differently, this fails naming the versions."""
    server.script["/x"] = [(200, {"Content-Type": "text/plain"}, b"hello", 0)]
    port = int(server.base.rsplit(":", 1)[1])
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    backend = RecordingBackend()

    async def go():
        async with httpx.AsyncClient(transport=BackendTransport(backend)) as c:
            r = await c.get(server.base + "/x")
            with pytest.raises(httpx.ConnectError):
                await c.get(f"http://127.0.0.1:{closed}/x")
            return r.status_code, r.text

    versions = f"httpx {httpx.__version__}, httpcore {httpcore.__version__}"
    assert run(go()) == (200, "hello"), versions
    assert backend.connects == [("127.0.0.1", port), ("127.0.0.1", closed)], (
        f"{versions}: connections no longer go through the network backend, so the SSRF guard "
        "(aidigest.infra.netguard.GuardedBackend) would be bypassed: adapt aidigest.infra.transport")
