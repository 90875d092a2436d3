"""Which items a report shows: per category, ranked by their signals and capped; repeats left out.

Ranking (`rank_score`, higher first, ties broken by key so reruns give identical reports):

    log(1 + HN points) + 0.5·log(1 + HN comments)
  + 1.2·log(1 + HF upvotes) + 0.5 if on HF Daily Papers at all
  + 0.7 per extra source that carried the item
  + 1.0·exp(-age_hours / 48)      (age at the end of the report day; 0 when the item has no date)

Per category the first `per_category` items are shown in full (summarized, numbered sources), the next
`COMPACT_MAX` as one line each (title + link), the rest only counted — a 500-paper arXiv day stays readable.

Cross-day dedup: an item reported within the repeat window (`Store.reported_before`) is skipped and counted,
unless its popularity (HN points, else HF upvotes) is now clearly above what it was when reported
(`grew`: ≥ 2× and ≥ +10). Such items return under "Still trending" (at most `RETURNING_MAX`); the
story returns at most once: a key reported on two earlier days within the window is skipped for good.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from ..records import Classified, Item, signal_values
from ..report import SelectionStats
from ..taxonomy import Taxonomy

NON_AI = frozenset({"software"})  # reported, but not AI: a short list at the end of the report, not a section
FOLLOW_BOOST = 100.0  # added to the rank score of an item matching `include_keywords`: it ranks first


def keyword_matcher(keywords: Iterable[str]) -> Callable[[Item], bool]:
    """Does an item's title or text contain one of `keywords` (case-insensitive)? A keyword made of Latin
    letters/digits matches whole words only ("AI" does not match "said"); any other (Korean ...) as a substring."""
    rx = keyword_pattern(keywords)
    if rx is None:
        return lambda item: False
    return lambda item: bool(rx.search(item.title) or rx.search(item.snippet))


def keyword_pattern(keywords: Iterable[str]) -> re.Pattern[str] | None:
    """`keyword_matcher`'s rule as one pattern (its match is the keyword found); None without keywords."""
    pats = []
    for kw in keywords:
        kw = kw.strip()
        if not kw:
            continue
        esc = re.escape(kw)
        pats.append(rf"(?<![0-9a-z]){esc}(?![0-9a-z])" if re.fullmatch(r"[0-9A-Za-z][0-9A-Za-z .+#-]*", kw) else esc)
    return re.compile("|".join(pats), re.IGNORECASE) if pats else None

COMPACT_MAX = 20  # one-line entries per category after the full ones
RETURNING_MAX = 10  # "Still trending" entries per report
GROWTH_FACTOR = 2.0
GROWTH_MIN_GAIN = 10.0

W_POINTS, W_COMMENTS, W_UPVOTES, W_ON_HF, W_SOURCE, W_RECENCY = 1.0, 0.5, 1.2, 0.5, 0.7, 1.0
RECENCY_HALF_SCALE_H = 48.0


def popularity(item: Item) -> float:
    """The number a story's growth is measured by: HN points, else HF upvotes, else 0."""
    if item.hn_points is not None:
        return float(item.hn_points)
    if item.hf_upvotes is not None:
        return float(item.hf_upvotes)
    return 0.0


def grew(then: float, now: float) -> bool:
    """Is `now` clearly above `then` (the popularity when the item was reported)?"""
    return now >= GROWTH_FACTOR * then and now - then >= GROWTH_MIN_GAIN


def rank_score(item: Item, day: dt.date) -> float:
    return _scorer(day)(item)


def rank_scores(items: list[Item], day: dt.date) -> list[float]:
    """`rank_score` of many items of one day (the day's constants computed once)."""
    score = _scorer(day)
    return [score(it) for it in items]


