"""What every provider shares: cache, budget, concurrency, retries, structured-output discovery, validation,
accounting and the call log. A provider only implements `_request` (one HTTP call in one mode) and
`_make_client`; see openai_compat.py and anthropic_llm.py.

One `complete()`:

1. schema -> the JSON Schema we send (`json_schema_for`: refs inlined, objects closed, arrays bounded);
2. the cache (keyed by provider, endpoint, model, temperature, max tokens, schema, mode, messages): a hit is
   returned at once, free, even past the budget;
3. the budget (`budget_usd`, `max_tokens`): once reached no new call starts -> `BudgetExceeded`;
4. the concurrency limit (`concurrency`, a semaphore per event loop);
5. the request, with a per-attempt timeout (`timeout_s`), a total deadline per call (`call_deadline_s`) and
   per run (`run_deadline_s`), and retries (exponential backoff + full jitter, Retry-After honoured up to
   `max_retry_after_s`, a longer one fails the call) on 429, 5xx, timeouts and connection errors; 401/403 and
   model-not-found -> `LLMFatal` at once, and every later call fails without a request; a circuit breaker
   switches the LLM off for the run after `breaker_failures` timeouts/5xx/connection errors in a row
   (`LLMUnavailable`; the reason goes to `LLMTotals.offline`, the callers take the offline paths);
6. the structured-output mode: the strongest the endpoint accepts, discovered on the first schema call per
   (provider, base URL, model) — a 4xx, or a 500 twice in a row (llama.cpp answers json_schema with 500),
   moves one step down the ladder — then remembered in memory and in the store (`warm_up()` learns it with
   one tiny call while the caller does other work; calls made meanwhile try the strongest mode themselves
   rather than wait, so a day's first round is not also a discovery round);
7. validation against the pydantic model; invalid output (bad JSON, empty, refusal, schema mismatch) is
   retried once with the error fed back, then `LLMError`;
8. accounting into the run's `LLMTotals` and one row in `llm_calls` per `complete()`.

The API key is scrubbed from every answer before it is validated, cached or returned (a server that echoes
the key back cannot get it into a report, an export or the cache).

The engine reads top to bottom here; its parts have modules of their own: what is asked and answered and the key
scrubbing (`reply`), the budget and accounting (`budget`), retries, deadlines and the circuit breaker (`retry`), the
mode memory (`modes`), validation (`validate`), the cache and call log (`cache`).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from pydantic import BaseModel, ValidationError

from ..config import LLMConfig
from ..infra.store import Store
from ..records import LLMTotals
from . import cache as cache_mod
from .base import BudgetExceeded, LLMError, LLMFatal, LLMResult, LLMUnavailable, Message
from .budget import CallAccount, budget_reason, charge, mark_unpriced
from .modes import PROBE_MAX_TOKENS, EndpointKey, ModeMemory, ModeProbe
from .pricing import find_price
from .prompts import feedback_message, text_feedback_message
from .registry import Endpoint
from .reply import Ask, RawReply, Rejected, Transient, _InvalidOutput, _ModeRejected, retry_after_from, scrub, scrub_reply
from .retry import Breaker, Pacing, attempt_timeout, backoff, is_mode_server_error
from .schema import schema_name
from .slots import SharedSlots, shared_slots
from .validate import SentSchemas, echo_of, validate_reply

__all__ = [  # what providers and tests import from here
    "BaseLLM", "LLMRun", "ModeProbe", "PROBE_MAX_TOKENS", "RawReply", "Rejected", "Transient", "mark_unpriced",
    "retry_after_from", "scrub",
]

log = logging.getLogger("aidigest.llm")

TRANSIENT_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504, 529})


@dataclass(frozen=True)
class LLMRun:
    """Where one run's calls are accounted and logged."""

    store: Store | None  # the cache, the call log and the remembered modes (None: none of them)
    run_id: int | None
    totals: LLMTotals  # the run's `RunHealth.llm`


@dataclass
class _LoopState:
    loop: asyncio.AbstractEventLoop
    client: Any  # None until made (warm_up makes it in a thread)
    sem: asyncio.Semaphore | SharedSlots  # SharedSlots: the calls of several loops share the endpoint (run --jobs)
    discovery: asyncio.Lock
    warming: asyncio.Event | None = None  # set once warm_up's mode probe is over
    probe_rejected: bool = False  # warm_up's probe saw a mode rejected: it is walking down the ladder


