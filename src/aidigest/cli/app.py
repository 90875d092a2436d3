"""The typer applications, the options commands share, and what every command does first: load the config with
its flags applied, read a day, check a recording."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Annotated, TYPE_CHECKING

import typer

from .. import __version__
from ..errors import UserError
from ..infra.days import DayError, parse_day
from ..infra.pgstore import is_url
from ..infra import progress
from ..llm.providers import PROVIDERS  # noqa: F401 - registers the providers the --llm help names
from ..llm.registry import choices as llm_choices
from .guard import replay_index_problem
from .help import plain_flags
from .output import Session, shown_db

if TYPE_CHECKING:
    from ..config import Config

plain_flags()  # `--notify`, not `--notify <bool>`, in the help (aidigest.cli.help)
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
store_app = typer.Typer(help="The store: a SQLite file or a PostgreSQL database.", no_args_is_help=True)
app.add_typer(cache_app, name="cache")
app.add_typer(eval_app, name="eval")
app.add_typer(profile_app, name="profile")
app.add_typer(store_app, name="store")

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
LangOpt = Annotated[str | None, typer.Option("--lang", help="Report language, e.g. ko (default) or en.")]


@app.callback(invoke_without_command=True)
def main(
    ctx: typer.Context,
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
    verbose: Annotated[int, typer.Option("-v", "--verbose", count=True, help="More on stderr: -v paths, progress and the final line; -vv debug.")] = 0,
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="Errors only: no warnings, progress or summary (a command's own output stays: classify lines, sources, cache stats, where).")] = False,
) -> None:
    session = ctx.obj = Session(quiet=quiet)
    progress.setup(-1 if quiet else verbose, console=session.err)
    if version:
        session.out.print(f"aidigest {__version__}")
        raise typer.Exit(0)


def parse_day_flag(value: str | None, cfg: Config) -> dt.date:
    try:
        return parse_day(value, cfg.general.timezone)
    except DayError as e:
        raise UserError(f"--date: {e}") from None


def _llm_flags(cfg: Config, llm: str | None, overrides: dict) -> dict:
    """The [llm] settings given as flags, each validated like the file's value and named by its flag."""
    from pydantic import ValidationError  # lazy: heavy (pydantic): not for --help
    flags = {"provider": llm} if llm is not None else {}
    for key, value in overrides.items():
        if value is not None:
            try:
                cfg.updated(llm={key: value})
            except ValidationError as e:
                raise UserError(f"--{key.replace('_', '-')} {value}: {e.errors()[0]['msg']}") from None
            flags[key] = value
    return flags


def load(session: Session, path: Path | None, db: str | None = None, llm: str | None = None,
         out_dir: Path | None = None, **llm_overrides) -> Config:
    """The loaded config with the command's flags applied (a new, validated Config: a loaded one is frozen); the
    session names its store from now on."""
    from ..config import load_config  # lazy: heavy (pydantic): not for --help
    from ..llm.factory import check_provider  # lazy: heavy (pydantic): not for --help
    cfg = load_config(path)
    general = {key: str(value) for key, value in (("db", db), ("out", out_dir)) if value is not None}
    if db is not None and not is_url(db):  # a path, as Path(...) would give it (a URL stays as written)
        general["db"] = str(Path(db))
    llm_flags = _llm_flags(cfg, llm, llm_overrides)
    if general or llm_flags:
        cfg = cfg.updated(general=general, llm=llm_flags)
    logging.getLogger("aidigest.cli").info(
        "config: %s; store: %s; output: %s", cfg.source_file or "none (defaults)", shown_db(cfg.general.db), cfg.general.out
    )
    check_provider(cfg)
    session.db = cfg.general.db
    return cfg


def check_replay(replay: Path | None, record: Path | None) -> None:
    if replay and record:
        raise UserError("--replay and --record cannot be used together")
    if replay and not (replay / "index.json").exists():
        raise UserError(f"--replay {replay}: no recording there (expected {replay / 'index.json'})")
    if replay and (problem := replay_index_problem(replay)):
        raise UserError(f"--replay {replay}: {problem}")
