"""`aidigest collect` and `aidigest run`: parse the flags, call the library (aidigest.rundays), print what it
reports; the run's exit code is its outcome's."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..infra.env import env_value
from ..errors import UserError
from ..infra.days import day_range
from ..sources import registry  # the run registered the built-ins (aidigest.sources.builtin) before this reads it
from ..llm.pricing import find_price
from . import checks
from .app import ConfigOpt, DateOpt, DbOpt, LangOpt, LlmOpt, RecordOpt, ReplayOpt, app, check_replay, load, parse_day_flag
from .errors import command
from .output import Session, shown_db
from .send import send_day

if TYPE_CHECKING:
    from ..config import Config

if TYPE_CHECKING:
    from ..pipeline import RunSummary
    from ..rundays import RunPlan


@command(app)
def collect(
    ctx: typer.Context,
    date: DateOpt = None,
    replay: ReplayOpt = None,
    record: RecordOpt = None,
    db: DbOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Collect one day's news and papers from every configured source into the store."""
    from ..rundays import collect_one_day, every_source_failed  # lazy: heavy (every source, httpx)

    session = Session.of(ctx)
    check_replay(replay, record)
    cfg = load(session, config, db)
    day = parse_day_flag(date, cfg)
    res = collect_one_day(cfg, day, replay, record)
    session.outcomes(res.outcomes)
    session.info(f"{day}: {len(res.items)} items ({res.new_items} new, {res.merged} merged duplicates) in "
                 f"{shown_db(cfg.general.db)}")
    if failure := every_source_failed(res.outcomes):
        raise failure


@command(app)
def run(
    ctx: typer.Context,
    date: DateOpt = None,
    from_: Annotated[str | None, typer.Option("--from", help="Backfill from this day (same forms as --date), one day at a time.")] = None,
    to: Annotated[str | None, typer.Option("--to", help="Backfill up to this day, inclusive (default: the last complete day).")] = None,
    replay: ReplayOpt = None,
    record: RecordOpt = None,
    db: DbOpt = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Reports directory (default: config, else the user data dir).")] = None,
    lang: LangOpt = None,
    llm: LlmOpt = None,
    budget_usd: Annotated[float | None, typer.Option("--budget-usd", help="Stop new LLM calls at this estimated cost.")] = None,
    max_tokens: Annotated[int | None, typer.Option("--max-tokens", help="Stop new LLM calls after this many tokens.")] = None,
    notify: Annotated[bool, typer.Option("--notify", help="Then send each day's digest to the notify.targets, and each profile's digest to its targets (once per target).")] = False,
    config: ConfigOpt = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Overwrite a published report even when this run shows fewer items.")
    ] = False,
    jobs: Annotated[int, typer.Option("--jobs", min=1, help="Run this many days of --from/--to at once in this process (their LLM calls share \\[llm] concurrency).")] = 1,
) -> None:
    """Collect + categorize + summarize + write the day's News and Papers reports (any past date works).

    Without --date: the last complete day in the configured time zone (general.timezone). --from/--to runs each day of a range in turn
    (each is idempotent); a failed day is named, the others are done, and the exit status is 1.
    """
    from ..rundays import RunPlan, run_days  # lazy: heavy (httpx, the backfill's store claims)

    session = Session.of(ctx)
    # a scheduled command line stays the same while the environment says which day/recording (recipes, tests)
    replay = replay or (Path(env_value("AIDIGEST_REPLAY")) if env_value("AIDIGEST_REPLAY") else None)
    if not (date or from_ or to):
        date = env_value("AIDIGEST_DATE") or None
    check_replay(replay, record)
    if date and (from_ or to):
        raise UserError("--date cannot be combined with --from/--to")
    cfg = load(session, config, db, llm, out_dir, budget_usd=budget_usd, max_tokens=max_tokens)
    days = _days(cfg, date, from_, to)
    if notify:
        checks.check_notify_targets(cfg)
    checks.check_profiles(cfg)
    language = lang or cfg.general.language
    checks.known_language(language)
    target = Path(cfg.general.out)
    checks.check_out(target)
    _warn_unpriced_budget(session, cfg)  # before the first LLM call
    plan = RunPlan(config=cfg, days=tuple(days), out=target, language=language, replay=replay, record=record,
                   replace=replace, notify=notify, jobs=jobs)
    outcome = run_days(plan, DayPrinter(session, plan))
    if outcome.error is not None:
        raise outcome.error


