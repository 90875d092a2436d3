"""Retries and what ends them: one request's transient failures (429, 5xx, timeouts, connection errors) are retried
with exponential backoff + full jitter, a Retry-After honoured up to `max_retry_after_s` (a longer one switches the LLM
off), within the call's deadline (`call_deadline_s`) and the run's (`run_deadline_s`); the circuit breaker switches the
LLM off for the run after `breaker_failures` timeouts/5xx/connection errors in a row (`LLMUnavailable`; the reason
goes to `LLMTotals.offline`, the callers take the offline paths)."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from ..config import LLMConfig
from ..infra.http import backoff_delay
from ..records import LLMTotals
from .base import LLMError, LLMUnavailable
from .budget import CallAccount
from .reply import Transient

log = logging.getLogger("aidigest.llm")

BACKOFF_BASE_S = 1.0
BACKOFF_MAX_S = 60.0  # no single wait (Retry-After included) is longer than this


@dataclass(frozen=True)
class Pacing:
    """How retries wait: `sleep` and the jitter's `rng` (tests pass their own)."""

    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep
    rng: random.Random = field(default_factory=random.Random)


@dataclass
class Breaker:
    """The run's circuit breaker and LLM deadline for one endpoint: once open, every later call fails at once."""

    name: str  # provider:model, what messages name
    base_url: str
    config: LLMConfig
    totals: LLMTotals
    run_deadline_at: float  # time.monotonic() by which the run's LLM work must be over
    offline: str | None = None  # why the LLM is off for the rest of the run
    failures_in_a_row: int = 0  # timeouts, 5xx and connection errors since the last answer

    def run_left(self) -> float:
        return self.run_deadline_at - time.monotonic()

    def go_offline(self, why: str) -> None:
        """Switch the LLM off for the rest of the run (once), and say why in the run's totals."""
        why = why if why.startswith(self.name) else f"{self.name}: {why}"
        if self.totals.offline is None:
            self.totals.offline = why
            log.warning("%s: LLM switched off for the rest of the run: %s", self.name, why)
        if self.offline is None:
            self.offline = why

    def run_deadline_reason(self) -> str:
        return f"the run's LLM deadline of {self.config.run_deadline_s:g}s (run_deadline_s) passed"

    def check_open(self) -> None:
        """Raise LLMUnavailable when the breaker is open (another call opened it, or the run deadline passed)."""
        if self.offline is not None:
            raise LLMUnavailable(self.offline)

    def deadline_passed(self) -> None:
        """The call ran out of time: when the run's LLM deadline is what ran out, the LLM goes offline."""
        if self.run_left() <= 0.001:
            self.go_offline(self.run_deadline_reason())
            raise LLMUnavailable(self.offline or "run deadline passed")

    def answered(self) -> None:
        self.failures_in_a_row = 0

    def failed(self, err: Transient, last: str, discovering: bool) -> None:
        """Count a transient failure; raises LLMUnavailable once the LLM is switched off by it."""
        c = self.config
        if err.retry_after is not None and err.retry_after > c.max_retry_after_s:
            self.go_offline(f"{self.base_url} asks to retry after {err.retry_after:g}s (HTTP {err.status}), more "
                            f"than max_retry_after_s={c.max_retry_after_s:g}s")
            raise LLMUnavailable(self.offline or last)
        # the breaker counts timeouts and connection errors, and 5xx outside mode discovery (llama.cpp answers
        # an unsupported mode with 500); a 429 with a short Retry-After is rate limiting, not an outage
        if err.status is None or (err.status >= 500 and not discovering):
            self.failures_in_a_row += 1
            if self.failures_in_a_row >= c.breaker_failures:
                self.go_offline(f"circuit breaker: {self.failures_in_a_row} timeouts/server errors in a row at "
                                f"{self.base_url} (last: {last})")
                raise LLMUnavailable(self.offline or last)


def attempt_timeout(breaker: Breaker, acc: CallAccount, last: str) -> float:
    """The timeout of the next attempt (`timeout_s`, less when the call's deadline is nearer); raises when the
    LLM is off or no time is left."""
    c = breaker.config
    breaker.check_open()
    left = (acc.deadline_at - time.monotonic()) if acc.deadline_at is not None else c.timeout_s
    if left <= 0:
        breaker.deadline_passed()
        raise LLMError(f"{breaker.name}: no answer within the call deadline of {c.call_deadline_s:g}s"
                       + (f" ({last})" if last else ""))
    return min(c.timeout_s, left)


def is_mode_server_error(err: Transient) -> bool:
    """A 5xx that says "not this mode" while discovering (llama.cpp's 500), not a gateway or overload answer."""
    return err.status is not None and err.status >= 500 and err.status not in (502, 503, 504, 529)


async def backoff(breaker: Breaker, pacing: Pacing, err: Transient, attempt: int, acc: CallAccount, last: str) -> None:
    """Wait before retry `attempt + 1` (the server's Retry-After, else backoff with jitter); raises LLMError when
    the call's deadline leaves no time for it. `last`: the error, scrubbed, for messages."""
    c = breaker.config
    wait = err.retry_after
    if wait is None:
        wait = backoff_delay(attempt, BACKOFF_BASE_S, BACKOFF_MAX_S, pacing.rng)
    wait = min(max(0.0, wait), BACKOFF_MAX_S, c.max_retry_after_s)
    if acc.deadline_at is not None and time.monotonic() + wait >= acc.deadline_at:
        breaker.deadline_passed()
        raise LLMError(f"{breaker.name}: {last}; no time left for a retry within the call deadline of "
                       f"{c.call_deadline_s:g}s")
    log.info("%s: %s; retry %d/%d in %.1fs", breaker.name, last, attempt + 1, c.retries, wait)
    await pacing.sleep(wait)
