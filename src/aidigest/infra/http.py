"""The HTTP layer every source shares.

- async httpx client with a per-read timeout (`timeout_s`), a total deadline per request (`deadline_s`:
  connect, every read, redirects and retries; a server dripping one byte at a time cannot hold a run), a
  descriptive User-Agent and bounded concurrency (a global limit and one per host);
- retries with exponential backoff + full jitter on 429, 5xx and connection errors, honouring Retry-After
  up to `backoff_max_s` (a longer Retry-After fails the request at once instead of sleeping);
- no SSRF (aidigest.infra.netguard): every request and redirect hop is checked, and connections go only to
  resolved addresses the policy allows (public unicast unless `allow_private` / `allow_networks`: the live transport
  is aidigest.infra.transport's, whose connections go through netguard's network backend); a refused request raises
  `Blocked` and is listed in `stats.blocked`;
- a response-size cap (the body is streamed and the request fails once it passes `max_bytes`), the same for
  replayed bodies (streamed in small chunks, so a compressed recording is never decoded whole);
- conditional requests (ETag / Last-Modified) through an optional validator cache;
- record/replay: `RecordingTransport` saves every response to a directory, `ReplayTransport` serves a
  directory with no network at all. Both are httpx transports, so tests and replay swap the network the
  same way (the httpx "injectable transport" pattern).

Recording layout (`DIR/index.json` + `DIR/bodies/*`)::

    {"version": 1, "entries": [
       {"method": "GET", "url": "https://...", "status": 200, "headers": {...},
        "body_file": "bodies/0001.json", "note": "why this body answers this request"}]}
"""

from __future__ import annotations

from ..errors import SourceError

import asyncio
import email.utils
import hashlib
import json
import random
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from .netguard import AddressPolicy, BlockedAddress, GuardedBackend
from .transport import BackendTransport

if TYPE_CHECKING:  # the sources import http, and config.py imports the sources (their config models)
    from ..config import HttpConfig

RETRY_STATUS = frozenset({429, 500, 502, 503, 504})


class FetchError(SourceError):
    """A request that failed for good (after retries). The message names the URL."""


class ReplayMissing(FetchError):
    """Replay mode: the recording holds no response for this request."""


class ResponseTooLarge(FetchError):
    pass


class Blocked(FetchError):
    """The URL (or a redirect hop) points at an address the SSRF policy refuses; never retried."""


class DeadlineExceeded(FetchError):
    """The request did not complete within `deadline_s`."""


@dataclass
class Response:
    url: str
    status: int
    headers: dict[str, str]
    body: bytes
    from_cache: bool = False

    @property
    def text(self) -> str:
        charset = "utf-8"
        m = re.search(r"charset=([\w\-]+)", self.headers.get("content-type", ""), re.I)
        if m:
            charset = m.group(1)
        try:
            return self.body.decode(charset, errors="replace")
        except LookupError:
            return self.body.decode("utf-8", errors="replace")

    def json(self):
        return json.loads(self.body)


class ValidatorCache(Protocol):
    """Stores ETag/Last-Modified validators and bodies for conditional requests (see aidigest.infra.store)."""

    def get_validators(self, url: str) -> tuple[str | None, str | None, bytes | None]: ...

    def put_validators(self, url: str, etag: str | None, last_modified: str | None, body: bytes) -> None: ...


def normalize_request_url(url: str) -> str:
    """Sorted query, no fragment: the key a recording is indexed by."""
    p = urlsplit(url)
    q = urlencode(sorted(parse_qsl(p.query, keep_blank_values=True)))
    return urlunsplit((p.scheme.lower(), p.netloc.lower(), p.path or "/", q, ""))


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    now = time.time() if now is None else now
    return max(0.0, when.timestamp() - now)


