"""Configuration: `aidigest.toml` (optional) < environment variables < command-line flags.

The commented default file written by `aidigest init` (src/aidigest/data/aidigest.default.toml) is the
config reference; a test checks it parses to exactly the defaults below.
API keys are never read from the file, only from the environment (see aidigest.llm).

A loaded `Config` is frozen: command-line flags are applied by `Config.updated` (a new, validated Config),
and nothing changes it afterwards. The `[sources]` section is derived from the source registry
(aidigest.sources.registry) when a config is made: each source module declares its own section model (import
it from there: `from aidigest.sources.rss import FeedConfig`).

The process environment is read in aidigest.infra.env (`environ`, `env_value`, re-exported here); every
variable aidigest reads is listed in README.md ("Environment variables").
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

from pydantic import BaseModel, Field, PlainValidator, PrivateAttr, ValidationError, create_model

from .infra import paths
from .configbase import ConfigError, Strict
from .infra.days import DayError, zone
from .infra.env import env_value, environ

if TYPE_CHECKING:
    from .sources.registry import SourceSpec

__all__ = [
    "Config", "ConfigError", "DigestConfig", "GeneralConfig", "HttpConfig", "LLMConfig", "LLMPrice", "NotifyConfig",
    "ProfileConfig", "ScheduleConfig", "SiteConfig", "SourcesConfig", "env_value", "environ", "load_config",
    "sources_model",
]

DEFAULT_CONFIG_NAME = "aidigest.toml"

_Strict = Strict


class GeneralConfig(_Strict):
    language: str = Field("ko", min_length=1)  # report language (ISO 639-1)
    db: str = ""  # empty = the standard location (aidigest.infra.paths; `aidigest where` prints it)
    out: str = ""  # empty = the standard location
    timezone: str = Field("Asia/Seoul", min_length=1)  # decides which day `aidigest run` picks (aidigest.infra.days)


class HttpConfig(_Strict):
    timeout_s: float = Field(20.0, gt=0)
    max_concurrency: int = Field(8, ge=1)
    per_host: int = Field(2, ge=1)
    retries: int = Field(3, ge=0)
    backoff_base_s: float = Field(0.5, ge=0)
    backoff_max_s: float = Field(30.0, ge=0)
    max_bytes: int = Field(5_000_000, ge=1)
    deadline_s: float = Field(60.0, gt=0)  # total time for one request (all reads, redirects and retries)
    allow_private: bool = False  # let requests reach loopback/private/link-local addresses (no SSRF guard)
    allow_networks: list[str] = Field(default_factory=list)  # CIDR networks allowed anyway, e.g. ["10.1.2.0/24"]
    user_agent: str = "aidigest/0.1 (daily AI news digest; +https://pypi.org/project/aidigest/)"


def sources_model() -> type[BaseModel]:
    """`[sources]`: one key per registered source or enricher (aidigest.sources.registry), in registration order.
    Built from the registry when a config is first made or validated, not when this module is imported: importing
    config loads no source (nor httpx); the built-in ones register on their import (aidigest.sources.builtin)."""
    from .sources.builtin import SOURCES  # lazy: heavy (httpx, feedparser: every built-in source registers)

    return _sources_model(tuple(SOURCES.values()))


@functools.cache  # one model per set of registered sources (a plugin registered later gets its own)
def _sources_model(specs: tuple[SourceSpec, ...]) -> type[BaseModel]:
    fields: dict[str, Any] = {
        spec.name: (spec.config, Field(default_factory=spec.default or spec.config)) for spec in specs
    }
    return create_model("SourcesConfig", __base__=Strict, __module__=__name__,
                        __doc__="The sources and enrichers (registry).", **fields)


def _default_sources() -> SourcesConfig:
    return cast("SourcesConfig", sources_model()())


def _validate_sources(value: Any) -> BaseModel:
    model = sources_model()
    return value if isinstance(value, model) else model.model_validate(value)


if TYPE_CHECKING:  # a model made from the registry: its keys are only known at run time

    class SourcesConfig(Strict):
        def __getattr__(self, name: str) -> Any: ...

    SourcesSection = SourcesConfig

else:
    SourcesSection = Annotated[Any, PlainValidator(_validate_sources)]

    def __getattr__(name: str) -> Any:
        """`SourcesConfig`, the model of the registered sources' sections, made on first use: found by name (as
        pickle finds a Config's `sources`) without building it when this module is imported."""
        if name == "SourcesConfig":
            return sources_model()
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class DigestConfig(_Strict):
    per_category: int = Field(8, ge=1)
    repeat_window_days: int = Field(7, ge=0)
    taxonomy: str = ""  # path to a taxonomy TOML; empty = the built-in one
    other_tech_max: int = 10  # non-AI computing items (`software`) listed by title at the end; 0 = left out
    include_keywords: list[str] = Field(default_factory=list)  # follow: matching items rank first (title/text)
    exclude_keywords: list[str] = Field(default_factory=list)  # mute: matching items are left out (counted)
    classifier: str = ""  # folder of a head trained by `aidigest train`; empty = the shipped model


