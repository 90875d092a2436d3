"""The week in one read: a weekly roundup built from the days already in the store (`aidigest week`).

    monday = resolve_week(week="2026-W31" | None, date=None | D, tz)      # default: the last complete ISO week
    result = await run_week(monday, config, store, out_dir, language)    # both kinds; files under out/weekly/<week>/

Nothing is collected or classified again. Per kind, from the store: the items seen on each day of the week
(`item_days`) with their stored (merged) signals, the category the daily reports gave them (`reported`), and the
runs and source outcomes of each day; from the daily JSON exports: each category's LLM summary of the day.

- A story seen on several days is ONE entry: its best figures (the stored item's signals are the maximum over its
  sightings) and the days it was seen on. Ranked by `week_score` (the day's signals, without recency, plus a
  bonus per extra day it came back).
- A category's share = its stories / all stories of the kind reported in the week (`reported`; `software` and
  `others` are not AI sections and are left out), compared with the week before.
- Missing days are named with the reason the store gives (no run at all, every source failed, ...).
- With an LLM: one call per category (aidigest.summarize.weekly), cached like every LLM call, so rerunning an
  unchanged week makes no call; the report holds no run counters, so a rerun writes the same bytes.

Reader profiles ("the week ranked for each reader") plug in through `WeekContext.score` — a
`Scorer` (the stored item, the days it was seen on -> its weight; `week_score` by default) — `WeekContext.keep`
(which stories the reader sees at all; all by default) and `WeekContext.categories` (the reader's categories; all
by default). aidigest.weekly.profiles builds each `[profiles.<name>]`'s week that way (its rank.py score, its filters,
the shared summaries reused: no LLM call) and writes it to the profile's own folder;
`run_week(..., readers=weekprofiles.run_week_profiles)` calls it last.
"""

from __future__ import annotations

from ..errors import UserError

import asyncio
import datetime as dt
import json
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..config import Config
from ..infra.days import DayError, last_complete_day, parse_day, today
from ..llm.factory import make_llm
from ..llm.base import LLM
from ..records import Item, Kind, LLMTotals, signal_values
from ..render.markdown import report_kind_word
from ..render.weekly import WeekPaths, write_week
from ..report import Digest
from ..select.items import W_COMMENTS, W_ON_HF, W_POINTS, W_SOURCE, W_UPVOTES
from ..sources.builtin import is_enricher
from ..infra.store import Store
from ..summarize.checks import strip_cites
from ..summarize.llm import SummaryFailed
from ..summarize.text import clean
from ..summarize.weekly import WeekCategory, WeekSource, week_summary
from ..taxonomy import Taxonomy, load_taxonomy
from .report import DayState, ShareRow, WeekEntry, WeeklyDigest, WeekSection, WeekStats, week_id, week_start

KINDS: tuple[Kind, Kind] = ("news", "paper")
TOP = 5  # stories listed per category (the LLM summary cites these)
RETURNING_MAX = 10  # stories listed under "kept coming back"
W_DAYS = 0.7  # rank bonus per extra day a story was seen on (as much as one more source)
LOOKBACK_DAYS = 7  # a story seen this week but reported just before it keeps that report's category
NOT_AI = ("software", "others")


class WeekError(UserError, ValueError):
    """--week / --date that names no week (one line)."""


def resolve_week(week: str | None, date: str | None, tz: str, now: dt.datetime | None = None) -> dt.date:
    """The Monday of the ISO week to build: `--week YYYY-Www`, else the week of `--date` (same forms as a day),
    else the last complete week in zone `tz` (the week before the current one there)."""
    if week and date:
        raise WeekError("--week and --date name the same thing: give one")
    if week:
        try:
            return week_start(week)
        except ValueError as e:
            raise WeekError(f"--week: {e}") from None
    if date:
        try:
            d = parse_day(date, tz, now)
        except DayError as e:
            raise WeekError(f"--date: {e}") from None
        return d - dt.timedelta(days=d.weekday())
    t = today(tz, now)
    return t - dt.timedelta(days=t.weekday() + 7)