@dataclass
class _Call:
    """One `complete()` in flight: what its cache lookup, log row and result need."""

    ask: Ask
    schema: type[BaseModel] | None
    purpose: str
    t0: float  # time.monotonic() at the start
    mode: str | None = None  # None until known (discovery)
    key: str | None = None  # the cache key, once the mode is known
    acc: CallAccount = field(default_factory=CallAccount)


_in_warm_up: contextvars.ContextVar[bool] = contextvars.ContextVar("aidigest_llm_warm_up", default=False)


class BaseLLM:
    """The shared engine. Subclasses set `provider`, `modes` and implement `_make_client` and `_request`."""

    provider: ClassVar[str] = "base"
    modes: ClassVar[tuple[str, ...]] = ("prompt",)  # the structured-output ladder, strongest first

    def __init__(
        self,
        endpoint: Endpoint,
        config: LLMConfig,
        run: LLMRun,
        *,
        concurrency: int | None = None,  # calls in flight (make_llm: [llm] concurrency or the provider's default)
        pacing: Pacing | None = None,
    ):
        if endpoint.provider:
            self.provider = endpoint.provider  # type: ignore[misc]
        self.model = endpoint.model
        self.base_url = endpoint.base_url.rstrip("/")
        self.config = config
        self.store, self.run_id, self.totals = run.store, run.run_id, run.totals
        self.key_env = endpoint.key_env
        self.concurrency = max(1, concurrency or config.concurrency or 1)
        self._api_key = endpoint.api_key
        self._secrets = [endpoint.api_key] if endpoint.api_key else []
        self._pacing = pacing or Pacing()
        self._state: _LoopState | None = None
        self._fatal: str | None = None  # after a bad key / unknown model every later call fails at once
        self.name = f"{self.provider}:{self.model}"
        # circuit breaker and run deadline (made at the start of a run): once open every later call fails at once
        self.breaker = Breaker(self.name, self.base_url, config, self.totals, time.monotonic() + config.run_deadline_s)
        self.mode_memory = ModeMemory(self.store, self.modes)
        self._sent_schema = SentSchemas()
        self.price = find_price(self.model, config.prices, self.provider)
        if self.price is None:
            mark_unpriced(self.totals)

    def __repr__(self) -> str:  # never shows the key
        return f"<{type(self).__name__} {self.name} at {self.base_url}>"

    # ---- to implement -----------------------------------------------------------------------------------
    def _make_client(self) -> Any:
        raise NotImplementedError

    async def _request(
        self, messages: list[Message], schema: dict | None, name: str, mode: str, temperature: float, max_tokens: int
    ) -> RawReply:
        raise NotImplementedError

    async def _close_client(self, client: Any) -> None:
        close = getattr(client, "close", None)
        if close is not None:
            await close()

    # ---- per-event-loop state (make_llm may run outside a loop; CLI commands may use several loops) -----
    def _loop_state(self, make_client: bool = True) -> _LoopState:
        loop = asyncio.get_running_loop()
        if self._state is None or self._state.loop is not loop:
            sem = shared_slots(self.name, self.base_url, self.concurrency) or asyncio.Semaphore(self.concurrency)
            self._state = _LoopState(loop, None, sem, asyncio.Lock())
        if make_client and self._state.client is None:
            self._state.client = self._make_client()
        return self._state

    async def warm_up(self) -> None:
        """Learn this endpoint's structured-output mode while other work goes on, if it is not known yet (the
        pipeline starts this before fetching the sources and does not wait for it): the HTTP client is made in
        a thread (for Anthropic the SDK import, ~0.5 s; an httpx client for the others), then one tiny schema
        call walks the mode ladder.

        Without it, the first real schema call discovers the mode while every other call waits for it: a whole
        extra round on a day's first run. Schema calls made while the probe is out do not wait for it: each
        tries the strongest mode itself (an endpoint that accepts it answers them all in one round); only once
        the probe has seen a mode rejected do they wait for it to finish walking down the ladder.
        Does nothing when the mode is known (the client is then made at the first real call: a rerun answered
        from the cache never makes a client). Never raises: a problem here shows again on the first real call."""
        if self._fatal is not None or self.known_mode() is not None:
            return
        state = self._loop_state(make_client=False)
        if state.warming is None:
            state.warming = asyncio.Event()
        token = _in_warm_up.set(True)
        try:
            if state.client is None:
                client = await asyncio.to_thread(self._make_client)
                if state.client is None:
                    state.client = client
                else:  # a real call made one meanwhile
                    await self._close_client(client)
            if self.known_mode() is None:
                await self.complete(
                    [Message(role="system", content="Answer with JSON only."),
                     Message(role="user", content='Reply with {"ok": true}.')],
                    schema=ModeProbe, purpose="discover-mode", max_output_tokens=PROBE_MAX_TOKENS,
                )
        except LLMError as e:
            log.info("%s: warm-up: %s", self.name, self.scrub(str(e)))
        except Exception as e:  # noqa: BLE001 - a warm-up must never take the run down
            log.warning("%s: warm-up failed: %s: %s", self.name, type(e).__name__, self.scrub(str(e))[:200])
        finally:
            _in_warm_up.reset(token)
            state.warming.set()

    async def aclose(self) -> None:
        if self._state is not None:
            state, self._state = self._state, None
            try:
                if state.client is not None:
                    await self._close_client(state.client)
            except RuntimeError:  # the loop that created it is gone
                pass

    # ---- errors ----------------------------------------------------------------------------------------
    def scrub(self, text: str) -> str:
        return scrub(text, self._secrets)

    def _status_error(self, status: int, headers: Mapping[str, str] | None, message: str) -> Exception:
        """Map an HTTP error status to Transient / Rejected / LLMFatal."""
        msg = self.scrub(" ".join(str(message or "").split()))[:300]
        low = msg.lower()
        if status in (401, 403):
            return LLMFatal(
                f"{self.name}: authentication failed (HTTP {status}) at {self.base_url} — check {self.key_env}"
            )
        model_missing = status == 404 or (
            status in (400, 422) and "model" in low and ("not found" in low or "does not exist" in low or "model_not_found" in low)
        )
        if model_missing:
            hint = f" (run `ollama pull {self.model}`)" if self.provider == "ollama" else ""
            return LLMFatal(
                f"{self.name}: model {self.model!r} not found at {self.base_url} (HTTP {status}) — check the model "
                f"name in --llm / AIDIGEST_LLM{hint}"
            )
        if status in TRANSIENT_STATUS or status >= 500:
            return Transient(f"HTTP {status}: {msg}", status=status, retry_after=retry_after_from(headers))
        return Rejected(f"HTTP {status}: {msg}", status=status)

    # ---- modes -----------------------------------------------------------------------------------------
    def _mode_key(self) -> EndpointKey:
        return (self.provider, self.base_url, self.model)

    def known_mode(self) -> str | None:
        """The structured-output mode discovered for this endpoint + model (memory, then the store)."""
        return self.mode_memory.get(self._mode_key())

    def _remember_mode(self, mode: str) -> None:
        if self.mode_memory.remember(self._mode_key(), mode):
            log.info("%s: structured output via %s", self.name, mode)

    # ---- what stops a call before it is made: a fatal error, the breaker, the budget --------------------------
    def _check_fatal(self, call: _Call) -> None:
        if self._fatal is not None:  # no point asking again with a bad key or a missing model
            self.totals.failed += 1
            self._log(call, "error", error=self._fatal)
            raise LLMFatal(self._fatal)

    def _check_budget(self, call: _Call) -> None:
        reason = budget_reason(self.config, self.totals)
        if reason is None:
            return
        self.totals.budget_stopped = True
        self._log(call, "budget", error=reason)
        raise BudgetExceeded(reason)

    def _check_offline(self, call: _Call) -> None:
        if self.breaker.offline is None and self.breaker.run_left() <= 0:
            self.breaker.go_offline(self.breaker.run_deadline_reason())
        if self.breaker.offline is not None:
            self.totals.failed += 1
            self._log(call, "error", error=self.breaker.offline)
            raise LLMUnavailable(self.breaker.offline)

    # ---- the call --------------------------------------------------------------------------------------
    def _log(self, call: _Call, status: str, **kw: Any) -> None:
        if self.store is None:
            return
        kw.setdefault("mode", call.mode)
        if kw.get("error"):
            kw["error"] = self.scrub(kw["error"])[:1000]
        cache_mod.log_call(self.store, cache_mod.CallRecord(
            run_id=self.run_id, provider=self.provider, model=self.model, purpose=call.purpose, cache_key=call.key,
            status=status, **kw,
        ))

    def _key(self, ask: Ask, mode: str) -> str:
        return cache_mod.cache_key(
            self._mode_key(), ask.messages, temperature=ask.temperature, max_output_tokens=ask.max_tokens,
            schema=ask.sent, mode=mode,
        )

    def _from_cache(self, call: _Call) -> LLMResult | None:
        if self.store is None or call.key is None:
            return None
        hit = cache_mod.cache_get(self.store, call.key)
        if hit is None:
            return None
        data = None
        if call.schema is not None:
            try:
                data = call.schema.model_validate(hit.data)
            except ValidationError:
                return None  # stale entry (should not happen: the schema is part of the key): call again
        cache_mod.cache_hit(self.store, call.key)
        self.totals.cached += 1
        latency = time.monotonic() - call.t0
        self._log(call, "cached", mode=hit.mode, latency_s=latency)
        return LLMResult(
            provider=self.provider, model=self.model, text=hit.text, data=data, cached=True, latency_s=latency,
            mode=hit.mode, attempts=0,
        )

    async def complete(
        self,
        messages: list[Message],
        schema: type[BaseModel] | None = None,
        purpose: str = "",
        *,
        max_output_tokens: int | None = None,
        temperature: float | None = None,
    ) -> LLMResult:
        msgs = [m if isinstance(m, Message) else Message.model_validate(m) for m in messages]
        ask = Ask(
            messages=msgs,
            sent=self._sent_schema(schema) if schema is not None else None,
            name=schema_name(schema) if schema is not None else "response",
            temperature=self.config.temperature if temperature is None else temperature,
            max_tokens=self.config.max_output_tokens if max_output_tokens is None else max_output_tokens,
        )
        call = _Call(ask, schema, purpose, time.monotonic())
        alongside = await self._wait_for_warm_up(schema)
        call.mode = "text" if schema is None else self.known_mode()
        if call.mode is not None:
            call.key = self._key(ask, call.mode)
            if (hit := self._from_cache(call)) is not None:
                return hit
        self._check_fatal(call)
        self._check_offline(call)
        self._check_budget(call)

        state = self._loop_state()
        async with state.sem:
            self._check_budget(call)  # others may have spent it while we waited
            self._check_offline(call)
            call.acc.deadline_at = time.monotonic() + min(self.config.call_deadline_s, self.breaker.run_left())
            try:
                answer = await self._answer(call, state, alongside)
            except (LLMError, _InvalidOutput, Transient, Rejected) as e:
                raise self._failure(call, e) from None
        if isinstance(answer, LLMResult):
            return answer
        return self._success(call, *answer)

    async def _wait_for_warm_up(self, schema: type[BaseModel] | None) -> bool:
        """While warm_up's probe is out: wait for it once it has seen a mode rejected (it is walking down the
        ladder: its answer serves every call); True: discover the mode alongside it instead (see warm_up)."""
        state = self._state
        warming = state.warming if state is not None and state.loop is asyncio.get_running_loop() else None
        if schema is None or warming is None or warming.is_set() or _in_warm_up.get():
            return False
        assert state is not None  # `warming` comes from it
        if state.probe_rejected:
            await warming.wait()
            return False
        return True

    async def _answer(self, call: _Call, state: _LoopState, alongside: bool) -> LLMResult | tuple[str, Any]:
        """(text, data) from the endpoint, discovering the mode first when it is not known; or the cached answer
        when another call discovered the mode meanwhile and cached this one."""
        if call.mode is not None:
            text, data, call.mode = await self._run(call.ask, call.schema, call.mode, call.acc)
            return text, data
        discovered = False
        # one discovery per endpoint + model, the others wait for it (not while warm_up's probe is out)
        async with contextlib.nullcontext() if alongside else state.discovery:
            call.mode = self.known_mode()
            if call.mode is None:
                text, data, call.mode = await self._run(call.ask, call.schema, None, call.acc)
                discovered = True
        call.key = self._key(call.ask, call.mode)
        if discovered:
            return text, data
        # another call found the mode: run at once, outside the lock (concurrently)
        if (hit := self._from_cache(call)) is not None:
            return hit
        text, data, call.mode = await self._run(call.ask, call.schema, call.mode, call.acc)
        return text, data

    def _failure(self, call: _Call, e: Exception) -> Exception:
        """Account and log a failed call; the error to raise (scrubbed)."""
        charge(self.totals, self.price, call.acc, failed=True)
        error = self.scrub(str(e))
        self._log(call, "error", latency_s=time.monotonic() - call.t0, error=error, **call.acc.fields(self.price))
        log.warning("%s [%s]: %s", self.name, call.purpose or "-", error)
        if isinstance(e, LLMFatal):
            self._fatal = error
            if self.totals.offline is None:
                self.totals.offline = error
                self.totals.fatal = True
        if isinstance(e, LLMError):
            return type(e)(error)
        return LLMError(error)

    def _success(self, call: _Call, text: str, data: Any) -> LLMResult:
        """Account, cache and log an answered call."""
        acc = call.acc
        cost = charge(self.totals, self.price, acc, failed=False)
        latency = time.monotonic() - call.t0
        dumped = data.model_dump(mode="json") if isinstance(data, BaseModel) else None
        if self.store is not None and call.key is not None:
            assert call.mode is not None  # the key is made with it
            cache_mod.cache_put(
                self.store, call.key, self.provider, self.model,
                cache_mod.CachedResponse(text=text, data=dumped, mode=call.mode, tokens_in=acc.tokens_in,
                                         tokens_out=acc.tokens_out, cost_usd=cost),
            )
        self._log(call, "ok", latency_s=latency, **acc.fields(self.price))
        return LLMResult(
            provider=self.provider, model=self.model, text=text, data=data, tokens_in=acc.tokens_in,
            tokens_out=acc.tokens_out, cost_usd=cost, cached=False, latency_s=latency, mode=call.mode,
            attempts=acc.attempts,
        )

    async def _run(
        self, ask: Ask, schema: type[BaseModel] | None, mode: str | None, acc: CallAccount
    ) -> tuple[str, Any, str]:
        """(text, data, mode): the answer in `mode` (discovered first when None), validated; invalid output is
        asked again once with the error fed back."""
        if mode is None:
            reply, mode = await self._discover(ask, acc)
        else:
            reply = await self._call(ask, mode, acc, discovering=False)
        try:
            text, data = validate_reply(reply, schema)
            return text, data, mode
        except _InvalidOutput as first:
            log.info("%s: invalid output (%s); retrying once with the error fed back", self.name, first)
            fb = feedback_message(str(first)) if schema is not None else text_feedback_message(str(first))
            reply2 = await self._call(ask.with_feedback(echo_of(reply), fb), mode, acc, discovering=False)
            try:
                text, data = validate_reply(reply2, schema)
                return text, data, mode
            except _InvalidOutput as second:
                raise LLMError(f"{self.name}: invalid output after one retry: {second}") from None

    async def _discover(self, ask: Ask, acc: CallAccount) -> tuple[RawReply, str]:
        """Walk down the mode ladder until the endpoint accepts a mode; remember it."""
        ladder = self.modes
        for i, candidate in enumerate(ladder):
            last = i == len(ladder) - 1
            try:
                reply = await self._call(ask, candidate, acc, discovering=not last)
            except _ModeRejected as e:
                if _in_warm_up.get() and self._state is not None:
                    self._state.probe_rejected = True
                log.info("%s: %s not accepted at %s (%s); trying %s", self.name, candidate, self.base_url,
                         self.scrub(str(e)), ladder[i + 1])
                continue
            self._remember_mode(candidate)
            return reply, candidate
        raise AssertionError("the last mode of the ladder is never rejected as a mode")

    async def _call(self, ask: Ask, mode: str, acc: CallAccount, discovering: bool) -> RawReply:
        """One request with the transient retries. While discovering, a rejection (a 4xx, or a 500 twice in
        a row) raises _ModeRejected so the caller tries the next mode."""
        attempts = self.config.retries + 1
        server_errors = 0
        last = ""
        for attempt in range(attempts):
            timeout = attempt_timeout(self.breaker, acc, last)
            acc.attempts += 1
            try:
                reply = await asyncio.wait_for(
                    self._request(ask.messages, ask.sent, ask.name, mode, ask.temperature, ask.max_tokens),
                    timeout=timeout,
                )
            except TimeoutError:
                err = Transient(f"no answer within {timeout:g}s")
            except Transient as e:
                err = e
            except Rejected as e:
                raise self._rejected(e, mode, discovering) from None
            else:
                self.breaker.answered()
                acc.add_usage(reply)
                return scrub_reply(reply, self._secrets)
            last = self.scrub(str(err))
            self.breaker.failed(err, last, discovering)
            if discovering and is_mode_server_error(err):
                server_errors += 1
                if server_errors >= 2:
                    raise _ModeRejected(last)
            if attempt + 1 < attempts:
                await backoff(self.breaker, self._pacing, err, attempt, acc, last)
        raise LLMError(f"{self.name}: {last} (after {attempts} attempts)")

    def _rejected(self, e: Rejected, mode: str, discovering: bool) -> Exception:
        """What a rejected request raises: while discovering, "try the next mode"; else an LLMError."""
        if discovering:
            return _ModeRejected(str(e))
        hint = ""
        if mode not in ("text", self.modes[-1]):
            hint = (f" [structured output via {mode}; if the server behind {self.base_url} changed, "
                    "`aidigest cache clear` makes it rediscover the mode]")
        return LLMError(f"{self.name}: request rejected: {self.scrub(str(e))}{hint}")