class LLMPrice(_Strict):
    input: float = Field(ge=0)  # USD per 1M input tokens
    output: float = Field(ge=0)  # USD per 1M output tokens


class LLMConfig(_Strict):
    provider: str = "none"  # none | <provider>:<model>, a provider of the registry (aidigest.llm.providers)
    timeout_s: float = Field(120.0, gt=0)
    call_deadline_s: float = Field(180.0, gt=0)  # one call in total, retries and waits included
    run_deadline_s: float = Field(240.0, gt=0)  # all LLM work of one run; after it the rest of the run goes offline
    breaker_failures: int = Field(3, ge=1)  # consecutive timeouts/5xx/connection errors that switch the LLM off for the run
    max_retry_after_s: float = Field(60.0, ge=0)  # a Retry-After longer than this fails the call instead of waiting
    retries: int = Field(3, ge=0)
    concurrency: Annotated[int, Field(ge=1)] | None = None  # LLM calls in flight; None = the provider's default (16 hosted, 4 local)
    batch_size: int = Field(25, ge=1)  # items per categorization call
    temperature: float = Field(0.0, ge=0, le=2)
    max_output_tokens: int = Field(1500, ge=1)
    max_response_bytes: int = Field(4_000_000, ge=10_000)  # an LLM answer's body is read up to this, then the call fails
    budget_usd: Annotated[float, Field(ge=0)] | None = None
    max_tokens: Annotated[int, Field(ge=0)] | None = None  # total tokens (in + out) per run
    prices: dict[str, LLMPrice] = Field(default_factory=dict)


class NotifyConfig(_Strict):
    targets: list[str] = Field(default_factory=list)  # apprise URLs; ${VAR} is expanded from the environment
    site_url: str = ""  # base URL of the published site (empty: [site] base_url); messages link its day page
    top: int = Field(3, ge=1)  # items per category in the message


class ScheduleConfig(_Strict):
    time: str = Field("10:30", pattern=r"^([01]?\d|2[0-3]):[0-5]\d$")  # local time (in [general] timezone) of the daily run written by the schedule recipes
    weekly: str = Field("mon 09:00", pattern=r"^$|^(mon|tue|wed|thu|fri|sat|sun) ([01]?\d|2[0-3]):[0-5]\d$")  # weekday + local time of the weekly roundup run (`aidigest week`); "" = none


class SiteConfig(_Strict):
    out: str = Field("site", min_length=1)  # the static web archive (`aidigest site`)
    base_url: str = ""  # public URL of the site, for absolute links in the Atom feeds; empty = relative links
    templates: str = ""  # folder of template overrides (same names as aidigest/templates/*.j2); empty = built-in
    title: str = ""  # site name; empty = "AI 다이제스트" (or the language's equivalent)
    feed_days: int = Field(30, ge=1)  # days (entries) per Atom feed


PROFILE_NAME = r"^[a-z0-9][a-z0-9_-]{0,39}$"  # a profile's name is a folder name and part of its site path


