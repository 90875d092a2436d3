"""Each reader's own digest from one crawl: the pipeline collects, categorizes and summarizes the day once, then
this module selects, ranks and writes one digest per `[profiles.<name>]` (aidigest.profiles.rank scores the items).

    runs = await run_profiles(ctx, classified, shared_digests, out_dir, health)   # after the main reports

Per profile and kind (news, papers):

    <out>/profiles/<name>/YYYY-MM-DD/News_YYYY-MM-DD_report.md   (+ the chart PNG and the JSON export, as the main
                                                                   report's names: aidigest.render.write.file_names)

- it opens with a "추천" section: the profile's top `picks` items across categories, each with its reason;
- inside each category, items are ordered by the profile's score (aidigest.select.items with the profile's scorer),
  capped like the main digest; the profile's exclude keywords and categories apply;
- the category summaries are the shared ones (written once for the day): their citations are renumbered to the
  profile's order, and a citation of an item the profile does not list in full is dropped. An item's one-line
  summary is the shared one when the main digest summarized it, else its own result sentence (offline);
- the 7-day no-repeat memory is the profile's own (aidigest.profiles.reader.reported_before), so is its delivery record.

No LLM call is made for a profile in the run's language. A profile in another language costs that language's
summaries once (shared by every profile in it), never once per profile.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from . import reader as profiles
from ..assemble import build_digest, category_section, other_tech_entries, popularity, returning_entries, source_entry
from ..classify import offline as offline_module
from ..classify.offline import item_text
from ..config import ProfileConfig
from ..context import DayContext
from ..injection import instruction_like, withheld_text
from ..records import Classified, Item, Kind, RunHealth
from .rank import ProfileModel, Scores, build_profile, prepare, reasons, score_items, words
from ..render.write import file_names, prepare_chart
from ..infra.atomic import write_bytes_atomic, write_text_atomic
from ..render.escape import md_text, safe_url
from ..render.export import digest_json
from ..render.markdown import render_markdown
from ..report import (
    CategorySection,
    Digest,
    PickEntry,
    SectionSummary,
    SourceEntry,
    SummaryPoint,
    reported_rows,
)
from ..reuse import embed_cached
from ..select.items import CategorySelection, History, SelectOptions, Selection, rank_scores, select_items
from ..summarize.result import result_sentence
from ..summarize.tldr import extractive_tldr

KINDS: tuple[Kind, Kind] = ("news", "paper")
PROFILES_DIR = "profiles"


def profile_out_dir(out_dir: Path, name: str) -> Path:
    """Where a profile's reports go: <out>/profiles/<name> (laid out like <out> itself)."""
    return Path(out_dir) / PROFILES_DIR / name


@dataclass
class ProfileRun:
    """What one profile's part of the run did (printed by `aidigest run`, measured by bench/profiles.py)."""

    name: str
    out_dir: Path
    reports: dict[str, list[Path]] = field(default_factory=dict)  # kind -> [md, png, json]
    seconds: float = 0.0
    picks: dict[str, int] = field(default_factory=dict)  # kind -> items in its "추천" section
    notes: list[str] = field(default_factory=list)


def check_profiles(config_profiles: dict[str, ProfileConfig], category_ids: list[str] | None = None) -> None:
    """Read every profile's library file now and check its liked ids and categories (`category_ids`: the
    taxonomy's): a problem is a ProfileError (one line) before anything is fetched."""
    for name, cfg in config_profiles.items():
        unknown = [c for c in cfg.categories if category_ids is not None and c not in category_ids]
        if unknown:
            raise profiles.ProfileError(f"[profiles.{name}] categories: {', '.join(unknown)} not in the taxonomy "
                                        f"({', '.join(category_ids or [])})")
        if cfg.liked_file:
            try:
                profiles.read_library(cfg.liked_file)
            except profiles.ProfileError as e:
                raise profiles.ProfileError(f"[profiles.{name}] {e}") from None
        for raw in cfg.liked:
            try:
                profiles.normalize_id(raw)
            except profiles.ProfileError as e:
                raise profiles.ProfileError(f"[profiles.{name}] liked: {e}") from None


def _embedder(ctx: DayContext) -> Callable[[list[str]], np.ndarray]:
    return lambda texts: embed_cached(texts, ctx.store, embed=offline_module.embed)


