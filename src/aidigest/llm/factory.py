"""`make_llm`: the provider spec (`--llm` / AIDIGEST_LLM / [llm] provider) -> an LLM, or None for `none`.

    none                      offline paths only (the default)
    openai:<model>            OPENAI_API_KEY; OPENAI_BASE_URL for any OpenAI-compatible server
                              (a local base URL needs no key)
    together:<model>          TOGETHER_API_KEY; base https://api.together.xyz/v1 (TOGETHER_BASE_URL overrides)
    ollama:<model>            no key; http://127.0.0.1:11434/v1 (OLLAMA_BASE_URL overrides; /v1 is added)
    anthropic:<model>         ANTHROPIC_API_KEY; ANTHROPIC_BASE_URL honoured

Keys come only from the environment and are never logged or stored.
"""

from __future__ import annotations

import ipaddress
import os
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ..config import Config
from ..models import LLMTotals
from ..store import Store
from .anthropic_llm import AnthropicLLM
from .base import LLMConfigError
from .core import BaseLLM
from .openai_compat import OpenAICompatLLM

PROVIDERS = ("openai", "together", "ollama", "anthropic")
OPENAI_DEFAULT_BASE = "https://api.openai.com/v1"
TOGETHER_DEFAULT_BASE = "https://api.together.xyz/v1"
OLLAMA_DEFAULT_BASE = "http://127.0.0.1:11434/v1"
ANTHROPIC_DEFAULT_BASE = "https://api.anthropic.com"
LOCAL_PLACEHOLDER_KEY = "sk-no-key-required"  # local servers ignore the key, the SDK wants one

USAGE = "use none, openai:<model>, together:<model>, ollama:<model> or anthropic:<model>"


@dataclass
class Endpoint:
    provider: str
    model: str
    base_url: str
    key_env: str  # the env var the key comes from (named in error messages)
    api_key: str = field(repr=False)


HOSTED_CONCURRENCY = 16
LOCAL_CONCURRENCY = 4


def parse_provider_spec(spec: str | None) -> tuple[str, str] | None:
    """`"openai:gpt-4o-mini"` -> ("openai", "gpt-4o-mini"); none/empty -> None. Raises LLMConfigError."""
    s = (spec or "").strip()
    if s.lower() in ("", "none", "off", "offline"):
        return None
    provider, sep, model = s.partition(":")
    provider = provider.strip().lower()
    if provider not in PROVIDERS:
        raise LLMConfigError(f"unknown LLM provider {s!r}: {USAGE}")
    model = model.strip()
    if not sep or not model:
        raise LLMConfigError(f"LLM provider {s!r} names no model: write {provider}:<model>")
    return provider, model


def is_local_url(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    if host in ("localhost", "0.0.0.0") or host.endswith(".local") or host.endswith(".localhost"):
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return ip.is_loopback or ip.is_private or ip.is_link_local


def _base_url(value: str, env_name: str) -> str:
    url = value.strip().rstrip("/")
    p = urlsplit(url)
    if p.scheme not in ("http", "https") or not p.netloc:
        raise LLMConfigError(f"{env_name}={value!r} is not an http(s) URL")
    return url


def resolve_endpoint(spec: str | None, env: Mapping[str, str] | None = None) -> Endpoint | None:
    """Provider, model, base URL and key for a spec, from the environment. None for `none`."""
    parsed = parse_provider_spec(spec)
    if parsed is None:
        return None
    provider, model = parsed
    env = os.environ if env is None else env

    def get(name: str) -> str:
        return (env.get(name) or "").strip()

    if provider == "openai":
        base = _base_url(get("OPENAI_BASE_URL"), "OPENAI_BASE_URL") if get("OPENAI_BASE_URL") else OPENAI_DEFAULT_BASE
        key = get("OPENAI_API_KEY")
        if not key:
            if not is_local_url(base):
                where = "" if base == OPENAI_DEFAULT_BASE else f" (OPENAI_BASE_URL={base})"
                raise LLMConfigError(f"--llm {provider}:{model} needs an API key: set OPENAI_API_KEY{where}")
            key = LOCAL_PLACEHOLDER_KEY
        return Endpoint(provider, model, base, "OPENAI_API_KEY", key)
    if provider == "together":
        base = _base_url(get("TOGETHER_BASE_URL"), "TOGETHER_BASE_URL") if get("TOGETHER_BASE_URL") else TOGETHER_DEFAULT_BASE
        key = get("TOGETHER_API_KEY")
        if not key:
            raise LLMConfigError(f"--llm {provider}:{model} needs an API key: set TOGETHER_API_KEY")
        return Endpoint(provider, model, base, "TOGETHER_API_KEY", key)
    if provider == "ollama":
        base = _base_url(get("OLLAMA_BASE_URL"), "OLLAMA_BASE_URL") if get("OLLAMA_BASE_URL") else OLLAMA_DEFAULT_BASE
        if not base.endswith("/v1"):
            base += "/v1"
        return Endpoint(provider, model, base, "OLLAMA_BASE_URL", get("OLLAMA_API_KEY") or "ollama")
    # anthropic
    base = _base_url(get("ANTHROPIC_BASE_URL"), "ANTHROPIC_BASE_URL") if get("ANTHROPIC_BASE_URL") else ANTHROPIC_DEFAULT_BASE
    key = get("ANTHROPIC_API_KEY")
    if not key:
        if not is_local_url(base):
            raise LLMConfigError(f"--llm {provider}:{model} needs an API key: set ANTHROPIC_API_KEY")
        key = LOCAL_PLACEHOLDER_KEY
    return Endpoint(provider, model, base, "ANTHROPIC_API_KEY", key)


def make_llm(
    config: Config,
    store: Store | None,
    run_id: int | None,
    totals: LLMTotals,
    *,
    env: Mapping[str, str] | None = None,
    sleep: Callable[[float], Awaitable[Any]] | None = None,
    rng: random.Random | None = None,
) -> BaseLLM | None:
    """The LLM for `config.llm.provider`, or None for `none` (offline paths only).

    Usage is added to `totals` (the run's `RunHealth.llm`); every call is logged to `store` under `run_id`.
    Raises LLMConfigError (an LLMFatal and a ConfigError) for an unknown spec or a missing key.
    `env`, `sleep` and `rng` are for tests (defaults: os.environ, asyncio.sleep, random)."""
    ep = resolve_endpoint(config.llm.provider, env)
    if ep is None:
        return None
    cls = AnthropicLLM if ep.provider == "anthropic" else OpenAICompatLLM
    if config.llm.concurrency is None:  # auto: a hosted API takes a day's summaries in one round; a local server queues
        config.llm.concurrency = LOCAL_CONCURRENCY if is_local_url(ep.base_url) else HOSTED_CONCURRENCY
    totals.provider = f"{ep.provider}:{ep.model}"
    return cls(
        model=ep.model, base_url=ep.base_url, config=config.llm, store=store, run_id=run_id, totals=totals,
        api_key=ep.api_key, key_env=ep.key_env, provider=ep.provider, sleep=sleep, rng=rng,
    )
