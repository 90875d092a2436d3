"""Deliveries as `run --notify`, `week --notify` and `notify` print them: one line per (report, target), the
failed ones returned as 'day kind target' for the run's outcome (exit 4)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import datetime as dt
from pathlib import Path

from ..errors import UserError
from .output import Session

if TYPE_CHECKING:
    from ..config import Config


def _readers(cfg: Config) -> tuple[bool, list[str]]:
    """(the main digest has targets, the profiles that have their own), refusing a config with none."""
    from ..deliver import configured_targets  # lazy: heavy (the delivery package: numpy, jinja2)

    main = bool(configured_targets(cfg))
    readers = [name for name, p in cfg.profiles.items() if p.targets]
    if not main and not readers:
        raise UserError("no delivery targets: set notify.targets in the config or AIDIGEST_NOTIFY (apprise URLs)")
    return main, readers


def _print(session: Session, when: str, results: list) -> list[str]:
    failed = []
    for who, res in results:
        for d in res.deliveries:
            style = {"sent": "green", "skipped": "dim"}.get(d.status, "red")
            what = {"sent": f"sent ({d.parts} message(s))", "skipped": "already sent"}.get(d.status, f"FAILED: {d.error}")
            session.info(f"delivery {when or d.day} {who}{d.kind} → {d.target}: {what}", highlight=False, markup=False,
                         style=style)
        failed += [f"{when or d.day} {who}{d.kind} {d.target}" for d in res.failed]
    return failed


def send_day(session: Session, cfg: Config, day: dt.date, out_dir: Path) -> list[str]:
    """Send the day's reports (the main digest to notify.targets, each profile's to its own targets)."""
    from ..infra.store import Store  # lazy: heavy (pydantic): not for --help
    from ..deliver import notify_day, report_files  # lazy: heavy (the delivery package: numpy, jinja2)
    from ..deliver.notify import pending_retries  # lazy: heavy (the delivery package: numpy, jinja2)
    from ..profiles.personalize import profile_out_dir  # lazy: heavy (numpy, the ranking)

    main, readers = _readers(cfg)
    results = []
    with Store(cfg.general.db) as store:
        if main:
            if not report_files(out_dir, day):
                if not pending_retries(store, day):
                    raise UserError(f"no report for {day} in {out_dir} (run `aidigest run --date {day}` first)")
                session.warning(f"no report for {day} in {out_dir}; retrying earlier failed deliveries only")
            results.append(("", notify_day(day, out_dir, cfg, store)))
        for name in readers:
            folder = profile_out_dir(out_dir, name)
            if not report_files(folder, day):
                session.warning(f"profile {name}: no report for {day} in {folder}; retrying earlier failed deliveries only")
            results.append((f"{name}:", notify_day(day, folder, cfg, store, profile=name)))
    return _print(session, "", results)


def send_week(session: Session, cfg: Config, week: str, out_dir: Path) -> list[str]:
    """Send the week's roundups (the shared one to notify.targets, each profile's to its own targets)."""
    from ..infra.store import Store  # lazy: heavy (pydantic): not for --help
    from ..deliver.notify import notify_week, week_report_files  # lazy: heavy (the delivery package: numpy, jinja2)
    from ..profiles.personalize import profile_out_dir  # lazy: heavy (numpy, the ranking)

    main, readers = _readers(cfg)
    if not week_report_files(out_dir, week):
        raise UserError(f"no weekly report for {week} in {out_dir} (run `aidigest week --week {week}` first)")
    results = []
    with Store(cfg.general.db) as store:
        if main:
            results.append(("", notify_week(week, out_dir, cfg, store)))
        for name in readers:
            folder = profile_out_dir(out_dir, name)
            if not week_report_files(folder, week):
                session.warning(f"profile {name}: no weekly report for {week} in {folder} (run `aidigest week --week {week}`)")
                continue
            results.append((f"{name}:", notify_week(week, folder, cfg, store, profile=name)))
    return _print(session, week, results)
