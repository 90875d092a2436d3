"""Where state lives (aidigest.infra.paths): platformdirs/XDG defaults, AIDIGEST_HOME, the config file order, and
`aidigest where` / `-v` printing what was used. Also the day a run picks and a backfill with a failed day,
through the real CLI on the demo recording."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from aidigest.config import load_config
from aidigest.infra.days import last_complete_day

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "demo" / "replay" / "2026-08-02"


def cli(*args: str, cwd: Path, env: dict | None = None, timeout: int = 300):
    e = {k: v for k, v in os.environ.items() if not k.startswith(("AIDIGEST_", "XDG_", "OPENAI_", "ANTHROPIC_"))}
    e["HOME"] = str(cwd / "home")  # never the real home
    e["COLUMNS"] = "200"
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "aidigest.cli", *args], cwd=cwd, env=e, capture_output=True, text=True, timeout=timeout)


def where(r) -> dict[str, str]:
    out = {}
    for line in r.stdout.splitlines():
        k, _, v = line.partition(":")
        out[k.strip()] = v.strip()
    return out


def test_defaults_follow_xdg_not_the_working_directory(tmp_path):
    env = {"XDG_CONFIG_HOME": str(tmp_path / "cfg"), "XDG_DATA_HOME": str(tmp_path / "data")}
    r = cli("where", cwd=tmp_path, env=env)
    assert r.returncode == 0, r.stderr
    w = where(r)
    assert w["store"] == str(tmp_path / "data" / "aidigest" / "aidigest.sqlite3")
    assert w["output"] == str(tmp_path / "data" / "aidigest" / "reports")
    assert w["config file"].startswith("none") and str(tmp_path / "cfg" / "aidigest" / "aidigest.toml") in w["config file"]
    # the same from another directory: a cron job started elsewhere finds the same store
    (tmp_path / "elsewhere").mkdir()
    assert where(cli("where", cwd=tmp_path / "elsewhere", env=env))["store"] == w["store"]


def test_aidigest_home_holds_everything_and_its_config_is_read(tmp_path):
    home = tmp_path / "state"
    home.mkdir()
    (home / "aidigest.toml").write_text('[general]\ntimezone = "Pacific/Kiritimati"\n')
    r = cli("where", cwd=tmp_path, env={"AIDIGEST_HOME": str(home)})
    w = where(r)
    assert w["config file"] == str(home / "aidigest.toml")
    assert w["store"] == str(home / "aidigest.sqlite3") and w["output"] == str(home / "reports")
    assert w["timezone"] == "Pacific/Kiritimati"
    assert w["default day"] == str(last_complete_day("Pacific/Kiritimati"))


def test_cwd_config_is_still_honoured_and_relative_paths_are_its_own(tmp_path):
    (tmp_path / "aidigest.toml").write_text('[general]\ndb = "aidigest.sqlite3"\nout = "reports"\n')
    home = tmp_path / "state"
    home.mkdir()
    (home / "aidigest.toml").write_text('[general]\ndb = "/nowhere.db"\n')
    w = where(cli("where", cwd=tmp_path, env={"AIDIGEST_HOME": str(home)}))
    assert w["config file"] == "aidigest.toml"  # ./aidigest.toml wins over the user config, as before
    assert w["store"] == "aidigest.sqlite3" and w["output"] == "reports"
    # an explicit config elsewhere: its relative paths are relative to the file, not to the working directory
    other = tmp_path / "site"
    other.mkdir()
    (other / "conf.toml").write_text('[general]\ndb = "state/s.db"\n')
    cfg = load_config(other / "conf.toml", env={})
    assert Path(cfg.general.db) == other / "state" / "s.db"
    # environment and flags still win
    cfg = load_config(other / "conf.toml", env={"AIDIGEST_DB": "x.db", "AIDIGEST_OUT": "o"})
    assert cfg.general.db == "x.db" and cfg.general.out == "o"
    w = where(cli("where", "--db", str(tmp_path / "flag.db"), cwd=tmp_path))
    assert w["store"] == str(tmp_path / "flag.db")


def test_every_command_names_store_and_output_on_v(tmp_path):
    env = {"AIDIGEST_HOME": str(tmp_path / "state")}
    for args in (["sources"], ["cache", "stats"]):
        r = cli("-v", *args, cwd=tmp_path, env=env)
        assert r.returncode == 0, r.stderr
        assert f"store: {tmp_path / 'state' / 'aidigest.sqlite3'}" in r.stderr
        assert f"output: {tmp_path / 'state' / 'reports'}" in r.stderr
    r = cli("sources", cwd=tmp_path, env=env)
    assert "store:" not in r.stderr  # only with -v
    r = cli("-q", "sources", cwd=tmp_path, env=env)
    assert r.returncode == 0 and r.stderr == ""


def test_bad_timezone_is_one_line(tmp_path):
    r = cli("where", cwd=tmp_path, env={"AIDIGEST_TIMEZONE": "Mars/Olympus"})
    assert r.returncode == 2 and "unknown time zone" in r.stderr and "Traceback" not in r.stderr
    r = cli("run", "--date", "tomorrow", cwd=tmp_path, env={"AIDIGEST_HOME": str(tmp_path / "s")})
    assert r.returncode == 2 and "not a date" in r.stderr and "Traceback" not in r.stderr


def test_run_without_date_takes_the_last_complete_day(tmp_path):
    # the recording has only 2026-08-02, so the picked day is named in the (failed) run's message
    env = {"AIDIGEST_HOME": str(tmp_path / "s"), "AIDIGEST_TIMEZONE": "Pacific/Pago_Pago"}
    r = cli("run", "--replay", str(DEMO), "--llm", "none", cwd=tmp_path, env=env)
    day = last_complete_day("Pacific/Pago_Pago")
    assert r.returncode == 1 and f"no items for {day}" in r.stderr, r.stderr


def test_backfill_names_the_failed_day_and_does_the_others(tmp_path):
    env = {"AIDIGEST_HOME": str(tmp_path / "s")}
    r = cli("-v", "run", "--from", "2026-08-01", "--to", "2026-08-02", "--replay", str(DEMO), "--llm", "none",
            cwd=tmp_path, env=env)
    assert r.returncode == 1, r.stderr
    assert "1 of 2 day(s) failed: 2026-08-01" in r.stderr
    reports = tmp_path / "s" / "reports"
    assert (reports / "2026-08-02" / "News_2026-08-02_report.md").exists()
    assert not (reports / "2026-08-01").exists()
    assert "run 2026-08-02 done" in r.stderr
    r = cli("run", "--date", "2026-08-02", "--from", "2026-08-01", cwd=tmp_path, env=env)
    assert r.returncode == 2 and "cannot be combined" in r.stderr
