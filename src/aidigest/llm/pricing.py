"""Estimated cost per call: a built-in price table (USD per 1M tokens) merged with `[llm.prices]`.

Prices are list prices as published by the providers (2025); they are estimates for budgeting, not bills.
A model found in neither table costs 0 and the run's totals say "unpriced". Local servers (Ollama) are free.
Lookup: exact model name, then the same without an `org/` prefix (OpenRouter style), then the longest table
key that the name starts with followed by `-` (dated snapshots: `gpt-4o-mini-2024-07-18` -> `gpt-4o-mini`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class Price:
    input: float  # USD per 1M input tokens
    output: float  # USD per 1M output tokens


BUILTIN_PRICES: Mapping[str, Price] = MappingProxyType({  # read-only: the config's prices are merged into a copy
    # OpenAI
    "gpt-4o-mini": Price(0.15, 0.60),
    "gpt-4o": Price(2.50, 10.00),
    "gpt-4.1": Price(2.00, 8.00),
    "gpt-4.1-mini": Price(0.40, 1.60),
    "gpt-4.1-nano": Price(0.10, 0.40),
    "gpt-5": Price(1.25, 10.00),
    "gpt-5-mini": Price(0.25, 2.00),
    "gpt-5-nano": Price(0.05, 0.40),
    "o3": Price(2.00, 8.00),
    "o3-mini": Price(1.10, 4.40),
    "o4-mini": Price(1.10, 4.40),
    "gpt-3.5-turbo": Price(0.50, 1.50),
    # Anthropic
    "claude-3-haiku": Price(0.25, 1.25),
    "claude-3-5-haiku": Price(0.80, 4.00),
    "claude-haiku-4-5": Price(1.00, 5.00),
    "claude-3-5-sonnet": Price(3.00, 15.00),
    "claude-3-7-sonnet": Price(3.00, 15.00),
    "claude-sonnet-4": Price(3.00, 15.00),
    "claude-sonnet-4-5": Price(3.00, 15.00),
    "claude-opus-4": Price(15.00, 75.00),
    "claude-opus-4-1": Price(15.00, 75.00),
    # Together (serverless)
    "meta-llama/Llama-3.3-70B-Instruct-Turbo": Price(0.88, 0.88),
    "meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo": Price(0.18, 0.18),
    "meta-llama/Meta-Llama-3.1-70B-Instruct-Turbo": Price(0.88, 0.88),
    "Qwen/Qwen2.5-7B-Instruct-Turbo": Price(0.30, 0.30),
    "Qwen/Qwen2.5-72B-Instruct-Turbo": Price(1.20, 1.20),
    "deepseek-ai/DeepSeek-V3": Price(1.25, 1.25),
    "mistralai/Mixtral-8x7B-Instruct-v0.1": Price(0.60, 0.60),
})

FREE_PROVIDERS = frozenset({"ollama"})


def find_price(model: str, extra: Mapping[str, object] | None = None, provider: str = "") -> Price | None:
    """The price for `model` (config prices win over built-ins), or None when unknown."""
    if provider in FREE_PROVIDERS and not (extra and model in extra):
        return Price(0.0, 0.0)
    table: dict[str, Price] = dict(BUILTIN_PRICES)
    for name, p in (extra or {}).items():
        table[name] = p if isinstance(p, Price) else Price(float(p.input), float(p.output))  # type: ignore[attr-defined]
    names = [model]
    if "/" in model:
        names.append(model.split("/", 1)[1])
    for name in names:
        if name in table:
            return table[name]
    for name in names:
        best = ""
        for key in table:
            if name.startswith(key + "-") and len(key) > len(best):
                best = key
        if best:
            return table[best]
    return None


def cost_usd(price: Price | None, tokens_in: int, tokens_out: int) -> float:
    if price is None:
        return 0.0
    return (tokens_in * price.input + tokens_out * price.output) / 1_000_000
