"""The provider registry: each LLM provider is one `ProviderSpec`; `aidigest.llm.providers` registers them, one
line each. From the registry come `make_llm` (aidigest.llm.factory), the `--llm` help text of the CLI and the
check of `[llm] provider` (`check_provider`).

A spec says which class talks to the API, where the key and the base URL come from (environment variables:
keys are never read from the config file), whether the default server is local (no key, local concurrency)
and how many calls a hosted or a local endpoint takes at once when `[llm] concurrency` is not set.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Literal

LOCAL_PLACEHOLDER_KEY = "sk-no-key-required"  # local servers ignore the key, the SDKs want one


@dataclass(frozen=True)
class ProviderSpec:
    name: str  # the part before ":" in `--llm name:<model>`
    cls: Any  # the BaseLLM subclass that talks to the API, or "module:Class" naming it (imported on first use)
    key_env: str  # the environment variable the API key comes from
    base_url_env: str  # the environment variable that overrides the base URL
    default_base_url: str
    local: bool = False  # the default server runs on this machine (ollama): no key needed
    needs_key: bool = True  # a base URL that is not local needs `key_env` set (False: the key is optional)
    placeholder_key: str = LOCAL_PLACEHOLDER_KEY  # sent when there is no key
    url_suffix: str = ""  # added to a base URL that does not end with it (ollama's OpenAI API is under /v1)
    # default concurrency class when `[llm] concurrency` is not set (the numbers: aidigest.llm.factory's
    # HOSTED_CONCURRENCY / LOCAL_CONCURRENCY); auto: local when the base URL is on this machine or network
    concurrency: Literal["auto", "hosted", "local"] = "auto"

    def client_class(self) -> Any:
        """The class that talks to the API: `cls` itself, or the class "module:Class" names."""
        if not isinstance(self.cls, str):
            return self.cls
        module, _, name = self.cls.partition(":")
        return getattr(importlib.import_module(module), name)


@dataclass
class Endpoint:
    """A provider spec resolved from the environment: what one LLM talks to (aidigest.llm.factory.resolve_endpoint)."""

    provider: str
    model: str
    base_url: str
    key_env: str  # the env var the key comes from (named in error messages)
    api_key: str = field(repr=False)


PROVIDERS: dict[str, ProviderSpec] = {}


def register(spec: ProviderSpec) -> ProviderSpec:
    """Add a provider; `--llm <spec.name>:<model>` then uses it."""
    if spec.name in PROVIDERS or spec.name in ("none", "off", "offline"):
        raise ValueError(f"LLM provider {spec.name!r} is registered twice or reserved")
    PROVIDERS[spec.name] = spec
    return spec


def usage() -> str:
    """The accepted values of `--llm` / AIDIGEST_LLM / [llm] provider, for help texts and errors."""
    names = [f"{name}:<model>" for name in PROVIDERS]
    return "use none, " + ", ".join(names[:-1]) + (" or " if len(names) > 1 else "") + names[-1]


def choices() -> str:
    """`none | openai:<model> | ...` (the CLI's --llm help)."""
    return " | ".join(["none", *(f"{name}:<model>" for name in PROVIDERS)])
