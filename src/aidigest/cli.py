"""The `aidigest` command line (thin: parse flags, call the pipeline, print)."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from . import __version__
from .cli_guard import Signals, out_dir_problem, replay_index_problem, say
from .cli_help import plain_flags
from .config import DEFAULT_CONFIG_NAME, Config, ConfigError, default_config_text, load_config
from .infra.env import env_value, environ
from .llm.registry import choices as llm_choices
from .llm.providers import PROVIDERS  # noqa: F401 - registers the providers the --llm help names
from .infra.pgstore import is_url, redact
from .sources.builtin import is_enricher

plain_flags()  # `--notify`, not `--notify <bool>`, in the help (aidigest.cli_help)
app = typer.Typer(
    help="aidigest: a daily digest of AI news and papers — collect, categorize, summarize (Korean by default), report.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
profile_app = typer.Typer(help="Reader profiles (the profiles.NAME tables of the config): their liked papers.",
                          no_args_is_help=True)
cache_app = typer.Typer(help="The LLM response cache in the SQLite store.", no_args_is_help=True)
eval_app = typer.Typer(help="Measure quality on the held-out test split.", no_args_is_help=True)
app.add_typer(cache_app, name="cache")
app.add_typer(eval_app, name="eval")
app.add_typer(profile_app, name="profile")

out = Console()
err = Console(stderr=True)


class UserError(Exception):
    """A mistake the user can fix: printed as one line, exit code 2."""


class RunFailed(Exception):
    """The run could not do its job (every source failed): printed as one line, exit code 1."""


class DeliveryFailed(Exception):
    """Reports were written but some delivery target failed (retried next run): one line, exit code 4."""


def _error(message: object) -> None:  # outside text is printed literally (cli_guard.say), on one line
    say(err, "error:", "bold red", message)


def _warning(message: object, label: str = "warning:") -> None:
    if not _state["quiet"]:  # -q: errors only
        say(err, label, "yellow", message)


def _info(*objects, **kw) -> None:
    """A command's summary on stdout (the sources table, the reports written, deliveries): none with -q."""
    if not _state["quiet"]:
        out.print(*objects, **kw)


_state: dict = {"db": None, "quiet": False}  # the store the command uses (named when a store error happens mid-run); -q


# ---- shared options ---------------------------------------------------------------------------
DateOpt = Annotated[
    str | None,
    typer.Option("--date", help="Day: YYYY-MM-DD (1970-01-01 to today), today, yesterday or -Nd, in the configured time zone (general.timezone). Default: the last complete day there."),
]
ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", help="Config file (default: ./aidigest.toml if present, else the user config; see `aidigest where`)."),
]
DbOpt = Annotated[str | None, typer.Option("--db", help="Store: a SQLite file path, or a postgresql://user@host/db URL (default: config, else the user data dir; see `aidigest where`).")]
ReplayOpt = Annotated[Path | None, typer.Option("--replay", help="Serve responses from a recording directory; no network.")]
RecordOpt = Annotated[Path | None, typer.Option("--record", help="Save every response into a recording directory.")]
LlmOpt = Annotated[
    str | None,
    typer.Option("--llm", help=f"{llm_choices()} (env AIDIGEST_LLM)."),
]


def _parse_day(value: str | None, cfg: Config) -> dt.date:
    from .infra.days import DayError, parse_day

    try:
        return parse_day(value, cfg.general.timezone)
    except DayError as e:
        raise UserError(f"--date: {e}") from None


def _config(path: Path | None, db: str | None = None, llm: str | None = None, out_dir: Path | None = None, **llm_overrides) -> Config:
    """The loaded config with the command's flags applied (a new, validated Config: a loaded one is frozen)."""
    import logging

    from pydantic import ValidationError

    from .llm.factory import check_provider

    cfg = load_config(path)
    general = {key: str(value) for key, value in (("db", db), ("out", out_dir)) if value is not None}
    if db is not None and not is_url(db):  # a path, as Path(...) would give it (a URL stays as written)
        general["db"] = str(Path(db))
    llm_flags = {"provider": llm} if llm is not None else {}
    for key, value in llm_overrides.items():
        if value is not None:
            try:
                cfg.updated(llm={key: value})  # validated like the file's value, named by its flag
            except ValidationError as e:
                raise UserError(f"--{key.replace('_', '-')} {value}: {e.errors()[0]['msg']}") from None
            llm_flags[key] = value
    if general or llm_flags:
        cfg = cfg.updated(general=general, llm=llm_flags)
    logging.getLogger("aidigest.cli").info(
        "config: %s; store: %s; output: %s", cfg.source_file or "none (defaults)", shown_db(cfg.general.db), cfg.general.out
    )
    check_provider(cfg)
    _state["db"] = cfg.general.db
    return cfg


def _check_replay(replay: Path | None, record: Path | None) -> None:
    if replay and record:
        raise UserError("--replay and --record cannot be used together")
    if replay and not (replay / "index.json").exists():
        raise UserError(f"--replay {replay}: no recording there (expected {replay / 'index.json'})")
    if replay and (problem := replay_index_problem(replay)):
        raise UserError(f"--replay {replay}: {problem}")


def shown_db(db: str) -> str:
    """The store as messages show it: a PostgreSQL URL without its password."""
    return redact(db) if is_url(db) else db


