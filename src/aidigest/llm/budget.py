"""What calls cost and when they stop for money: one call's account (attempts, tokens, its deadline), the run's
budget (`budget_usd`, `max_tokens`: once reached no new call starts) and the accounting into the run's `LLMTotals`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..config import LLMConfig
from ..records import LLMTotals
from .pricing import Price, cost_usd
from .reply import RawReply


@dataclass
class CallAccount:
    """One `complete()` across its attempts."""

    attempts: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    deadline_at: float | None = None  # loop time by which this call must be over (call and run deadlines)

    def add_usage(self, reply: RawReply) -> None:
        self.tokens_in += max(0, int(reply.tokens_in or 0))
        self.tokens_out += max(0, int(reply.tokens_out or 0))

    def fields(self, price: Price | None) -> dict[str, Any]:
        """What the call log records of it."""
        return {
            "tokens_in": self.tokens_in, "tokens_out": self.tokens_out,
            "cost_usd": cost_usd(price, self.tokens_in, self.tokens_out), "attempts": self.attempts,
        }


def budget_reason(config: LLMConfig, totals: LLMTotals) -> str | None:
    """Why no new call may start (the run's budget in dollars or tokens is spent), or None."""
    if config.budget_usd is not None and totals.cost_usd >= config.budget_usd:
        return f"LLM budget of ${config.budget_usd:.4f} reached (${totals.cost_usd:.4f} spent)"
    used = totals.tokens_in + totals.tokens_out
    if config.max_tokens is not None and used >= config.max_tokens:
        return f"LLM token limit of {config.max_tokens} reached ({used} used)"
    return None


def charge(totals: LLMTotals, price: Price | None, acc: CallAccount, failed: bool) -> float:
    """Add one finished call to the run's totals; returns its cost."""
    cost = cost_usd(price, acc.tokens_in, acc.tokens_out)
    totals.calls += 1
    totals.failed += 1 if failed else 0
    totals.tokens_in += acc.tokens_in
    totals.tokens_out += acc.tokens_out
    totals.cost_usd = round(totals.cost_usd + cost, 8)
    return cost


def mark_unpriced(totals: LLMTotals) -> None:
    """Say "unpriced" in the run totals: the cost shown is 0 because the model has no price, not because it was free."""
    totals.unpriced = True
