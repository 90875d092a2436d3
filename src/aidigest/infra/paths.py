"""Where aidigest keeps its state: the config file, the SQLite store and the reports.

A scheduled run starts in some directory nobody chose (cron: $HOME, systemd: /, Actions: the checkout), so
the defaults are fixed per user, not per working directory (platformdirs, i.e. XDG on Linux):

    config  ~/.config/aidigest/aidigest.toml          (read only if it exists)
    store   ~/.local/share/aidigest/aidigest.sqlite3
    output  ~/.local/share/aidigest/reports/

`AIDIGEST_HOME=DIR` puts all three under DIR (DIR/aidigest.toml, DIR/aidigest.sqlite3, DIR/reports).
Which config file is read, first match wins: `--config FILE`, `$AIDIGEST_CONFIG`, `./aidigest.toml` in the
working directory (as before), then the one above. Store and output, first match wins: the flags `--db`/`--out`,
`$AIDIGEST_DB`/`$AIDIGEST_OUT`, `[general] db`/`out` in the config file (a relative path there is relative to
the file's directory), then the defaults above. `aidigest where` prints the result.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import platformdirs


APP = "aidigest"
CONFIG_NAME = "aidigest.toml"
STORE_NAME = "aidigest.sqlite3"
REPORTS_NAME = "reports"


@dataclass(frozen=True)
class Dirs:
    config_dir: Path  # where the user-level config file is looked for
    data_dir: Path  # default home of the store and the reports
    origin: str  # "AIDIGEST_HOME" | "platformdirs"

    @property
    def config_file(self) -> Path:
        return self.config_dir / CONFIG_NAME

    @property
    def store(self) -> Path:
        return self.data_dir / STORE_NAME

    @property
    def reports(self) -> Path:
        return self.data_dir / REPORTS_NAME


def dirs(env: Mapping[str, str]) -> Dirs:
    """`env`: the environment as aidigest.config read it (config.environ()): this module reads none itself."""
    home = env.get("AIDIGEST_HOME", "")
    if home:
        p = Path(home).expanduser().absolute()
        return Dirs(config_dir=p, data_dir=p, origin="AIDIGEST_HOME")
    return Dirs(
        config_dir=Path(platformdirs.user_config_dir(APP, appauthor=False)),
        data_dir=Path(platformdirs.user_data_dir(APP, appauthor=False)),
        origin="platformdirs",
    )


def find_config(path: str | Path | None, env: Mapping[str, str], cwd: Path | None = None) -> tuple[Path | None, bool]:
    """(the config file to read or None, whether it was named explicitly). An explicit file must exist
    (the caller says so); an implicit one is used only when it exists."""
    if path is not None:
        return Path(path), True
    if env.get("AIDIGEST_CONFIG"):
        return Path(env["AIDIGEST_CONFIG"]), True
    local = (cwd or Path.cwd()) / CONFIG_NAME
    if local.exists():
        return Path(CONFIG_NAME) if cwd is None else local, False
    user = dirs(env).config_file
    if user.exists():
        return user, False
    return None, False


def resolve(value: str, config_file: Path | None, default: Path) -> Path:
    """A path from the config file: empty -> `default`; relative -> relative to the config file's directory."""
    if not value:
        return default
    p = Path(value).expanduser()
    if p.is_absolute() or config_file is None:
        return p
    return config_file.parent / p
