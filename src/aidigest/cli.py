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
from .config import DEFAULT_CONFIG_NAME, Config, ConfigError, default_config_text, environ, load_config
from .llm.registry import choices as llm_choices
from .llm.providers import PROVIDERS  # noqa: F401 - registers the providers the --llm help names
from .pgstore import is_url, redact
from .sources import is_enricher

app = typer.Typer(
    help="aidigest: a daily digest of AI news and papers — collect, categorize, summarize (Korean by default), report.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
cache_app = typer.Typer(help="The LLM response cache in the SQLite store.", no_args_is_help=True)
eval_app = typer.Typer(help="Measure quality on the held-out test split.", no_args_is_help=True)
app.add_typer(cache_app, name="cache")
app.add_typer(eval_app, name="eval")

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
    say(err, label, "yellow", message)


_state: dict = {"db": None}  # the store the command uses (named when a store error happens mid-run)


# ---- shared options ---------------------------------------------------------------------------
DateOpt = Annotated[
    str | None,
    typer.Option("--date", help="Day: YYYY-MM-DD, today, yesterday or -Nd, in the configured time zone (general.timezone). Default: the last complete day there."),
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
    from .days import DayError, parse_day

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
    from .store import DB_ERRORS, StoreBusy, StoreError, StoreFull, explain

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
    from .http import HttpClient

    client = HttpClient.create(cfg.http, replay=replay, record=record)
    if not replay and not record:
        client.validators = store
    return client


def _print_outcomes(outcomes) -> None:
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
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="Only errors on stderr (no warnings, no progress bar).")] = False,
) -> None:
    from . import progress

    progress.setup(-1 if quiet else verbose, console=err)
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
    package: Annotated[str, typer.Option("--package", help="With --github-actions: what the workflow pip-installs.")] = "aidigest",
    config: ConfigOpt = None,
) -> None:
    """Write a commented default aidigest.toml (the config reference), or with --github-actions the workflow."""

    def body():
        if github_actions:
            from .render.atomic import write_text_atomic
            from .schedule import WORKFLOW_PATH, github_workflow, utc_cron

            cfg = _config(config)
            target = Path(WORKFLOW_PATH)
            if target.exists() and not force:
                raise UserError(f"{target} already exists (use --force to overwrite)")
            write_text_atomic(target, github_workflow(cfg.schedule.time, cfg.general.timezone, package))
            cron, note = utc_cron(cfg.schedule.time, cfg.general.timezone)
            out.print(f"wrote {target}: daily cron \"{cron}\" = {note}", highlight=False, markup=False, soft_wrap=True)
            return
        if path.exists() and not force:
            raise UserError(f"{path} already exists (use --force to overwrite)")
        from .render.atomic import write_text_atomic

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
        from .store import Store

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
        out.print(
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
    notify: Annotated[bool, typer.Option("--notify", help="Then send each day's digest to the notify.targets (once per target).")] = False,
    config: ConfigOpt = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Overwrite a published report even when this run shows fewer items.")
    ] = False,
    jobs: Annotated[int, typer.Option("--jobs", min=1, help="Run this many days of --from/--to at once in this process (their LLM calls share [llm] concurrency).")] = 1,
) -> None:
    """Collect + categorize + summarize + write the day's News and Papers reports (any past date works).

    Without --date: the last complete day in the configured time zone (general.timezone). --from/--to runs each day of a range in turn
    (each is idempotent); a failed day is named, the others are done, and the exit status is 1.
    """

    def body():
        import logging

        from .days import DayError, day_range
        from .pipeline import NothingCollected, run_day
        from .store import Store
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

            if not configured_targets(cfg):
                raise UserError("--notify: no delivery targets; set notify.targets in the config or AIDIGEST_NOTIFY (apprise URLs)")
        language = lang or cfg.general.language
        from .summarize.i18n import LANGUAGE_NAMES_EN

        if language not in LANGUAGE_NAMES_EN:
            raise UserError(f"--lang {language!r} is not a known language code ({', '.join(sorted(LANGUAGE_NAMES_EN))})")
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
                        return await run_day(day, cfg, store, http, target, language, replace=replace)

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
            out.print(
                f"LLM: {h.llm.provider} — {h.llm.calls} calls, {h.llm.cached} cached, "
                f"{h.llm.tokens_in + h.llm.tokens_out} tokens, ${h.llm.cost_usd:.4f}"
            )
            for note in h.notes:  # e.g. the offline classifier fell back to zero-shot for some categories
                if note.startswith("offline classifier:"):
                    _warning(note, label="note:")
            for kind, paths in summary.reports.items():
                out.print(cli_report_line(kind, summary.items_by_kind.get(kind, 0), summary.shown_by_kind.get(kind), paths),
                          highlight=False, markup=False)
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
                if h.llm.fatal:  # bad key / unknown model: the reports were written offline; exit 2 so cron notices
                    raise UserError(f"LLM stopped: {h.llm.offline} (the reports above were written offline)")
                _warning(f"LLM switched off, offline fallbacks used: {h.llm.offline}")

        failed_days: list[str] = []
        delivery_failures: list[str] = []
        from .backfill import claimed_days, run_in_jobs, worker_id

        shared = is_url(cfg.general.db) and len(days) > 1  # days claimed from the store (aidigest.backfill)

        def worker(todo) -> None:
            for day in todo:
                if len(days) > 1:
                    out.print(f"[bold]── {day} ──[/]" + (f" claimed by worker {worker_id()}" if shared else ""))
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

        if jobs > 1 and len(days) > 1:
            run_in_jobs(worker, cfg.general.db, days, jobs)
        else:
            worker(claimed_days(cfg.general.db, days))
        if failed_days:
            raise RunFailed(f"{len(failed_days)} of {len(days)} day(s) failed: {', '.join(failed_days)} (the others were done)")
        if delivery_failures:
            raise DeliveryFailed(f"delivery failed for {'; '.join(delivery_failures)} (retried on the next run)")

    _run(body)


