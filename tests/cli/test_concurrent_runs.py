"""Several runs on one store at once (cron overlap, two dates at once, a fresh or an old store): real processes on
one real SQLite file, several trials each. Before: 5 of 12 trials crashed (`UNIQUE constraint failed: items.key`,
`table items already exists`, `duplicate column name`, `database is locked`) and a second date's run was lost."""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from clihelp import DAY, DEMO, aidigest, cli_env, last_line, no_traceback, recording_for, runs, start, wait_for_running  # noqa: E402

# One process of a run's store work, as the pipeline does it: open (migrating), upsert the day's items (half of them
# shared with the other day), start a run, record an outcome, mark what was reported, finish. All processes wait for
# the same instant, so they open, migrate and upsert at the same time.
WORKER = r"""
import datetime as dt, json, sys, time
from aidigest.records import Item, SourceOutcome
from aidigest.infra.store import Store
path, day, at = sys.argv[1], dt.date.fromisoformat(sys.argv[2]), float(sys.argv[3])
items = [Item(kind="news", title=f"story {i}", url=f"https://example.com/{i}", key=f"https://example.com/{i}")
         for i in range(150)] + [Item(kind="news", title=f"{day} only {i}", url=f"https://example.com/{day}/{i}",
         key=f"https://example.com/{day}/{i}") for i in range(50)]
while time.time() < at:
    pass
try:
    with Store(path) as s:
        s.upsert_items(day, items)
        run = s.start_run(day, "collect")
        s.record_outcome(run, SourceOutcome(source="hackernews", kind="news", status="ok", items=200, duration_s=0.1))
        s.mark_reported(day, [(it.key, "news", "llm", 1.0) for it in items[:20]])
        s.finish_run(run, "ok")
    print(json.dumps({"ok": True}))
except BaseException as e:
    print(json.dumps({"ok": False, "error": f"{type(e).__name__}: {e}"}))
"""


def _old_store(path: Path) -> None:
    """A store at schema version 1 (as an early aidigest left it): the others are migrated by whoever opens it."""
    from legacy_schema import MIGRATIONS

    conn = sqlite3.connect(path)
    conn.executescript(MIGRATIONS[0])
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()


@pytest.mark.parametrize("trial", range(8))
def test_processes_open_migrate_and_write_one_store_at_once(tmp_path, trial):
    from aidigest.infra.store import SCHEMA_VERSION

    db = tmp_path / "s.sqlite3"
    if trial % 2:
        _old_store(db)
    days = ["2026-08-01", "2026-08-02", "2026-08-01", "2026-08-02"]
    at = time.time() + 2.5  # every process is started (python + imports) before this instant
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, str(db), d, str(at)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=cli_env()) for d in days]
    results = []
    for p in procs:
        out, errs = p.communicate(timeout=120)
        assert p.returncode == 0, errs
        results.append(json.loads(out.strip().splitlines()[-1]))
    assert all(r["ok"] for r in results), results
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("SELECT COUNT(*) FROM items").fetchone()[0] == 150 + 2 * 50  # shared keys stored once
    assert conn.execute("SELECT COUNT(*) FROM item_days").fetchone()[0] == 2 * 200
    assert conn.execute("SELECT COUNT(*) FROM runs WHERE status = 'ok'").fetchone()[0] == 4
    assert conn.execute("SELECT COUNT(DISTINCT day) FROM reported").fetchone()[0] == 2
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


@pytest.mark.parametrize("trial", range(3))
def test_two_dates_collected_at_once_on_a_fresh_store(tmp_path, trial):
    other = dt.date(2026, 8, 1)
    rec = recording_for(other, tmp_path / "rec")
    db = tmp_path / "fresh.sqlite3"
    a = start("collect", "--date", DAY, "--replay", str(DEMO), "--db", str(db), cwd=tmp_path)
    b = start("collect", "--date", other.isoformat(), "--replay", str(rec), "--db", str(db), cwd=tmp_path)
    for p in (a, b):
        out, errs = p.communicate(timeout=300)
        assert p.returncode == 0, errs
        assert "Traceback" not in errs
        assert re.search(r": \d+ items", out)
    conn = sqlite3.connect(db)
    days = dict(conn.execute("SELECT day, COUNT(*) FROM item_days GROUP BY day").fetchall())
    conn.close()
    assert set(days) == {DAY, other.isoformat()} and days[DAY] == days[other.isoformat()] > 50  # neither day lost
    assert [r["status"] for r in runs(db)] == ["ok", "ok"]