def _run(fn, *args, **kwargs):
    """Run a command body; user mistakes and bad state become one-line errors, never tracebacks.

    Exit codes: 1 the run failed (every source failed, bad input lines, disk full or unwritable files),
    2 a usage/config mistake or a store that cannot be used, 3 refused: another run holds the day or the store,
    4 the reports were written but a delivery target failed (retried on the next run), 130 interrupted (Ctrl-C), 143 terminated (SIGTERM)."""
    from .llm.base import LLMFatal
    from .render.templating import TemplateProblem
    from .infra.store import DB_ERRORS, StoreBusy, StoreError, StoreFull, explain

    signals = Signals()
    try:
        with signals:
            return fn(*args, **kwargs)
    except (UserError, ConfigError, LLMFatal, TemplateProblem) as e:  # TemplateProblem: a broken report.md.j2 override
        _error(e)
        raise typer.Exit(2) from None
    except RunFailed as e:
        _error(e)
        raise typer.Exit(1) from None
    except StoreBusy as e:
        _error(e)
        raise typer.Exit(3) from None
    except StoreFull as e:  # a full disk fails the run (exit 1) like any other full disk; the store is intact
        _error(e)
        raise typer.Exit(1) from None
    except StoreError as e:
        _error(e)
        raise typer.Exit(2) from None
    except DB_ERRORS as e:  # during the run: the transaction was rolled back, the reports are whole files
        shown = shown_db(_state["db"] or "?")
        message = explain(shown, e)
        _error(message)
        raise typer.Exit(3 if message.startswith(f"store {shown} is busy") else 1) from None
    except OSError as e:
        where = f"{e.filename}: " if e.filename else ""
        _error(f"{where}{e.strerror or e} (nothing was half-written; fix it and rerun)")
        raise typer.Exit(1) from None
    except DeliveryFailed as e:
        _error(e)
        raise typer.Exit(4) from None
    except KeyboardInterrupt:
        what, code = ("terminated (SIGTERM)", 143) if signals.terminated else ("interrupted", 130)
        _error(f"{what}: stopped; a run in progress is marked failed in the store; no file was half-written")
        raise typer.Exit(code) from None


def _http(cfg: Config, store, replay: Path | None, record: Path | None):
    from .infra.http import HttpClient

    client = HttpClient.create(cfg.http, replay=replay, record=record)
    if not replay and not record:
        client.validators = store
    return client


def _print_outcomes(outcomes) -> None:
    if _state["quiet"]:
        return
    t = Table(title="Sources", show_lines=False)
    for col in ("source", "status", "items", "time", "detail"):
        t.add_column(col)
    for o in outcomes:
        style = {"ok": "green", "empty": "yellow"}.get(o.status, "red")
        detail = o.error or ", ".join(f"{k}={v}" for k, v in o.notes.items() if v)
        t.add_row(Text(o.source), Text(o.status, style=style), str(o.items), f"{o.duration_s:.1f}s", Text(detail),
                  style=None)
    out.print(t)


def _warn_failures(outcomes) -> None:
    for o in outcomes:
        if o.status in ("failed", "no_recording"):
            _warning(f"source {o.source} {o.status.replace('_', ' ')}: {o.error}")


# ---- commands ---------------------------------------------------------------------------------
@app.callback(invoke_without_command=True)
def main(
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
    verbose: Annotated[int, typer.Option("-v", "--verbose", count=True, help="More on stderr: -v paths, progress and the final line; -vv debug.")] = 0,
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="Errors only: no warnings, progress or summary (a command's own output stays: classify lines, sources, cache stats, where).")] = False,
) -> None:
    from .infra import progress

    progress.setup(-1 if quiet else verbose, console=err)
    _state["quiet"] = quiet
    if version:
        out.print(f"aidigest {__version__}")
        raise typer.Exit(0)


@app.command()
def init(
    path: Annotated[Path, typer.Option("--path", help="Where to write the config.")] = Path(DEFAULT_CONFIG_NAME),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    github_actions: Annotated[
        bool, typer.Option("--github-actions", help="Instead: write .github/workflows/aidigest.yml (daily run, Pages, notify).")
    ] = False,
    package: Annotated[str | None, typer.Option("--package", help="With --github-actions: what the workflow pip-installs: a git URL pinned to a tag or commit (git+https://github.com/OWNER/aidigest@v0.1.0) or a local path. Default: the source of this aidigest at its exact commit (the git URL it was installed from, or its checkout's origin at HEAD).")] = None,
    config: ConfigOpt = None,
) -> None:
    """Write a commented default aidigest.toml (the config reference), or with --github-actions the workflow."""

    def body():
        if github_actions:
            from .infra.atomic import write_text_atomic
            from .schedule import WORKFLOW_PATH, InstallSpecError, check_install_spec, default_install_spec, github_workflow, utc_cron

            cfg = _config(config)
            target = Path(WORKFLOW_PATH)
            if target.exists() and not force:
                raise UserError(f"{target} already exists (use --force to overwrite)")
            try:
                spec = check_install_spec(package) if package is not None else default_install_spec()
            except InstallSpecError as e:
                raise UserError(f"--package: {e}") from None
            write_text_atomic(target, github_workflow(cfg.schedule.time, cfg.general.timezone, spec, weekly=cfg.schedule.weekly))
            cron, note = utc_cron(cfg.schedule.time, cfg.general.timezone)
            out.print(f"wrote {target}: daily cron \"{cron}\" = {note}; installs {spec}", highlight=False, markup=False,
                      soft_wrap=True)
            return
        if path.exists() and not force:
            raise UserError(f"{path} already exists (use --force to overwrite)")
        from .infra.atomic import write_text_atomic

        try:
            write_text_atomic(path, default_config_text())
        except OSError as e:
            raise UserError(f"--path {path}: cannot write the config there ({e.strerror or e}: {e.filename or path})") from None
        out.print(Text(f"wrote {path}"), highlight=False)

    _run(body)