def _notify(cfg: Config, day: dt.date, out_dir: Path) -> list[str]:
    """Send the day's reports; print one line per delivery; return the failed ones as 'day kind target'."""
    from .deliver import configured_targets, notify_day, report_files
    from .store import Store

    if not configured_targets(cfg):
        raise UserError("no delivery targets: set notify.targets in the config or AIDIGEST_NOTIFY (apprise URLs)")
    from .deliver.notify import pending_retries

    with Store(cfg.general.db) as store:
        if not report_files(out_dir, day):
            if not pending_retries(store, day):
                raise UserError(f"no report for {day} in {out_dir} (run `aidigest run --date {day}` first)")
            _warning(f"no report for {day} in {out_dir}; retrying earlier failed deliveries only")
        res = notify_day(day, out_dir, cfg, store)
    for d in res.deliveries:
        style = {"sent": "green", "skipped": "dim"}.get(d.status, "red")
        what = {"sent": f"sent ({d.parts} message(s))", "skipped": "already sent"}.get(d.status, f"FAILED: {d.error}")
        out.print(f"delivery {d.day} {d.kind} → {d.target}: {what}", highlight=False, markup=False, style=style)
    return [f"{d.day} {d.kind} {d.target}" for d in res.failed]


@app.command()
def notify(
    date: DateOpt = None,
    db: DbOpt = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Reports directory the day's JSON export is read from.")] = None,
    config: ConfigOpt = None,
) -> None:
    """Send the day's digest (short form) to every notify.targets entry not yet served: email, Slack, Discord,
    Telegram, JSON webhooks (apprise URLs). A rerun does not resend; a failed target is retried (exit status 4)."""

    def body():
        cfg = _config(config, db, None, out_dir)
        day = _parse_day(date, cfg)
        failures = _notify(cfg, day, Path(cfg.general.out))
        if failures:
            raise DeliveryFailed(f"delivery failed for {'; '.join(failures)} (retried on the next run)")

    _run(body)


