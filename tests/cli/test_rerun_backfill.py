"""A day is never lost or emptied: rerunning day D after a backfill of D-1, a rerun that would show fewer items
than the published report, and the temp file of a killed write. Real CLI runs on the demo's real recording and
the same real bodies served for D-1 (what a feed that is not date-addressable answers on a backfill).

Before: rerunning D after the backfill of D-1 replaced D's complete report (82 items, 12 sections) with empty
sections: every item D had shown was now "already reported" on D-1."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from clihelp import DAY, DEMO, aidigest, cli_env, no_traceback, recording_for, temp_files  # noqa: E402

BEFORE = "2026-08-01"


def shown(out: Path, day: str, word: str) -> int:
    stats = json.loads((out / day / f"{word}_{day}.json").read_text(encoding="utf-8"))["stats"]
    return stats["full"] + stats["compact"] + stats["returning"] + stats.get("other_tech_listed", 0)


def run(day: str, rec: Path, db: Path, out: Path, cwd: Path, *extra: str):
    r = aidigest("run", "--date", day, "--replay", str(rec), "--db", str(db), "--out", str(out), *extra, cwd=cwd)
    assert no_traceback(r), r.stderr
    return r


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """Day D run and published, then D-1 backfilled on the same store (the state a rerun of D meets)."""
    base = tmp_path_factory.mktemp("published")
    rec = recording_for(dt.date.fromisoformat(BEFORE), base / "rec-before")
    r = run(DAY, DEMO, base / "s.sqlite3", base / "out", base)
    assert r.returncode == 0, r.stderr
    first = {p.name: p.read_bytes() for p in (base / "out" / DAY).iterdir()}
    r = run(BEFORE, rec, base / "s.sqlite3", base / "out", base)
    assert r.returncode == 0, r.stderr
    assert shown(base / "out", BEFORE, "News") > 0  # the backfill showed D's items too (its window is days before it)
    return base, rec, first


def _copy(published, tmp_path: Path) -> tuple[Path, Path]:
    base = published[0]
    shutil.copytree(base / "out", tmp_path / "out")
    shutil.copyfile(base / "s.sqlite3", tmp_path / "s.sqlite3")
    return tmp_path / "s.sqlite3", tmp_path / "out"


def _killed_write(target: Path) -> None:
    """A process killed (SIGKILL) after writing its temp file and before renaming it over `target`."""
    code = (
        "import os, sys, time\n"
        "from pathlib import Path\n"
        "from aidigest.infra import atomic\n"
        "def stuck(src, dst):\n"
        "    print('written', flush=True)\n"
        "    time.sleep(600)\n"
        "atomic.os.replace = stuck\n"
        "atomic.write_text_atomic(Path(sys.argv[1]), 'a half-made report')\n"
    )
    p = subprocess.Popen([sys.executable, "-c", code, str(target)], stdout=subprocess.PIPE, text=True, env=cli_env())
    assert p.stdout.readline().strip() == "written"
    p.send_signal(signal.SIGKILL)
    p.wait(timeout=30)


def test_rerun_after_a_backfill_of_the_day_before_keeps_the_report(published, tmp_path):
    db, out = _copy(published, tmp_path)
    _killed_write(out / DAY / f"News_{DAY}_report.md")
    assert len(temp_files(out)) == 1
    r = run(DAY, DEMO, db, out, tmp_path)
    assert r.returncode == 0, r.stderr
    after = {p.name: p.read_bytes() for p in (out / DAY).iterdir()}
    assert after == published[2]  # byte for byte the report D had before the backfill, charts included
    assert shown(out, DAY, "News") > 12 and shown(out, DAY, "Papers") > 40  # News: 6 AI items + 10 other tech
    assert temp_files(out) == []  # the killed write's temp file was cleaned up by this run


def test_a_rerun_never_silently_replaces_a_report_with_an_emptier_one(published, tmp_path):
    # The out folder holds D's published reports; this store (a new one) has only seen the backfill of D-1, so
    # for it every item of D was reported the day before: this run of D would show (almost) nothing.
    _, out = _copy(published, tmp_path)
    db = tmp_path / "other.sqlite3"
    assert run(BEFORE, published[1], db, out, tmp_path).returncode == 0
    news_before = shown(out, DAY, "News")
    r = run(DAY, DEMO, db, out, tmp_path)
    assert r.returncode == 0, r.stderr
    assert {p.name: p.read_bytes() for p in (out / DAY).iterdir()} == published[2]  # kept, untouched
    warnings = [ln for ln in r.stderr.splitlines() if "kept the published" in ln]
    assert len(warnings) == 2 and "--replace" in warnings[0] and f"({news_before} items)" in r.stderr
    r2 = run(DAY, DEMO, db, out, tmp_path, "--replace")
    assert r2.returncode == 0, r2.stderr
    assert "kept the published" not in r2.stderr
    assert shown(out, DAY, "News") < news_before  # overwritten only when asked to


def test_the_repeat_window_never_counts_a_later_backfill_against_the_day(tmp_path):
    """The store rule behind the CLI tests: an earlier day's row counts against D unless D's own report showed the
    item first; rows of D itself never count; rows from before schema 3 (no time) are older than any timed row."""
    import time

    from aidigest.infra.store import Store

    d = dt.date(2026, 8, 2)
    with Store(tmp_path / "s.sqlite3") as s:
        s.mark_reported(d - dt.timedelta(days=3), [("old", "news", "llm", 5.0)])
        time.sleep(0.01)
        s.mark_reported(d, [("x", "news", "llm", 10.0), ("y", "news", "llm", 3.0)])
        time.sleep(0.01)
        s.mark_reported(d - dt.timedelta(days=1), [("x", "news", "llm", 12.0), ("z", "news", "llm", 1.0)])  # backfill
        assert set(s.reported_before(d, 7)) == {"old", "z"}  # x was D's first; y is D's own row
        assert s.returned_before(d, 7) == frozenset()
        time.sleep(0.01)
        s.mark_reported(d, [("x", "news", "llm", 10.0), ("w", "news", "llm", 2.0)])  # a rerun keeps x's first time
        assert set(s.reported_before(d, 7)) == {"old", "z"}
        assert set(s.reported_before(d + dt.timedelta(days=1), 7)) == {"old", "x", "z", "w"}  # later days: all count
        s.conn.execute("UPDATE reported SET reported_at = NULL WHERE day = ?", (d.isoformat(),))  # rows from before
        s.conn.commit()
        assert set(s.reported_before(d, 7)) == {"old", "z"}
        s.conn.execute("UPDATE reported SET reported_at = NULL")  # nothing known: every earlier row counts
        s.conn.commit()
        assert set(s.reported_before(d, 7)) == {"old", "x", "z"}