@app.command()
def collect(
    date: DateOpt = None,
    replay: ReplayOpt = None,
    record: RecordOpt = None,
    db: DbOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Collect one day's news and papers from every configured source into the store."""

    def body():
        from .collect import collect_day
        from .infra.store import Store

        _check_replay(replay, record)
        cfg = _config(config, db)
        day = _parse_day(date, cfg)

        async def go():
            with Store(cfg.general.db) as store:
                store.day_lock(day, "collect")
                async with _http(cfg, store, replay, record) as http:
                    return await collect_day(day, cfg, store, http)

        res = asyncio.run(go())
        _print_outcomes(res.outcomes)
        _warn_failures(res.outcomes)
        real = [o for o in res.outcomes if not is_enricher(o.source)]
        _info(
            f"{day}: {len(res.items)} items ({res.new_items} new, {res.merged} merged duplicates) in {shown_db(cfg.general.db)}"
        )
        if real and all(o.status in ("failed", "no_recording") for o in real):
            raise RunFailed("every source failed: " + "; ".join(f"{o.source}: {o.error}" for o in real))

    _run(body)


@app.command()
def run(
    date: DateOpt = None,
    from_: Annotated[str | None, typer.Option("--from", help="Backfill from this day (same forms as --date), one day at a time.")] = None,
    to: Annotated[str | None, typer.Option("--to", help="Backfill up to this day, inclusive (default: the last complete day).")] = None,
    replay: ReplayOpt = None,
    record: RecordOpt = None,
    db: DbOpt = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Reports directory (default: config, else the user data dir).")] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="Report language, e.g. ko (default) or en.")] = None,
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
    # a scheduled command line stays the same while the environment says which day/recording (recipes, tests)
    replay = replay or (Path(env_value("AIDIGEST_REPLAY")) if env_value("AIDIGEST_REPLAY") else None)
    if not (date or from_ or to):
        date = env_value("AIDIGEST_DATE") or None

    def body():
        import logging

        from .infra.days import DayError, day_range
        from .pipeline import DayOptions, NothingCollected, run_day
        from .infra.store import Store
        from .summarize.header import cli_report_line

        _check_replay(replay, record)
        if date and (from_ or to):
            raise UserError("--date cannot be combined with --from/--to")
        cfg = _config(config, db, llm, out_dir, budget_usd=budget_usd, max_tokens=max_tokens)
        if from_ or to:
            try:
                days = day_range(from_, to, cfg.general.timezone)
            except DayError as e:
                raise UserError(str(e)) from None
        else:
            days = [_parse_day(date, cfg)]
        if notify:
            from .deliver import configured_targets

            if not configured_targets(cfg) and not any(p.targets for p in cfg.profiles.values()):
                raise UserError("--notify: no delivery targets; set notify.targets in the config or AIDIGEST_NOTIFY (apprise URLs)")
        _check_profiles(cfg)
        language = lang or cfg.general.language
        from .summarize.i18n import LANGUAGE_NAMES_EN, suggest_language

        if language not in LANGUAGE_NAMES_EN:
            guess = suggest_language(language)
            hint = f"did you mean {guess}? " if guess else ""
            raise UserError(f"--lang {language!r} is not a known language code ({hint}known: "
                            f"{', '.join(sorted(LANGUAGE_NAMES_EN))})")
        target = Path(cfg.general.out)
        if problem := out_dir_problem(target):
            raise UserError(f"--out {target} {problem}" if problem.startswith("is") else f"--out {target}: {problem}")
        log = logging.getLogger("aidigest.run")
        _warn_unpriced_budget(cfg)  # before the first LLM call

        def one_day(day):
            async def go():
                with Store(cfg.general.db) as store:
                    store.day_lock(day, "run")
                    async with _http(cfg, store, replay, record) as http:
                        return await run_day(day, cfg, store, http, target, DayOptions(language, replace=replace))

            try:
                summary = asyncio.run(go())
            except NothingCollected as e:
                raise RunFailed(f"every source failed or was empty, no report written: {e}") from None
            _print_outcomes(summary.health.outcomes)
            _warn_failures(summary.health.outcomes)
            h = summary.health
            for what, n in sorted(h.fallbacks.items()):
                _warning(f"{what} ×{n}", label="fallback:")
            for _kind, (path, old, new) in sorted(summary.kept.items()):
                _warning(f"kept the published {path} ({old} items): this run would show only {new}; "
                         "pass --replace to overwrite it")
            _info(
                f"LLM: {h.llm.provider} — {h.llm.calls} calls, {h.llm.cached} cached, "
                f"{h.llm.tokens_in + h.llm.tokens_out} tokens, ${h.llm.cost_usd:.4f}"
            )
            for note in h.notes:  # e.g. the offline classifier fell back to zero-shot for some categories
                if note.startswith("offline classifier:"):
                    _warning(note, label="note:")
            for kind, paths in summary.reports.items():
                _info(cli_report_line(kind, summary.items_by_kind.get(kind, 0), summary.shown_by_kind.get(kind), paths),
                          highlight=False, markup=False)
            for prof in summary.profiles:  # each reader profile's digests, from the same items and summaries
                written = ", ".join(f"{k} ({prof.picks.get(k, 0)} picks)" for k in prof.reports) or "not written"
                _info(f"profile {prof.name}: {written} in {prof.seconds:.1f}s → {prof.out_dir}", highlight=False, markup=False)
            real = [o for o in h.outcomes if not is_enricher(o.source)]
            failed_sources = [o.source for o in real if o.status in ("failed", "no_recording")]
            log.info(
                "run %s done: %d items (%s), %d source(s) failed%s; reports in %s; store %s",
                day, sum(summary.items_by_kind.values()),
                ", ".join(f"{k} {n}" for k, n in summary.items_by_kind.items()), len(failed_sources),
                f" ({', '.join(failed_sources)})" if failed_sources else "", target / day.isoformat(), shown_db(cfg.general.db),
            )
            if real and all(o.status in ("failed", "no_recording") for o in real):
                raise RunFailed("every source failed: " + "; ".join(f"{o.source}: {o.error}" for o in real))
            if h.llm.offline:
                if h.llm.fatal:  # bad key / unknown model: the reports were written offline; exit 2 so cron notices,
                    # after --notify has sent them (the reader still gets the day)
                    llm_stopped.append(f"LLM stopped: {h.llm.offline} (the reports above were written offline)")
                    return
                _warning(f"LLM switched off, offline fallbacks used: {h.llm.offline}")

        failed_days: list[str] = []
        delivery_failures: list[str] = []
        llm_stopped: list[str] = []
        from .backfill import claimed_days, run_in_jobs, worker_id

        shared = is_url(cfg.general.db) and len(days) > 1  # days claimed from the store (aidigest.backfill)

        def worker(todo) -> None:
            for day in todo:
                if len(days) > 1:
                    _info(f"[bold]── {day} ──[/]" + (f" claimed by worker {worker_id()}" if shared else ""))
                try:
                    one_day(day)
                except RunFailed as e:
                    if len(days) == 1:
                        raise
                    failed_days.append(str(day))
                    _error(f"{day}: {e}")
                    continue
                if notify:
                    delivery_failures.extend(_notify(cfg, day, target))
                if llm_stopped:
                    break  # a backfill stops at the first day whose LLM refused the key, as before

        if jobs > 1 and len(days) > 1:
            run_in_jobs(worker, cfg.general.db, days, jobs)
        else:
            worker(claimed_days(cfg.general.db, days))
        if failed_days:
            raise RunFailed(f"{len(failed_days)} of {len(days)} day(s) failed: {', '.join(failed_days)} (the others were done)")
        if llm_stopped:
            sent = "; delivery failed for " + "; ".join(delivery_failures) if delivery_failures else ""
            raise UserError(llm_stopped[0] + sent)
        if delivery_failures:
            raise DeliveryFailed(f"delivery failed for {'; '.join(delivery_failures)} (retried on the next run)")

    _run(body)


def _check_profiles(cfg: Config) -> None:
    """A profile's unreadable library file or bad arXiv id: one line, before anything is fetched."""
    if not cfg.profiles:
        return
    from .profiles.personalize import check_profiles
    from .profiles.reader import ProfileError
    from .taxonomy import load_taxonomy

    try:
        check_profiles(cfg.profiles, load_taxonomy(cfg.digest.taxonomy or None).ids)
    except ProfileError as e:
        raise UserError(str(e)) from None


def _notify(cfg: Config, day: dt.date, out_dir: Path) -> list[str]:
    """Send the day's reports (the main digest to notify.targets, each profile's to its own targets); print one
    line per delivery; return the failed ones as 'day kind target'."""
    from .deliver import configured_targets, notify_day, report_files
    from .profiles.personalize import profile_out_dir
    from .infra.store import Store

    main = bool(configured_targets(cfg))
    readers = [name for name, p in cfg.profiles.items() if p.targets]
    if not main and not readers:
        raise UserError("no delivery targets: set notify.targets in the config or AIDIGEST_NOTIFY (apprise URLs)")
    from .deliver.notify import pending_retries

    results = []
    with Store(cfg.general.db) as store:
        if main:
            if not report_files(out_dir, day):
                if not pending_retries(store, day):
                    raise UserError(f"no report for {day} in {out_dir} (run `aidigest run --date {day}` first)")
                _warning(f"no report for {day} in {out_dir}; retrying earlier failed deliveries only")
            results.append(("", notify_day(day, out_dir, cfg, store)))
        for name in readers:
            if not report_files(profile_out_dir(out_dir, name), day):
                _warning(f"profile {name}: no report for {day} in {profile_out_dir(out_dir, name)}; retrying earlier failed deliveries only")
            results.append((f"{name}:", notify_day(day, profile_out_dir(out_dir, name), cfg, store, profile=name)))
    failed = []
    for who, res in results:
        for d in res.deliveries:
            style = {"sent": "green", "skipped": "dim"}.get(d.status, "red")
            what = {"sent": f"sent ({d.parts} message(s))", "skipped": "already sent"}.get(d.status, f"FAILED: {d.error}")
            _info(f"delivery {d.day} {who}{d.kind} → {d.target}: {what}", highlight=False, markup=False, style=style)
        failed += [f"{d.day} {who}{d.kind} {d.target}" for d in res.failed]
    return failed


@app.command()
def notify(
    date: DateOpt = None,
    db: DbOpt = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Reports directory the day's JSON export is read from.")] = None,
    config: ConfigOpt = None,
    week_: Annotated[str | None, typer.Option("--week", help="Instead: send the weekly roundup of this ISO week (YYYY-Www; `last` = the last complete week), and each profile's week to its targets, once per (week, target).")] = None,
) -> None:
    """Send the day's digest (short form) to every notify.targets entry not yet served: email, Slack, Discord,
    Telegram, JSON webhooks (apprise URLs). A rerun does not resend; a failed target is retried (exit status 4).
    With --week: the week's roundup (`aidigest week`) instead."""

    def body():
        cfg = _config(config, db, None, out_dir)
        if week_ is not None:
            from .weekly.build import WeekError, resolve_week
            from .weekly.report import week_id

            if date:
                raise UserError("--week and --date cannot be combined")
            try:
                start = resolve_week(None if week_.strip().lower() == "last" else week_, None, cfg.general.timezone)
            except WeekError as e:
                raise UserError(str(e)) from None
            failures = _notify_week(cfg, week_id(start), Path(cfg.general.out))
            if failures:
                raise DeliveryFailed(f"delivery failed for {'; '.join(failures)} (retried on the next run)")
            return
        day = _parse_day(date, cfg)
        failures = _notify(cfg, day, Path(cfg.general.out))
        if failures:
            raise DeliveryFailed(f"delivery failed for {'; '.join(failures)} (retried on the next run)")

    _run(body)


@app.command()
def week(
    week_: Annotated[str | None, typer.Option("--week", help="ISO week YYYY-Www, e.g. 2026-W31 (in general.timezone).")] = None,
    date: Annotated[str | None, typer.Option("--date", help="Or the week holding this day (same forms as run --date).")] = None,
    db: DbOpt = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Reports directory: the daily exports are read there, the week is written to <out>/weekly/<week>/.")] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="Report language, e.g. ko (default) or en.")] = None,
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

    def body():
        from .infra.store import Store
        from .summarize.i18n import LANGUAGE_NAMES_EN
        from .weekly.build import WeekError, resolve_week, run_week

        cfg = _config(config, db, llm, out_dir)
        try:
            start = resolve_week(week_, date, cfg.general.timezone)
        except WeekError as e:
            raise UserError(str(e)) from None
        language = lang or cfg.general.language
        if language not in LANGUAGE_NAMES_EN:
            raise UserError(f"--lang {language!r} is not a known language code ({', '.join(sorted(LANGUAGE_NAMES_EN))})")
        target = Path(cfg.general.out)
        if problem := out_dir_problem(target):
            raise UserError(f"--out {target} {problem}" if problem.startswith("is") else f"--out {target}: {problem}")
        if notify:
            from .deliver import configured_targets

            if not configured_targets(cfg) and not any(p.targets for p in cfg.profiles.values()):
                raise UserError("--notify: no delivery targets; set notify.targets in the config or AIDIGEST_NOTIFY (apprise URLs)")
        _check_profiles(cfg)
        from .weekly.profiles import run_week_profiles

        with Store(cfg.general.db) as store:
            res = asyncio.run(run_week(start, cfg, store, target, language,
                                       readers=run_week_profiles if cfg.profiles else None))
        if not res.paths:
            raise RunFailed(f"nothing stored for {res.week} ({start} ~ {start + dt.timedelta(days=6)}): "
                            "no day of that week was reported; run `aidigest run` for its days first")
        for kind, digest in res.digests.items():
            missing = ", ".join(f"{d.day} {d.status}" for d in digest.missing_days) or "none"
            _info(f"{res.week} {kind}: {digest.stats.stories} stories in {len(digest.sections)} categories, "
                      f"{digest.stats.days_with_reports}/7 days reported (missing: {missing}) → {res.paths[kind].markdown}",
                      highlight=False, markup=False)
            for what, n in digest.fallbacks.items():
                _warning(f"{what} ×{n}", label="fallback:")
        for name, paths in res.profiles.items():  # each reader profile's week (aidigest.weekly.profiles)
            written = ", ".join(f"{k} → {v.markdown}" for k, v in paths.items())
            _info(f"profile {name}: {written}", highlight=False, markup=False)
        for note in res.notes:
            _warning(note)
        h = res.llm
        _info(f"LLM: {h.provider} — {h.calls} calls, {h.cached} cached, {h.tokens_in + h.tokens_out} tokens "
                  f"({h.tokens_in} in, {h.tokens_out} out), ${h.cost_usd:.4f}", highlight=False, markup=False)
        if h.offline:
            _warning(f"LLM switched off, offline lists used: {h.offline}")
        if notify:
            failures = _notify_week(cfg, res.week, target)
            if failures:
                raise DeliveryFailed(f"delivery failed for {'; '.join(failures)} (retried on the next run)")

    _run(body)


def _notify_week(cfg: Config, week: str, out_dir: Path) -> list[str]:
    """Send the week's roundups (the shared one to notify.targets, each profile's to its own targets); one line per
    delivery; the failed ones as 'week kind target'."""
    from .deliver import configured_targets
    from .deliver.notify import notify_week, week_report_files
    from .profiles.personalize import profile_out_dir
    from .infra.store import Store

    main = bool(configured_targets(cfg))
    readers = [name for name, p in cfg.profiles.items() if p.targets]
    if not main and not readers:
        raise UserError("no delivery targets: set notify.targets in the config or AIDIGEST_NOTIFY (apprise URLs)")
    if not week_report_files(out_dir, week):
        raise UserError(f"no weekly report for {week} in {out_dir} (run `aidigest week --week {week}` first)")
    results = []
    with Store(cfg.general.db) as store:
        if main:
            results.append(("", notify_week(week, out_dir, cfg, store)))
        for name in readers:
            folder = profile_out_dir(out_dir, name)
            if not week_report_files(folder, week):
                _warning(f"profile {name}: no weekly report for {week} in {folder} (run `aidigest week --week {week}`)")
                continue
            results.append((f"{name}:", notify_week(week, folder, cfg, store, profile=name)))
    failed = []
    for who, res in results:
        for d in res.deliveries:
            style = {"sent": "green", "skipped": "dim"}.get(d.status, "red")
            what = {"sent": f"sent ({d.parts} message(s))", "skipped": "already sent"}.get(d.status, f"FAILED: {d.error}")
            _info(f"delivery {week} {who}{d.kind} → {d.target}: {what}", highlight=False, markup=False, style=style)
        failed += [f"{week} {who}{d.kind} {d.target}" for d in res.failed]
    return failed


@app.command()
def where(config: ConfigOpt = None, db: DbOpt = None) -> None:
    """Print where aidigest reads its config and keeps its store and reports, and which day a run would take."""

    def body():
        from .infra import paths
        from .infra.days import last_complete_day

        cfg = _config(config, db)
        d = paths.dirs(environ())
        rows = [
            ("config file", cfg.source_file or f"none (defaults; would read {d.config_file} if it existed)"),
            ("store", shown_db(cfg.general.db)),
            ("output", cfg.general.out),
            ("user config dir", f"{d.config_dir} ({d.origin})"),
            ("user data dir", f"{d.data_dir} ({d.origin})"),
            ("timezone", cfg.general.timezone),
            ("default day", str(last_complete_day(cfg.general.timezone))),
        ]
        for k, v in rows:
            out.print(f"{k + ':':<17} {v}", highlight=False, markup=False, soft_wrap=True)

    _run(body)


def _warn_unpriced_budget(cfg: Config) -> None:
    """--budget-usd with a model missing from the price table cannot stop anything: say so before the first call."""
    if cfg.llm.budget_usd is None:
        return
    from .llm.factory import parse_provider_spec
    from .llm.pricing import find_price

    parsed = parse_provider_spec(cfg.llm.provider)
    if parsed is not None and find_price(parsed[1], cfg.llm.prices, parsed[0]) is None:
        from .pipeline import unpriced_budget_note

        _warning(unpriced_budget_note(cfg))


@app.command()
def site(
    out_dir: Annotated[Path | None, typer.Option("--out", help="Site folder (default from config: site).")] = None,
    reports: Annotated[Path | None, typer.Option("--reports", help="Reports folder to publish (default from config: reports).")] = None,
    base_url: Annotated[str | None, typer.Option("--base-url", help="Public URL of the site, for absolute links in the feeds.")] = None,
    db: DbOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Build or update the static web archive (pages, trends, search, Atom feeds) from the reports; incremental."""

    def body():
        from .render.site import SiteError, SiteOptions, build_site
        from .taxonomy import load_taxonomy

        cfg = _config(config, db)
        opts = SiteOptions(
            reports=Path(reports or cfg.general.out), out=Path(out_dir or cfg.site.out), db=cfg.general.db if is_url(cfg.general.db) else Path(cfg.general.db),
            base_url=cfg.site.base_url if base_url is None else base_url, templates=Path(cfg.site.templates) if cfg.site.templates else None,
            language=cfg.general.language, title=cfg.site.title, feed_days=cfg.site.feed_days,
            taxonomy=load_taxonomy(cfg.digest.taxonomy or None),
        )
        from dataclasses import replace

        from .profiles.personalize import profile_out_dir
        from .profiles.reader import site_path
        from .render.templating import site_strings

        # each reader profile's site lives in its own folder inside the site, linked from the home page; the
        # main site is built first (a profile's folder is kept as it is by the main build)
        readers = []
        for name, prof in cfg.profiles.items():
            if profile_out_dir(opts.reports, name).is_dir():
                readers.append((name, site_path(name, prof)))
            else:  # never run yet: no page to link
                _warning(f"profile {name}: no reports yet in {profile_out_dir(opts.reports, name)} (its first `aidigest run`"
                         " writes them); its site is not built")
        builds = [("site", replace(opts, profiles=[(n, f"{p}/index.html") for n, p in readers]))]
        for name, path in readers:
            p = cfg.profiles[name]
            language = p.language or opts.language
            builds.append((f"profile {name}", replace(
                opts, reports=profile_out_dir(opts.reports, name), out=opts.out / path, language=language,
                title=f"{opts.title or site_strings(language).site_title} · {name}",
                base_url=(opts.base_url.rstrip("/") + "/" + path + "/") if opts.base_url else "")))
        for label, o in builds:
            try:
                res = build_site(o)
            except SiteError as e:
                raise UserError(f"{label}: {e}" if label != "site" else str(e)) from None
            for line in res.skipped:
                _warning(f"skipped {line}")
            _info(
                f"{label}: {res.days} days, {len(res.written)} files written, {len(res.removed)} removed, "
                f"{res.unchanged} unchanged in {res.seconds:.1f}s → {res.index}", highlight=False, markup=False,
            )

    _run(body)


@app.command()
def sources(db: DbOpt = None, config: ConfigOpt = None) -> None:
    """List the configured sources and their last outcome."""

    def body():
        from .sources.builtin import SOURCES, build_sources
        from .infra.store import Store

        cfg = _config(config, db)
        last = {}
        if is_url(cfg.general.db) or Path(cfg.general.db).exists():
            with Store(cfg.general.db, read_only=True) as store:  # only reads: a read-only store can be inspected
                last = store.last_outcomes()
        t = Table(title="Configured sources")
        for col in ("source", "kind", "last day", "last status", "items", "error"):
            t.add_column(col)
        built = build_sources(cfg)
        for s in built:
            day, o = last.get(s.name, ("—", None))
            t.add_row(Text(s.name), s.kind, day, o.status if o else "never run", str(o.items) if o else "",
                      Text((o.error or "") if o else ""))
        on = {s.name for s in built}
        for spec in SOURCES.values():  # the registered sources this config leaves off, and why when known
            if spec.role == "source" and spec.default is None and spec.name not in on:
                t.add_row(Text(spec.name), "", "—", Text(spec.off_note or "off"), "", Text(""))
        out.print(t)

    _run(body)


@app.command()
def classify(llm: LlmOpt = None, config: ConfigOpt = None, db: DbOpt = None) -> None:
    """Read JSON lines {"title": ..., "snippet": ...} on stdin; write each back with "category" on stdout."""

    def body():
        from .classify.jsonl import classify_jsonl
        from .taxonomy import load_taxonomy

        cfg = _config(config, db, llm)
        taxonomy = load_taxonomy(cfg.digest.taxonomy or None)
        llm_obj = None
        store = None
        if cfg.llm.provider != "none":
            from .llm.factory import make_llm
            from .records import LLMTotals
            from .infra.store import Store

            store = Store(cfg.general.db)
            llm_obj = make_llm(cfg, store, None, LLMTotals(provider=cfg.llm.provider))
        try:
            bad = classify_jsonl(sys.stdin.buffer, sys.stdout, taxonomy, llm=llm_obj, config=cfg)
        finally:
            if llm_obj is not None:
                asyncio.run(llm_obj.aclose())
            if store is not None:
                store.close()
        if bad:
            _error(f"{bad} input line(s) skipped (see messages above)")  # exit 1: shown with -q too
            raise typer.Exit(1)

    _run(body)


@app.command()
def train(
    labels: Annotated[Path, typer.Argument(help='JSON lines {"title": ..., "text": ..., "category": <id>}.')],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the classifier to (weights.npz + meta.json).")],
    config: ConfigOpt = None,
) -> None:
    """Fit the offline classifier's head on your labelled examples (numpy, seconds); use it with \\[digest] classifier."""

    def body():
        from .classify.train import train_head
        from .taxonomy import load_taxonomy

        cfg = _config(config)
        taxonomy = load_taxonomy(cfg.digest.taxonomy or None)
        if not labels.is_file():
            raise UserError(f"{labels}: no such file")
        with labels.open(encoding="utf-8", errors="replace") as fh:
            try:
                rep = train_head(fh, taxonomy.ids, out_dir)
            except ValueError as e:
                raise UserError(f"{labels}: {e}") from None
        for m in rep.messages:
            err.print(f"error: {m}", highlight=False)
        cv = f", 5-fold cross-validation accuracy {rep.cv_accuracy:.3f}" if rep.cv_accuracy is not None else ""
        out.print(f"trained on {rep.examples} examples ({', '.join(f'{k} {v}' for k, v in rep.per_label.items())}) in "
                  f"{rep.seconds:.1f} s: training accuracy {rep.train_accuracy:.3f}{cv}; written to {rep.out}. "
                  f'Use it with [digest] classifier = "{rep.out}"', highlight=False, markup=False)
        missing = [i for i in taxonomy.ids if i not in rep.per_label]
        if missing:
            out.print(f"categories without examples (zero-shot for them): {', '.join(missing)}", highlight=False)
        if rep.bad_lines:
            raise typer.Exit(1)

    _run(body)


@eval_app.command("classify")
def eval_classify_cmd(
    data: Annotated[
        Path | None,
        typer.Option("--data", help="Folder with the test split (dw-dengwei_*.jsonl; news/ beside it if present). Default: ../shared/data, else the copy shipped in the package."),
    ] = None,
) -> None:
    """Accuracy of the offline classifier on the held-out test split: papers and news (English, Korean); the first line is the fair, text-only figure."""

    def body():
        from .classify.eval import default_test_dir, eval_classify
        from .classify.eval_table import category_table, fair_line, family_line, family_table, news_line, news_table
        from .classify.news_eval import default_news_dir, eval_news

        folder = data or default_test_dir()
        if folder is None or not Path(folder).exists():
            raise UserError(f"test split not found at {folder}; pass --data DIR")
        report = eval_classify(folder)
        news_dir = default_news_dir(data)
        news = eval_news(news_dir) if news_dir else None
        out.print(fair_line(report, news), highlight=False, soft_wrap=True)
        out.print(family_table(report, folder))
        out.print(family_line(report), highlight=False)
        out.print(category_table(report))
        if news is None:
            out.print("news: no labelled news set found (aidigest/data/eval/news, or news/ beside --data)", highlight=False)
        else:
            for lang, s in news.sets.items():
                out.print(news_table(lang, s))
                out.print(news_line(lang, s), highlight=False)

    _run(body)


@eval_app.command("profiles")
def eval_profiles_cmd(
    data: Annotated[
        Path | None,
        typer.Option("--data", help="Folder with both splits of the labelled papers (linyueqian_* dev, dw-dengwei_* test). "
                                    "Default: ../shared/data, else the copies in tests/data."),
    ] = None,
    split: Annotated[
        str,
        typer.Option("--split", help="test: profiles from the dev split, scored on the test days (report this once). "
                                     "dev: profiles from the first half of the dev days, scored on the other half "
                                     "(for choosing settings; the test split is not read)."),
    ] = "test",
    db: DbOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Precision@10 of a profile's "추천" section for simulated readers (profiles from dev papers, scored on test
    days) against popularity order and a random order (both as expected values)."""

    def body():
        from .classify import offline
        from .profiles.evaluate import default_data_dir, evaluate, table
        from .reuse import embed_cached
        from .infra.store import Store

        if split not in ("dev", "test"):
            raise UserError(f"--split: dev or test, not {split!r}")
        folder = data or default_data_dir()
        if folder is None or not Path(folder).is_dir():
            raise UserError(f"labelled papers not found at {folder}; pass --data DIR")
        cfg = _config(config, db)
        with Store(cfg.general.db) as store:  # embeddings cached there: a second run is fast
            try:
                scores = evaluate(Path(folder), lambda texts: embed_cached(texts, store, embed=offline.embed), split)
            except FileNotFoundError as e:
                raise UserError(str(e)) from None
        where = "the test split" if split == "test" else "the second half of the dev days (profiles from the first half)"
        out.print(f"Reader profiles on {where} ({folder}): precision@10 of the \"추천\" section", highlight=False, soft_wrap=True,
                  markup=False)
        out.print(table(scores), highlight=False, markup=False, soft_wrap=True)  # a Markdown table: one line per row

    _run(body)


@cache_app.command("stats")
def cache_stats_cmd(db: DbOpt = None, config: ConfigOpt = None) -> None:
    """Entries, tokens and cost held in the LLM cache."""

    def body():
        from .llm.cache import cache_stats
        from .infra.store import Store

        cfg = _config(config, db)
        # only reads: a read-only store can be inspected; no store yet = an empty cache (nothing is created)
        with Store(cfg.general.db, read_only=True) if is_url(cfg.general.db) or Path(cfg.general.db).exists() else Store() as store:
            stats = cache_stats(store)
        out.print_json(stats.model_dump_json())

    _run(body)


@cache_app.command("clear")
def cache_clear_cmd(
    older_than_days: Annotated[int | None, typer.Option("--older-than-days", help="Only entries older than this.")] = None,
    db: DbOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Delete cached LLM responses (all, or those older than N days)."""

    def body():
        from .llm.cache import cache_clear
        from .infra.store import Store

        if older_than_days is not None and older_than_days < 0:
            raise UserError(f"--older-than-days {older_than_days}: must be 0 or more (days)")
        cfg = _config(config, db)
        with Store(cfg.general.db) as store:
            n = cache_clear(store, older_than_days)
        out.print(f"deleted {n} cached responses")

    _run(body)


def _profile_named(cfg: Config, name: str) -> None:
    if name not in cfg.profiles:
        known = ", ".join(sorted(cfg.profiles)) or "none configured"
        raise UserError(f"no profile {name!r} in the config ([profiles.<name>]; known: {known})")


@profile_app.command("add-paper")
def profile_add_paper(
    name: Annotated[str, typer.Argument(help="The profile (profiles.NAME in the config).")],
    arxiv_id: Annotated[str, typer.Argument(help="arXiv id (2507.01234), arXiv:ID or an arxiv.org/abs URL.")],
    db: DbOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Add a paper the reader likes to the profile's liked set (kept in the store; the ranking compares with it)."""

    def body():
        from .profiles.reader import ProfileError, add_liked
        from .infra.store import Store

        cfg = _config(config, db)
        _profile_named(cfg, name)
        with Store(cfg.general.db) as store:
            try:
                added = add_liked(store, name, arxiv_id)
            except ProfileError as e:
                raise UserError(str(e)) from None
        out.print(f"profile {name}: {'added' if added else 'already liked'} {arxiv_id.strip()}", highlight=False, markup=False)

    _run(body)


@profile_app.command("remove-paper")
def profile_remove_paper(
    name: Annotated[str, typer.Argument(help="The profile (profiles.NAME in the config).")],
    arxiv_id: Annotated[str, typer.Argument(help="The arXiv id to remove.")],
    db: DbOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Remove a paper added with add-paper (an id listed in the config's `liked` is edited there)."""

    def body():
        from .profiles.reader import ProfileError, normalize_id, remove_liked
        from .infra.store import Store

        cfg = _config(config, db)
        _profile_named(cfg, name)
        with Store(cfg.general.db) as store:
            try:
                removed = remove_liked(store, name, arxiv_id)
                aid = normalize_id(arxiv_id)
            except ProfileError as e:
                raise UserError(str(e)) from None
        in_config = aid in {normalize_id(x) for x in cfg.profiles[name].liked}
        if not removed:
            where = f" (it is listed in [profiles.{name}] liked in {cfg.source_file}: remove it there)" if in_config else ""
            raise UserError(f"profile {name}: {aid} was not added with add-paper{where}")
        note = f"; still liked through [profiles.{name}] liked in {cfg.source_file}" if in_config else ""
        out.print(f"profile {name}: removed {aid}{note}", highlight=False, markup=False)

    _run(body)


@profile_app.command("list")
def profile_list(db: DbOpt = None, config: ConfigOpt = None) -> None:
    """The configured profiles: liked papers (config + store), keywords, authors, targets, where their pages go."""

    def body():
        from .profiles.personalize import profile_out_dir
        from .profiles.reader import liked_ids, site_path
        from .infra.store import Store

        cfg = _config(config, db)
        if not cfg.profiles:
            out.print("no profiles configured ([profiles.<name>] in the config; README \"Profiles\")", highlight=False, markup=False)
            return
        with Store(cfg.general.db) as store:
            for name, p in cfg.profiles.items():
                stored = liked_ids(store, name)
                out.print(f"{name}: {len(p.interests)} interest(s), liked {len(p.liked)} in config + {len(stored)} added"
                          f"{' + ' + p.liked_file if p.liked_file else ''}, keywords +{len(p.include_keywords)}/-{len(p.exclude_keywords)},"
                          f" authors {len(p.authors)}, targets {len(p.targets)}; reports {profile_out_dir(Path(cfg.general.out), name)},"
                          f" site {cfg.site.out}/{site_path(name, p)}", highlight=False, markup=False, soft_wrap=True)

    _run(body)


store_app = typer.Typer(help="The store: a SQLite file or a PostgreSQL database.", no_args_is_help=True)
app.add_typer(store_app, name="store")


@store_app.command("copy")
def store_copy_cmd(
    src: Annotated[str, typer.Argument(help="The store to copy: a SQLite file or a postgresql:// URL.")],
    dst: Annotated[str, typer.Argument(help="The new store (empty): a SQLite file or a postgresql:// URL.")],
) -> None:
    """Copy every owner's tables from SRC to an empty DST (SQLite -> PostgreSQL and back), in one transaction."""

    def body():
        from .infra.storecopy import copy_store

        if not is_url(src) and not Path(src).is_file():
            raise UserError(f"store copy: {src} does not exist")
        _state["db"] = dst
        copied = copy_store(src if is_url(src) else str(Path(src)), dst if is_url(dst) else str(Path(dst)))
        for table, n in copied.items():
            out.print(f"{table}: {n} rows", highlight=False, markup=False)
        out.print(f"copied {sum(copied.values())} rows in {len(copied)} tables from {shown_db(src)} to "
                  f"{shown_db(dst)}", highlight=False, markup=False)

    _run(body)


if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    app()
