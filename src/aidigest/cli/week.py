"""`aidigest notify` (a day's or a week's digest to its targets) and `aidigest week` (the weekly roundup)."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from ..errors import DeliveryFailed, RunFailed, UserError
from . import checks
from .app import ConfigOpt, DateOpt, DbOpt, LangOpt, LlmOpt, app, load, parse_day_flag
from .errors import command
from .output import Session
from .send import send_day, send_week


def _delivered(failures: list[str]) -> None:
    if failures:
        raise DeliveryFailed(f"delivery failed for {'; '.join(failures)} (retried on the next run)")


@command(app)
def notify(
    ctx: typer.Context,
    date: DateOpt = None,
    db: DbOpt = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Reports directory the day's JSON export is read from.")] = None,
    config: ConfigOpt = None,
    week_: Annotated[str | None, typer.Option("--week", help="Instead: send the weekly roundup of this ISO week (YYYY-Www; `last` = the last complete week), and each profile's week to its targets, once per (week, target).")] = None,
) -> None:
    """Send the day's digest (short form) to every notify.targets entry not yet served: email, Slack, Discord,
    Telegram, JSON webhooks (apprise URLs). A rerun does not resend; a failed target is retried (exit status 4).
    With --week: the week's roundup (`aidigest week`) instead."""
    session = Session.of(ctx)
    cfg = load(session, config, db, None, out_dir)
    if week_ is None:
        _delivered(send_day(session, cfg, parse_day_flag(date, cfg), Path(cfg.general.out)))
        return
    from ..weekly.build import resolve_week  # lazy: heavy (the weekly stage: the LLM, the summaries)
    from ..weekly.report import week_id  # lazy: heavy (the weekly stage)

    if date:
        raise UserError("--week and --date cannot be combined")
    start = resolve_week(None if week_.strip().lower() == "last" else week_, None, cfg.general.timezone)
    _delivered(send_week(session, cfg, week_id(start), Path(cfg.general.out)))


@command(app)
def week(
    ctx: typer.Context,
    week_: Annotated[str | None, typer.Option("--week", help="ISO week YYYY-Www, e.g. 2026-W31 (in general.timezone).")] = None,
    date: Annotated[str | None, typer.Option("--date", help="Or the week holding this day (same forms as run --date).")] = None,
    db: DbOpt = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Reports directory: the daily exports are read there, the week is written to <out>/weekly/<week>/.")] = None,
    lang: LangOpt = None,
    llm: LlmOpt = None,
    notify: Annotated[bool, typer.Option("--notify", help="Then send the week's roundup to the notify.targets, and each profile's week to its targets (once per week and target).")] = False,
    config: ConfigOpt = None,
) -> None:
    """Write the weekly roundup from the days already in the store: per category the week's top stories (a story
    seen on several days counted once, with its days), its share and change against the week before, the stories
    that kept coming back, and which days are missing and why. Default: the last complete ISO week.

    Nothing is collected again. With an LLM: about one call per category (cached: a rerun makes none); without:
    the ranked lists. Files: <out>/weekly/YYYY-Www/{News,Papers}_YYYY-Www_report.md and .json. Each reader profile
    (profiles.NAME in the config) also gets its own week, ranked by its profile, in <out>/profiles/NAME/weekly/YYYY-Www/
    (no extra LLM call).
    """
    from ..infra.store import Store  # lazy: heavy (pydantic): not for --help
    from ..weekly.build import resolve_week, run_week  # lazy: heavy (the weekly stage: the LLM, the summaries)
    from ..weekly.profiles import run_week_profiles  # lazy: heavy (numpy, the ranking)

    session = Session.of(ctx)
    cfg = load(session, config, db, llm, out_dir)
    start = resolve_week(week_, date, cfg.general.timezone)
    language = lang or cfg.general.language
    checks.known_language(language, suggest=False)
    target = Path(cfg.general.out)
    checks.check_out(target)
    if notify:
        checks.check_notify_targets(cfg)
    checks.check_profiles(cfg)
    with Store(cfg.general.db) as store:
        res = asyncio.run(run_week(start, cfg, store, target, language,
                                   readers=run_week_profiles if cfg.profiles else None))
    if not res.paths:
        raise RunFailed(f"nothing stored for {res.week} ({start} ~ {start + dt.timedelta(days=6)}): "
                        "no day of that week was reported; run `aidigest run` for its days first")
    _print_week(session, res)
    if notify:
        _delivered(send_week(session, cfg, res.week, target))


def _print_week(session: Session, res) -> None:
    for kind, digest in res.digests.items():
        missing = ", ".join(f"{d.day} {d.status}" for d in digest.missing_days) or "none"
        session.info(f"{res.week} {kind}: {digest.stats.stories} stories in {len(digest.sections)} categories, "
                     f"{digest.stats.days_with_reports}/7 days reported (missing: {missing}) → {res.paths[kind].markdown}",
                     highlight=False, markup=False)
        for what, n in digest.fallbacks.items():
            session.warning(f"{what} ×{n}", label="fallback:")
    for name, paths in res.profiles.items():  # each reader profile's week (aidigest.weekly.profiles)
        written = ", ".join(f"{k} → {v.markdown}" for k, v in paths.items())
        session.info(f"profile {name}: {written}", highlight=False, markup=False)
    for note in res.notes:
        session.warning(note)
    h = res.llm
    session.info(f"LLM: {h.provider} — {h.calls} calls, {h.cached} cached, {h.tokens_in + h.tokens_out} tokens "
                 f"({h.tokens_in} in, {h.tokens_out} out), ${h.cost_usd:.4f}", highlight=False, markup=False)
    if h.offline:
        session.warning(f"LLM switched off, offline lists used: {h.offline}")
