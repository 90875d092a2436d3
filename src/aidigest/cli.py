"""The `aidigest` command line (thin: parse flags, call the pipeline, print)."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from . import __version__
from .config import DEFAULT_CONFIG_NAME, Config, ConfigError, default_config_text, load_config

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


# ---- shared options ---------------------------------------------------------------------------
DateOpt = Annotated[Optional[str], typer.Option("--date", help="Day to process, YYYY-MM-DD (UTC). Default: today.")]
ConfigOpt = Annotated[Optional[Path], typer.Option("--config", help="Config file (default ./aidigest.toml if present).")]
DbOpt = Annotated[Optional[Path], typer.Option("--db", help="SQLite store path (default from config: aidigest.sqlite3).")]
ReplayOpt = Annotated[Optional[Path], typer.Option("--replay", help="Serve responses from a recording directory; no network.")]
RecordOpt = Annotated[Optional[Path], typer.Option("--record", help="Save every response into a recording directory.")]
LlmOpt = Annotated[
    Optional[str],
    typer.Option("--llm", help="none | openai:<model> | together:<model> | ollama:<model> | anthropic:<model> (env AIDIGEST_LLM)."),
]


def _parse_day(value: str | None) -> dt.date:
    if not value:
        return dt.datetime.now(dt.timezone.utc).date()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UserError(f"--date {value!r} is not a date in the form YYYY-MM-DD") from None


def _config(path: Path | None, db: Path | None = None, llm: str | None = None, **llm_overrides) -> Config:
    cfg = load_config(path)
    if db is not None:
        cfg.general.db = str(db)
    if llm is not None:
        cfg.llm.provider = llm
    for key, value in llm_overrides.items():
        if value is not None:
            setattr(cfg.llm, key, value)
    return cfg


def _check_replay(replay: Path | None, record: Path | None) -> None:
    if replay and record:
        raise UserError("--replay and --record cannot be used together")
    if replay and not (replay / "index.json").exists():
        raise UserError(f"--replay {replay}: no recording there (expected {replay / 'index.json'})")


def _run(fn, *args, **kwargs):
    """Run a command body; user mistakes become one-line errors, never tracebacks."""
    from .llm.base import LLMFatal

    try:
        return fn(*args, **kwargs)
    except (UserError, ConfigError, LLMFatal) as e:
        err.print(f"[bold red]error:[/] {e}", highlight=False)
        raise typer.Exit(2) from None
    except RunFailed as e:
        err.print(f"[bold red]error:[/] {e}", highlight=False)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        err.print("[bold red]interrupted[/]")
        raise typer.Exit(130) from None


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
        t.add_row(o.source, f"[{style}]{o.status}[/]", str(o.items), f"{o.duration_s:.1f}s", detail, style=None)
    out.print(t)


def _warn_failures(outcomes) -> None:
    for o in outcomes:
        if o.status in ("failed", "no_recording"):
            err.print(f"[yellow]warning:[/] source {o.source} {o.status.replace('_', ' ')}: {o.error}", highlight=False)


# ---- commands ---------------------------------------------------------------------------------
@app.callback(invoke_without_command=True)
def main(
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    if version:
        out.print(f"aidigest {__version__}")
        raise typer.Exit(0)


@app.command()
def init(
    path: Annotated[Path, typer.Option("--path", help="Where to write the config.")] = Path(DEFAULT_CONFIG_NAME),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented default aidigest.toml (the config reference)."""

    def body():
        if path.exists() and not force:
            raise UserError(f"{path} already exists (use --force to overwrite)")
        from .render.atomic import write_text_atomic

        write_text_atomic(path, default_config_text())
        out.print(f"wrote {path}")

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

        day = _parse_day(date)
        _check_replay(replay, record)
        cfg = _config(config, db)

        async def go():
            with Store(cfg.general.db) as store:
                async with _http(cfg, store, replay, record) as http:
                    return await collect_day(day, cfg, store, http)

        res = asyncio.run(go())
        _print_outcomes(res.outcomes)
        _warn_failures(res.outcomes)
        real = [o for o in res.outcomes if o.source != "snippets"]
        out.print(
            f"{day}: {len(res.items)} items ({res.new_items} new, {res.merged} merged duplicates) in {cfg.general.db}"
        )
        if real and all(o.status in ("failed", "no_recording") for o in real):
            raise RunFailed("every source failed: " + "; ".join(f"{o.source}: {o.error}" for o in real))

    _run(body)


