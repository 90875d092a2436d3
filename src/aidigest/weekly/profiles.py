"""Each reader's week: for every `[profiles.<name>]`, the week's roundup ranked by the reader's
profile score, from the shared week (aidigest.weekly.build) with no LLM call of its own.

    profiles, notes = await run_week_profiles(ctx, start, shared)   # called by aidigest.weekly.build.run_week, last

Per profile and kind, written where the profile's daily reports are (aidigest.profiles.personalize.profile_out_dir), with the
shared week's file names, so the profile's site build and `notify --week` find it as they find the shared one:

    <out>/profiles/<name>/weekly/YYYY-Www/News_YYYY-Www_report.md   (+ .json; Papers_… likewise)

- stories are ranked by the reader's score (aidigest.profiles.rank: interests, liked papers, include keywords, pinned
  authors, plus the story's weight in the week as its popularity), filtered by the profile's `categories` and
  its (and `[digest]`'s) `exclude_keywords`; shares, "kept coming back" and the week before follow the same filter;
- it opens with a "⭐ 추천" section: the reader's top `picks` stories of the week across categories, with reasons;
- each category's summary is the shared week's (written once, one LLM call per category for everyone): its
  citations are renumbered to the reader's order, a citation of a story the reader's top does not list is dropped
  (aidigest.profiles.personalize does the same for a day). A story's TL;DR is the shared one when the shared week listed it,
  else its first sentence (offline);
- the days (reported, missing and why) are the shared week's: they describe the store, not the reader.

A profile in the run's language costs no LLM call. A profile in another language costs that language's weekly
summaries once (shared by every profile reading it), never once per profile.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace
from types import MappingProxyType
from pathlib import Path

import numpy as np

from ..profiles import reader as profiles
from ..classify import offline as offline_module
from ..classify.offline import item_text
from ..records import Item, Kind
from ..profiles.personalize import _remap, profile_out_dir
from ..config import ProfileConfig
from ..profiles.rank import Prepared, ProfileModel, build_profile, prepare, reasons, score_items, words
from ..render.weekly import WeekPaths, write_week
from ..report import PickEntry
from ..reuse import embed_cached
from ..select.items import keyword_matcher
from ..summarize.tldr import extractive_tldr
from .build import KINDS, NOT_AI, WeekContext, build_week, week_score, week_stories
from .report import WeekEntry, WeeklyDigest

# rank.reasons says "popular today" for a day; a week's popularity is the week's weight (aidigest.weekly.build.week_score)
POPULAR_WEEK = MappingProxyType({"ko": "이번 주 많이 본 항목", "en": "popular this week"})


def _reason(parts: list[str], language: str) -> str:
    day_word, week_word = words(language)["popular"], POPULAR_WEEK.get(language, POPULAR_WEEK["en"])
    return " · ".join(week_word if p == day_word else p for p in parts)


async def run_week_profiles(ctx: WeekContext, start: dt.date, shared: dict[str, WeeklyDigest]
                            ) -> tuple[dict[str, dict[str, WeekPaths]], list[str]]:
    """Write every profile's week of each kind the shared week has (`shared`: kind -> the shared week in
    `ctx.language`). Returns profile -> kind -> files, and a note per profile that could not be built."""
    written: dict[str, dict[str, WeekPaths]] = {}
    notes: list[str] = []

    def embed(texts: list[str]) -> np.ndarray:
        return embed_cached(texts, ctx.store, embed=offline_module.embed)

    weeks = [_WeekItems.of(ctx, start, kind, embed) for kind in KINDS if kind in shared]
    by_lang: dict[str, dict[str, WeeklyDigest]] = {ctx.language: shared}
    for name, cfg in ctx.config.profiles.items():
        try:
            liked, missing = profiles.liked_papers(ctx.store, cfg, name)
        except profiles.ProfileError as e:
            notes.append(f"profile {name}: {e}; its week was not written")
            continue
        if missing:
            notes.append(f"profile {name}: liked papers not found in the store: {len(missing)}")
        reader = _WeekReader(name=name, cfg=cfg, model=build_profile(name, cfg, liked, embed),
                             language=cfg.language or ctx.language,
                             mute=keyword_matcher([*ctx.config.digest.exclude_keywords, *cfg.exclude_keywords]))
        if reader.language not in by_lang:  # the week's summaries in that language: once for every profile reading it
            lctx = replace(ctx, language=reader.language)
            built = await asyncio.gather(*(build_week(lctx, start, week.kind) for week in weeks))
            by_lang[reader.language] = {w.kind: w for w in built}
        out_dir = profile_out_dir(ctx.out_dir, name)
        for week in weeks:
            mine = await _profile_week(ctx, reader, start, week, by_lang[reader.language][week.kind], shared[week.kind])
            written.setdefault(name, {})[week.kind] = write_week(mine, Path(out_dir))
    return written, notes


@dataclass(frozen=True)
class _WeekItems:
    """The stories of one kind seen in the week, as the profile scorer reads them (computed once for every
    profile): their embeddings, prepared texts and weight in the week (their popularity)."""

    kind: Kind
    items: list[Item]
    X: np.ndarray
    prepared: Prepared
    pop: np.ndarray

    @classmethod
    def of(cls, ctx: WeekContext, start: dt.date, kind: Kind, embed: Callable[[list[str]], np.ndarray]) -> _WeekItems:
        seen = ctx.store.items_between(start, start + dt.timedelta(days=6), kind)
        items = [it for it, _ in seen.values()]
        return cls(kind=kind, items=items, X=embed([item_text(it.title, it.snippet) for it in items]),
                   prepared=prepare(items),
                   pop=np.array([week_score(it, len(days)) for it, days in seen.values()], dtype=np.float64))


@dataclass(frozen=True)
class _WeekReader:
    name: str
    cfg: ProfileConfig
    model: ProfileModel
    language: str  # the profile's report language
    mute: Callable[[Item], bool]  # the profile's (and [digest]'s) exclude keywords


async def _profile_week(ctx: WeekContext, reader: _WeekReader, start: dt.date, week: _WeekItems,
                        base: WeeklyDigest, shared: WeeklyDigest) -> WeeklyDigest:
    """The reader's week of `week.kind`: ranked by its score, filtered by its categories and keywords, with the
    summaries of `base` (the shared week in the reader's language) and the days of `shared` (the run's)."""
    scores = score_items(reader.model, week.items, week.X, start + dt.timedelta(days=6), week.pop, week.prepared)
    index = {it.key: i for i, it in enumerate(week.items)}

    def score(it: Item, days: int) -> float:
        i = index.get(it.key)  # None: a story of the week before (only counted there, for the shares)
        return float(scores.score[i]) if i is not None else 0.0

    def keep(it: Item) -> bool:
        return not reader.mute(it)

    pctx = replace(ctx, language=reader.language, llm=None, score=score, keep=keep,
                   categories=frozenset(reader.cfg.categories))
    own = await build_week(pctx, start, week.kind)
    stories, _ = week_stories(ctx.store, start, week.kind, score, pctx.keep, pctx.categories)
    picks: list[PickEntry] = []
    for s in [s for s in stories if s.category not in NOT_AI][: reader.cfg.picks]:
        sec = next((x for x in own.sections if x.category == s.category), None)
        picks.append(PickEntry(
            n=len(picks) + 1, key=s.item.key, category=s.category, category_name=sec.name if sec else s.category,
            emoji=sec.emoji if sec else "•", title=s.item.title, url=s.item.url,
            tldr=_tldr(s.item, base, reader.language),
            reason=_reason(reasons(reader.model, scores, index[s.item.key], reader.language), reader.language),
            score=round(s.score, 6), popularity=_entry_popularity(s.item, base),
        ))
    return reader_week(own, base, shared, {it.key: it for it in week.items}, reader.name, picks)


def _shared_entries(base: WeeklyDigest) -> dict[str, WeekEntry]:
    return {e.key: e for sec in base.sections for e in sec.entries}


def _tldr(item: Item, base: WeeklyDigest, language: str) -> str:
    e = _shared_entries(base).get(item.key)
    return e.tldr if e is not None and e.tldr else extractive_tldr(item, language=language)


def _entry_popularity(item: Item, base: WeeklyDigest) -> float:
    e = _shared_entries(base).get(item.key)
    return e.popularity if e is not None else float(item.hn_points or item.hf_upvotes or 0)


def reader_week(own: WeeklyDigest, base: WeeklyDigest, days_from: WeeklyDigest, items: dict[str, Item], name: str,
                picks: list[PickEntry]) -> WeeklyDigest:
    """The reader's week: `own` (built with the reader's score and filters, no LLM) with the shared summaries of
    `base` (the shared week in the reader's language) renumbered to the reader's order, and the days of
    `days_from` (the shared week of the run: what the store and the daily reports hold)."""
    by_cat = {sec.category: sec for sec in base.sections}
    shared = _shared_entries(base)
    sections = []
    for sec in own.sections:
        theirs = by_cat.get(sec.category)
        if theirs is None or theirs.summary is None:
            sections.append(sec)
            continue
        old_n = {e.key: e.n for e in theirs.entries}
        renumber = {old_n[e.key]: e.n for e in sec.entries if e.key in old_n}
        entries = [e.model_copy(update={"tldr": shared[e.key].tldr if e.key in shared and shared[e.key].tldr
                                        else extractive_tldr(items[e.key], language=own.language)}) for e in sec.entries]
        sections.append(sec.model_copy(update={"summary": _remap(theirs.summary, renumber), "entries": entries}))
    stats = own.stats.model_copy(update={"days_with_reports": days_from.stats.days_with_reports})
    return own.model_copy(update={
        "sections": sections, "days": days_from.days, "stats": stats, "fallbacks": base.fallbacks,
        "notes": sorted(set(own.notes) | set(base.notes)), "llm_provider": base.llm_provider, "profile": name,
        "picks": picks,
    })
