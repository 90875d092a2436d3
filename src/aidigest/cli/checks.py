"""Flag checks `run` and `week` share, made before any work: one line naming the flag (exit 2)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pathlib import Path

from ..errors import UserError
from .guard import out_dir_problem

if TYPE_CHECKING:
    from ..config import Config


def check_out(target: Path) -> None:
    """Reports can be written in `target` (--out), checked before the run, not after it."""
    if problem := out_dir_problem(target):
        raise UserError(f"--out {target} {problem}" if problem.startswith("is") else f"--out {target}: {problem}")


def check_notify_targets(cfg: Config) -> None:
    """--notify has somewhere to send to."""
    from ..deliver import configured_targets  # lazy: heavy (the delivery package: numpy, jinja2)

    if not configured_targets(cfg) and not any(p.targets for p in cfg.profiles.values()):
        raise UserError("--notify: no delivery targets; set notify.targets in the config or AIDIGEST_NOTIFY (apprise URLs)")


def check_profiles(cfg: Config) -> None:
    """A profile's unreadable library file or bad arXiv id: one line, before anything is fetched."""
    from ..taxonomy import load_taxonomy  # lazy: heavy (pydantic): not for --help
    if not cfg.profiles:
        return
    from ..profiles.personalize import check_profiles as check  # lazy: heavy (numpy, the ranking)

    check(cfg.profiles, load_taxonomy(cfg.digest.taxonomy or None).ids)


def known_language(language: str, suggest: bool = True) -> None:
    """--lang names a language the reports can be written in (with `suggest`: the nearest code as a hint)."""
    from ..summarize.i18n import LANGUAGE_NAMES_EN, suggest_language  # lazy: heavy (the summarize package)

    if language in LANGUAGE_NAMES_EN:
        return
    if not suggest:
        raise UserError(f"--lang {language!r} is not a known language code ({', '.join(sorted(LANGUAGE_NAMES_EN))})")
    guess = suggest_language(language)
    hint = f"did you mean {guess}? " if guess else ""
    raise UserError(f"--lang {language!r} is not a known language code ({hint}known: "
                    f"{', '.join(sorted(LANGUAGE_NAMES_EN))})")
