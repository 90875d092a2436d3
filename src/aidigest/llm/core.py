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
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import logging
import random
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import BaseModel, ValidationError

from ..config import LLMConfig
from ..infra.http import backoff_delay, parse_retry_after
from ..records import LLMTotals
from ..infra.store import Store
from . import cache as cache_mod
from .base import BudgetExceeded, LLMError, LLMFatal, LLMResult, LLMUnavailable, Message
from .pricing import cost_usd, find_price
from .prompts import feedback_message, text_feedback_message
from .schema import json_schema_for, parse_json_text, schema_name, validation_message
from .slots import SharedSlots, shared_slots

_schema_cache: dict[type, dict] = {}


def sent_schema(model: type[BaseModel]) -> dict:
    """json_schema_for(model), computed once per model class (the patch warning is logged once)."""
    if model not in _schema_cache:
        if len(_schema_cache) >= 256:  # models built per call (create_model) must not grow this forever
            _schema_cache.clear()
        _schema_cache[model] = json_schema_for(model)
    return _schema_cache[model]

log = logging.getLogger("aidigest.llm")

BACKOFF_BASE_S = 1.0
BACKOFF_MAX_S = 60.0  # no single wait (Retry-After included) is longer than this
TRANSIENT_STATUS = {408, 409, 425, 429, 500, 502, 503, 504, 529}
FEEDBACK_ECHO_CHARS = 2000  # how much of an invalid answer is echoed back on the validation retry


# ---- what a provider's _request returns / raises ----------------------------------------------------
@dataclass
class RawReply:
    text: str  # the answer text; in tools mode the tool arguments as JSON text
    tokens_in: int = 0
    tokens_out: int = 0
    tool_args: Any = None  # tools mode: the parsed arguments when the SDK gives them parsed
    refusal: str | None = None  # an explicit refusal (OpenAI message.refusal, Anthropic stop_reason=refusal)
    truncated: bool = False  # stopped at the max output tokens


class Transient(Exception):  # private retry signal between a provider and core (errors.py)
    """Retryable: 429, 5xx, timeouts, connection errors."""

    def __init__(self, message: str, status: int | None = None, retry_after: float | None = None):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class Rejected(Exception):  # private: core turns it into an LLMError (errors.py)
    """The endpoint refused this request (a 4xx other than auth / not found / 429): not retried as is."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class _ModeRejected(Exception):  # private: core tries the next mode (errors.py)
    pass


class _InvalidOutput(Exception):  # private: core retries once, then an LLMError (errors.py)
    pass


class ModeProbe(BaseModel):
    """The tiny answer `BaseLLM.warm_up` asks for to learn an endpoint's structured-output mode."""

    ok: bool


PROBE_MAX_TOKENS = 64


# ---- secrets -------------------------------------------------------------------------------------------
_KEY_PATTERNS = [
    re.compile(r"\b(sk|pk|rk|sess|tgp|gsk|xai)[-_][A-Za-z0-9_\-]{8,}"),  # sk-..., sk-ant-..., sk-proj-...
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._\-]{8,}"),
    re.compile(r"(?i)((?:api[_-]?key|x-api-key|authorization)[\"']?\s*[:=]\s*[\"']?)[^\s\"',}]{6,}"),
]


def scrub(text: str, secrets: list[str] | tuple[str, ...] = ()) -> str:
    """Remove API keys from text bound for logs, the call log or an error message."""
    out = text or ""
    for s in secrets:
        if s and len(s) >= 4:
            out = out.replace(s, "***")
    out = _KEY_PATTERNS[0].sub(lambda m: m.group(1) + "-***", out)
    out = _KEY_PATTERNS[1].sub(lambda m: m.group(1) + "***", out)
    out = _KEY_PATTERNS[2].sub(lambda m: m.group(1) + "***", out)
    return out


