"""Issue 8, network half: no SSRF, bounded time, bounded memory in the HTTP layer.

Real sockets on loopback: an "internal" server on 127.0.0.1 (and ::1) holding a secret page, an "allowed"
server on 127.0.0.2 (allowed through `[http] allow_networks`, standing in for a public site) serving a feed
and a 302 to the cloud metadata address, a server that drips one byte at a time. The CLI test runs
`aidigest run` as a user would, with a config whose only source is that feed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gzip
import ipaddress
import json
import os
import socket
import subprocess
import sys
import threading
import time
import tracemalloc
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from aidigest.config import Config, HttpConfig
from aidigest.infra.http import Blocked, DeadlineExceeded, FetchError, HttpClient, Recording, ResponseTooLarge
from aidigest.records import Item, Sighting
from aidigest.infra.netguard import AddressPolicy, BlockedAddress, address_problem
from aidigest.sources.base import FetchContext
from aidigest.sources.hf_papers import HFPapersSource
from aidigest.sources.snippets import enrich_snippets
from aidigest.urls import canonical_key

from conftest import data_bytes

DAY = "2026-08-02"
SECRET = "INTERNAL-SECRET-7731"
ARTICLE = data_bytes("betacat_hn", "index_2023-06-29.html")  # a real page, as an allowed article


class _Server:
    """A threaded HTTP server on `host` answering from `routes`: path -> (status, headers, body)."""

    def __init__(self, host: str, routes: dict, family: int = socket.AF_INET):
        self.requested: list[str] = []
        outer = self

        class Srv(ThreadingHTTPServer):
            address_family = family

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                outer.requested.append(self.path)
                status, headers, body = routes.get(self.path.split("?")[0], (404, {}, b"no"))
                try:
                    self.send_response(status)
                    for k, v in headers.items():
                        self.send_header(k, v)
                    if callable(body):
                        self.end_headers()
                        body(self.wfile)
                        return
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = Srv((host, 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def _secret_page() -> bytes:
    return (f"<html><head><title>Internal admin</title></head><body><article><h1>Internal admin</h1>"
            f"<p>The deploy token is {SECRET}. It must never leave this network. "
            f"This page is served only on loopback addresses for the test.</p></article></body></html>").encode()


def _ipv6_ok() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def run(coro):
    return asyncio.run(coro)


# ---- the policy itself ---------------------------------------------------------------------------------
@pytest.mark.parametrize("addr", [
    "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "0.0.0.0", "224.0.0.1",
    "240.0.0.1", "100.64.0.1", "::1", "::", "fe80::1", "fc00::1", "ff02::1", "::ffff:127.0.0.1",
    "::ffff:169.254.169.254", "2002:7f00:1::", "64:ff9b::a9fe:a9fe",
])
def test_non_public_addresses_are_refused(addr):
    assert address_problem(ipaddress.ip_address(addr)) is not None


@pytest.mark.parametrize("addr", ["93.184.216.34", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_pass(addr):
    assert address_problem(ipaddress.ip_address(addr)) is None


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/x", "http://localhost:8080/", "http://LOCALHOST./", "http://foo.localhost/", "http://[::1]/",
    "http://[::ffff:127.0.0.1]/", "http://2130706433/", "http://0x7f.1/", "http://127.1/", "http://0/",
    "http://169.254.169.254/latest/meta-data/", "file:///etc/passwd", "gopher://127.0.0.1/",
])
def test_check_url_refuses_without_dns(url):
    with pytest.raises(BlockedAddress):
        AddressPolicy().check_url(url)


def test_allow_settings_are_explicit():
    AddressPolicy(allow_private=True).check_url("http://127.0.0.1/")
    AddressPolicy(allow_networks=["127.0.0.2/32"]).check_url("http://127.0.0.2/")
    with pytest.raises(BlockedAddress):
        AddressPolicy(allow_networks=["127.0.0.2/32"]).check_url("http://127.0.0.1/")


# ---- live fetches ---------------------------------------------------------------------------------------
@pytest.fixture
def internal():
    routes = {"/secret": (200, {"Content-Type": "text/html"}, _secret_page())}
    s4 = _Server("127.0.0.1", routes)
    s6 = _Server("::1", routes, socket.AF_INET6) if _ipv6_ok() else None
    yield s4, s6
    s4.close()
    if s6:
        s6.close()


@pytest.mark.parametrize("record", [False, True], ids=["live", "recording"])
def test_dns_answers_are_checked_on_the_address_connected(internal, monkeypatch, tmp_path, record):
    """A public-looking name whose DNS answer is 127.0.0.1 (DNS rebinding): refused at connect time, also when the
    responses are being recorded (`--record`)."""
    s4, _ = internal
    real = socket.getaddrinfo

    def fake_dns(host, *a, **kw):  # a test double for DNS only: this name resolves to loopback
        if host == "rebind.example.com":
            return real("127.0.0.1", *a, **kw)
        return real(host, *a, **kw)

    monkeypatch.setattr(socket, "getaddrinfo", fake_dns)

    async def go():
        async with HttpClient.create(HttpConfig(retries=0), record=tmp_path / "rec" if record else None) as http:
            with pytest.raises(Blocked) as e:
                await http.get(f"http://rebind.example.com:{s4.port}/secret")
            return str(e.value), http.stats.blocked

    msg, blocked = run(go())
    assert "loopback" in msg and len(blocked) == 1
    assert s4.requested == []


def test_a_redirect_to_the_metadata_address_is_refused(internal):
    allowed = _Server("127.0.0.2", {
        "/go": (302, {"Location": "http://169.254.169.254/latest/meta-data/iam/security-credentials/"}, b""),
        "/to-internal": (302, {"Location": f"http://127.0.0.1:{internal[0].port}/secret"}, b""),
    })
    try:
        async def go():
            async with HttpClient(HttpConfig(retries=2, allow_networks=["127.0.0.2/32"])) as http:
                errs = []
                for path in ("/go", "/to-internal"):
                    t0 = time.monotonic()
                    with pytest.raises(Blocked) as e:
                        await http.get(f"http://127.0.0.2:{allowed.port}{path}")
                    errs.append((str(e.value), time.monotonic() - t0))
                return errs, http.stats

        errs, stats = run(go())
        assert "169.254.169.254" in errs[0][0] and "link-local" in errs[0][0]
        assert "127.0.0.1" in errs[1][0] and "loopback" in errs[1][0]
        assert all(dt < 2 for _, dt in errs)  # refused, not tried (no connect timeout to the metadata address)
        assert allowed.requested == ["/go", "/to-internal"]  # no retries of a refused request
        assert internal[0].requested == [] and len(stats.blocked) == 2
    finally:
        allowed.close()


def _feed(base_internal: str, port6: int | None, allowed_base: str) -> bytes:
    links = [f"{base_internal}/secret", f"http://localhost:{base_internal.rsplit(':', 1)[1]}/secret",
             f"http://[::1]:{port6 or 9}/secret", f"{allowed_base}/go", f"{allowed_base}/article"]
    topics = ["a new GPU cluster", "robot hands", "speech models", "model licensing", "Canada's tech visa"]
    items = "".join(
        f"<item><title>Story about {topics[i]}</title><link>{link}</link>"
        f"<pubDate>Sun, 02 Aug 2026 0{i}:00:00 GMT</pubDate></item>"
        for i, link in enumerate(links)
    )
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><link>{allowed_base}/</link>'
            f"<description>d</description>{items}</channel></rss>").encode()


def test_snippets_never_fetch_internal_links(internal):
    s4, s6 = internal
    allowed = _Server("127.0.0.2", {
        "/go": (302, {"Location": "http://169.254.169.254/latest/meta-data/"}, b""),
        "/article": (200, {"Content-Type": "text/html"}, ARTICLE),
    })
    try:
        urls = [f"http://127.0.0.1:{s4.port}/secret", f"http://localhost:{s4.port}/secret",
                f"http://[::1]:{s6.port if s6 else 9}/secret", f"http://127.0.0.2:{allowed.port}/go",
                f"http://127.0.0.2:{allowed.port}/article"]
        items = [Item(kind="news", title=f"t{i}", url=u, key=canonical_key(u),
                      sightings=[Sighting(source="rss:x", url=u)]) for i, u in enumerate(urls)]
        cfg = Config()
        cfg = cfg.updated(http={"allow_networks": ["127.0.0.2/32"]})

        async def go():
            async with HttpClient.create(cfg.http) as http:
                return await enrich_snippets(items, FetchContext(dt.date(2026, 8, 2), http, cfg)), http.stats

        counts, stats = run(go())
        assert counts["blocked"] == 4 and counts["fetched"] == 1
        assert s4.requested == [] and (s6 is None or s6.requested == [])
        assert all(SECRET not in it.snippet for it in items) and items[-1].snippet
        assert len(stats.blocked) == 4 and any("169.254.169.254" in b for b in stats.blocked)
    finally:
        allowed.close()


def test_run_never_publishes_internal_pages(internal, tmp_path):
    """`aidigest run` on a feed whose entries link to 127.0.0.1, localhost, [::1] and a 302 to the metadata
    address: none is fetched, the run health names them, the secret is in no report, export or store."""
    s4, s6 = internal
    routes: dict = {}  # filled once the port is known (the feed names it)
    allowed = _Server("127.0.0.2", routes)
    base = f"http://127.0.0.2:{allowed.port}"
    routes.update({
        "/feed.xml": (200, {"Content-Type": "application/rss+xml"}, _feed(f"http://127.0.0.1:{s4.port}", s6 and s6.port, base)),
        "/go": (302, {"Location": "http://169.254.169.254/latest/meta-data/"}, b""),
        "/article": (200, {"Content-Type": "text/html"}, ARTICLE),
    })
    try:
        cfg = tmp_path / "aidigest.toml"
        cfg.write_text(f"""