class ProfileConfig(_Strict):
    """`[profiles.<name>]`: one reader's own digest, ranked by their interests (aidigest.profiles.rank, aidigest.profiles.personalize).
    Served from the same crawl, categorization and summaries as the main digest."""

    interests: list[str] = Field(default_factory=list)  # a few sentences, any language: "강화학습으로 로봇 제어"
    include_keywords: list[str] = Field(default_factory=list)  # matching items rank higher (Latin: whole words)
    exclude_keywords: list[str] = Field(default_factory=list)  # matching items are left out of this profile's digest
    authors: list[str] = Field(default_factory=list)  # pinned authors (papers): their papers rank first
    liked: list[str] = Field(default_factory=list)  # arXiv ids of papers the reader likes (+ `aidigest profile add-paper`)
    liked_file: str = ""  # a BibTeX (.bib) or Zotero CSV (.csv) export of the reader's library; relative to the config file
    categories: list[str] = Field(default_factory=list)  # taxonomy ids to show; empty = all
    language: str = ""  # report language; empty = [general] language
    targets: list[str] = Field(default_factory=list)  # apprise URLs for this profile's digest (${VAR} from the env)
    site: str = Field("", pattern=r"^([A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*)?$")  # folder of its pages inside [site] out; empty = profiles/<name>
    picks: int = Field(10, ge=1, le=50)  # items in the "추천" section that opens each digest


class Config(_Strict):
    general: GeneralConfig = Field(default_factory=GeneralConfig)
    http: HttpConfig = Field(default_factory=HttpConfig)
    sources: SourcesSection = Field(default_factory=_default_sources)
    digest: DigestConfig = Field(default_factory=DigestConfig)
    llm: LLMConfig = Field(default_factory=LLMConfig)
    notify: NotifyConfig = Field(default_factory=NotifyConfig)
    schedule: ScheduleConfig = Field(default_factory=ScheduleConfig)
    _source_file: str | None = PrivateAttr(default=None)  # the config file read (None: defaults only)

    site: SiteConfig = Field(default_factory=SiteConfig)
    profiles: dict[Annotated[str, Field(pattern=PROFILE_NAME)], ProfileConfig] = Field(default_factory=dict)

    @property
    def source_file(self) -> str | None:
        return self._source_file

    def updated(self, **sections: Mapping[str, Any]) -> Config:
        """A new Config with some settings replaced, validated like the file's values (a Config is frozen):
        `cfg.updated(llm={"provider": "openai:gpt-4o-mini"}, sources={"arxiv": {"enabled": False}})`.
        Raises pydantic.ValidationError."""
        data = self.model_dump()
        _merge(data, sections)
        new = type(self).model_validate(data)
        new._source_file = self._source_file
        return new


def _merge(into: dict[str, Any], changes: Mapping[str, Any]) -> None:
    for key, value in changes.items():
        if isinstance(value, Mapping) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


# Environment variables that override the file: name -> (section, key, type)
ENV_OVERRIDES: dict[str, tuple[str, str, type]] = {
    "AIDIGEST_LANG": ("general", "language", str),
    "AIDIGEST_DB": ("general", "db", str),
    "AIDIGEST_OUT": ("general", "out", str),
    "AIDIGEST_LLM": ("llm", "provider", str),
    "AIDIGEST_BUDGET_USD": ("llm", "budget_usd", float),
    "AIDIGEST_MAX_TOKENS": ("llm", "max_tokens", int),
    "AIDIGEST_LLM_CONCURRENCY": ("llm", "concurrency", int),
    "AIDIGEST_HTTP_TIMEOUT": ("http", "timeout_s", float),
    "AIDIGEST_TIMEZONE": ("general", "timezone", str),
    "AIDIGEST_SITE_URL": ("notify", "site_url", str),
}


def default_config_text() -> str:
    return resources.files("aidigest").joinpath("data/aidigest.default.toml").read_text(encoding="utf-8")


