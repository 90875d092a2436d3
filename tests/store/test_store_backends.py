"""The store's guarantees on both backends: a SQLite file and a real PostgreSQL server (tests/pg_server.py; the
`store_db` fixture runs each test on both). Processes are real (`python -c`, the CLI); nothing is mocked.

- several processes open, migrate and write one store at once: every row once;
- a second run of a day is refused (exit 3) naming the run that holds it, and a killed holder frees the day;
- a write waits for another writer, and one held past the busy timeout is refused naming the holder;
- a store migrated by a newer aidigest is refused in one line; nested writes are one transaction;
- PostgreSQL only: a bad URL, an unreachable server and a refused password are one line, exit 2, no password.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from aidigest.infra.store import Store, StoreError
from clihelp import DAY, DEMO, aidigest, cli_env, last_line, no_traceback  # noqa: E402

# the same worker as tests/cli/test_concurrent_runs.py: open (migrating), upsert, run, outcome, reported, finish
from test_concurrent_runs import WORKER  # noqa: E402


def _count(db: str, sql: str) -> int:
    with Store(db) as s:
        return int(s.scalar(sql))


def test_processes_open_migrate_and_write_one_store_at_once(store_db):
    days = ["2026-08-01", "2026-08-02", "2026-08-01", "2026-08-02"]
    at = time.time() + 2.5
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, store_db, d, str(at)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=cli_env()) for d in days]
    for p in procs:
        out, errs = p.communicate(timeout=120)
        assert p.returncode == 0, errs
        assert json.loads(out.strip().splitlines()[-1])["ok"], out
    assert _count(store_db, "SELECT COUNT(*) FROM items") == 150 + 2 * 50
    assert _count(store_db, "SELECT COUNT(*) FROM item_days") == 2 * 200
    assert _count(store_db, "SELECT COUNT(*) FROM runs WHERE status = 'ok'") == 4
    assert _count(store_db, "SELECT COUNT(DISTINCT day) FROM reported") == 2
    assert _count(store_db, "SELECT COUNT(*) FROM _migrations") == len(Store(store_db).query("SELECT * FROM _migrations"))


# A process that holds DAY (as `aidigest run` does: the day's lock, then a run row) until killed, or that holds the
# store's write lock for argv[3] seconds.
HOLDER = r"""
import datetime as dt, sys, time
from aidigest.infra.store import Store
s = Store(sys.argv[1])
if sys.argv[2] == "day":
    s.day_lock(dt.date.fromisoformat(sys.argv[3]), "run")
    s.start_run(dt.date.fromisoformat(sys.argv[3]), "run")
    print("holding", flush=True)
    time.sleep(600)
else:
    s.start_run(dt.date(2026, 8, 1), "run")
    with s.write():
        print("holding", flush=True)
        time.sleep(float(sys.argv[3]))