def _days(cfg: Config, date: str | None, from_: str | None, to: str | None) -> list[dt.date]:
    if from_ or to:
        return day_range(from_, to, cfg.general.timezone)  # a DayError is the user's: one line, exit 2
    return [parse_day_flag(date, cfg)]


def _warn_unpriced_budget(session: Session, cfg: Config) -> None:
    """--budget-usd with a model missing from the price table cannot stop anything: say so before the first call."""
    from ..llm.factory import parse_provider_spec  # lazy: heavy (pydantic): not for --help
    if cfg.llm.budget_usd is None:
        return
    parsed = parse_provider_spec(cfg.llm.provider)
    if parsed is not None and find_price(parsed[1], cfg.llm.prices, parsed[0]) is None:
        from ..pipeline import unpriced_budget_note  # lazy: heavy (the whole pipeline)

        session.warning(unpriced_budget_note(cfg))


@dataclass(frozen=True)
class DayPrinter:
    """What `aidigest run` prints as its days go (aidigest.rundays.DayObserver)."""

    session: Session
    plan: RunPlan

    def starting(self, day: dt.date, worker: str | None) -> None:
        self.session.info(f"[bold]── {day} ──[/]" + (f" claimed by worker {worker}" if worker else ""))

    def finished(self, summary: RunSummary) -> None:
        self.session.outcomes(summary.health.outcomes)
        self._health(summary)
        self._reports(summary)
        self._log(summary)

    def day_failed(self, day: dt.date, error: Exception) -> None:
        self.session.error(f"{day}: {error}")

    def llm_off(self, reason: str) -> None:
        self.session.warning(f"LLM switched off, offline fallbacks used: {reason}")

    def deliver(self, day: dt.date) -> list[str]:
        return send_day(self.session, self.plan.config, day, self.plan.out)

    def _health(self, summary: RunSummary) -> None:
        h = summary.health
        for what, n in sorted(h.fallbacks.items()):
            self.session.warning(f"{what} ×{n}", label="fallback:")
        for _kind, (path, old, new) in sorted(summary.kept.items()):
            self.session.warning(f"kept the published {path} ({old} items): this run would show only {new}; "
                                 "pass --replace to overwrite it")
        self.session.info(f"LLM: {h.llm.provider} — {h.llm.calls} calls, {h.llm.cached} cached, "
                          f"{h.llm.tokens_in + h.llm.tokens_out} tokens, ${h.llm.cost_usd:.4f}")
        for note in h.notes:  # e.g. the offline classifier fell back to zero-shot for some categories
            if note.startswith("offline classifier:"):
                self.session.warning(note, label="note:")

    def _reports(self, summary: RunSummary) -> None:
        from ..summarize.header import cli_report_line  # lazy: heavy (the summarize package)

        for kind, paths in summary.reports.items():
            self.session.info(cli_report_line(kind, summary.items_by_kind.get(kind, 0), summary.shown_by_kind.get(kind),
                                              paths), highlight=False, markup=False)
        for prof in summary.profiles:  # each reader profile's digests, from the same items and summaries
            written = ", ".join(f"{k} ({prof.picks.get(k, 0)} picks)" for k in prof.reports) or "not written"
            self.session.info(f"profile {prof.name}: {written} in {prof.seconds:.1f}s → {prof.out_dir}", highlight=False,
                              markup=False)

    def _log(self, summary: RunSummary) -> None:
        failed = [o.source for o in summary.health.outcomes
                  if not registry.is_enricher(o.source) and o.status in ("failed", "no_recording")]
        logging.getLogger("aidigest.run").info(
            "run %s done: %d items (%s), %d source(s) failed%s; reports in %s; store %s",
            summary.day, sum(summary.items_by_kind.values()),
            ", ".join(f"{k} {n}" for k, n in summary.items_by_kind.items()), len(failed),
            f" ({', '.join(failed)})" if failed else "", self.plan.out / summary.day.isoformat(),
            shown_db(self.plan.config.general.db),
        )
