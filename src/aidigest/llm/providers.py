"""The LLM providers, one registration line each (see aidigest.llm.registry for what a spec holds).

The specs name their client class as "module:Class": the registry (and so `aidigest --help`, which lists the
providers) loads no HTTP stack; `make_llm` imports the client when a run asks for it."""

from __future__ import annotations

from .registry import PROVIDERS, ProviderSpec, choices, register, usage

__all__ = ["PROVIDERS", "ProviderSpec", "choices", "register", "usage"]

_OPENAI_CLIENT = "aidigest.llm.openai_compat:OpenAICompatLLM"
_ANTHROPIC_CLIENT = "aidigest.llm.anthropic_llm:AnthropicLLM"

OPENAI = ProviderSpec("openai", _OPENAI_CLIENT, "OPENAI_API_KEY", "OPENAI_BASE_URL", "https://api.openai.com/v1")
TOGETHER = ProviderSpec("together", _OPENAI_CLIENT, "TOGETHER_API_KEY", "TOGETHER_BASE_URL", "https://api.together.xyz/v1")
OLLAMA = ProviderSpec(
    "ollama", _OPENAI_CLIENT, "OLLAMA_API_KEY", "OLLAMA_BASE_URL", "http://127.0.0.1:11434/v1",
    local=True, needs_key=False, placeholder_key="ollama", url_suffix="/v1",
)
ANTHROPIC = ProviderSpec("anthropic", _ANTHROPIC_CLIENT, "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "https://api.anthropic.com")

register(OPENAI)
register(TOGETHER)
register(OLLAMA)
register(ANTHROPIC)
