"""Named migration sets (one owner per table): a store made by the release before them (tests/data/stores/
release-6c11cbf.sqlite3, made by make_release_store.py beside it) opens with every row kept and nothing re-created,
its cached work is reused by a rerun of the demo day; stores of every older schema version and fresh stores end with
the same schema; every set of the one list is applied on open, whatever the process imported; a set outside the list
is applied on first use; a store migrated by a newer aidigest is refused."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import BaseModel

import golden_days
from conftest import DATA
from legacy_schema import MIGRATIONS as LEGACY

from aidigest.config import Config
from aidigest.deliver import notify
from aidigest.llm.base import Message
from aidigest.llm.factory import make_llm
from aidigest.llm import cache as llm_cache
from aidigest import reuse
from aidigest.profiles import reader as profiles
from aidigest.infra.migrations import SETS, Migrations, Step
from aidigest.records import LLMTotals
from aidigest.infra.store import LEGACY_SET, MIGRATIONS as STORE_SET, SCHEMA_VERSION, Store, StoreError

RELEASE = DATA / "stores" / "release-6c11cbf.sqlite3"
OWNED = {  # every table and the set that owns it
    "store": {"items", "item_days", "runs", "source_outcomes", "reported", "http_validators"},
    "llm": {"llm_cache", "llm_calls", "llm_modes"},
    "reuse": {"embeddings", "offline_labels", "snippets", "offline_summaries"},
    "deliver": {"deliveries", "week_deliveries"},
    "profiles": {"profile_liked", "profile_reported"},  # added after the release store was made (issue 20)
}
OWNERS = (STORE_SET, llm_cache.MIGRATIONS, reuse.MIGRATIONS, notify.MIGRATIONS, profiles.MIGRATIONS)
# tables added after the release store was made (by a new set or a step appended to a set): created, empty, when it
# is opened
SINCE_RELEASE = {"week_deliveries", "profile_liked", "profile_reported"}


def tables(db: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(db)
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE "
                                             "'sqlite_%' AND name != '_migrations' ORDER BY name")]
        return {n: sorted(conn.execute(f'SELECT * FROM "{n}"').fetchall(), key=repr) for n in names}
    finally:
        conn.close()


def schema(db: Path) -> dict[str, str]:
    """name -> its CREATE statement (whitespace folded) of every table and index but the migration record."""
    conn = sqlite3.connect(db)
    try:
        return {name: re.sub(r"\s+", " ", sql) for name, sql in conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name != '_migrations'")}
    finally:
        conn.close()


def applied(db: Path) -> set[tuple[str, str]]:
    conn = sqlite3.connect(db)
    try:
        return {(s, n) for s, n in conn.execute("SELECT set_name, name FROM _migrations")}
    finally:
        conn.close()


def every_step() -> set[tuple[str, str]]:
    return {(m.name, step.name) for m in OWNERS for step in m.steps}


def test_every_table_has_one_owner():
    assert {m.name for m in OWNERS} == set(OWNED)
    for m in OWNERS:
        made = {t for step in m.steps for t in re.findall(r"CREATE TABLE (?:IF NOT EXISTS )?(\w+)", step.sql)}
        assert made == OWNED[m.name], m.name
    assert SETS == OWNERS  # the one list a store applies, in this order (the store's first)


def test_release_store_opens_with_every_row_and_nothing_recreated(tmp_path):
    db = tmp_path / "s.sqlite3"
    shutil.copyfile(RELEASE, db)
    before, shape = tables(db), schema(db)
    assert sqlite3.connect(db).execute("PRAGMA user_version").fetchone()[0] == 5
    assert all(before[t] for t in set().union(*OWNED.values()) - SINCE_RELEASE), "the fixture has rows in every table"
    with Store(db) as s:
        assert s.schema_version == SCHEMA_VERSION
    after = tables(db)
    assert {t: after[t] for t in SINCE_RELEASE} == {t: [] for t in SINCE_RELEASE}  # the newer steps' tables, empty
    assert {t: rows for t, rows in after.items() if t not in SINCE_RELEASE} == before  # every row of every table, unchanged
    new_index = ("sqlite_autoindex_week", "sqlite_autoindex_profile", "profile_")
    assert {n: sql for n, sql in schema(db).items()
            if n not in SINCE_RELEASE and not n.startswith(new_index)} == shape  # no table or index made again or altered
    assert applied(db) == every_step() | {(LEGACY_SET, "5")}
    with Store(db) as s:  # a second open has nothing to do
        assert s.query_one("SELECT COUNT(*) FROM _migrations")[0] == len(every_step()) + 1


def test_rerun_of_the_demo_day_on_the_release_store_reuses_its_work(tmp_path):
    """The release store holds the demo day run offline: a rerun with this code embeds nothing, summarizes nothing
    anew and writes the golden reports byte for byte; the cached LLM answer is served with no server running."""
    shutil.copyfile(RELEASE, tmp_path / "store.sqlite3")
    before = tables(tmp_path / "store.sqlite3")
    out = golden_days._run_day(tmp_path, "none")
    got = {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    assert got == golden_days.reference("demo_offline")
    after = tables(tmp_path / "store.sqlite3")
    for cache in ("embeddings", "llm_cache", "snippets", "deliveries"):
        assert after[cache] == before[cache], f"{cache}: work done again"
    # offline predictions and extractive summaries are keyed by fingerprints that hash the classifier's and the
    # summarizer's code and weights (aidigest.reuse); both changed since the release (issue 9 moved the code, issue
    # 19 retrained the weights): they are made again for the same texts — predictions from the stored embeddings
    # (none re-encoded, above) — and come out as a run on a fresh store makes them
    fresh_dir = tmp_path / "fresh"
    fresh_dir.mkdir()
    golden_days._run_day(fresh_dir, "none")
    fresh = tables(fresh_dir / "store.sqlite3")
    for cache in ("offline_labels", "offline_summaries"):
        assert set(before[cache]) <= set(after[cache]), f"{cache}: the release's rows stay"
    again = [r for r in after["offline_labels"] if r not in set(before["offline_labels"])]
    assert sorted(r[1] for r in again) == sorted(r[1] for r in before["offline_labels"]), "labels: not for the same texts"
    again_summaries = sorted(r[:2] for r in after["offline_summaries"] if r not in set(before["offline_summaries"]))
    assert again_summaries == sorted(r[:2] for r in fresh["offline_summaries"]), "offline_summaries: made again differently"
    # the confidence (column 3) is a softmax over cosines computed through BLAS from stored embeddings (here) and
    # from fresh ones (the fresh store): OpenBLAS kernels sum in different orders (hosts differ in the 8th digit,
    # ~1e-7; the softmax's temperature of 20 magnifies that at most 20-fold), so it is compared within 1e-5 — far
    # below any difference a change of the classifier would make — and the category exactly
    again_labels = {r[1]: r for r in after["offline_labels"] if r not in set(before["offline_labels"])}
    fresh_labels = {r[1]: r for r in fresh["offline_labels"]}
    assert again_labels.keys() == fresh_labels.keys()
    for text_hash, row in fresh_labels.items():
        assert again_labels[text_hash][2] == row[2], text_hash
        assert again_labels[text_hash][3] == pytest.approx(row[3], abs=1e-5), text_hash
    assert len(after["runs"]) == len(before["runs"]) + 1 and after["items"] != []

    class Sentence(BaseModel):  # the request make_release_store.py made, to the endpoint it made it to
        sentence: str

    with Store(tmp_path / "store.sqlite3") as store:
        (base_url,) = [r[0] for r in store.query("SELECT base_url FROM llm_modes")]
        cfg = Config().updated(llm={"provider": "openai:gpt-4o-mini", "timeout_s": 2.0})
        llm = make_llm(cfg, store, None, LLMTotals(), env={"OPENAI_BASE_URL": base_url, "OPENAI_API_KEY": "sk-test-0"})

        async def go():
            try:
                return await llm.complete([Message(role="user", content="Say one sentence about transformers.")],
                                          schema=Sentence, purpose="store-fixture")
            finally:
                await llm.aclose()

        res = asyncio.run(go())
        stored = json.loads(store.query_one("SELECT response FROM llm_cache")[0])
        assert res.cached and (res.text, res.data.model_dump()) == (stored["text"], stored["data"])
        assert store.query_one("SELECT hits FROM llm_cache")[0] == 1


def _legacy_store(db: Path, version: int) -> None:
    conn = sqlite3.connect(db)
    for i, script in enumerate(LEGACY[:version], start=1):
        conn.executescript(script)
        conn.execute(f"PRAGMA user_version = {i}")
    conn.execute("INSERT INTO runs (day, command, started_at) VALUES ('2026-08-01', 'run', 1.0)")
    conn.execute("INSERT INTO llm_cache (cache_key, provider, model, response, tokens_in, tokens_out, cost_usd,"
                 " created_at) VALUES ('k', 'openai', 'm', '{}', 1, 2, 0.5, 1.0)")
    conn.commit()
    conn.close()


@pytest.mark.parametrize("version", range(1, len(LEGACY) + 1))
def test_store_of_every_older_version_ends_with_the_schema_of_a_fresh_one(tmp_path, version):
    with Store(tmp_path / "fresh.sqlite3"):
        pass
    assert applied(tmp_path / "fresh.sqlite3") == every_step()
    db = tmp_path / "old.sqlite3"
    _legacy_store(db, version)
    with Store(db) as s:
        assert s.schema_version == SCHEMA_VERSION
        assert tuple(s.query_one("SELECT day, command FROM runs")) == ("2026-08-01", "run")
        assert s.query_one("SELECT cache_key FROM llm_cache")[0] == "k"
    assert schema(db) == schema(tmp_path / "fresh.sqlite3")
    assert applied(db) == every_step() | {(LEGACY_SET, str(version))}


def test_a_store_opened_by_a_process_that_imported_no_owner_has_every_table(tmp_path):
    """Which tables a store gets never depends on which modules a process imported first: a process that imports
    only the store makes every owner's tables."""
    db = tmp_path / "s.sqlite3"
    code = ("import sys; from aidigest.infra.store import Store; Store(sys.argv[1]).close(); "
            "print(sorted(m for m in sys.modules if m.startswith(('aidigest.llm', 'aidigest.deliver', 'aidigest.profiles'))))")
    r = subprocess.run([sys.executable, "-c", code, str(db)], capture_output=True, text=True, timeout=60,
                       env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"  # the owners of the llm, deliver and profiles tables were not loaded
    assert set(tables(db)) == set().union(*OWNED.values())
    assert applied(db) == every_step()


def test_a_set_outside_the_list_is_applied_on_first_use(tmp_path):
    db = tmp_path / "s.sqlite3"
    shutil.copyfile(RELEASE, db)
    with Store(db) as s:
        late = Migrations("test_late_owner", (
            Step("001_notes", "CREATE TABLE late_notes (id INTEGER PRIMARY KEY, note TEXT NOT NULL);"),
            Step("002_bridged", "ALTER TABLE llm_cache ADD COLUMN never TEXT;", legacy=5),  # made by the old list
        ))
        s.ensure(late)
        with s.write() as db_:
            db_.execute("INSERT INTO late_notes (note) VALUES ('x')")
        s.ensure(late)  # once applied, a no-op
        assert s.query_one("SELECT note FROM late_notes")[0] == "x"
        cols = [r[1] for r in s.query("PRAGMA table_info(llm_cache)")]
        assert "never" not in cols  # the store came from user_version 5: a legacy=5 step is recorded, not run
    assert {("test_late_owner", "001_notes"), ("test_late_owner", "002_bridged")} <= applied(db)


def test_store_migrated_by_a_newer_aidigest_is_refused(tmp_path):
    db = tmp_path / "s.sqlite3"
    with Store(db):
        pass
    conn = sqlite3.connect(db)
    conn.execute("INSERT INTO _migrations VALUES ('llm', '999_from_the_future', 0)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="llm/999_from_the_future, applied by a newer aidigest"):
        Store(db)


def test_nested_write_is_one_transaction(tmp_path):
    with Store(tmp_path / "s.sqlite3") as s:
        with pytest.raises(RuntimeError):
            with s.write() as db:
                db.execute("INSERT INTO runs (day, command, started_at) VALUES ('d', 'outer', 1)")
                with s.write() as inner:
                    inner.execute("INSERT INTO runs (day, command, started_at) VALUES ('d', 'inner', 1)")
                raise RuntimeError("after the inner block")
        assert s.query_one("SELECT COUNT(*) FROM runs")[0] == 0  # the inner write was rolled back with the outer
        with s.write() as db:
            with s.write() as inner:
                inner.execute("INSERT INTO runs (day, command, started_at) VALUES ('d', 'inner', 1)")
            assert db.in_transaction
            with pytest.raises(RuntimeError):  # a failed inner write undoes its own part only
                with s.write() as inner:
                    inner.execute("INSERT INTO runs (day, command, started_at) VALUES ('d', 'failed', 1)")
                    raise RuntimeError("inside")
        assert [r[0] for r in s.query("SELECT command FROM runs")] == ["inner"]
