"""The LLM layer: one small interface over OpenAI(-compatible) and Anthropic providers, with structured
output, retries, a SQLite cache, a call log, cost accounting and a run budget. See docs/llm.md.

    llm = make_llm(config, store, run_id, health.llm)   # None when config.llm.provider is "none"
    result = await llm.complete([Message(role="user", content=...)], schema=MyModel, purpose="classify")
"""

from .base import LLM, BudgetExceeded, LLMConfigError, LLMError, LLMFatal, LLMResult, Message, StructuredMode
from .cache import CacheStats, cache_clear, cache_stats
from .factory import make_llm, parse_provider_spec, resolve_endpoint
from .prompts import UNTRUSTED_INSTRUCTION, wrap_untrusted
from .schema import assert_max_items, ensure_max_items, json_schema_for

__all__ = [
    "LLM",
    "BudgetExceeded",
    "CacheStats",
    "LLMConfigError",
    "LLMError",
    "LLMFatal",
    "LLMResult",
    "Message",
    "StructuredMode",
    "UNTRUSTED_INSTRUCTION",
    "assert_max_items",
    "cache_clear",
    "cache_stats",
    "ensure_max_items",
    "json_schema_for",
    "make_llm",
    "parse_provider_spec",
    "resolve_endpoint",
    "wrap_untrusted",
]