def _scorer(day: dt.date) -> Callable[[Item], float]:
    """`rank_score` for one day: the end of the day computed once, the signals read in one pass over the
    sightings (aidigest.records.signal_values, the one definition the Item properties use too)."""
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=dt.timezone.utc)
    log1p, exp = math.log1p, math.exp

    def score(item: Item) -> float:
        sources, points, comments, upvotes, _ = signal_values(item.sightings)
        s = 0.0
        if points is not None:
            s += W_POINTS * log1p(max(points, 0))
        if comments is not None:
            s += W_COMMENTS * log1p(max(comments, 0))
        if upvotes is not None:
            s += W_UPVOTES * log1p(max(upvotes, 0)) + W_ON_HF
        s += W_SOURCE * max(len(sources) - 1, 0)
        if item.published is not None:
            pub = item.published if item.published.tzinfo else item.published.replace(tzinfo=dt.timezone.utc)
            age_h = max((end - pub).total_seconds() / 3600.0, 0.0)
            s += W_RECENCY * exp(-age_h / RECENCY_HALF_SCALE_H)
        return round(s, 9)

    return score


@dataclass
class CategorySelection:
    category: str
    top: list[tuple[Item, float]]  # shown in full, with their rank score
    compact: list[Item] = field(default_factory=list)
    counted_only: int = 0

    @property
    def total(self) -> int:
        return len(self.top) + len(self.compact) + self.counted_only


@dataclass
class Returning:
    item: Item
    category: str
    score: float
    reported_day: dt.date
    popularity_then: float


@dataclass
class Selection:
    categories: list[CategorySelection]  # taxonomy order, only AI categories with items
    returning: list[Returning]
    stats: SelectionStats
    other_tech: list[tuple[Item, float]] = field(default_factory=list)  # NON_AI items, ranked (not capped here)
    followed: set[str] = field(default_factory=set)  # keys matching include_keywords


@dataclass(frozen=True)
class SelectOptions:
    """How a report is cut: `per_category` items in full, `compact_max` more as one line each per category, at
    most `returning_max` stories back under "Still trending"; `include_keywords` rank first, `exclude_keywords`
    are left out (`keyword_matcher`); items of a `non_ai` category are listed apart, not as a section."""

    per_category: int = 8
    repeat_window_days: int = 7
    compact_max: int = COMPACT_MAX
    returning_max: int = RETURNING_MAX
    include_keywords: tuple[str, ...] = ()
    exclude_keywords: tuple[str, ...] = ()
    non_ai: frozenset[str] = NON_AI


DEFAULT_OPTIONS = SelectOptions()


@dataclass(frozen=True)
class History:
    """What the reports of the repeat window showed: `reported` is `Store.reported_before(day, window)`
    (key -> (day, popularity then)); `returned` holds keys that came back once already (`Store.returned_before`):
    never again."""

    reported: Mapping[str, tuple[str, float]] = field(default_factory=dict)
    returned: frozenset[str] = frozenset()


@dataclass
class _Sorted:
    """Where `_sort_items` put each classified item (scored), and what it left out on the way."""

    by_cat: dict[str, list[tuple[Item, float]]] = field(default_factory=dict)
    returning: list[tuple[float, Returning]] = field(default_factory=list)  # with their growth ratio
    other_tech: list[tuple[Item, float]] = field(default_factory=list)
    followed: set[str] = field(default_factory=set)
    duplicates: int = 0
    unknown: int = 0
    others: int = 0
    muted: int = 0
    repeated: int = 0


def select_items(
    day: dt.date,
    classified: list[Classified],
    taxonomy: Taxonomy,
    history: History | None = None,
    options: SelectOptions = DEFAULT_OPTIONS,
    scorer: Callable[[Item], float] | None = None,
) -> Selection:
    """Rank, cap and de-repeat one kind's classified items; `history`: what the repeat window reported.

    Items of a `non_ai` category are not a section: they come back ranked in `Selection.other_tech`.
    An item matching `exclude_keywords` is left out (`stats.muted`); one matching `include_keywords` ranks
    first in its category and is kept even when classified `others` (then listed with the non-AI items).
    `scorer`: a reader profile's order (aidigest.profiles.personalize); the day's rank score by default."""
    if options.per_category < 1:
        raise ValueError("digest.per_category must be at least 1")
    stats = SelectionStats(classified=len(classified), repeat_window_days=options.repeat_window_days)
    found = _sort_items(classified, taxonomy, history or History(), options, scorer or _scorer(day))
    stats.duplicates += found.duplicates
    stats.unknown_category += found.unknown
    stats.others += found.others
    stats.muted += found.muted
    stats.repeated_skipped += found.repeated
    other_tech = sorted(found.other_tech, key=lambda p: (-p[1], p[0].key))
    stats.other_tech = len(other_tech)
    kept_returning = _keep_returning(found.returning, options.returning_max, stats)
    categories = _cap_categories(taxonomy, found.by_cat, options, stats)
    return Selection(categories, kept_returning, stats, other_tech=other_tech, followed=found.followed)


