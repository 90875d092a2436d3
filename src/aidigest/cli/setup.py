"""`aidigest init`: the commented config reference, or the GitHub Actions workflow."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from ..infra.paths import CONFIG_NAME as DEFAULT_CONFIG_NAME
from ..errors import UserError
from ..infra.atomic import write_text_atomic
from .app import ConfigOpt, app, load
from .errors import command
from .output import Session


@command(app)
def init(
    ctx: typer.Context,
    path: Annotated[Path, typer.Option("--path", help="Where to write the config.")] = Path(DEFAULT_CONFIG_NAME),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    github_actions: Annotated[
        bool, typer.Option("--github-actions", help="Instead: write .github/workflows/aidigest.yml (daily run, Pages, notify).")
    ] = False,
    package: Annotated[str | None, typer.Option("--package", help="With --github-actions: what the workflow pip-installs: a git URL pinned to a tag or commit (git+https://github.com/OWNER/aidigest@v0.1.0) or a local path. Default: the source of this aidigest at its exact commit (the git URL it was installed from, or its checkout's origin at HEAD).")] = None,
    config: ConfigOpt = None,
) -> None:
    """Write a commented default aidigest.toml (the config reference), or with --github-actions the workflow."""
    from ..config import default_config_text  # lazy: heavy (pydantic): not for --help
    session = Session.of(ctx)
    if github_actions:
        _write_workflow(session, config, force, package)
        return
    if path.exists() and not force:
        raise UserError(f"{path} already exists (use --force to overwrite)")
    try:
        write_text_atomic(path, default_config_text())
    except OSError as e:
        raise UserError(f"--path {path}: cannot write the config there ({e.strerror or e}: {e.filename or path})") from None
    session.out.print(Text(f"wrote {path}"), highlight=False)


def _write_workflow(session: Session, config: Path | None, force: bool, package: str | None) -> None:
    from ..schedule import InstallSpecError, WORKFLOW_PATH, check_install_spec, default_install_spec, github_workflow, utc_cron  # lazy: heavy (importlib.metadata, subprocess): not for --help
    cfg = load(session, config)
    target = Path(WORKFLOW_PATH)
    if target.exists() and not force:
        raise UserError(f"{target} already exists (use --force to overwrite)")
    try:
        spec = check_install_spec(package) if package is not None else default_install_spec()
    except InstallSpecError as e:
        raise UserError(f"--package: {e}") from None
    write_text_atomic(target, github_workflow(cfg.schedule.time, cfg.general.timezone, spec, weekly=cfg.schedule.weekly))
    cron, note = utc_cron(cfg.schedule.time, cfg.general.timezone)
    session.out.print(f"wrote {target}: daily cron \"{cron}\" = {note}; installs {spec}", highlight=False,
                                markup=False, soft_wrap=True)
