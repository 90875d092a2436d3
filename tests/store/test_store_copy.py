"""`aidigest store copy`: the demo day's store (a real run on the demo recording, SQLite) copied to a real PostgreSQL
server and back: every owner's table has the same rows, and a rerun of the demo day on the PostgreSQL copy reuses
the copied work and writes the golden reports byte for byte."""

from __future__ import annotations

import shutil

import golden_days
from aidigest.render.site import run_times
from aidigest.infra.store import Store
from aidigest.infra.storecopy import owner_tables
from clihelp import aidigest, no_traceback  # noqa: E402


def _rows(db: str) -> dict[str, list[tuple]]:
    """table -> every row (without the PostgreSQL backend's rowid column), sorted."""
    out: dict[str, list[tuple]] = {}
    with Store(db) as s:
        for t in owner_tables():
            rows = [dict(r) for r in s.query(f"SELECT * FROM {t}")]
            out[t] = sorted((tuple(sorted((k, v) for k, v in r.items() if k != "rowid")) for r in rows), key=repr)
    return out


def test_copy_sqlite_to_postgresql_and_back_is_lossless(pg_server, tmp_path):
    work = tmp_path / "first"
    work.mkdir()
    golden_days._run_day(work, "none")  # the demo day, offline, into work/store.sqlite3
    src = str(work / "store.sqlite3")
    url, back = pg_server.new_db(), str(tmp_path / "back.sqlite3")

    r = aidigest("store", "copy", src, url, cwd=tmp_path, timeout=300)
    assert r.returncode == 0 and no_traceback(r), r.stderr
    assert "copied" in r.stdout and pg_server.password not in r.stdout + r.stderr
    r = aidigest("store", "copy", url, back, cwd=tmp_path, timeout=300)
    assert r.returncode == 0 and no_traceback(r), r.stderr

    want = _rows(src)
    full = {t for t, rows in want.items() if rows}  # what an offline run of the demo day leaves in the store
    assert {"items", "item_days", "runs", "source_outcomes", "reported", "embeddings", "offline_labels"} <= full
    assert _rows(url) == want
    assert _rows(back) == want
    with Store(src) as a, Store(url) as b:  # insertion order kept: what `stored_items` returns in
        order = "SELECT key FROM items ORDER BY rowid"
        assert [r[0] for r in a.query(order)] == [r[0] for r in b.query(order)]

    # a copy into a store that has rows is refused in one line, nothing written
    r = aidigest("store", "copy", src, back, cwd=tmp_path, timeout=120)
    assert r.returncode == 2 and "not empty" in r.stderr and len(r.stderr.strip().splitlines()) == 1

    # the demo day again on the PostgreSQL copy: nothing embedded anew, the golden reports byte for byte
    rerun = tmp_path / "rerun"
    embeddings = len(want["embeddings"])
    got = golden_days.produce("demo_offline", rerun, url)
    assert got == golden_days.reference("demo_offline")
    with Store(url) as b:
        assert b.scalar("SELECT COUNT(*) FROM embeddings") == embeddings
        assert b.scalar("SELECT COUNT(*) FROM runs") == len(want["runs"]) + 1
    shutil.rmtree(rerun)
    # the web archive reads the runs' finish times from a PostgreSQL store as from a file
    assert set(run_times(url)) == set(run_times(src)) == {golden_days.DAY}
