"""A cap on the size of an LLM answer, as the web fetcher has one (aidigest.infra.http): an endpoint that streams a
huge body (a broken or hostile server, a proxy's error page gone wrong) must not take the run's memory with it.

`capped_transport` makes the HTTP transport of an LLM client (ours for OpenAI-compatible servers, the Anthropic
SDK's through its `http_client`, with the SDK's own httpx): the body is read decoded, chunk by chunk, and the request fails with
`AnswerTooLarge` as soon as it passes `[llm] max_response_bytes` (a declared Content-Length above it fails before
any byte is read). The provider turns that into a failed call (core.Transient): the caller takes its offline
fallback, which run health names.
"""

from __future__ import annotations

from typing import Any


class AnswerTooLarge(Exception):  # private: the provider turns it into core.Transient (errors.py)
    """The endpoint's answer passed the size cap; nothing more of it was read."""


def capped_transport(lib: Any, max_bytes: int, **transport_kw: Any) -> Any:
    """An HTTP transport of `lib` (httpx, or the httpx2 fork the Anthropic SDK ships with) whose answers are read
    through the cap: `transport_kw` go to `lib.AsyncHTTPTransport` (e.g. verify)."""

    class CappedTransport(lib.AsyncBaseTransport):  # type: ignore[misc,name-defined]  # a class of the given lib
        def __init__(self) -> None:
            self.inner = lib.AsyncHTTPTransport(**transport_kw)

        def _too_large(self, request: Any, size: str) -> AnswerTooLarge:
            return AnswerTooLarge(f"the answer from {request.url.host} is larger than llm.max_response_bytes = "
                                  f"{max_bytes:,} bytes ({size}); not read further")

        async def handle_async_request(self, request: Any) -> Any:
            response = await self.inner.handle_async_request(request)
            try:
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > max_bytes:
                    raise self._too_large(request, f"{int(declared):,} declared")
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.aiter_bytes():  # decoded: a compressed bomb is stopped as it inflates
                    size += len(chunk)
                    if size > max_bytes:
                        raise self._too_large(request, f"more than {max_bytes:,} sent")
                    chunks.append(chunk)
            finally:
                await response.aclose()
            headers = [(k, v) for k, v in response.headers.multi_items()
                       if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")]
            return lib.Response(response.status_code, headers=headers, content=b"".join(chunks), request=request,
                                extensions=response.extensions)

        async def aclose(self) -> None:
            await self.inner.aclose()

    return CappedTransport()
