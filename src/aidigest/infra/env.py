"""The process environment, read in one place: every variable aidigest reads is listed in README.md
("Environment variables"). It imports nothing of aidigest, so a module that needs one variable (the store's
path, a key) does not load the config and, through it, the sources."""

from __future__ import annotations

import os
from collections.abc import Mapping


def environ() -> dict[str, str]:
    """A snapshot of the process environment, read now (aidigest reads the environment only in this module)."""
    return dict(os.environ)


def env_value(name: str, env: Mapping[str, str] | None = None) -> str:
    """One environment variable (of `env`, default: the process environment), stripped; "" when unset."""
    return ((os.environ if env is None else env).get(name) or "").strip()