Scorer = Callable[[Item, int], float]  # (stored item, days seen in the week) -> weight; higher ranks first


def week_score(item: Item, days: int) -> float:
    """A story's weight over the week: the daily ranking's signals (aidigest.select.items) without recency, plus
    `W_DAYS` per extra day it was seen on."""
    sources, points, comments, upvotes, _ = signal_values(item.sightings)
    s = 0.0
    if points is not None:
        s += W_POINTS * math.log1p(max(points, 0))
    if comments is not None:
        s += W_COMMENTS * math.log1p(max(comments, 0))
    if upvotes is not None:
        s += W_UPVOTES * math.log1p(max(upvotes, 0)) + W_ON_HF
    s += W_SOURCE * max(len(sources) - 1, 0) + W_DAYS * max(days - 1, 0)
    return round(s, 9)


def _popularity(points: int | None, upvotes: int | None) -> float:
    return float(points) if points is not None else float(upvotes) if upvotes is not None else 0.0


@dataclass
class Story:
    item: Item
    days: list[dt.date]
    category: str
    reported_days: list[dt.date]
    score: float


def week_stories(store: Store, start: dt.date, kind: Kind, score: Scorer = week_score,
                 keep: Callable[[Item], bool] | None = None,
                 categories: frozenset[str] = frozenset()) -> tuple[list[Story], int]:
    """(the week's stories of `kind` with a category from a daily report, best first by `score`; items seen that
    week that no daily report showed, left out). `keep`: a reader's filter (None: every story); `categories`: the
    reader's categories (empty: all)."""
    end = start + dt.timedelta(days=6)
    seen = store.items_between(start, end, kind)
    category: dict[str, tuple[bool, dt.date, str]] = {}  # key -> (reported this week, day, category) of its latest report
    reported_days: dict[str, list[dt.date]] = {}
    for day, key, cat, _score in store.reported_between(start - dt.timedelta(days=LOOKBACK_DAYS), end, kind):
        in_week = day >= start
        if in_week:
            reported_days.setdefault(key, []).append(day)
        prev = category.get(key)
        if prev is None or (in_week, day) >= prev[:2]:
            category[key] = (in_week, day, cat)
    stories, unreported = [], 0
    for key, (item, days) in seen.items():
        got = category.get(key)
        if got is None:
            unreported += 1
            continue
        if (keep is not None and not keep(item)) or (categories and got[2] not in categories):
            continue
        stories.append(Story(item, days, got[2], reported_days.get(key, []), score(item, len(days))))
    stories.sort(key=lambda s: (-s.score, s.item.key))
    return stories, unreported


def _entry(s: Story, n: int, tldr: str = "") -> WeekEntry:
    sources, points, comments, upvotes, discussion = signal_values(s.item.sightings)
    return WeekEntry(
        n=n, key=s.item.key, kind=s.item.kind, category=s.category, title=s.item.title, url=s.item.url, days=s.days,
        reported_days=s.reported_days, hn_points=points, hn_comments=comments, hf_upvotes=upvotes, sources=list(sources),
        discussion_url=discussion, popularity=_popularity(points, upvotes), score=s.score, tldr=tldr,
    )


def export_path(out_dir: Path, day: dt.date, kind: str, language: str) -> Path:
    """The daily JSON export of `kind` on `day` (aidigest.render.write.file_names' layout)."""
    sfx = "" if language == "ko" else f"_{language}"
    d = day.isoformat()
    return Path(out_dir) / d / f"{report_kind_word(kind)}_{d}{sfx}.json"


def read_daily(out_dir: Path, day: dt.date, kind: str, language: str, notes: list[str]) -> Digest | None:
    path = export_path(out_dir, day, kind, language)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as e:
        notes.append(f"daily export {path.name} unreadable ({e.strerror or type(e).__name__}): its summaries are not used")
        return None
    try:
        return Digest.model_validate_json(data)
    except ValueError:
        notes.append(f"daily export {path.name} is not a digest export: its summaries are not used")
        return None