@app.command()
def run(
    date: DateOpt = None,
    replay: ReplayOpt = None,
    record: RecordOpt = None,
    db: DbOpt = None,
    out_dir: Annotated[Optional[Path], typer.Option("--out", help="Reports directory (default from config: reports).")] = None,
    lang: Annotated[Optional[str], typer.Option("--lang", help="Report language, e.g. ko (default) or en.")] = None,
    llm: LlmOpt = None,
    budget_usd: Annotated[Optional[float], typer.Option("--budget-usd", help="Stop new LLM calls at this estimated cost.")] = None,
    max_tokens: Annotated[Optional[int], typer.Option("--max-tokens", help="Stop new LLM calls after this many tokens.")] = None,
    config: ConfigOpt = None,
) -> None:
    """Collect + categorize + summarize + write the day's News and Papers reports (any past date works)."""

    def body():
        from .pipeline import NothingCollected, run_day
        from .store import Store

        day = _parse_day(date)
        _check_replay(replay, record)
        cfg = _config(config, db, llm, budget_usd=budget_usd, max_tokens=max_tokens)
        language = lang or cfg.general.language
        from .summarize.i18n import LANGUAGE_NAMES_EN

        if language not in LANGUAGE_NAMES_EN:
            raise UserError(f"--lang {language!r} is not a known language code ({', '.join(sorted(LANGUAGE_NAMES_EN))})")
        target = Path(out_dir or cfg.general.out)

        async def go():
            with Store(cfg.general.db) as store:
                async with _http(cfg, store, replay, record) as http:
                    return await run_day(day, cfg, store, http, target, language)

        try:
            summary = asyncio.run(go())
        except NothingCollected as e:
            raise RunFailed(f"every source failed or was empty, no report written: {e}") from None
        _print_outcomes(summary.health.outcomes)
        _warn_failures(summary.health.outcomes)
        h = summary.health
        for what, n in sorted(h.fallbacks.items()):
            err.print(f"[yellow]fallback:[/] {what} ×{n}", highlight=False)
        out.print(
            f"LLM: {h.llm.provider} — {h.llm.calls} calls, {h.llm.cached} cached, "
            f"{h.llm.tokens_in + h.llm.tokens_out} tokens, ${h.llm.cost_usd:.4f}"
        )
        for note in h.notes:  # e.g. the offline classifier fell back to zero-shot for some categories
            if note.startswith("offline classifier:"):
                err.print(f"[yellow]note:[/] {note}", highlight=False)
        from .summarize.header import cli_report_line

        for kind, paths in summary.reports.items():
            out.print(cli_report_line(kind, summary.items_by_kind.get(kind, 0), summary.shown_by_kind.get(kind), paths))
        real = [o for o in h.outcomes if o.source != "snippets"]
        if real and all(o.status in ("failed", "no_recording") for o in real):
            raise RunFailed("every source failed: " + "; ".join(f"{o.source}: {o.error}" for o in real))

    _run(body)


@app.command()
def sources(db: DbOpt = None, config: ConfigOpt = None) -> None:
    """List the configured sources and their last outcome."""

    def body():
        from .sources import build_sources
        from .store import Store

        cfg = _config(config, db)
        last = {}
        if Path(cfg.general.db).exists():
            with Store(cfg.general.db) as store:
                last = store.last_outcomes()
        t = Table(title="Configured sources")
        for col in ("source", "kind", "last day", "last status", "items", "error"):
            t.add_column(col)
        for s in build_sources(cfg):
            day, o = last.get(s.name, ("—", None))
            t.add_row(s.name, s.kind, day, o.status if o else "never run", str(o.items) if o else "", (o.error or "") if o else "")
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
            bad = classify_jsonl(sys.stdin, sys.stdout, taxonomy, llm=llm_obj, config=cfg)
        finally:
            if llm_obj is not None:
                asyncio.run(llm_obj.aclose())
            if store is not None:
                store.close()
        if bad:
            err.print(f"[yellow]warning:[/] {bad} input line(s) skipped (see messages above)")
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
        Optional[Path],
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
    older_than_days: Annotated[Optional[int], typer.Option("--older-than-days", help="Only entries older than this.")] = None,
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


if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    app()