def load_config(path: str | Path | None = None, env: dict[str, str] | None = None) -> Config:
    """Load the config file (if any), then apply environment overrides; fill in the standard store/output paths.

    Which file (aidigest.infra.paths.find_config): `path`, else $AIDIGEST_CONFIG, else ./aidigest.toml when it exists,
    else the user config file ($AIDIGEST_HOME/aidigest.toml or ~/.config/aidigest/aidigest.toml) when it exists.
    A path given explicitly must exist. Relative `db`/`out` in the file are relative to the file's directory.
    """
    env = environ() if env is None else env
    p, explicit = paths.find_config(path, env)
    data: dict = {}
    if p is not None and p.is_dir():
        raise ConfigError(f"config {p} is a directory, not a file (pass --config FILE)")
    if p is not None and p.exists():
        data = _read_file(p)
    elif explicit:
        raise ConfigError(f"config file {p} does not exist (run `aidigest init` to write one)")
    from_env = _apply_env(data, env)
    try:
        cfg = Config.model_validate(data)
    except ValidationError as e:
        raise ConfigError(_describe(p, e, from_env)) from None
    d = paths.dirs(env)
    general = cfg.general.model_copy(update={"db": cfg.general.db or str(d.store), "out": cfg.general.out or str(d.reports)})
    cfg = cfg.model_copy(update={"general": general})
    cfg._source_file = str(p) if p is not None and p.exists() else None
    try:
        zone(cfg.general.timezone)
    except DayError as e:
        raise ConfigError(f"general.timezone: {e}") from None
    return cfg


def _read_file(p: Path) -> dict:
    """The config file's data, its relative paths (`db`, `out`, a profile's `liked_file`) made relative to the
    file's directory."""
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"{p}: not valid TOML ({e})") from None
    except OSError as e:
        raise ConfigError(f"config {p} cannot be read ({e.strerror or e})") from None
    general = data.get("general")
    if isinstance(general, dict):
        for key in ("db", "out"):
            if isinstance(general.get(key), str) and general[key] and not general[key].startswith(
                ("postgresql://", "postgres://")  # a PostgreSQL store's URL is not a path
            ):
                general[key] = str(paths.resolve(general[key], p, Path()))
    for prof in (data.get("profiles") or {}).values() if isinstance(data.get("profiles"), dict) else ():
        if isinstance(prof, dict) and isinstance(prof.get("liked_file"), str) and prof["liked_file"]:
            prof["liked_file"] = str(paths.resolve(prof["liked_file"], p, Path()))
    return data


def _apply_env(data: dict, env: Mapping[str, str]) -> dict[tuple[str, ...], str]:
    """Set the environment's overrides (ENV_OVERRIDES) in `data`; returns which variable set which key."""
    from_env: dict[tuple[str, ...], str] = {}
    for name, (section, key, typ) in ENV_OVERRIDES.items():
        if name in env and env[name] != "":
            try:
                value = typ(env[name])
            except ValueError:
                raise ConfigError(f"{name}={env[name]!r} is not a valid {typ.__name__}") from None
            if not isinstance(data.get(section, {}), dict):
                continue  # the file's own error is reported below
            data.setdefault(section, {})[key] = value
            from_env[(section, key)] = name
    return from_env


def _describe(path: Path | None, e: ValidationError, from_env: dict[tuple[str, ...], str]) -> str:
    """Every problem on one line, each naming its key as written in the file (or the environment variable)."""
    problems = []
    for err in e.errors():
        loc = tuple(str(x) for x in err["loc"])
        where = f"[{'.'.join(loc)}]"
        if loc[:2] in from_env:
            where = f"{from_env[loc[:2]]} ({'.'.join(loc)})"
        if err["type"] == "extra_forbidden":
            problems.append(f"{where} is not a known setting")
        elif err["type"] == "missing":
            problems.append(f"{where} is required")
        else:
            got = err.get("input")
            shown = "" if isinstance(got, dict | list) else f", got {got!r}"
            problems.append(f"{where} {err['msg'][:1].lower()}{err['msg'][1:]}{shown}")
    return f"{path or 'config'}: " + "; ".join(problems)
