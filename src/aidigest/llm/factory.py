"""`make_llm`: the provider spec (`--llm` / AIDIGEST_LLM / [llm] provider) -> an LLM, or None for `none`.

Every `name:<model>` comes from the provider registry (aidigest.llm.providers; see docs/extending.md):

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
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ..config import Config, ConfigError
from ..infra.env import environ
from ..records import LLMTotals
from ..infra.store import Store
from .base import LLMConfigError
from .providers import PROVIDERS, ProviderSpec, usage
from .registry import LOCAL_PLACEHOLDER_KEY, Endpoint

if TYPE_CHECKING:
    from .core import BaseLLM

__all__ = [
    "HOSTED_CONCURRENCY", "LOCAL_CONCURRENCY", "LOCAL_PLACEHOLDER_KEY", "Endpoint", "check_provider",
    "default_concurrency", "is_local_url", "make_llm", "parse_provider_spec", "resolve_endpoint",
]


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
        raise LLMConfigError(f"unknown LLM provider {s!r}: {usage()}")
    model = model.strip()
    if not sep or not model:
        raise LLMConfigError(f"LLM provider {s!r} names no model: write {provider}:<model>")
    return provider, model


def check_provider(config: Config) -> None:
    """`[llm] provider` is `none` or a registered `name:<model>`; raises ConfigError naming the key."""
    try:
        parse_provider_spec(config.llm.provider)
    except LLMConfigError as e:
        raise ConfigError(f"{config.source_file or 'config'}: [llm.provider] {e}") from None


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
    p = PROVIDERS[provider]
    env = environ() if env is None else env

    def get(name: str) -> str:
        return (env.get(name) or "").strip()

    base = _base_url(get(p.base_url_env), p.base_url_env) if get(p.base_url_env) else p.default_base_url
    if p.url_suffix and not base.endswith(p.url_suffix):
        base += p.url_suffix
    key = get(p.key_env)
    if not key:
        if p.needs_key and not is_local_url(base):
            where = "" if base == p.default_base_url else f" ({p.base_url_env}={base})"
            raise LLMConfigError(f"--llm {provider}:{model} needs an API key: set {p.key_env}{where}")
        key = p.placeholder_key
    return Endpoint(provider, model, base, p.key_env, key)


def default_concurrency(spec: ProviderSpec, base_url: str) -> int:
    """Calls in flight when `[llm] concurrency` is not set: a hosted API takes a day's summaries in one round;
    a local server queues (bench/local_concurrency.py measured it)."""
    kind = spec.concurrency if spec.concurrency != "auto" else ("local" if is_local_url(base_url) else "hosted")
    return LOCAL_CONCURRENCY if kind == "local" else HOSTED_CONCURRENCY


def make_llm(
    config: Config,
    store: Store | None,
    run_id: int | None,
    totals: LLMTotals,
    *,
    env: Mapping[str, str] | None = None,
    sleep: Callable[[float], Awaitable[Any]] | None = None,
) -> BaseLLM | None:
    """The LLM for `config.llm.provider`, or None for `none` (offline paths only).

    Usage is added to `totals` (the run's `RunHealth.llm`); every call is logged to `store` under `run_id`.
    Its `concurrency` is `[llm] concurrency`, else the provider's default for the endpoint (hosted or local).
    Raises LLMConfigError (an LLMFatal and a ConfigError) for an unknown spec or a missing key.
    `env` and `sleep` are for tests (defaults: the process environment, asyncio.sleep)."""
    ep = resolve_endpoint(config.llm.provider, env)
    if ep is None:
        return None
    from .core import LLMRun  # lazy: heavy (httpx): the commands that only check a spec never load the client
    from .retry import Pacing

    spec = PROVIDERS[ep.provider]
    concurrency = config.llm.concurrency or default_concurrency(spec, ep.base_url)
    totals.provider = f"{ep.provider}:{ep.model}"
    llm: BaseLLM = spec.client_class()(
        ep, config.llm, LLMRun(store, run_id, totals), concurrency=concurrency,
        pacing=Pacing(sleep=sleep) if sleep is not None else None,
    )
    return llm
