"""Configuration: `aidigest.toml` (optional) < environment variables < command-line flags.

The commented default file written by `aidigest init` (src/aidigest/data/aidigest.default.toml) is the
config reference; a test checks it parses to exactly the defaults below.
API keys are never read from the file, only from the environment (see aidigest.llm).
"""

from __future__ import annotations

import os
import tomllib
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

DEFAULT_CONFIG_NAME = "aidigest.toml"


class ConfigError(Exception):
    """A user mistake in the config file or environment: printed as one line, never a traceback."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GeneralConfig(_Strict):
    language: str = "ko"  # report language (ISO 639-1)
    db: str = "aidigest.sqlite3"
    out: str = "reports"


class HttpConfig(_Strict):
    timeout_s: float = 20.0
    max_concurrency: int = 8
    per_host: int = 2
    retries: int = 3
    backoff_base_s: float = 0.5
    backoff_max_s: float = 30.0
    max_bytes: int = 5_000_000
    user_agent: str = "aidigest/0.1 (daily AI news digest; +https://pypi.org/project/aidigest/)"


class HackerNewsConfig(_Strict):
    enabled: bool = True
    min_points: int = 20  # front-page stories only; Algolia numericFilters points>=min_points
    max_items: int = 100


class HFPapersConfig(_Strict):
    enabled: bool = True


class ArxivConfig(_Strict):
    enabled: bool = True
    categories: list[str] = Field(
        default_factory=lambda: ["cs.AI", "cs.CL", "cs.CV", "cs.LG", "cs.RO", "cs.SD", "eess.AS"]
    )
    page_size: int = 200
    max_results: int = 2000
    delay_s: float = 3.0  # arXiv asks for at least 3 s between calls


class TechReviewKrConfig(_Strict):
    enabled: bool = True
    url: str = "https://www.technologyreview.kr/category/ai/feed/"


class FeedConfig(_Strict):
    name: str
    url: str
    kind: Literal["news", "paper"] = "news"
    language: str = "en"


class SnippetConfig(_Strict):
    enabled: bool = True
    max_per_day: int = 60
    max_bytes: int = 2_000_000
    max_chars: int = 600


class SourcesConfig(_Strict):
    hackernews: HackerNewsConfig = Field(default_factory=HackerNewsConfig)
    hf_papers: HFPapersConfig = Field(default_factory=HFPapersConfig)
    arxiv: ArxivConfig = Field(default_factory=ArxivConfig)
    techreview_kr: TechReviewKrConfig = Field(default_factory=TechReviewKrConfig)
    feeds: list[FeedConfig] = Field(default_factory=list)
    snippets: SnippetConfig = Field(default_factory=SnippetConfig)


class DigestConfig(_Strict):
    per_category: int = 8
    repeat_window_days: int = 7
    taxonomy: str = ""  # path to a taxonomy TOML; empty = the built-in one
    other_tech_max: int = 10  # non-AI computing items (`software`) listed by title at the end; 0 = left out
    include_keywords: list[str] = Field(default_factory=list)  # follow: matching items rank first (title/text)
    exclude_keywords: list[str] = Field(default_factory=list)  # mute: matching items are left out (counted)
    classifier: str = ""  # folder of a head trained by `aidigest train`; empty = the shipped model


class LLMPrice(_Strict):
    input: float  # USD per 1M input tokens
    output: float  # USD per 1M output tokens


class LLMConfig(_Strict):
    provider: str = "none"  # none | openai:<model> | together:<model> | ollama:<model> | anthropic:<model>
    timeout_s: float = 120.0
    retries: int = 3
    concurrency: int | None = None  # LLM calls in flight; None = auto: 16 for hosted APIs, 4 for local servers
    batch_size: int = 25  # items per categorization call
    temperature: float = 0.0
    max_output_tokens: int = 1500
    budget_usd: float | None = None
    max_tokens: int | None = None  # total tokens (in + out) per run
    prices: dict[str, LLMPrice] = Field(default_factory=dict)


class Config(_Strict):
    general: GeneralConfig = Field(default_factory=GeneralConfig)
    http: HttpConfig = Field(default_factory=HttpConfig)
    sources: SourcesConfig = Field(default_factory=SourcesConfig)
    digest: DigestConfig = Field(default_factory=DigestConfig)
    llm: LLMConfig = Field(default_factory=LLMConfig)


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
}


def default_config_text() -> str:
    return resources.files("aidigest").joinpath("data/aidigest.default.toml").read_text(encoding="utf-8")


def load_config(path: str | Path | None = None, env: dict[str, str] | None = None) -> Config:
    """Load the config file (if any), then apply environment overrides.

    `path=None` reads ./aidigest.toml when it exists (or $AIDIGEST_CONFIG); a path given explicitly must exist.
    """
    env = dict(os.environ) if env is None else env
    explicit = path is not None or "AIDIGEST_CONFIG" in env
    p = Path(path if path is not None else env.get("AIDIGEST_CONFIG", DEFAULT_CONFIG_NAME))
    data: dict = {}
    if p.exists():
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            raise ConfigError(f"{p}: not valid TOML ({e})") from None
    elif explicit:
        raise ConfigError(f"config file {p} does not exist (run `aidigest init` to write one)")
    for name, (section, key, typ) in ENV_OVERRIDES.items():
        if name in env and env[name] != "":
            try:
                value = typ(env[name])
            except ValueError:
                raise ConfigError(f"{name}={env[name]!r} is not a valid {typ.__name__}") from None
            data.setdefault(section, {})[key] = value
    try:
        return Config.model_validate(data)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        raise ConfigError(f"{p}: [{where}] {first['msg']}") from None