"""


def _hold(db: str, *args: str) -> subprocess.Popen:
    p = subprocess.Popen([sys.executable, "-c", HOLDER, db, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, env=cli_env())
    assert p.stdout is not None
    assert p.stdout.readline().strip() == "holding", p.stderr.read() if p.stderr else ""
    return p


def test_a_held_day_is_refused_naming_the_holder_and_freed_when_it_is_killed(store_db, tmp_path):
    args = ("collect", "--date", DAY, "--replay", str(DEMO), "--db", store_db)
    holder = _hold(store_db, "day", DAY)
    try:
        r = aidigest(*args, cwd=tmp_path, timeout=120)
        assert r.returncode == 3, r.stderr
        assert no_traceback(r) and len(r.stderr.strip().splitlines()) == 1
        line = last_line(r.stderr)
        assert "refused" in line and DAY in line and f"pid {holder.pid}" in line
        assert ":" + "@" not in line and "aidigest:" not in line  # the URL is shown without its password
    finally:
        holder.kill()  # kill -9: the kernel lock / the server session goes with the process
        holder.communicate(timeout=60)
    r = aidigest(*args, cwd=tmp_path, timeout=300)
    assert r.returncode == 0, r.stderr


def test_a_writer_waits_and_one_held_past_the_timeout_is_refused(store_db, tmp_path):
    args = ("collect", "--date", DAY, "--replay", str(DEMO), "--db", store_db)
    holder = _hold(store_db, "write", "3")
    try:
        r = aidigest(*args, cwd=tmp_path, timeout=300)
    finally:
        holder.communicate(timeout=60)
    assert r.returncode == 0, r.stderr
    holder = _hold(store_db, "write", "60")
    try:
        r = aidigest(*args, cwd=tmp_path, env={"AIDIGEST_BUSY_TIMEOUT_S": "1"}, timeout=120)
    finally:
        holder.kill()
        holder.communicate(timeout=60)
    assert r.returncode == 3, r.stderr
    assert no_traceback(r) and len(r.stderr.strip().splitlines()) == 1
    assert "busy" in last_line(r.stderr)


def test_store_migrated_by_a_newer_aidigest_is_refused(store_db):
    with Store(store_db) as s, s.write() as db:
        db.execute("INSERT INTO _migrations (set_name, name, applied_at) VALUES ('llm', '999_from_the_future', 0)")
    with pytest.raises(StoreError, match="llm/999_from_the_future, applied by a newer aidigest") as e:
        Store(store_db)
    assert "\n" not in str(e.value)


def test_nested_write_is_one_transaction(store_db):
    with Store(store_db) as s:
        with pytest.raises(RuntimeError):
            with s.write() as db:
                db.execute("INSERT INTO runs (day, command, started_at) VALUES ('d', 'outer', 1)")
                with s.write() as inner:
                    inner.execute("INSERT INTO runs (day, command, started_at) VALUES ('d', 'inner', 1)")
                raise RuntimeError("after the inner block")
        assert s.scalar("SELECT COUNT(*) FROM runs") == 0
        with s.write():
            with s.write() as inner:
                inner.execute("INSERT INTO runs (day, command, started_at) VALUES ('d', 'inner', 1)")
            with pytest.raises(RuntimeError):
                with s.write() as inner:
                    inner.execute("INSERT INTO runs (day, command, started_at) VALUES ('d', 'failed', 1)")
                    raise RuntimeError("inside")
        assert [r[0] for r in s.query("SELECT command FROM runs")] == ["inner"]


def test_floats_bytes_and_text_order_as_on_sqlite(store_db):
    """What the reports depend on: REAL stays a double, BLOB bytes come back as they went in, text sorts byte-wise
    (PostgreSQL's locale collation would sort 'B' before 'a' differently), SUM of integers is an int."""
    with Store(store_db) as s:
        with s.write() as db:
            for key in ("b", "B", "a", "_", "가"):
                db.execute("INSERT INTO reported (day, key, kind, category, score) VALUES ('d', ?, 'news', 'c', ?)",
                           (key, 0.1 + 0.2))
            db.execute("INSERT INTO http_validators (url, etag, body, updated_at) VALUES ('u', 'e', ?, 1)",
                       (b"\x00\xff\x01",))
        assert [r["key"] for r in s.query("SELECT key FROM reported ORDER BY key")] == ["B", "_", "a", "b", "가"]
        assert s.scalar("SELECT score FROM reported WHERE key = 'a'") == 0.1 + 0.2
        assert s.get_validators("u") == ("e", None, b"\x00\xff\x01")
        total = s.scalar("SELECT SUM(LENGTH(key)) FROM reported")
        assert total == 5 and isinstance(total, int)


@pytest.mark.parametrize("bad,needle", [
    ("postgresql://u:hunter2@[bad/db", "not a valid PostgreSQL URL"),
    ("postgresql://u:hunter2@127.0.0.1:1/db", "cannot connect"),
])
def test_a_bad_url_is_one_line_without_the_password(tmp_path, bad, needle):
    r = aidigest("sources", "--db", bad, cwd=tmp_path, timeout=60)
    assert r.returncode == 2, r.stderr
    assert no_traceback(r) and len(r.stderr.strip().splitlines()) == 1
    assert needle in r.stderr and "hunter2" not in r.stderr + r.stdout


def test_a_refused_password_is_one_line_without_the_password(pg_server, tmp_path):
    url = pg_server.url("postgres", password="wrong-hunter2")
    for how in (("sources", "--db", url), ("sources",)):
        r = aidigest(*how, cwd=tmp_path, env={"AIDIGEST_DB": url} if len(how) == 1 else None, timeout=60)
        assert r.returncode == 2, r.stderr
        assert no_traceback(r) and len(r.stderr.strip().splitlines()) == 1
        assert "password authentication failed" in r.stderr and "wrong-hunter2" not in r.stderr + r.stdout


def test_the_config_file_names_a_postgresql_store(pg_server, tmp_path):
    url = pg_server.new_db()
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[general]\ndb = "{url}"\n', encoding="utf-8")
    r = aidigest("collect", "--date", DAY, "--replay", str(DEMO), "--config", str(cfg), cwd=tmp_path, timeout=300)
    assert r.returncode == 0, r.stderr
    assert pg_server.password not in r.stdout + r.stderr
    assert _count(url, "SELECT COUNT(*) FROM item_days") > 50


def test_every_owners_set_and_a_set_defined_later_run_on_both(store_db):
    """Every migration set of the list (the store's, llm, reuse, deliver, profiles) is applied on open, whatever this
    process imported; a set outside the list is applied on its first use, once; its SQLite-dialect DDL works on both
    backends."""
    from aidigest.infra.migrations import SETS, Migrations, Step

    with Store(store_db) as s:
        applied = {(r[0], r[1]) for r in s.query("SELECT set_name, name FROM _migrations")}
        assert {m.name for m in SETS} == {"store", "llm", "reuse", "deliver", "profiles"}
        assert {(m.name, step.name) for m in SETS for step in m.steps} <= applied
        late = Migrations("test_late_owner_both", (
            Step("001_notes", "CREATE TABLE late_notes (id INTEGER PRIMARY KEY AUTOINCREMENT, note TEXT NOT NULL,"
                              " vector BLOB, score REAL NOT NULL DEFAULT 0.5) ;"),
        ))
        s.ensure(late)
        with s.write() as db:
            db.execute("INSERT INTO late_notes (note, vector) VALUES (?, ?)", ("x", b"\x01\x02"))
        s.ensure(late)  # once applied, a no-op
        assert tuple(s.query_one("SELECT id, note, vector, score FROM late_notes")) == (1, "x", b"\x01\x02", 0.5)
        assert s.scalar("SELECT COUNT(*) FROM _migrations WHERE set_name = 'test_late_owner_both'") == 1


def test_finish_times_reads_each_backend_without_writing(store_db):
    """The site reads when each day's latest successful run finished (infra.store.finish_times), from either backend,
    through a read-only connection: a failed or unfinished run does not count."""
    import datetime as dt

    from aidigest.infra.store import finish_times

    with Store(store_db) as s:
        ok = s.start_run(dt.date(2026, 8, 2), "run")
        s.finish_run(ok, "ok")
        bad = s.start_run(dt.date(2026, 8, 3), "run")
        s.finish_run(bad, "error")
        s.start_run(dt.date(2026, 8, 4), "run")  # never finished
        before = s.query("SELECT COUNT(*) FROM runs")
    times = finish_times(store_db)
    assert list(times) == ["2026-08-02"] and time.time() - times["2026-08-02"] < 600
    with Store(store_db) as s:
        assert s.query("SELECT COUNT(*) FROM runs") == before
