"""The LLM providers, one registration line each (see aidigest.llm.registry for what a spec holds)."""

from __future__ import annotations

from . import anthropic_llm, openai_compat
from .registry import PROVIDERS, ProviderSpec, choices, register, usage

__all__ = ["PROVIDERS", "ProviderSpec", "choices", "register", "usage"]

register(openai_compat.OPENAI)
register(openai_compat.TOGETHER)
register(openai_compat.OLLAMA)
register(anthropic_llm.ANTHROPIC)