async def run_profiles(ctx: DayContext, classified: list[Classified], shared: list[Digest], out_dir: Path,
                       health: RunHealth, templates: str | None = None) -> tuple[list[ProfileRun], RunHealth]:
    """One digest per profile and kind, written under <out>/profiles/<name>/ (see module doc). `shared`: the
    main digests of the day (their summaries are reused); `health`: the run's health, shown in every report
    (not changed here). Returns the runs and what this stage adds to the run's health (the pipeline merges it)."""
    runs: list[ProfileRun] = []
    report = RunHealth()
    if not ctx.config.profiles:
        return runs, report
    items = [c.item for c in classified]
    embed = _embedder(ctx)
    X = embed([item_text(it.title, it.snippet) for it in items])  # the store is used from this thread only
    pop = np.array(rank_scores(items, ctx.day), dtype=np.float64)
    prepared = prepare(items)
    by_lang: dict[str, dict[str, Digest]] = {ctx.language: {d.kind: d for d in shared}}
    for name, cfg in ctx.config.profiles.items():
        t0 = time.perf_counter()
        run = ProfileRun(name=name, out_dir=profile_out_dir(out_dir, name))
        try:
            liked, missing = profiles.liked_papers(ctx.store, cfg, name)
        except profiles.ProfileError as e:
            report.notes.append(f"profile {name}: {e}; its digest was not written")
            runs.append(run)
            continue
        if missing:
            run.notes.append(f"profile {name}: liked papers not found in the store (no text to compare with): "
                             f"{len(missing)} ({', '.join(missing[:5])}{' …' if len(missing) > 5 else ''})")
        model = build_profile(name, cfg, liked, embed)
        reader = Reader(name=name, cfg=cfg, model=model, scores=score_items(model, items, X, ctx.day, pop, prepared))
        lctx = replace(ctx, language=cfg.language or ctx.language)  # the profile's language
        if lctx.language not in by_lang:  # the day's summaries in that language: once for every profile that reads it
            by_lang[lctx.language] = await _shared_digests(lctx, classified, report)
        report.notes.extend(run.notes)
        shown = health.model_copy(update={"notes": [*health.notes, *report.notes]})
        for kind in KINDS:
            base = by_lang[lctx.language].get(kind)
            if base is None:
                continue
            digest = profile_digest(lctx, reader, kind, classified, base, shown)
            paths = write_profile_report(digest, run.out_dir, templates)
            if ctx.store is not None:
                profiles.mark_reported(ctx.store, name, ctx.day, reported_rows(digest))
            run.reports[kind] = paths
            run.picks[kind] = len(digest.picks or [])
        run.seconds = time.perf_counter() - t0
        runs.append(run)
    return runs, report


async def _shared_digests(ctx: DayContext, classified: list[Classified], report: RunHealth) -> dict[str, Digest]:
    """The day's main digests in `ctx.language` (kind -> digest); what building them reports goes into `report`."""
    kind_items = {k: [c for c in classified if c.item.kind == k] for k in KINDS}
    built = await asyncio.gather(*(build_digest(ctx, k, kind_items[k]) for k in KINDS))
    for d in built:
        report.merge(d.health)
    return {d.kind: d for d in built}


@dataclass(frozen=True)
class Reader:
    """One profile as its digest of the day reads it: its settings, its model and its scores of the day's items
    (`scores.score[i]` is the score of the run's i-th classified item)."""

    name: str
    cfg: ProfileConfig
    model: ProfileModel
    scores: Scores


class _SharedLines:
    """What the main digest of the kind already wrote: each listed item's lines, and each section's summary with
    the numbers its citations use."""

    def __init__(self, base: Digest, language: str):
        self.language = language
        self.entries: dict[str, SourceEntry] = {e.key: e for sec in base.sections for e in sec.entries}
        self.summaries: dict[str, tuple[SectionSummary | None, dict[str, int]]] = {
            sec.category: (sec.summary, {e.key: e.n for e in sec.entries}) for sec in base.sections
        }

    def one_line(self, it: Item) -> tuple[str, str]:
        """(TL;DR, result sentence) of an item: the shared ones when the main digest listed it in full."""
        e = self.entries.get(it.key)
        if e is not None:
            return e.tldr, e.result
        result = result_sentence(it)
        if not result and (instruction_like(it.snippet) or instruction_like(it.title)):
            result = withheld_text(self.language)
        return result or extractive_tldr(it, language=self.language), result


def _remap(summary: SectionSummary | None, renumber: dict[int, int]) -> SectionSummary | None:
    if summary is None:
        return None

    def points(ps: list[SummaryPoint]) -> list[SummaryPoint]:
        return [SummaryPoint(text=p.text, cites=[renumber[c] for c in p.cites if c in renumber]) for p in ps]

    return summary.model_copy(update={"themes": points(summary.themes), "events": points(summary.events),
                                      "impact": points(summary.impact), "bottom_line": points(summary.bottom_line)})