[http]
allow_networks = ["127.0.0.2/32"]   # the stand-in for a public site; loopback itself stays refused
retries = 0
[sources.hackernews]
enabled = false
[sources.hf_papers]
enabled = false
[sources.arxiv]
enabled = false
[sources.techreview_kr]
enabled = false
[[sources.feeds]]
name = "hostile"
url = "{base}/feed.xml"
""")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AIDIGEST_", "OPENAI_", "ANTHROPIC_"))}
        r = subprocess.run(
            [sys.executable, "-m", "aidigest.cli", "run", "--date", DAY, "--config", str(cfg), "--db",
             str(tmp_path / "s.db"), "--out", str(tmp_path / "out")],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
        )
        assert r.returncode == 0, r.stderr
        assert s4.requested == [] and (s6 is None or s6.requested == [])
        assert "/article" in allowed.requested
        md = (tmp_path / "out" / DAY / f"News_{DAY}_report.md").read_text()
        health = md[md.index("🩺"):]
        assert "links refused" in health
        for needle in (f"127.0.0.1:{s4.port}", f"localhost:{s4.port}", "::1", "169.254.169.254"):  # ([ is escaped)
            assert needle in health, needle
        blob = b"".join(p.read_bytes() for p in (tmp_path / "out").rglob("*") if p.is_file())
        blob += (tmp_path / "s.db").read_bytes() + r.stdout.encode() + r.stderr.encode()
        assert SECRET.encode() not in blob
    finally:
        allowed.close()


# ---- bounded time ---------------------------------------------------------------------------------------
def _drip(wfile):
    try:
        for _ in range(60):
            wfile.write(b"x")
            wfile.flush()
            time.sleep(0.5)
    except (BrokenPipeError, ConnectionResetError):
        pass


def test_a_dripping_page_ends_at_the_deadline():
    """1 byte every 0.5 s never trips the per-read timeout (2 s); the total deadline (1.5 s) ends it."""
    srv = _Server("127.0.0.1", {"/drip": (200, {"Content-Type": "text/html"}, _drip)})
    try:
        async def go():
            cfg = HttpConfig(timeout_s=2.0, deadline_s=1.5, retries=2, allow_networks=["127.0.0.1/32"])
            async with HttpClient(cfg) as http:
                t0 = time.monotonic()
                with pytest.raises(DeadlineExceeded) as e:
                    await http.get(f"http://127.0.0.1:{srv.port}/drip")
                return time.monotonic() - t0, str(e.value)

        took, msg = run(go())
        assert 1.4 <= took < 3.0 and "deadline" in msg
        assert srv.requested == ["/drip"]  # the deadline covers retries too: no second try
    finally:
        srv.close()


def test_a_dripping_article_is_counted_timed_out():
    srv = _Server("127.0.0.1", {"/drip": (200, {"Content-Type": "text/html"}, _drip)})
    try:
        url = f"http://127.0.0.1:{srv.port}/drip"
        items = [Item(kind="news", title="t", url=url, key=canonical_key(url), sightings=[Sighting(source="x", url=url)])]
        cfg = Config()
        cfg = cfg.updated(http={"allow_networks": ["127.0.0.1/32"], "deadline_s": 1.0})

        async def go():
            async with HttpClient.create(cfg.http) as http:
                return await enrich_snippets(items, FetchContext(dt.date(2026, 8, 2), http, cfg))

        t0 = time.monotonic()
        counts = run(go())
        assert counts["timed_out"] == 1 and time.monotonic() - t0 < 5
    finally:
        srv.close()


def test_a_long_retry_after_fails_instead_of_sleeping():
    srv = _Server("127.0.0.1", {"/busy": (429, {"Retry-After": "3600"}, b"slow down")})
    sleeps: list[float] = []

    async def fake_sleep(s):
        sleeps.append(s)

    try:
        async def go():
            cfg = HttpConfig(retries=3, backoff_max_s=30, allow_networks=["127.0.0.1/32"])
            async with HttpClient(cfg, sleep=fake_sleep) as http:
                with pytest.raises(FetchError) as e:
                    await http.get(f"http://127.0.0.1:{srv.port}/busy")
                return str(e.value)

        msg = run(go())
        assert "3600" in msg and sleeps == [] and srv.requested == ["/busy"]
    finally:
        srv.close()


# ---- bounded memory -------------------------------------------------------------------------------------
def test_replayed_gzip_bomb_is_stopped_by_the_size_cap(tmp_path):
    """A recording whose body is gzip of 256 MB of zeros (~250 kB on disk) with Content-Encoding: gzip: the
    replay streams it through the same cap as live HTTP, so it is never decoded whole."""
    rec = Recording(tmp_path / "rec")
    bomb = gzip.compress(b"\0" * (256 * 1024 * 1024), compresslevel=9)
    rec.add("GET", "https://example.com/feed", 200, {"content-type": "application/xml"}, bomb)
    data = json.loads(rec.index_path.read_text())
    data["entries"][0]["headers"]["content-encoding"] = "gzip"  # a hostile/hand-edited recording
    rec.index_path.write_text(json.dumps(data))

    async def go():
        async with HttpClient.create(HttpConfig(max_bytes=5_000_000), replay=tmp_path / "rec") as http:
            with pytest.raises(ResponseTooLarge):
                await http.get("https://example.com/feed")

    del bomb
    tracemalloc.start()
    try:
        run(go())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64 * 1024 * 1024, f"peak {peak / 1e6:.0f} MB"


def test_a_1000_paper_hf_day_passes_its_own_cap(tmp_path):
    """1,000 papers (~5.6 MB, over the general 5 MB cap): built at runtime from the real recorded entries of
    tests/data/huggingface_daily_papers (each copied with a distinct arXiv id)."""
    real = []
    for d in sorted(Path(__file__).parents[1].joinpath("data", "huggingface_daily_papers").iterdir()):
        for f in d.glob("*.json"):
            body = json.loads(f.read_bytes())
            if isinstance(body, list):
                real += [e for e in body if isinstance(e, dict) and isinstance(e.get("paper"), dict)]
    assert real
    entries = []
    for i in range(1000):
        e = json.loads(json.dumps(real[i % len(real)]))
        e["paper"]["id"] = f"2608.{10000 + i}"
        entries.append(e)
    body = json.dumps(entries).encode()
    assert len(body) > 5_000_000
    rec = Recording(tmp_path / "rec")
    rec.add("GET", f"https://huggingface.co/api/daily_papers?date={DAY}", 200, {"content-type": "application/json"}, body)
    cfg = Config()

    async def go():
        async with HttpClient.create(cfg.http, replay=tmp_path / "rec") as http:
            return await HFPapersSource().fetch(FetchContext(dt.date(2026, 8, 2), http, cfg))

    res = run(go())
    assert len(res.items) == 1000