@app.command()
def where(config: ConfigOpt = None, db: DbOpt = None) -> None:
    """Print where aidigest reads its config and keeps its store and reports, and which day a run would take."""

    def body():
        from . import paths
        from .days import last_complete_day

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
        try:
            res = build_site(opts)
        except SiteError as e:
            raise UserError(str(e)) from None
        for line in res.skipped:
            _warning(f"skipped {line}")
        out.print(
            f"site: {res.days} days, {len(res.written)} files written, {len(res.removed)} removed, "
            f"{res.unchanged} unchanged in {res.seconds:.1f}s → {res.index}", highlight=False, markup=False,
        )

    _run(body)


@app.command()
def sources(db: DbOpt = None, config: ConfigOpt = None) -> None:
    """List the configured sources and their last outcome."""

    def body():
        from .sources import build_sources
        from .store import Store

        cfg = _config(config, db)
        last = {}
        if is_url(cfg.general.db) or Path(cfg.general.db).exists():
            with Store(cfg.general.db) as store:
                last = store.last_outcomes()
        t = Table(title="Configured sources")
        for col in ("source", "kind", "last day", "last status", "items", "error"):
            t.add_column(col)
        for s in build_sources(cfg):
            day, o = last.get(s.name, ("—", None))
            t.add_row(Text(s.name), s.kind, day, o.status if o else "never run", str(o.items) if o else "",
                      Text((o.error or "") if o else ""))
        out.print(t)

    _run(body)


@app.command()
def classify(llm: LlmOpt = None, config: ConfigOpt = None, db: DbOpt = None) -> None:
    """Read JSON lines {"title": ..., "snippet": ...} on stdin; write each back with "category" on stdout."""

    def body():
        from .classify import classify_jsonl
        from .taxonomy import load_taxonomy

        cfg = _config(config, db, llm)
        taxonomy = load_taxonomy(cfg.digest.taxonomy or None)
        llm_obj = None
        store = None
        if cfg.llm.provider != "none":
            from .llm import make_llm
            from .models import LLMTotals
            from .store import Store

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
            _warning(f"{bad} input line(s) skipped (see messages above)")
            raise typer.Exit(1)

    _run(body)


@app.command()
def train(
    labels: Annotated[Path, typer.Argument(help='JSON lines {"title": ..., "text": ..., "category": <id>}.')],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the classifier to (weights.npz + meta.json).")],
    config: ConfigOpt = None,
) -> None:
    """Fit the offline classifier's head on your labelled examples (numpy, seconds); use it with [digest] classifier."""

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
                  f'Use it with [digest] classifier = "{rep.out}"', highlight=False)
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
        typer.Option("--data", help="Folder with the test split (dw-dengwei_*.jsonl). Default: ../shared/data or tests/data/classify."),
    ] = None,
) -> None:
    """Accuracy of the offline classifier on the held-out test split (arXiv primary categories as families)."""

    def body():
        from .classify.eval import default_test_dir, eval_classify

        folder = data or default_test_dir()
        if folder is None or not Path(folder).exists():
            raise UserError(f"test split not found at {folder}; pass --data DIR")
        report = eval_classify(folder)
        t = Table(title=f"Offline classifier on the test split ({folder})")
        for col in ("family", "scored", "accuracy"):
            t.add_column(col)
        for fam, acc in report.per_family.items():
            t.add_row(fam, str(report.per_family_n.get(fam, "")), f"{acc:.3f}")
        t.add_row("[bold]all[/]", str(report.n_scored), f"[bold]{report.accuracy:.3f}[/]")
        out.print(t)
        out.print(f"accuracy {report.accuracy:.4f} on {report.n_scored} scored papers ({report.n_skipped} not scored); "
                  f"text only (no arXiv categories): {report.accuracy_text_only:.4f}")
        from .classify.eval_table import category_table

        out.print(category_table(report))
    _run(body)


@cache_app.command("stats")
def cache_stats_cmd(db: DbOpt = None, config: ConfigOpt = None) -> None:
    """Entries, tokens and cost held in the LLM cache."""

    def body():
        from .llm.cache import cache_stats
        from .store import Store

        cfg = _config(config, db)
        with Store(cfg.general.db) as store:
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
        from .store import Store

        cfg = _config(config, db)
        with Store(cfg.general.db) as store:
            n = cache_clear(store, older_than_days)
        out.print(f"deleted {n} cached responses")

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
        from .storecopy import copy_store

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