def backoff_delay(attempt: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Exponential backoff with full jitter: uniform(0, min(cap, base * 2**attempt))."""
    uniform = rng.uniform if rng is not None else random.uniform
    return uniform(0, min(cap, base * (2**attempt)))


# ---------------------------------------------------------------------------------------------------
# Record / replay transports
# ---------------------------------------------------------------------------------------------------
_KEEP_HEADERS = frozenset({"content-type", "etag", "last-modified", "retry-after", "content-encoding-original"})


class Recording:
    """A directory of recorded responses, indexed by method + normalized URL."""

    def __init__(self, directory: str | Path):
        self.dir = Path(directory)
        self.index_path = self.dir / "index.json"
        self.entries: dict[tuple[str, str], dict] = {}
        if self.index_path.exists():
            data = json.loads(self.index_path.read_text(encoding="utf-8"))
            for e in data.get("entries", []):
                self.entries[(e.get("method", "GET").upper(), normalize_request_url(e["url"]))] = e

    def lookup(self, method: str, url: str) -> dict | None:
        return self.entries.get((method.upper(), normalize_request_url(url)))

    def body(self, entry: dict) -> bytes:
        return (self.dir / entry["body_file"]).read_bytes()

    def add(self, method: str, url: str, status: int, headers: dict[str, str], body: bytes, note: str = "") -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / "bodies").mkdir(exist_ok=True)
        digest = hashlib.sha256(f"{method} {normalize_request_url(url)}".encode()).hexdigest()[:16]
        name = f"bodies/{digest}"
        (self.dir / name).write_bytes(body)
        entry = {
            "method": method.upper(),
            "url": url,
            "status": status,
            "headers": {k: v for k, v in headers.items() if k.lower() in _KEEP_HEADERS},
            "body_file": name,
        }
        if note:
            entry["note"] = note
        self.entries[(method.upper(), normalize_request_url(url))] = entry
        self.save()

    def save(self) -> None:
        data = {"version": 1, "entries": list(self.entries.values())}
        tmp = self.index_path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        tmp.replace(self.index_path)


REPLAY_CHUNK = 4096  # replayed bodies are streamed in chunks this small: gzip inflates a chunk ~1000x at most


class _FileStream(httpx.AsyncByteStream):
    def __init__(self, path: Path, chunk: int = REPLAY_CHUNK):
        self.path = path
        self.chunk = chunk

    async def __aiter__(self):
        with open(self.path, "rb") as f:
            while block := f.read(self.chunk):
                yield block


class ReplayTransport(httpx.AsyncBaseTransport):
    """Serves a Recording; never touches the network. `latency_s` delays every answer (benchmarks)."""

    def __init__(self, directory: str | Path, latency_s: float = 0.0):
        self.recording = Recording(directory)
        if not self.recording.index_path.exists():
            raise FileNotFoundError(f"no recording at {self.recording.index_path}")
        self.latency_s = latency_s
        self.served: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        entry = self.recording.lookup(request.method, url)
        if entry is None:
            raise ReplayMissing(f"not in the recording: {request.method} {url}")
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        self.served.append(url)
        # streamed, like a live body: the client's size cap stops a huge (or compressed-huge) body early
        headers = {k: v for k, v in entry.get("headers", {}).items() if k.lower() != "content-length"}
        return httpx.Response(
            entry["status"], headers=headers, stream=_FileStream(self.recording.dir / entry["body_file"]),
            request=request,
        )


class RecordingTransport(httpx.AsyncBaseTransport):
    """Passes requests to `inner` (the real network: `guarded_transport`) and saves each response into a Recording."""

    def __init__(self, directory: str | Path, inner: httpx.AsyncBaseTransport, max_bytes: int = 64_000_000):
        self.recording = Recording(directory)
        self.inner = inner
        self.max_bytes = max_bytes  # never hold more than this of one body (the client applies its own cap too)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        chunks: list[bytes] = []
        size = 0
        try:
            async for chunk in response.aiter_bytes():  # decoded, chunk by chunk
                size += len(chunk)
                if size > self.max_bytes:
                    raise ResponseTooLarge(f"{request.url}: response exceeds the {self.max_bytes}-byte recording cap")
                chunks.append(chunk)
        finally:
            await response.aclose()
        body = b"".join(chunks)
        headers = dict(response.headers)
        headers.pop("content-encoding", None)  # httpx already decoded the body
        headers.pop("content-length", None)
        self.recording.add(request.method, str(request.url), response.status_code, headers, body)
        return httpx.Response(response.status_code, headers=headers, content=body, request=request)

    async def aclose(self) -> None:
        await self.inner.aclose()


# ---------------------------------------------------------------------------------------------------
# The client
# ---------------------------------------------------------------------------------------------------
def guarded_transport(policy: AddressPolicy) -> httpx.AsyncBaseTransport:
    """The live network: every connection resolved, checked against `policy` and made to the checked address."""
    return BackendTransport(GuardedBackend(policy))


@dataclass
class HttpStats:
    requests: int = 0
    retries: int = 0
    failures: int = 0
    not_modified: int = 0
    bytes: int = 0
    blocked: list[str] = field(default_factory=list)  # "url: reason" for each request the SSRF policy refused


@dataclass
class _Get:
    """One `HttpClient.get` across its attempts."""

    url: str
    headers: dict[str, str]
    cap: int  # bytes
    attempts: int
    conditional: bool  # validators are read and written
    cached_body: bytes | None = None
    deadline_at: float | None = None  # loop time; the clock starts with the first attempt (not while queued)
    last_error: str = ""
    out_of_time: bool = False  # the deadline passed before an attempt could start


@dataclass
class HttpClient:
    """Shared async HTTP client. Create with `HttpClient.create(config, replay=..., record=...)`."""

    config: HttpConfig
    transport: httpx.AsyncBaseTransport | None = None
    validators: ValidatorCache | None = None
    offline: bool = False  # replay: no politeness delays, no backoff sleeps
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep
    stats: HttpStats = field(default_factory=HttpStats)

    def __post_init__(self) -> None:
        self.policy = AddressPolicy(self.config.allow_private, self.config.allow_networks)
        transport = self.transport if self.transport is not None else guarded_transport(self.policy)

        async def check_hop(request: httpx.Request) -> None:  # every request, every redirect hop
            self.policy.check_url(str(request.url))

        self._client = httpx.AsyncClient(
            transport=transport,
            timeout=httpx.Timeout(self.config.timeout_s),
            headers={"User-Agent": self.config.user_agent},
            follow_redirects=True,
            event_hooks={"request": [check_hop]},
        )
        self._global = asyncio.Semaphore(self.config.max_concurrency)
        self._hosts: dict[str, asyncio.Semaphore] = {}

    @classmethod
    def create(
        cls,
        config: HttpConfig,
        replay: str | Path | None = None,
        record: str | Path | None = None,
        validators: ValidatorCache | None = None,
        latency_s: float = 0.0,
    ) -> HttpClient:
        if replay and record:
            raise ValueError("--replay and --record cannot be used together")
        if replay:
            return cls(config, transport=ReplayTransport(replay, latency_s=latency_s), offline=True)
        if record:
            cap = max(config.max_bytes, 50_000_000)  # the largest per-source cap (Hugging Face's default)
            live = guarded_transport(AddressPolicy(config.allow_private, config.allow_networks))
            return cls(config, transport=RecordingTransport(record, live, max_bytes=cap), validators=None)
        return cls(config, validators=validators)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> HttpClient:
        return self

    async def __aexit__(self, *exc) -> None:
        await self.aclose()

    def _host_sem(self, url: str) -> asyncio.Semaphore:
        host = urlsplit(url).netloc.lower()
        if host not in self._hosts:
            self._hosts[host] = asyncio.Semaphore(self.config.per_host)
        return self._hosts[host]

    async def get(
        self,
        url: str,
        params: Mapping[str, str | int] | None = None,
        headers: dict[str, str] | None = None,
        max_bytes: int | None = None,
        conditional: bool = False,
        retries: int | None = None,
    ) -> Response:
        """GET with retries. Returns the final Response for any status below 400 (and for 4xx other than 429,
        so parsers can read API error bodies); raises FetchError when retries are exhausted."""
        g = _Get(
            url=str(httpx.URL(url, params=params)) if params else url,
            headers=dict(headers or {}),
            cap=max_bytes or self.config.max_bytes,
            attempts=(self.config.retries if retries is None else retries) + 1,
            conditional=conditional and self.validators is not None,
        )
        self._add_validators(g)
        attempt = 0
        for attempt in range(g.attempts):
            resp = await self._attempt(g)
            wait: float | None = None
            if resp is not None:
                final = self._final(g, resp)
                if final is not None:
                    return final
                wait = self._server_wait(g, resp, last_try=attempt + 1 >= g.attempts)
            if g.out_of_time or (attempt + 1 < g.attempts and not await self._pause(g, attempt, wait)):
                break
        self.stats.failures += 1
        raise FetchError(f"{g.url}: {g.last_error} (after {attempt + 1} attempts)")

    def _add_validators(self, g: _Get) -> None:
        """A conditional request asks for the body only if it changed since the cached one."""
        if not g.conditional:
            return
        assert self.validators is not None
        etag, last_mod, g.cached_body = self.validators.get_validators(g.url)
        if etag:
            g.headers["If-None-Match"] = etag
        if last_mod:
            g.headers["If-Modified-Since"] = last_mod

    async def _attempt(self, g: _Get) -> Response | None:
        """One request. None after a connection error or timeout (`g.last_error` says which) and when the deadline
        passed before it started (`g.out_of_time`); raises what is never retried."""
        try:
            async with self._global, self._host_sem(g.url):
                loop = asyncio.get_running_loop()
                if g.deadline_at is None:
                    g.deadline_at = loop.time() + self.config.deadline_s
                remaining = g.deadline_at - loop.time()
                if remaining <= 0:
                    g.last_error += f"; the {self.config.deadline_s:g}s deadline passed"
                    g.out_of_time = True
                    return None
                self.stats.requests += 1
                return await self._fetch_within(g, remaining)
        except BlockedAddress as e:
            self.stats.failures += 1
            self.stats.blocked.append(f"{e.url if e.url.startswith('http') else g.url}: {e.reason}")
            raise Blocked(f"{g.url}: refused, {e.reason}" + ("" if e.url == g.url else f" (at {e.url})")) from None
        except (ResponseTooLarge, ReplayMissing):
            self.stats.failures += 1
            raise
        except (httpx.TransportError, httpx.TimeoutException) as e:
            g.last_error = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
            return None

    async def _fetch_within(self, g: _Get, remaining: float) -> Response:
        try:
            async with asyncio.timeout(remaining):
                return await self._fetch(g.url, g.headers, g.cap)
        except TimeoutError:
            self.stats.failures += 1
            raise DeadlineExceeded(
                f"{g.url}: no complete answer within the {self.config.deadline_s:g}s deadline"
            ) from None

    def _final(self, g: _Get, resp: Response) -> Response | None:
        """What `get` returns for this answer, or None when its status is worth another attempt."""
        if resp.status == 304 and g.cached_body is not None:
            self.stats.not_modified += 1
            return Response(g.url, 200, resp.headers, g.cached_body, from_cache=True)
        if resp.status in RETRY_STATUS:
            g.last_error = f"HTTP {resp.status}"
            return None
        if g.conditional and resp.status == 200:
            assert self.validators is not None
            self.validators.put_validators(g.url, resp.headers.get("etag"), resp.headers.get("last-modified"), resp.body)
        self.stats.bytes += len(resp.body)
        return resp

    def _server_wait(self, g: _Get, resp: Response, last_try: bool) -> float | None:
        """The server's Retry-After; one longer than `backoff_max_s` fails the request at once (not waited for)."""
        wait = parse_retry_after(resp.headers.get("retry-after"))
        if wait is not None and wait > self.config.backoff_max_s and not last_try:
            self.stats.failures += 1
            raise FetchError(
                f"{g.url}: HTTP {resp.status} asks to retry after {wait:g}s, more than backoff_max_s="
                f"{self.config.backoff_max_s:g}s: not waiting"
            )
        return wait

    async def _pause(self, g: _Get, attempt: int, wait: float | None) -> bool:
        """Wait before the next attempt (backoff unless the server said how long); False when the deadline leaves
        no time for another attempt."""
        if wait is None:
            wait = backoff_delay(attempt, self.config.backoff_base_s, self.config.backoff_max_s)
        wait = min(wait, self.config.backoff_max_s)
        loop = asyncio.get_running_loop()
        if g.deadline_at is not None and not self.offline and loop.time() + wait >= g.deadline_at:
            g.last_error += f"; no time left for a retry within the {self.config.deadline_s:g}s deadline"
            return False
        self.stats.retries += 1
        if not self.offline:
            await self.sleep(wait)
        return True

    async def _fetch(self, url: str, headers: dict[str, str], cap: int) -> Response:
        async with self._client.stream("GET", url, headers=headers) as r:
            declared = r.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > cap:
                raise ResponseTooLarge(f"{url}: response of {declared} bytes exceeds the {cap}-byte cap")
            chunks: list[bytes] = []
            size = 0
            async for chunk in r.aiter_bytes():
                size += len(chunk)
                if size > cap:
                    raise ResponseTooLarge(f"{url}: response exceeds the {cap}-byte cap")
                chunks.append(chunk)
            return Response(str(r.url), r.status_code, {k.lower(): v for k, v in r.headers.items()}, b"".join(chunks))

    async def polite_pause(self, seconds: float) -> None:
        """A politeness delay between calls to the same API (skipped in replay)."""
        if not self.offline and seconds > 0:
            await self.sleep(seconds)