def retry_after_from(headers: Mapping[str, str] | None) -> float | None:
    if not headers:
        return None
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return float(ms) / 1000
        except ValueError:
            pass
    return parse_retry_after(headers.get("retry-after"))


def mark_unpriced(totals: LLMTotals) -> None:
    """Say "unpriced" in the run totals: the cost shown is 0 because the model has no price, not because it was free."""
    totals.unpriced = True


@dataclass
class _Acc:
    attempts: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    deadline_at: float | None = None  # loop time by which this call must be over (call and run deadlines)


@dataclass
class _LoopState:
    loop: asyncio.AbstractEventLoop
    client: Any  # None until made (warm_up makes it in a thread)
    sem: asyncio.Semaphore | SharedSlots  # SharedSlots: the calls of several loops share the endpoint (run --jobs)
    discovery: asyncio.Lock
    warming: asyncio.Event | None = None  # set once warm_up's mode probe is over
    probe_rejected: bool = False  # warm_up's probe saw a mode rejected: it is walking down the ladder


_in_warm_up: contextvars.ContextVar[bool] = contextvars.ContextVar("aidigest_llm_warm_up", default=False)


class BaseLLM:
    """The shared engine. Subclasses set `provider`, `modes` and implement `_make_client` and `_request`."""

    provider: ClassVar[str] = "base"
    modes: ClassVar[tuple[str, ...]] = ("prompt",)  # the structured-output ladder, strongest first
    _known_modes: ClassVar[dict[tuple[str, str, str], str]] = {}  # process-wide memory of discovered modes

    def __init__(
        self,
        *,
        model: str,
        base_url: str,
        config: LLMConfig,
        store: Store | None,
        run_id: int | None,
        totals: LLMTotals,
        api_key: str,
        key_env: str,
        provider: str | None = None,
        sleep: Callable[[float], Awaitable[Any]] | None = None,
        rng: random.Random | None = None,
        concurrency: int | None = None,  # calls in flight (make_llm: [llm] concurrency or the provider's default)
    ):
        if provider:
            self.provider = provider  # type: ignore[misc]
        self.model = model
        self.base_url = base_url.rstrip("/")
        self.config = config
        self.store = store
        self.run_id = run_id
        self.totals = totals
        self.key_env = key_env
        self.concurrency = max(1, concurrency or config.concurrency or 1)
        self._api_key = api_key
        self._secrets = [api_key] if api_key else []
        self._sleep = sleep or asyncio.sleep
        self._rng = rng or random.Random()
        self._state: _LoopState | None = None
        self._fatal: str | None = None  # after a bad key / unknown model every later call fails at once
        self._offline: str | None = None  # circuit breaker open / run deadline passed: every later call fails at once
        self._failures_in_a_row = 0  # timeouts, 5xx and connection errors since the last answer
        self._run_deadline_at = time.monotonic() + config.run_deadline_s  # made at the start of a run
        self.name = f"{self.provider}:{model}"
        self.price = find_price(model, config.prices, self.provider)
        if self.price is None:
            mark_unpriced(totals)

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
    def _mode_key(self) -> tuple[str, str, str]:
        return (self.provider, self.base_url, self.model)

    def known_mode(self) -> str | None:
        """The structured-output mode discovered for this endpoint + model (memory, then the store)."""
        key = self._mode_key()
        mode = self._known_modes.get(key)
        if mode is None and self.store is not None:
            mode = cache_mod.get_mode(self.store, *key)
            if mode is not None and mode in self.modes:
                self._known_modes[key] = mode
            else:
                mode = None
        return mode

    def _remember_mode(self, mode: str) -> None:
        key = self._mode_key()
        if self._known_modes.get(key) != mode:
            log.info("%s: structured output via %s", self.name, mode)
        self._known_modes[key] = mode
        if self.store is not None:
            cache_mod.set_mode(self.store, *key, mode)

    @classmethod
    def forget_modes(cls) -> None:
        """Drop the in-process memory of discovered modes (tests; the store keeps its copy)."""
        BaseLLM._known_modes.clear()

    # ---- budget ----------------------------------------------------------------------------------------
    def _budget_reason(self) -> str | None:
        c, t = self.config, self.totals
        if c.budget_usd is not None and t.cost_usd >= c.budget_usd:
            return f"LLM budget of ${c.budget_usd:.4f} reached (${t.cost_usd:.4f} spent)"
        used = t.tokens_in + t.tokens_out
        if c.max_tokens is not None and used >= c.max_tokens:
            return f"LLM token limit of {c.max_tokens} reached ({used} used)"
        return None

    def _check_budget(self, purpose: str, key: str | None, mode: str | None) -> None:
        reason = self._budget_reason()
        if reason is None:
            return
        self.totals.budget_stopped = True
        self._log(purpose, key, "budget", mode=mode, error=reason)
        raise BudgetExceeded(reason)

    # ---- circuit breaker and run deadline ------------------------------------------------------------------
    def _run_left(self) -> float:
        return self._run_deadline_at - time.monotonic()

    def _go_offline(self, why: str) -> None:
        """Switch the LLM off for the rest of the run (once), and say why in the run's totals."""
        why = why if why.startswith(self.name) else f"{self.name}: {why}"
        if self.totals.offline is None:
            self.totals.offline = why
            log.warning("%s: LLM switched off for the rest of the run: %s", self.name, why)
        if self._offline is None:
            self._offline = why

    def _check_offline(self, purpose: str, key: str | None, mode: str | None) -> None:
        if self._offline is None and self._run_left() <= 0:
            self._go_offline(f"the run's LLM deadline of {self.config.run_deadline_s:g}s (run_deadline_s) passed")
        if self._offline is not None:
            self.totals.failed += 1
            self._log(purpose, key, "error", mode=mode, error=self._offline)
            raise LLMUnavailable(self._offline)

    def _scrub_reply(self, reply: RawReply) -> RawReply:
        """The key never leaves an answer: a server that echoes it back cannot get it into a report or the cache."""
        reply.text = self.scrub(reply.text or "")
        if reply.refusal:
            reply.refusal = self.scrub(reply.refusal)
        if reply.tool_args is not None:
            dumped = json.dumps(reply.tool_args, ensure_ascii=False)
            clean = self.scrub(dumped)
            if clean != dumped:
                reply.tool_args = json.loads(clean)
        return reply

    # ---- the call --------------------------------------------------------------------------------------
    def _log(self, purpose: str, key: str | None, status: str, **kw: Any) -> None:
        if self.store is None:
            return
        if kw.get("error"):
            kw["error"] = self.scrub(kw["error"])[:1000]
        cache_mod.log_call(
            self.store, run_id=self.run_id, provider=self.provider, model=self.model, purpose=purpose,
            cache_key=key, status=status, **kw,
        )

    def _key(self, messages: list[Message], sent: dict | None, mode: str, temperature: float, max_tokens: int) -> str:
        return cache_mod.cache_key(
            self.provider, self.base_url, self.model, messages, temperature=temperature,
            max_output_tokens=max_tokens, schema=sent, mode=mode,
        )

    def _from_cache(self, key: str, schema: type[BaseModel] | None, purpose: str, t0: float) -> LLMResult | None:
        if self.store is None:
            return None
        hit = cache_mod.cache_get(self.store, key)
        if hit is None:
            return None
        data = None
        if schema is not None:
            try:
                data = schema.model_validate(hit.data)
            except ValidationError:
                return None  # stale entry (should not happen: the schema is part of the key): call again
        cache_mod.cache_hit(self.store, key)
        self.totals.cached += 1
        latency = time.monotonic() - t0
        self._log(purpose, key, "cached", mode=hit.mode, latency_s=latency)
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
        temp = self.config.temperature if temperature is None else temperature
        max_tok = self.config.max_output_tokens if max_output_tokens is None else max_output_tokens
        sent = sent_schema(schema) if schema is not None else None
        t0 = time.monotonic()
        state = self._state
        warming = state.warming if state is not None and state.loop is asyncio.get_running_loop() else None
        alongside = False  # discover the mode alongside warm_up's probe instead of waiting for it (see warm_up)
        if schema is not None and warming is not None and not warming.is_set() and not _in_warm_up.get():
            assert state is not None  # `warming` comes from it
            if state.probe_rejected:
                await warming.wait()  # the probe is walking down the ladder: its answer serves every call
            else:
                alongside = True

        mode = "text" if schema is None else self.known_mode()
        key = self._key(msgs, sent, mode, temp, max_tok) if mode is not None else None
        if key is not None and (hit := self._from_cache(key, schema, purpose, t0)) is not None:
            return hit
        if self._fatal is not None:  # no point asking again with a bad key or a missing model
            self.totals.failed += 1
            self._log(purpose, key, "error", mode=mode, error=self._fatal)
            raise LLMFatal(self._fatal)
        self._check_offline(purpose, key, mode)
        self._check_budget(purpose, key, mode)

        state = self._loop_state()
        acc = _Acc()
        async with state.sem:
            self._check_budget(purpose, key, mode)  # others may have spent it while we waited
            self._check_offline(purpose, key, mode)
            acc.deadline_at = time.monotonic() + min(self.config.call_deadline_s, self._run_left())
            try:
                if mode is None:
                    discovered = False
                    # one discovery per endpoint + model, the others wait for it (not while warm_up's probe is out)
                    async with contextlib.nullcontext() if alongside else state.discovery:
                        mode = self.known_mode()
                        if mode is None:
                            text, data, mode = await self._run(msgs, schema, sent, None, temp, max_tok, acc)
                            discovered = True
                    key = self._key(msgs, sent, mode, temp, max_tok)
                    if not discovered:  # another call found the mode: run at once, outside the lock (concurrently)
                        if (hit := self._from_cache(key, schema, purpose, t0)) is not None:
                            return hit
                        text, data, mode = await self._run(msgs, schema, sent, mode, temp, max_tok, acc)
                else:
                    text, data, mode = await self._run(msgs, schema, sent, mode, temp, max_tok, acc)
            except (LLMError, _InvalidOutput, Transient, Rejected) as e:
                self._account(acc, failed=True)
                error = self.scrub(str(e))
                self._log(purpose, key, "error", mode=mode, latency_s=time.monotonic() - t0, error=error,
                          **self._acc_fields(acc))
                log.warning("%s [%s]: %s", self.name, purpose or "-", error)
                if isinstance(e, LLMFatal):
                    self._fatal = error
                    if self.totals.offline is None:
                        self.totals.offline = error
                        self.totals.fatal = True
                if isinstance(e, LLMError):
                    raise type(e)(error) from None
                raise LLMError(error) from None

        cost = self._account(acc, failed=False)
        latency = time.monotonic() - t0
        dumped = data.model_dump(mode="json") if isinstance(data, BaseModel) else None
        if self.store is not None and key is not None:
            cache_mod.cache_put(
                self.store, key, self.provider, self.model,
                cache_mod.CachedResponse(text=text, data=dumped, mode=mode, tokens_in=acc.tokens_in,
                                         tokens_out=acc.tokens_out, cost_usd=cost),
            )
        self._log(purpose, key, "ok", mode=mode, latency_s=latency, **self._acc_fields(acc))
        return LLMResult(
            provider=self.provider, model=self.model, text=text, data=data, tokens_in=acc.tokens_in,
            tokens_out=acc.tokens_out, cost_usd=cost, cached=False, latency_s=latency, mode=mode,
            attempts=acc.attempts,
        )

    def _acc_fields(self, acc: _Acc) -> dict[str, Any]:
        return {
            "tokens_in": acc.tokens_in, "tokens_out": acc.tokens_out,
            "cost_usd": cost_usd(self.price, acc.tokens_in, acc.tokens_out), "attempts": acc.attempts,
        }

    def _account(self, acc: _Acc, failed: bool) -> float:
        cost = cost_usd(self.price, acc.tokens_in, acc.tokens_out)
        t = self.totals
        t.calls += 1
        t.failed += 1 if failed else 0
        t.tokens_in += acc.tokens_in
        t.tokens_out += acc.tokens_out
        t.cost_usd = round(t.cost_usd + cost, 8)
        return cost

    async def _run(
        self,
        messages: list[Message],
        schema: type[BaseModel] | None,
        sent: dict | None,
        mode: str | None,
        temperature: float,
        max_tokens: int,
        acc: _Acc,
    ) -> tuple[str, Any, str]:
        name = schema_name(schema) if schema is not None else "response"
        if mode is None:  # discovery: walk down the ladder until the endpoint accepts a mode
            ladder = self.modes
            reply = None
            for i, candidate in enumerate(ladder):
                last = i == len(ladder) - 1
                try:
                    reply = await self._call(messages, sent, name, candidate, temperature, max_tokens, acc, discovering=not last)
                except _ModeRejected as e:
                    if _in_warm_up.get() and self._state is not None:
                        self._state.probe_rejected = True
                    log.info("%s: %s not accepted at %s (%s); trying %s", self.name, candidate, self.base_url,
                             self.scrub(str(e)), ladder[i + 1])
                    continue
                mode = candidate
                self._remember_mode(mode)
                break
            assert reply is not None and mode is not None
        else:
            reply = await self._call(messages, sent, name, mode, temperature, max_tokens, acc, discovering=False)

        try:
            text, data = self._validate(reply, schema, mode)
            return text, data, mode
        except _InvalidOutput as first:
            log.info("%s: invalid output (%s); retrying once with the error fed back", self.name, first)
            echo = (reply.text or "")[:FEEDBACK_ECHO_CHARS] or "(empty answer)"
            fb = feedback_message(str(first)) if schema is not None else text_feedback_message(str(first))
            retry_msgs = [*messages, Message(role="assistant", content=echo), Message(role="user", content=fb)]
            reply2 = await self._call(retry_msgs, sent, name, mode, temperature, max_tokens, acc, discovering=False)
            try:
                text, data = self._validate(reply2, schema, mode)
                return text, data, mode
            except _InvalidOutput as second:
                raise LLMError(f"{self.name}: invalid output after one retry: {second}") from None

    def _validate(self, reply: RawReply, schema: type[BaseModel] | None, mode: str) -> tuple[str, Any]:
        cut = " (the answer was cut off at the output token limit: answer more briefly)" if reply.truncated else ""
        if reply.refusal:
            raise _InvalidOutput(f"the model refused: {reply.refusal.strip()[:200]}")
        if schema is None:
            text = (reply.text or "").strip()
            if not text:
                raise _InvalidOutput("the answer was empty" + cut)
            return text, None
        if reply.tool_args is not None:
            value = reply.tool_args
            text = json.dumps(value, ensure_ascii=False)
        else:
            text = reply.text or ""
            try:
                value = parse_json_text(text)
            except ValueError as e:
                snippet = " ".join(text.split())[:120]
                extra = f' (it began: "{snippet}")' if snippet and "no JSON" in str(e) else ""
                raise _InvalidOutput(f"{e}{extra}{cut}") from None
        try:
            data = schema.model_validate(value)
        except ValidationError as e:
            raise _InvalidOutput(f"the JSON does not match the schema: {validation_message(e)}{cut}") from None
        return text, data

    def _deadline_passed(self) -> None:
        """The call ran out of time: when the run's LLM deadline is what ran out, the LLM goes offline."""
        if self._run_left() <= 0.001:
            self._go_offline(f"the run's LLM deadline of {self.config.run_deadline_s:g}s (run_deadline_s) passed")
            raise LLMUnavailable(self._offline or "run deadline passed")

    async def _call(
        self,
        messages: list[Message],
        sent: dict | None,
        name: str,
        mode: str,
        temperature: float,
        max_tokens: int,
        acc: _Acc,
        discovering: bool,
    ) -> RawReply:
        """One request with the transient retries. While discovering, a rejection (a 4xx, or a 500 twice in
        a row) raises _ModeRejected so the caller tries the next mode."""
        attempts = self.config.retries + 1
        server_errors = 0
        last = ""
        for attempt in range(attempts):
            if self._offline is not None:  # another call opened the breaker (or the run deadline passed)
                raise LLMUnavailable(self._offline)
            left = (acc.deadline_at - time.monotonic()) if acc.deadline_at is not None else self.config.timeout_s
            if left <= 0:
                self._deadline_passed()
                raise LLMError(f"{self.name}: no answer within the call deadline of {self.config.call_deadline_s:g}s"
                               + (f" ({last})" if last else ""))
            timeout = min(self.config.timeout_s, left)
            acc.attempts += 1
            try:
                reply = await asyncio.wait_for(
                    self._request(messages, sent, name, mode, temperature, max_tokens), timeout=timeout
                )
            except TimeoutError:
                err = Transient(f"no answer within {timeout:g}s")
            except Transient as e:
                err = e
            except Rejected as e:
                if discovering:
                    raise _ModeRejected(str(e)) from None
                hint = ""
                if mode not in ("text", self.modes[-1]):
                    hint = (f" [structured output via {mode}; if the server behind {self.base_url} changed, "
                            "`aidigest cache clear` makes it rediscover the mode]")
                raise LLMError(f"{self.name}: request rejected: {self.scrub(str(e))}{hint}") from None
            else:
                self._failures_in_a_row = 0
                acc.tokens_in += max(0, int(reply.tokens_in or 0))
                acc.tokens_out += max(0, int(reply.tokens_out or 0))
                return self._scrub_reply(reply)
            last = self.scrub(str(err))
            if err.retry_after is not None and err.retry_after > self.config.max_retry_after_s:
                self._go_offline(f"{self.base_url} asks to retry after {err.retry_after:g}s (HTTP {err.status}), more "
                                 f"than max_retry_after_s={self.config.max_retry_after_s:g}s")
                raise LLMUnavailable(self._offline or last)
            # the breaker counts timeouts and connection errors, and 5xx outside mode discovery (llama.cpp answers
            # an unsupported mode with 500); a 429 with a short Retry-After is rate limiting, not an outage
            if err.status is None or (err.status >= 500 and not discovering):
                self._failures_in_a_row += 1
                if self._failures_in_a_row >= self.config.breaker_failures:
                    self._go_offline(f"circuit breaker: {self._failures_in_a_row} timeouts/server errors in a row at "
                                     f"{self.base_url} (last: {last})")
                    raise LLMUnavailable(self._offline or last)
            if discovering and err.status is not None and err.status >= 500 and err.status not in (502, 503, 504, 529):
                server_errors += 1
                if server_errors >= 2:
                    raise _ModeRejected(last)
            if attempt + 1 < attempts:
                wait = err.retry_after
                if wait is None:
                    wait = backoff_delay(attempt, BACKOFF_BASE_S, BACKOFF_MAX_S, self._rng)
                wait = min(max(0.0, wait), BACKOFF_MAX_S, self.config.max_retry_after_s)
                if acc.deadline_at is not None and time.monotonic() + wait >= acc.deadline_at:
                    self._deadline_passed()
                    raise LLMError(f"{self.name}: {last}; no time left for a retry within the call deadline of "
                                   f"{self.config.call_deadline_s:g}s")
                log.info("%s: %s; retry %d/%d in %.1fs", self.name, last, attempt + 1, attempts - 1, wait)
                await self._sleep(wait)
        raise LLMError(f"{self.name}: {last} (after {attempts} attempts)")