def _sort_items(classified: list[Classified], taxonomy: Taxonomy, history: History, options: SelectOptions,
                score_of: Callable[[Item], float]) -> _Sorted:
    """Each item once, scored, into its category, back as a returning story, or counted as left out."""
    out = _Sorted()
    report = {cid: taxonomy[cid].report for cid in taxonomy.ids}  # one dict lookup per item
    reported, already_returned, non_ai = history.reported, history.returned, options.non_ai
    seen: set[str] = set()
    duplicates = unknown = others = muted = repeated = 0  # counted in locals: this loop sees every item of the day
    follows, mutes = keyword_matcher(options.include_keywords), keyword_matcher(options.exclude_keywords)
    for c in classified:
        it = c.item
        key = it.key
        if key in seen:  # the same item twice (should be merged upstream): shown once, counted
            duplicates += 1
            continue
        seen.add(key)
        if mutes(it):
            muted += 1
            continue
        category = c.category
        follow = follows(it)
        shown = report.get(category)
        if shown is None:
            unknown += 1
            continue
        if not shown:
            if not follow:
                others += 1
                continue
            category = next(iter(non_ai), category)  # followed, but not AI/computing: listed with the non-AI items
        score = score_of(it)
        if follow:
            out.followed.add(key)
            score += FOLLOW_BOOST
        if key in reported:
            day_then, pop_then = reported[key]
            now = popularity(it)
            if key not in already_returned and grew(pop_then, now):
                ratio = now / max(pop_then, 1.0)
                out.returning.append(
                    (ratio, Returning(it, category, score, dt.date.fromisoformat(day_then), pop_then))
                )
            else:
                repeated += 1
            continue
        if category in non_ai:
            out.other_tech.append((it, score))
            continue
        out.by_cat.setdefault(category, []).append((it, score))
    out.duplicates, out.unknown, out.others, out.muted, out.repeated = duplicates, unknown, others, muted, repeated
    return out


def _keep_returning(returning: list[tuple[float, Returning]], cap: int, stats: SelectionStats) -> list[Returning]:
    """The `cap` stories that grew the most (ties by key); the others count as skipped repeats."""
    returning = sorted(returning, key=lambda r: (-r[0], r[1].item.key))
    stats.repeated_skipped += max(len(returning) - cap, 0)
    kept = [r for _, r in returning[:cap]]
    stats.returning = len(kept)
    return kept


def _cap_categories(taxonomy: Taxonomy, by_cat: dict[str, list[tuple[Item, float]]], options: SelectOptions,
                    stats: SelectionStats) -> list[CategorySelection]:
    """Per category in taxonomy order: ranked, the first `per_category` in full, `compact_max` more in one line
    each, the rest counted."""
    per_category, compact_max = options.per_category, options.compact_max
    categories: list[CategorySelection] = []
    for cid in taxonomy.ids:
        ranked = sorted(by_cat.get(cid, []), key=lambda p: (-p[1], p[0].key))
        if not ranked:
            continue
        top = ranked[:per_category]
        rest = [it for it, _ in ranked[per_category:]]
        sel = CategorySelection(cid, top, rest[:compact_max], max(len(rest) - compact_max, 0))
        categories.append(sel)
        stats.per_category[cid] = sel.total
        stats.full += len(sel.top)
        stats.compact += len(sel.compact)
        stats.counted_only += sel.counted_only
    return categories
