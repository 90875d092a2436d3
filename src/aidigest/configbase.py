"""The base of every config model, shared by config.py and the modules that declare their own section
(each source module declares its `[sources.<name>]` model next to its code; see aidigest.sources).

It imports nothing of aidigest, so a source module can declare its settings without importing config.py
(which is built from the source registry).
"""

from __future__ import annotations

from .errors import UserError

from pydantic import BaseModel, ConfigDict


class ConfigError(UserError, exit_code=2):
    """A user mistake in the config file or environment: printed as one line, never a traceback."""


class Strict(BaseModel):
    # unknown keys, wrong types (strict: "8" is not a number, 1 is not a boolean) and out-of-range values are
    # errors at load time; a loaded config is frozen: a changed setting is a new Config (Config.updated)
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
