"""Typed records that cross stage boundaries.

Every stage of the pipeline (sources -> store -> dedupe -> classify -> select -> summarize -> render)
exchanges these models, never loose dicts.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal, NamedTuple

from pydantic import BaseModel, Field, field_validator

Kind = Literal["news", "paper"]

# Caps applied when a record is built (parse time), so one huge field cannot grow memory or time downstream
# (the encoder, the summarizer, the chart): a 1 MB title is kept as its first MAX_TITLE_CHARS characters.
MAX_TITLE_CHARS = 300
MAX_TEXT_CHARS = 5000  # snippets and abstracts (arXiv caps abstracts at 1,920 characters)
MAX_AUTHORS = 100
MAX_NAME_CHARS = 200


def cap_text(value: object, limit: int) -> object:
    """`value` cut to `limit` characters (ending in "…" when cut); non-strings are left to pydantic."""
    if isinstance(value, str) and len(value) > limit:
        return value[: limit - 1].rstrip() + "…"
    return value
SourceStatus = Literal["ok", "empty", "failed", "no_recording", "skipped"]


class Sighting(BaseModel):
    """One place an item was seen: which source, under which URL, with which signals."""

    source: str  # source name from the config, e.g. "hackernews", "hf_papers", "arxiv", "rss:import-ai"
    url: str
    title: str = ""
    points: int | None = None  # Hacker News points
    comments: int | None = None  # Hacker News comment count
    discussion_url: str | None = None  # e.g. https://news.ycombinator.com/item?id=...
    upvotes: int | None = None  # Hugging Face Daily Papers upvotes
    rank: int | None = None  # position in the source's own listing (0 = top)

    @field_validator("title", mode="before")
    @classmethod
    def _cap_title(cls, v: object) -> object:
        return cap_text(v, MAX_TITLE_CHARS)


class Signals(NamedTuple):
    """An item's signals, read from its sightings in one pass: the one definition the `Item` properties and
    the ranking (aidigest.select.items) both use."""

    sources: list[str]  # each source once, in the order they first saw the item
    points: int | None  # highest HN points of any sighting
    comments: int | None  # highest HN comment count
    upvotes: int | None  # highest HF upvotes
    discussion_url: str | None  # the first sighting's discussion link


def signal_values(sightings: list[Sighting]) -> tuple[dict[str, None], int | None, int | None, int | None, str | None]:
    """The signals in one pass over the sightings, as plain values (the ranking reads them for every item of a
    day): (sources as the keys of a dict, in first-seen order, points, comments, upvotes, discussion_url)."""
    sources: dict[str, None] = {}
    points = comments = upvotes = None
    discussion: str | None = None
    for sg in sightings:
        sources[sg.source] = None
        v = sg.points
        if v is not None and (points is None or v > points):
            points = v
        v = sg.comments
        if v is not None and (comments is None or v > comments):
            comments = v
        v = sg.upvotes
        if v is not None and (upvotes is None or v > upvotes):
            upvotes = v
        if discussion is None and sg.discussion_url:
            discussion = sg.discussion_url
    return sources, points, comments, upvotes, discussion


def signals(sightings: list[Sighting]) -> Signals:
    sources, points, comments, upvotes, discussion = signal_values(sightings)
    return Signals(list(sources), points, comments, upvotes, discussion)


class Item(BaseModel):
    """One news story or paper, after parsing (and possibly merging several sightings)."""

    kind: Kind
    title: str
    url: str
    key: str  # canonical key, see aidigest.urls.canonical_key
    snippet: str = ""  # article snippet (news) or abstract (papers)
    language: str = "en"
    published: dt.datetime | None = None
    arxiv_id: str | None = None
    primary_category: str | None = None  # arXiv primary category, e.g. "cs.CL"
    arxiv_categories: list[str] = Field(default_factory=list)  # every arXiv category, primary first (cross-lists after)
    authors: list[str] = Field(default_factory=list)
    sightings: list[Sighting] = Field(default_factory=list)

    @field_validator("title", mode="before")
    @classmethod
    def _cap_title(cls, v: object) -> object:
        return cap_text(v, MAX_TITLE_CHARS)

    @field_validator("snippet", mode="before")
    @classmethod
    def _cap_snippet(cls, v: object) -> object:
        return cap_text(v, MAX_TEXT_CHARS)

    @field_validator("authors", mode="before")
    @classmethod
    def _cap_authors(cls, v: object) -> object:
        if isinstance(v, list):
            return [cap_text(a, MAX_NAME_CHARS) for a in v[:MAX_AUTHORS]]
        return v

    # ---- derived signals (aidigest.records.signals) ------------------------------------
    @property
    def sources(self) -> list[str]:
        return signals(self.sightings).sources

    @property
    def hn_points(self) -> int | None:
        return signals(self.sightings).points

    @property
    def hn_comments(self) -> int | None:
        return signals(self.sightings).comments

    @property
    def hf_upvotes(self) -> int | None:
        return signals(self.sightings).upvotes

    @property
    def discussion_url(self) -> str | None:
        return signals(self.sightings).discussion_url


class SourceOutcome(BaseModel):
    """What one source did in one run: the run-health data printed in reports."""

    source: str
    kind: Kind
    status: SourceStatus
    items: int = 0
    error: str | None = None
    duration_s: float = 0.0
    notes: dict[str, int] = Field(default_factory=dict)  # counters, e.g. {"snippets_missing": 3}


class CollectResult(BaseModel):
    day: dt.date
    run_id: int
    outcomes: list[SourceOutcome]
    items: list[Item]
    new_items: int = 0  # rows added to the store by this run
    merged: int = 0  # sightings folded into an existing item within the day

    @property
    def failed(self) -> list[SourceOutcome]:
        return [o for o in self.outcomes if o.status in ("failed", "no_recording")]


class Classified(BaseModel):
    """An item with its taxonomy category and where the decision came from."""

    item: Item
    category: str
    method: Literal["llm", "offline", "fallback"] = "offline"
    confidence: float | None = None
    # with an LLM: the offline classifier's opinion beside the LLM's answer (aidigest.classify.check)
    offline_category: str | None = None
    offline_confidence: float | None = None


class CategoryCheck(BaseModel):
    """An LLM category the offline classifier strongly disagreed with (confident, another family): asked again,
    and what the item got (aidigest.classify.check). Category names in both report languages, for run health."""

    kind: Kind
    title: str
    llm: str  # the LLM's first answer (id)
    offline: str  # the offline classifier's category (id)
    offline_confidence: float
    second: str | None  # the LLM's answer when asked once more with a note (None: no valid answer)
    final: str  # the category the item got
    names: dict[str, str] = Field(default_factory=dict)  # id -> display name in the report language(s), "id@ko" too


class LLMTotals(BaseModel):
    """LLM usage of one run (filled by aidigest.llm, printed in run health)."""

    provider: str = "none"
    calls: int = 0  # calls that reached the provider
    cached: int = 0  # answered from the SQLite cache
    failed: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    budget_stopped: bool = False  # --budget-usd / --max-tokens reached: later work went offline
    unpriced: bool = False  # the model is not in the price table: cost_usd is 0, not an estimate
    # why the LLM was switched off for the rest of the run (bad key, circuit breaker, run deadline), if it was
    offline: str | None = None
    fatal: bool = False  # ... because of a configuration mistake the provider reported (bad key 401/403, unknown model)
    items: int = 0  # the day's items (after merging) the LLM worked for: tokens per item = tokens / items

    def per_item(self) -> tuple[float, float]:
        """(prompt, completion) tokens spent per item of the day (0, 0 without items)."""
        if not self.items:
            return 0.0, 0.0
        return self.tokens_in / self.items, self.tokens_out / self.items


class RunHealth(BaseModel):
    """Everything the run-health section of a report prints.

    Each stage returns its own report in this shape (collect: outcomes; classify: fallbacks, notes, others;
    a digest: repeated_skipped, summary fallbacks, notes); the pipeline merges them into the run's one
    `RunHealth` (`merge`). `llm` is the LLM client's running totals (aidigest.llm.make_llm fills it)."""

    outcomes: list[SourceOutcome] = Field(default_factory=list)
    # what fell back and how often, e.g. {"classify: llm → offline": 3, "summary cv: llm → extractive": 1}
    fallbacks: dict[str, int] = Field(default_factory=dict)
    others: int = 0  # items classified `others` (left out of the report)
    repeated_skipped: int = 0  # items already reported within the repeat window
    llm: LLMTotals = Field(default_factory=LLMTotals)
    notes: list[str] = Field(default_factory=list)
    checks: list[CategoryCheck] = Field(default_factory=list)  # LLM categories challenged by the offline classifier

    def fallback(self, what: str, n: int = 1) -> None:
        self.fallbacks[what] = self.fallbacks.get(what, 0) + n

    def merge(self, report: RunHealth) -> None:
        """Add a stage's report: outcomes, notes, fallbacks and counters (not `llm`: the run keeps one)."""
        self.outcomes.extend(report.outcomes)
        for what, n in report.fallbacks.items():
            self.fallback(what, n)
        self.others += report.others
        self.repeated_skipped += report.repeated_skipped
        self.notes.extend(report.notes)
        self.checks.extend(report.checks)