def profile_digest(ctx: DayContext, reader: Reader, kind: Kind, classified: list[Classified], base: Digest,
                   health: RunHealth) -> Digest:
    """The profile's digest of `kind` in `ctx.language` (see module doc). `base`: the main digest of the kind in
    that language; `health`: the run's, shown in the report."""
    taxonomy, day, store = ctx.taxonomy, ctx.day, ctx.store
    name, cfg = reader.name, reader.cfg
    score_of = {c.item.key: float(reader.scores.score[i]) for i, c in enumerate(classified)}
    wanted = set(cfg.categories)
    mine = [c for c in classified if c.item.kind == kind and (not wanted or c.category in wanted)]
    window = ctx.config.digest.repeat_window_days
    history = (History(profiles.reported_before(store, name, day, window), profiles.returned_before(store, name, day, window))
               if store is not None else None)
    selection = select_items(
        day, mine, taxonomy, history,
        SelectOptions(per_category=ctx.config.digest.per_category, repeat_window_days=window,
                      include_keywords=tuple(cfg.include_keywords),
                      exclude_keywords=(*ctx.config.digest.exclude_keywords, *cfg.exclude_keywords)),
        scorer=lambda it: score_of[it.key],
    )
    lines = _SharedLines(base, ctx.language)
    sections = [_profile_section(ctx, kind, selection, cs, lines) for cs in selection.categories]
    picks = _picks(ctx, reader, selection, classified, lines)
    other_tech = other_tech_entries(selection.other_tech, selection, ctx.config.digest.other_tech_max)
    return Digest(day=day, kind=kind, language=ctx.language, sections=sections,
                  returning=returning_entries(selection, taxonomy, ctx.language), other_tech=other_tech,
                  stats=selection.stats, health=health, profile=name, picks=picks)


def _profile_section(ctx: DayContext, kind: Kind, selection: Selection, cs: CategorySelection,
                     lines: _SharedLines) -> CategorySection:
    """A category in the profile's order, with the shared summary's citations renumbered to it (a citation of an
    item the profile does not list in full is dropped)."""
    summary, old_n = lines.summaries.get(cs.category, (None, {}))
    entries = []
    renumber: dict[int, int] = {}
    for i, (it, score) in enumerate(cs.top):
        tldr, result = lines.one_line(it)
        e = source_entry(i + 1, it, cs.category, score, tldr)
        entries.append(e.model_copy(update={"result": result, "followed": it.key in selection.followed}))
        if it.key in old_n:
            renumber[old_n[it.key]] = i + 1
    return category_section(ctx.taxonomy, ctx.language, kind, cs, entries, _remap(summary, renumber))


def _picks(ctx: DayContext, reader: Reader, selection: Selection, classified: list[Classified],
           lines: _SharedLines) -> list[PickEntry]:
    """The picks: the profile's best items across the categories it shows (by its own score, without the
    keyword boost select adds), each with its reason."""
    index = {c.item.key: i for i, c in enumerate(classified)}
    score_of = {c.item.key: float(reader.scores.score[i]) for i, c in enumerate(classified)}
    candidates = [(it, cs.category) for cs in selection.categories for it in [*(x for x, _ in cs.top), *cs.compact]]
    candidates.sort(key=lambda p: (-score_of[p[0].key], p[0].key))
    picks: list[PickEntry] = []
    for it, cid in candidates[: reader.cfg.picks]:
        cat = ctx.taxonomy[cid]
        tldr, _ = lines.one_line(it)
        picks.append(PickEntry(
            n=len(picks) + 1, key=it.key, category=cid, category_name=cat.display_name(ctx.language), emoji=cat.emoji,
            title=it.title, url=it.url, tldr=tldr,
            reason=" · ".join(reasons(reader.model, reader.scores, index[it.key], ctx.language)),
            score=round(score_of[it.key], 6), popularity=popularity(it),
        ))
    return picks


def picks_markdown(digest: Digest) -> str:
    """The "추천" section in Markdown (fetched text escaped, only http(s) links)."""
    w = words(digest.language)
    lines = [f"## ⭐ {w['pick']} · {md_text(digest.profile or '')}", ""]
    for p in digest.picks or []:
        url = safe_url(p.url)
        title = f"[{md_text(p.title)}]({url})" if url else md_text(p.title)
        why = f" — {md_text(p.reason)}" if p.reason else ""
        lines.append(f"{p.n}. **{title}** ({p.emoji} {md_text(p.category_name)}){why}")
        if p.tldr:
            lines.append(f"   - {md_text(p.tldr)}")
    return "\n".join(lines) + "\n\n"


def with_picks(markdown: str, digest: Digest) -> str:
    """The report with the "추천" section before its first section (after the title, chart and notes)."""
    if not digest.picks:
        return markdown
    block = picks_markdown(digest)
    at = markdown.find("\n## ")
    if at < 0:
        return markdown.rstrip("\n") + "\n\n" + block.rstrip("\n") + "\n"
    return markdown[: at + 1] + block + markdown[at + 1:]


def write_profile_report(digest: Digest, out_dir: Path, templates: str | None = None) -> list[Path]:
    """Write the profile's Markdown report (with its picks), chart and JSON export atomically; the chart is
    drawn first, then every file is rendered before any is written."""
    md_name, png_name, json_name = file_names(digest)
    day_dir = Path(out_dir) / digest.day.isoformat()
    png = prepare_chart(digest, out_dir)
    md = with_picks(render_markdown(digest, png_name if png is not None else None, templates), digest)
    data = digest_json(digest)
    day_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    if png is not None:
        paths.append(write_bytes_atomic(day_dir / png_name, png))
    paths.insert(0, write_text_atomic(day_dir / md_name, md))
    paths.append(write_text_atomic(day_dir / json_name, data))
    return paths