def day_state(store: Store, day: dt.date, kind: Kind, items: int, exported: bool, last_day: dt.date) -> DayState:
    """What the store says about `day` for `kind`: reported / collected, or why it is missing."""
    if exported:
        return DayState(day=day, status="reported", items=items)
    if items:
        return DayState(day=day, status="collected", items=items)
    if day > last_day:
        return DayState(day=day, status="not_over")
    runs = store.runs_of_day(day)
    if not runs:
        return DayState(day=day, status="not_collected")
    run_id = store.latest_collect_run(day)
    outcomes = [o for o in store.outcomes(run_id) if not is_enricher(o.source)] if run_id is not None else []
    mine = [o for o in outcomes if o.kind == kind] or outcomes
    if mine and all(o.status in ("failed", "no_recording") for o in mine):
        failed = [o.model_copy(update={"duration_s": 0.0}) for o in sorted(mine, key=lambda o: o.source)]
        return DayState(day=day, status="all_failed", failed=failed)
    if not mine and any(status == "error" for _, _, status in runs):
        return DayState(day=day, status="run_failed")
    return DayState(day=day, status="empty")


def _shares(stories: list[Story]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for s in stories:
        if s.category not in NOT_AI:
            counts[s.category] = counts.get(s.category, 0) + 1
    return counts


def _daily_summary_text(sec_summary) -> str:
    """A daily section's LLM summary as plain text for the weekly prompt (themes + bottom line; its [n] refer to
    that day's sources, so they are dropped)."""
    parts = [p.text for p in sec_summary.themes + sec_summary.bottom_line]
    return clean(" ".join(strip_cites(t) for t in parts))


@dataclass
class WeekContext:
    config: Config
    store: Store
    out_dir: Path
    language: str
    taxonomy: Taxonomy
    llm: LLM | None = None  # None: the offline form (ranked lists, no prose)
    provider: str = "none"  # the LLM as "provider:model", shown in the report
    last_day: dt.date = dt.date.max  # the last complete day: later days are "not over yet"
    score: Scorer = week_score  # the extension point for reader profiles (see the module doc)
    keep: Callable[[Item], bool] | None = None  # a reader's filter of stories (None: all)
    categories: frozenset[str] = frozenset()  # a reader's categories (empty: all)


async def build_week(ctx: WeekContext, start: dt.date, kind: Kind) -> WeeklyDigest:
    """The week of `kind` starting on Monday `start` (see the module doc), ranked and filtered as `ctx` says."""
    notes: list[str] = []
    stories, unreported = week_stories(ctx.store, start, kind, ctx.score, ctx.keep, ctx.categories)
    before, _ = week_stories(ctx.store, start - dt.timedelta(days=7), kind, ctx.score, ctx.keep, ctx.categories)
    days, dailies = _days(ctx, start, kind, notes)
    counts = _ShareCounts.of(stories, before, ctx.taxonomy)
    tops = {cid: [s for s in stories if s.category == cid][:TOP] for cid in counts.categories}
    sections = [_section(ctx, counts, cid, tops[cid]) for cid in counts.categories]
    fallbacks: dict[str, int] = {}
    if ctx.llm is not None:
        sections, fallbacks = await _summarized(ctx, week_id(start), kind, sections, tops, dailies)
    stats = WeekStats(
        stories=counts.total, stories_before=counts.total_before, seen=len(stories) + unreported,
        not_reported=unreported, other_tech=sum(1 for s in stories if s.category == "software"),
        days_with_reports=sum(1 for d in days if d.status == "reported"), per_entry=TOP,
    )
    return WeeklyDigest(
        week=week_id(start), start=start, end=start + dt.timedelta(days=6), kind=kind, language=ctx.language,
        days=days, sections=sections, shares=_share_rows(ctx, counts), returning=_returning(stories), stats=stats,
        fallbacks=dict(sorted(fallbacks.items())), notes=sorted(set(notes)),
        llm_provider=ctx.provider if ctx.llm is not None else "none",
    )


def _days(ctx: WeekContext, start: dt.date, kind: Kind, notes: list[str]
          ) -> tuple[list[DayState], dict[dt.date, Digest]]:
    """Each day of the week: what the store says about it, and its daily export (if one can be read)."""
    per_day: dict[dt.date, int] = {}
    for _item, seen_on in ctx.store.items_between(start, start + dt.timedelta(days=6), kind).values():
        for d in seen_on:
            per_day[d] = per_day.get(d, 0) + 1
    dailies: dict[dt.date, Digest] = {}
    days: list[DayState] = []
    for i in range(7):
        d = start + dt.timedelta(days=i)
        daily = read_daily(ctx.out_dir, d, kind, ctx.language, notes)
        if daily is not None:
            dailies[d] = daily
        days.append(day_state(ctx.store, d, kind, per_day.get(d, 0), daily is not None, ctx.last_day))
    return days, dailies


@dataclass(frozen=True)
class _ShareCounts:
    """Stories per AI category this week and the week before; `categories`: this week's, most stories first
    (ties in the taxonomy's order)."""

    now: dict[str, int]
    before: dict[str, int]
    categories: list[str]

    @classmethod
    def of(cls, stories: list[Story], before: list[Story], taxonomy: Taxonomy) -> _ShareCounts:
        counts = _shares(stories)
        order = [c.id for c in taxonomy.reported()]
        cats = sorted(counts, key=lambda c: (-counts[c], order.index(c) if c in order else len(order), c))
        return cls(now=counts, before=_shares(before), categories=cats)

    @property
    def total(self) -> int:
        return sum(self.now.values())

    @property
    def total_before(self) -> int:
        return sum(self.before.values())

    def share_before(self, cid: str) -> float | None:
        return self.before.get(cid, 0) / self.total_before if self.total_before else None


def _name_emoji(ctx: WeekContext, cid: str) -> tuple[str, str]:
    if cid in ctx.taxonomy:
        c = ctx.taxonomy[cid]
        return c.display_name(ctx.language), c.emoji
    return cid, "•"


def _section(ctx: WeekContext, counts: _ShareCounts, cid: str, top: list[Story]) -> WeekSection:
    """A category's section as the offline list: its top stories (the LLM summary, if any, is added after)."""
    name, emoji = _name_emoji(ctx, cid)
    return WeekSection(
        category=cid, name=name, emoji=emoji, stories=counts.now[cid], share=counts.now[cid] / counts.total,
        share_before=counts.share_before(cid), entries=[_entry(s, n) for n, s in enumerate(top, start=1)],
        more=max(counts.now[cid] - len(top), 0),
    )


async def _summarized(ctx: WeekContext, week: str, kind: Kind, sections: list[WeekSection],
                      tops: dict[str, list[Story]], dailies: dict[dt.date, Digest]
                      ) -> tuple[list[WeekSection], dict[str, int]]:
    """The sections with the LLM's summary of the week and a TL;DR per story, all categories at once (the LLM
    client keeps at most its `concurrency` calls in flight); a section whose summary failed stays the list and is
    counted in the fallbacks."""
    assert ctx.llm is not None
    jobs = []
    for sec in sections:
        cid = sec.category
        daily_texts = [(d, _daily_summary_text(dsec.summary)) for d, dg in sorted(dailies.items())
                       for dsec in dg.sections if dsec.category == cid and dsec.summary is not None
                       and dsec.summary.method == "llm"]
        desc = ctx.taxonomy[cid].description if cid in ctx.taxonomy else ""
        jobs.append(week_summary(ctx.llm, ctx.config, ctx.language, WeekCategory(
            kind=kind, category=cid, name=sec.name, description=desc, week=week,
            sources=[WeekSource(s.item, s.days) for s in tops[cid]], daily=daily_texts)))
    answers = await asyncio.gather(*jobs, return_exceptions=True)
    fallbacks: dict[str, int] = {}
    out: list[WeekSection] = []
    for sec, ans in zip(sections, answers, strict=True):
        if isinstance(ans, SummaryFailed):
            what = f"weekly summary {kind}/{sec.category}: llm → list ({ans.code})"
            fallbacks[what] = fallbacks.get(what, 0) + 1
            out.append(sec)
            continue
        if isinstance(ans, BaseException):
            raise ans
        summary, tldrs = ans
        entries = [e.model_copy(update={"tldr": tldrs[j] if j < len(tldrs) else ""}) for j, e in enumerate(sec.entries)]
        out.append(sec.model_copy(update={"summary": summary, "entries": entries}))
    return out, fallbacks


def _share_rows(ctx: WeekContext, counts: _ShareCounts) -> list[ShareRow]:
    """Each category's share this week against the week before, then the categories gone quiet this week."""
    now, before = counts.now, counts.before
    shares = [ShareRow(category=cid, name=_name_emoji(ctx, cid)[0], emoji=_name_emoji(ctx, cid)[1], stories=now[cid],
                       share=now[cid] / counts.total, stories_before=before.get(cid, 0),
                       share_before=counts.share_before(cid)) for cid in counts.categories]
    for cid in sorted(set(before) - set(now), key=lambda c: (-before[c], c)):
        name, emoji = _name_emoji(ctx, cid)
        shares.append(ShareRow(category=cid, name=name, emoji=emoji, stories=0, share=0.0,
                               stories_before=before[cid], share_before=before[cid] / counts.total_before))
    return shares


def _returning(stories: list[Story]) -> list[WeekEntry]:
    """The AI stories that kept coming back: most days first."""
    back = [s for s in stories if len(s.days) >= 2 and s.category not in NOT_AI]
    back.sort(key=lambda s: (-len(s.days), -s.score, s.item.key))
    return [_entry(s, n) for n, s in enumerate(back[:RETURNING_MAX], start=1)]


@dataclass
class WeekResult:
    week: str
    start: dt.date
    digests: dict[str, WeeklyDigest] = field(default_factory=dict)
    paths: dict[str, WeekPaths] = field(default_factory=dict)
    llm: LLMTotals = field(default_factory=LLMTotals)
    profiles: dict[str, dict[str, WeekPaths]] = field(default_factory=dict)  # profile -> kind -> its week's files
    notes: list[str] = field(default_factory=list)  # a profile whose week was not written, and why


Readers = Callable[[WeekContext, dt.date, dict[str, WeeklyDigest]],
                  Awaitable[tuple[dict[str, dict[str, WeekPaths]], list[str]]]]


async def run_week(start: dt.date, config: Config, store: Store, out_dir: Path, language: str | None = None,
                   readers: Readers | None = None) -> WeekResult:
    """Build and write the week's News and Papers roundups (a kind with no story in the week and no daily report
    is not written). Same inputs -> same bytes; LLM answers come from the cache on a rerun. `readers`: builds and
    writes each reader profile's week from the shared ones (aidigest.weekly.profiles.run_week_profiles), with the
    week's LLM still open (a profile in another language needs that language's summaries)."""
    language = language or config.general.language
    taxonomy = load_taxonomy(config.digest.taxonomy or None)
    totals = LLMTotals(provider=config.llm.provider)
    llm = make_llm(config, store, None, totals)
    result = WeekResult(week=week_id(start), start=start, llm=totals)
    ctx = WeekContext(config=config, store=store, out_dir=Path(out_dir), language=language, taxonomy=taxonomy, llm=llm,
                      provider=totals.provider, last_day=last_complete_day(config.general.timezone))
    try:
        digests = await asyncio.gather(*(build_week(ctx, start, kind) for kind in KINDS))
        for digest in digests:
            if not digest.sections and not digest.stats.days_with_reports:
                continue
            result.digests[digest.kind] = digest
            result.paths[digest.kind] = write_week(digest, Path(out_dir))
        if readers is not None and config.profiles and result.digests:  # each reader's week, from the shared one
            result.profiles, result.notes = await readers(ctx, start, result.digests)
    finally:
        if llm is not None:
            await llm.aclose()
    return result


def week_summary_json(result: WeekResult) -> str:
    """One line for logs: the week, what was written, the LLM's use."""
    return json.dumps({"week": result.week, "kinds": sorted(result.paths), "llm_calls": result.llm.calls,
                       "llm_cached": result.llm.cached, "tokens": result.llm.tokens_in + result.llm.tokens_out})
