"""The live network under `aidigest.infra.http.HttpClient`: an httpx transport over an httpcore connection pool whose
connections go through the SSRF guard's network backend (aidigest.infra.netguard.GuardedBackend).

Only public API: httpx's transport API (`httpx.AsyncBaseTransport.handle_async_request`, "Writing custom
transports" in httpx's docs) and httpcore's (`httpcore.AsyncConnectionPool(network_backend=...)`, `httpcore.Request`,
the documented network-backend interface). httpx's own `AsyncHTTPTransport` builds the same pool but takes no
network backend (an open httpx pull request adds one), so this transport does what it does, with its defaults:
HTTP/1.1, httpx's default limits, httpx's SSL context, httpcore errors raised as the httpx errors of the same names.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterable, AsyncIterator, Iterator

import httpcore
import httpx

# httpx's default pool limits (httpx.AsyncHTTPTransport uses the same numbers)
LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=5.0)

# httpcore error -> the httpx error a caller catches; the more specific first
_ERRORS: tuple[tuple[type[Exception], type[httpx.TransportError]], ...] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.ProxyError, httpx.ProxyError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.ProtocolError, httpx.ProtocolError),
)


@contextlib.contextmanager
def _httpx_errors(request: httpx.Request) -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        for core, ours in _ERRORS:
            if isinstance(exc, core):
                raise ours(str(exc), request=request) from exc
        raise  # ours (BlockedAddress, ...) and anything else: as they are


class _ResponseStream(httpx.AsyncByteStream):
    def __init__(self, stream: AsyncIterable[bytes], request: httpx.Request):
        self._stream = stream
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _httpx_errors(self._request):
            async for part in self._stream:
                yield part

    async def aclose(self) -> None:
        close = getattr(self._stream, "aclose", None)
        if close is not None:
            await close()


class BackendTransport(httpx.AsyncBaseTransport):
    """An httpx transport whose connections are made by `backend` (an httpcore network backend)."""

    def __init__(self, backend: httpcore.AsyncNetworkBackend, limits: httpx.Limits = LIMITS):
        self.backend = backend
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=backend,
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.AsyncByteStream)
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(scheme=request.url.raw_scheme, host=request.url.raw_host, port=request.url.port,
                             target=request.url.raw_path),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        with _httpx_errors(request):
            response = await self._pool.handle_async_request(core_request)
        assert isinstance(response.stream, AsyncIterable)
        return httpx.Response(response.status, headers=response.headers,
                              stream=_ResponseStream(response.stream, request), extensions=response.extensions)

    async def aclose(self) -> None:
        await self._pool.aclose()