def test_two_full_runs_of_two_dates_at_once_both_publish(tmp_path):
    other = dt.date(2026, 8, 1)
    rec = recording_for(other, tmp_path / "rec")
    db, out = tmp_path / "fresh.sqlite3", tmp_path / "out"
    procs = [start("run", "--date", d, "--replay", str(r), "--db", str(db), "--out", str(out), cwd=tmp_path)
             for d, r in ((DAY, DEMO), (other.isoformat(), rec))]
    for p in procs:
        _, errs = p.communicate(timeout=600)
        assert p.returncode == 0, errs
        assert "Traceback" not in errs
    for d in (DAY, other.isoformat()):
        for name in (f"News_{d}_report.md", f"Papers_{d}_report.md", f"News_{d}.json", f"Papers_{d}.json"):
            assert (out / d / name).stat().st_size > 0, name
    assert sorted(r["status"] for r in runs(db)) == ["ok", "ok"]


def test_a_second_run_of_the_same_day_is_refused_naming_the_first(tmp_path):
    db, out = tmp_path / "s.sqlite3", tmp_path / "out"
    args = ("run", "--date", DAY, "--replay", str(DEMO), "--db", str(db), "--out", str(out))
    first = start(*args, cwd=tmp_path)
    try:
        holder = wait_for_running(db, first)
        second = aidigest(*args, cwd=tmp_path, timeout=120)
        assert second.returncode == 3, second.stderr
        assert no_traceback(second)
        line = last_line(second.stderr)
        assert len(second.stderr.strip().splitlines()) == 1
        assert f"pid {first.pid}" in line and f"run {holder['id']}" in line and DAY in line and "started" in line
        assert "refused" in line
    finally:
        stdout, stderr = first.communicate(timeout=300)
    assert first.returncode == 0, stderr
    assert (out / DAY / f"News_{DAY}_report.md").exists()
    assert len(runs(db)) == 1  # the refused run left nothing in the store


# A process holding the store's write lock (BEGIN IMMEDIATE, as every write does) for `hold` seconds.
HOLDER = r"""
import datetime as dt, sys, time
from aidigest.infra.store import Store
with Store(sys.argv[1]) as s:
    s.start_run(dt.date(2026, 8, 1), "run")
    s.conn.execute("BEGIN IMMEDIATE")
    print("holding", flush=True)
    time.sleep(float(sys.argv[2]))
    s.conn.commit()
"""


def _hold(db: Path, seconds: float) -> subprocess.Popen:
    p = subprocess.Popen([sys.executable, "-c", HOLDER, str(db), str(seconds)], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=cli_env())
    assert p.stdout.readline().strip() == "holding", p.stderr.read()
    return p


def test_a_writer_waits_for_the_lock_instead_of_failing(tmp_path):
    db = tmp_path / "s.sqlite3"
    holder = _hold(db, 3.0)
    try:
        r = aidigest("collect", "--date", DAY, "--replay", str(DEMO), "--db", str(db), cwd=tmp_path)
    finally:
        holder.communicate(timeout=60)
    assert r.returncode == 0, r.stderr
    assert no_traceback(r)


def test_a_store_held_past_the_timeout_is_refused_naming_the_holder(tmp_path):
    db = tmp_path / "s.sqlite3"
    holder = _hold(db, 60.0)
    try:
        r = aidigest("collect", "--date", DAY, "--replay", str(DEMO), "--db", str(db), cwd=tmp_path,
                     env={"AIDIGEST_BUSY_TIMEOUT_S": "1"})
    finally:
        holder.kill()
        holder.communicate(timeout=60)
    assert r.returncode == 3, r.stderr
    assert no_traceback(r) and len(r.stderr.strip().splitlines()) == 1
    line = last_line(r.stderr)
    assert "busy" in line and f"pid {holder.pid}" in line and "2026-08-01" in line and str(db) in line
