"""`aidigest where`, `site`, `sources`, `classify` and `train`."""

from __future__ import annotations

import asyncio
import sys
from dataclasses import replace
from pathlib import Path
from typing import Annotated, TYPE_CHECKING

import typer
from rich.table import Table
from rich.text import Text

from ..infra.env import environ
from ..errors import UserError
from ..infra import paths
from ..infra.days import last_complete_day
from ..infra.pgstore import is_url
from .app import ConfigOpt, DbOpt, LlmOpt, app, load
from .errors import command
from .output import Session, shown_db

if TYPE_CHECKING:
    from ..config import Config


@command(app)
def where(ctx: typer.Context, config: ConfigOpt = None, db: DbOpt = None) -> None:
    """Print where aidigest reads its config and keeps its store and reports, and which day a run would take."""
    session = Session.of(ctx)
    cfg = load(session, config, db)
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
        session.out.print(f"{k + ':':<17} {v}", highlight=False, markup=False, soft_wrap=True)


@command(app)
def site(
    ctx: typer.Context,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Site folder (default from config: site).")] = None,
    reports: Annotated[Path | None, typer.Option("--reports", help="Reports folder to publish (default from config: reports).")] = None,
    base_url: Annotated[str | None, typer.Option("--base-url", help="Public URL of the site, for absolute links in the feeds.")] = None,
    db: DbOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Build or update the static web archive (pages, trends, search, Atom feeds) from the reports; incremental."""
    from ..taxonomy import load_taxonomy  # lazy: heavy (pydantic): not for --help
    from ..render.site import SiteError, SiteOptions, build_site  # lazy: heavy (jinja2, the charts)

    session = Session.of(ctx)
    cfg = load(session, config, db)
    opts = SiteOptions(
        reports=Path(reports or cfg.general.out), out=Path(out_dir or cfg.site.out), db=cfg.general.db if is_url(cfg.general.db) else Path(cfg.general.db),
        base_url=cfg.site.base_url if base_url is None else base_url, templates=Path(cfg.site.templates) if cfg.site.templates else None,
        language=cfg.general.language, title=cfg.site.title, feed_days=cfg.site.feed_days,
        taxonomy=load_taxonomy(cfg.digest.taxonomy or None),
    )
    for label, o in _site_builds(session, cfg, opts):
        try:
            res = build_site(o)
        except SiteError as e:
            raise UserError(f"{label}: {e}" if label != "site" else str(e)) from None
        for line in res.skipped:
            session.warning(f"skipped {line}")
        session.info(
            f"{label}: {res.days} days, {len(res.written)} files written, {len(res.removed)} removed, "
            f"{res.unchanged} unchanged in {res.seconds:.1f}s → {res.index}", highlight=False, markup=False,
        )


def _site_builds(session: Session, cfg: Config, opts) -> list:
    """(label, options) of each site to build: the main one first (a profile's folder inside it is kept as it is),
    then each reader profile's, in its own folder, linked from the home page."""
    from ..profiles.reader import site_path  # lazy: heavy (pydantic): not for --help
    from ..profiles.personalize import profile_out_dir  # lazy: heavy (numpy, the ranking)
    from ..render.templating import site_strings  # lazy: heavy (jinja2)

    readers = []
    for name, prof in cfg.profiles.items():
        if profile_out_dir(opts.reports, name).is_dir():
            readers.append((name, site_path(name, prof)))
        else:  # never run yet: no page to link
            session.warning(f"profile {name}: no reports yet in {profile_out_dir(opts.reports, name)} (its first `aidigest run`"
                            " writes them); its site is not built")
    builds = [("site", replace(opts, profiles=[(n, f"{p}/index.html") for n, p in readers]))]
    for name, path in readers:
        language = cfg.profiles[name].language or opts.language
        builds.append((f"profile {name}", replace(
            opts, reports=profile_out_dir(opts.reports, name), out=opts.out / path, language=language,
            title=f"{opts.title or site_strings(language).site_title} · {name}",
            base_url=(opts.base_url.rstrip("/") + "/" + path + "/") if opts.base_url else "")))
    return builds


@command(app)
def sources(ctx: typer.Context, db: DbOpt = None, config: ConfigOpt = None) -> None:
    """List the configured sources and their last outcome."""
    from ..infra.store import Store  # lazy: heavy (pydantic): not for --help
    session = Session.of(ctx)
    cfg = load(session, config, db)
    last = {}
    if is_url(cfg.general.db) or Path(cfg.general.db).exists():
        with Store(cfg.general.db, read_only=True) as store:  # only reads: a read-only store can be inspected
            last = store.last_outcomes()
    t = Table(title="Configured sources")
    for col in ("source", "kind", "last day", "last status", "items", "error"):
        t.add_column(col)
    from ..sources.builtin import SOURCES, build_sources  # lazy: heavy (httpx, feedparser): not for --help

    built = build_sources(cfg)
    for s in built:
        day, o = last.get(s.name, ("—", None))
        t.add_row(Text(s.name), s.kind, day, o.status if o else "never run", str(o.items) if o else "",
                  Text((o.error or "") if o else ""))
    on = {s.name for s in built}
    for spec in SOURCES.values():  # the registered sources this config leaves off, and why when known
        if spec.role == "source" and spec.default is None and spec.name not in on:
            t.add_row(Text(spec.name), "", "—", Text(spec.off_note or "off"), "", Text(""))
    session.out.print(t)


@command(app)
def classify(ctx: typer.Context, llm: LlmOpt = None, config: ConfigOpt = None, db: DbOpt = None) -> None:
    """Read JSON lines {"title": ..., "snippet": ...} on stdin; write each back with "category" on stdout."""
    from ..infra.store import Store  # lazy: heavy (pydantic): not for --help
    from ..llm.factory import make_llm  # lazy: heavy (pydantic): not for --help
    from ..records import LLMTotals  # lazy: heavy (pydantic): not for --help
    from ..taxonomy import load_taxonomy  # lazy: heavy (pydantic): not for --help
    from ..classify.jsonl import classify_jsonl  # lazy: heavy (numpy, the offline classifier)

    session = Session.of(ctx)
    cfg = load(session, config, db, llm)
    taxonomy = load_taxonomy(cfg.digest.taxonomy or None)
    llm_obj = None
    store = None
    if cfg.llm.provider != "none":
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
        session.error(f"{bad} input line(s) skipped (see messages above)")  # exit 1: shown with -q too
        raise typer.Exit(1)


@command(app)
def train(
    ctx: typer.Context,
    labels: Annotated[Path, typer.Argument(help='JSON lines {"title": ..., "text": ..., "category": <id>}.')],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the classifier to (weights.npz + meta.json).")],
    config: ConfigOpt = None,
) -> None:
    """Fit the offline classifier's head on your labelled examples (numpy, seconds); use it with \\[digest] classifier."""
    from ..taxonomy import load_taxonomy  # lazy: heavy (pydantic): not for --help
    from ..classify.train import train_head  # lazy: heavy (numpy)

    session = Session.of(ctx)
    cfg = load(session, config)
    taxonomy = load_taxonomy(cfg.digest.taxonomy or None)
    if not labels.is_file():
        raise UserError(f"{labels}: no such file")
    with labels.open(encoding="utf-8", errors="replace") as fh:
        try:
            rep = train_head(fh, taxonomy.ids, out_dir)
        except ValueError as e:
            raise UserError(f"{labels}: {e}") from None
    out, err = session.out, session.err
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
