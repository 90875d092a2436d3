"""SQLite store: items, per-day membership, runs and per-source outcomes, reported items, HTTP validators.

(Or a PostgreSQL store, chosen by a `postgresql://` URL: the same tables and guarantees, the dialect's differences
in aidigest.infra.pgstore; writers take turns by a transaction advisory lock, a day is held by a session one.)

One real sqlite3 connection. The store owns those tables; other modules own theirs (the LLM cache and call log,
the reuse caches, deliveries, profiles); every table's schema is a named migration set in the one ordered list of
aidigest.infra.migrations, applied when the store opens; owners read with `query`/`query_one` and write inside
`with store.write() as db:`. Items are stored by canonical key as given (merging duplicates is aidigest.dedupe's
work, done before storing), so rerunning a day never adds rows.

Several processes may use one store at once (cron overlap, two dates at once, a fresh store): every write is
one `BEGIN IMMEDIATE` transaction (the write lock is taken before anything is read, so a read-then-write can
never race or deadlock), the migration check and its scripts run in one such transaction, and a writer waits
for the lock up to `BUSY_TIMEOUT_S` (WAL mode: readers never wait). Two runs of the SAME day are kept apart by
`Store.day_lock` (a kernel lock, released even when a process is killed). A store that cannot be used
(damaged, from a newer aidigest, read-only, disk full, held too long by another run) raises `StoreError` with
one line naming the file and what to do.
"""

from __future__ import annotations

from ..errors import AidigestError

import contextlib
import datetime as dt
import errno
import json
import os
import random
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote

from .env import env_value
from .migrations import SETS, STORE, Migrations
from ..records import Item, SourceOutcome
from .pgstore import DAY_LOCK, WRITE_LOCK, PgBusy, PgConnection, PgError, is_url, redact
from .pids import pid_alive

SCHEMA_VERSION = 6  # PRAGMA user_version of a store kept by named migration sets (1-5: the single list before them)
LEGACY_SET = "legacy_user_version"  # in _migrations: the version of the single list a store was bridged from

MIGRATIONS = STORE  # the store's own tables (their schema: aidigest.infra.migrations)

DB_ERRORS = (sqlite3.Error, PgError)  # what a statement on either backend raises
BUSY_TIMEOUT_S = 30.0  # how long a write waits for another process's write to finish (env AIDIGEST_BUSY_TIMEOUT_S)


def env_busy_timeout() -> float:
    try:
        value = float(env_value("AIDIGEST_BUSY_TIMEOUT_S") or BUSY_TIMEOUT_S)
    except ValueError:
        return BUSY_TIMEOUT_S
    return value if value >= 0 else BUSY_TIMEOUT_S


class StoreError(AidigestError, exit_code=2):
    """The store cannot be used as it is: one line naming the file and what to do."""


class StoreFull(StoreError, exit_code=1):
    """The disk under the store is full: nothing was half-written; the run failed (exit 1), the store is fine."""


def store_error(path: str | Path, e: BaseException) -> StoreError:
    """The StoreError (or StoreFull, StoreBusy) for a low-level problem with the store at `path`."""
    if isinstance(e, StoreError):
        return e
    low = str(e).lower()
    full = "full" in low or getattr(e, "errno", None) == errno.ENOSPC
    busy = isinstance(e, PgBusy) or isinstance(e, sqlite3.OperationalError) and ("locked" in low or "busy" in low)
    return (StoreFull if full else StoreBusy if busy else StoreError)(explain(path, e))


class StoreBusy(StoreError, exit_code=3):
    """Another run holds the store (the same day is being run, or a write lock was held past the timeout)."""


def _statements(script: str) -> list[str]:
    """Split a migration script into statements (executescript would commit: a migration is one transaction)."""
    out, buf = [], ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip())
    return out


def _fmt_time(ts: float | None) -> str:
    if not ts:
        return "?"
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


    return True


def running_runs(path: str | Path, day: dt.date | None = None) -> list[dict]:
    """Unfinished runs in the store at `path` whose process is alive (read-only; [] when unreadable)."""
    if is_url(path):
        return _pg_running_runs(str(path), day)
    try:
        conn = sqlite3.connect(f"file:{Path(path).resolve()}?mode=ro", uri=True, timeout=2)
    except sqlite3.Error:
        return []
    try:
        conn.row_factory = sqlite3.Row
        cols = {r["name"] for r in conn.execute("PRAGMA table_info(runs)")}
        if "pid" not in cols:
            return []
        sql = "SELECT id, day, command, pid, started_at FROM runs WHERE finished_at IS NULL"
        args: list = []
        if day is not None:
            sql += " AND day = ?"
            args.append(day.isoformat())
        rows = [dict(r) for r in conn.execute(sql + " ORDER BY id DESC", args)]
    except sqlite3.Error:
        return []
    finally:
        conn.close()
    return [r for r in rows if pid_alive(r["pid"])]


def _pg_running_runs(url: str, day: dt.date | None) -> list[dict]:
    """running_runs of a PostgreSQL store: the process may be on another machine, so every unfinished run whose
    day is held (its advisory lock) is named."""
    try:
        conn = PgConnection(url, 2)
    except PgError:
        return []
    try:
        sql = ("SELECT id, day, command, pid, started_at FROM runs WHERE finished_at IS NULL AND EXISTS (SELECT 1"
               " FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted AND l.classid = ? AND l.objid ="
               " (CAST(runs.day AS date) - DATE '0001-01-01' + 1))")
        args: list = [DAY_LOCK]
        if day is not None:
            sql += " AND day = ?"
            args.append(day.isoformat())
        return [dict(r) for r in conn.execute(sql + " ORDER BY id DESC", args)]
    except PgError:
        return []
    finally:
        conn.close()


def finish_times(path: str | Path) -> dict[str, float]:
    """day -> when its latest successful run finished (epoch seconds), read from the store at `path` without
    writing to it (raises sqlite3.Error, or PgError for a PostgreSQL store, when it cannot be read)."""
    conn: PgConnection | sqlite3.Connection = (
        PgConnection(str(path), 2) if is_url(path)
        else sqlite3.connect("file:" + quote(str(Path(path).resolve())) + "?mode=ro", uri=True))
    try:
        rows = conn.execute(
            "SELECT day, MAX(finished_at) FROM runs WHERE status = 'ok' AND finished_at IS NOT NULL GROUP BY day"
        ).fetchall()
    finally:
        conn.close()
    return {str(d): float(t) for d, t in rows if t is not None}


def _connect_read_only(path: str, busy_timeout_s: float) -> sqlite3.Connection:
    """SQLite's read-only open (`mode=ro`). A WAL store on a read-only disk, with no `-shm` file beside it, cannot
    be opened so (SQLite would create the `-shm`): then it is opened `immutable` — nothing can write on that disk."""
    uri = "file:" + quote(str(Path(path).resolve())) + "?mode=ro"
    conn = sqlite3.connect(uri, uri=True, timeout=busy_timeout_s)
    try:
        conn.execute("PRAGMA user_version").fetchone()
        return conn
    except sqlite3.OperationalError as e:
        conn.close()
        if "unable to open" not in str(e).lower() or os.access(Path(path).resolve().parent, os.W_OK):
            raise
    return sqlite3.connect(uri + "&immutable=1", uri=True, timeout=busy_timeout_s)


def describe_holders(runs: list[dict]) -> str:
    if not runs:
        return "another aidigest process"
    return "; ".join(
        f"run {r['id']} (`{r['command']}` of {r['day']}, pid {r['pid']}, started {_fmt_time(r['started_at'])})"
        for r in runs[:3]
    )


def explain(path: str | Path, e: BaseException) -> str:
    """One line for a store problem: what happened to which file, and what to do."""
    msg = str(e).strip() or type(e).__name__
    low = msg.lower()
    if isinstance(e, StoreError):
        return msg
    if isinstance(e, PgBusy):
        return (f"store {path} is busy: held by {describe_holders(running_runs(path))} for over "
                f"{env_busy_timeout():g} s; rerun when it has finished (AIDIGEST_BUSY_TIMEOUT_S sets the wait)")
    if isinstance(e, PgError):
        return f"store {path}: {msg}"
    if "not a database" in low or "malformed" in low:
        return (f"store {path} is damaged or not an aidigest store ({msg}); move it aside "
                f"(mv {path} {path}.broken) and rerun to start a new one, or restore a backup")
    if "locked" in low or "busy" in low:
        return (f"store {path} is busy: held by {describe_holders(running_runs(path))} for over "
                f"{env_busy_timeout():g} s; rerun when it has finished (AIDIGEST_BUSY_TIMEOUT_S sets the wait)")
    if "full" in low or getattr(e, "errno", None) == errno.ENOSPC:
        return f"store {path}: the disk is full ({msg}); nothing was half-written, free some space and rerun"
    if "readonly" in low or "read-only" in low or "unable to open" in low or isinstance(e, PermissionError):
        return (f"store {path} cannot be written ({msg}); check that the file and its folder are writable, "
                "or pass --db PATH")
    return f"store {path}: {msg}"


class Store:
    def __init__(self, path: str | Path = ":memory:", busy_timeout_s: float | None = None, read_only: bool = False):
        """Open (or create) the store at `path`. Before anything is written — even the journal mode — the file is
        checked: a newer schema and a damaged file (`PRAGMA quick_check`) are refused and the file left as it was.
        `read_only`: for commands that only read (`sources`, `cache stats`): opened with SQLite's `mode=ro`, never
        created, migrated or written, so a store on a read-only disk (or a read-only file) can be inspected."""
        self.busy_timeout_s = env_busy_timeout() if busy_timeout_s is None else busy_timeout_s
        self.path = self.url = str(path)
        self.read_only = read_only
        self._lock_fd: int | None = None
        self._depth = 0  # nesting of write(): the outermost one owns the transaction
        self._ensured: set[str] = set()  # migration sets known to be applied to this store
        self.pg: PgConnection | None = None  # a PostgreSQL store (aidigest.infra.pgstore), chosen by its URL
        self._pg_day: int | None = None  # the day (ordinal) this process holds on a PostgreSQL store
        if is_url(self.path):
            self._open_pg()
        else:
            self._open_sqlite()

    def _open_pg(self) -> None:
        self.path = redact(self.url)  # what messages name: never the password
        try:
            self.pg = PgConnection(self.url, self.busy_timeout_s)
            # what callers use of sqlite3.Connection (execute, executemany, rows by name) PgConnection has
            self.conn = cast(sqlite3.Connection, self.pg)
            self._refuse_newer(self.schema_version)
            if self.read_only:  # only reads (`sources`, `cache stats`): nothing created or migrated
                self._refuse_outdated("was made by an older aidigest (or is empty) and is opened read-only: run any "
                                      "writing command (e.g. `aidigest run`) on it once")
            else:
                self.migrate()
        except (PgError, StoreError) as e:
            if self.pg is not None:
                self.pg.close()
            raise store_error(self.path, e) from None

    def _open_sqlite(self) -> None:
        memory = self.path == ":memory:"
        self.conn = self._connect_sqlite(memory)
        try:
            self.conn.row_factory = sqlite3.Row
            self.conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_s * 1000)}")
            self.conn.execute("PRAGMA foreign_keys = ON")
            self._refuse_newer(self.schema_version)  # before anything is written, even the journal mode
            if self.read_only:
                self._refuse_outdated("was made by an older aidigest and is opened read-only: run any writing command"
                                      " (e.g. `aidigest run`) on it once to upgrade it")
                return
            if not memory:
                self._check_intact()
                self._use_wal()
            self.migrate()
        except (sqlite3.Error, OSError, StoreError) as e:
            self.conn.close()
            raise store_error(self.path, e) from None

    def _connect_sqlite(self, memory: bool) -> sqlite3.Connection:
        try:
            if not memory:
                if Path(self.path).is_dir():
                    raise StoreError(f"store {self.path} is a directory; pass --db FILE")
                if self.read_only and not Path(self.path).exists():
                    raise StoreError(f"no store at {self.path} (a run makes it); pass --db PATH")
                if not self.read_only:
                    Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            if self.read_only and not memory:
                return _connect_read_only(self.path, self.busy_timeout_s)
            return sqlite3.connect(self.path, timeout=self.busy_timeout_s)
        except (OSError, sqlite3.Error) as e:
            raise store_error(self.path, e) from None

    def _refuse_outdated(self, why: str) -> None:
        """A store opened read-only is never migrated: it must hold every step of every set already."""
        if self._missing(SETS):
            raise StoreError(f"store {self.path} {why}")
        self._ensured.update(m.name for m in SETS)

    def _check_intact(self) -> None:
        """Refuse a damaged file before the first write (a run used to write its `runs` row, then meet the damage).
        `PRAGMA quick_check` reads every page (it skips integrity_check's index-content comparison): measured
        0.36-0.45 s on a 148 MB store and 2.7-3.1 s on a 1 GB one (a shared 2-core host); the demo day adds ~0.8 MB,
        so a year of daily runs costs well under a second per run."""
        problems = [str(r[0]) for r in self.conn.execute("PRAGMA quick_check(3)")]
        if problems != ["ok"]:
            raise StoreError(f"store {self.path} is damaged ({'; '.join(p.strip() for p in problems)[:300]}); it was "
                             f"not modified: move it aside (mv {self.path} {self.path}.broken) and rerun to start a "
                             "new one, or restore a backup")

    def _use_wal(self) -> None:
        """Switch the store to WAL (persistent in the file: only its first opener does it). SQLite answers
        "database is locked" at once, without its busy handler, when other connections hold the file during the
        switch (several runs opening a fresh store together), so the switch is retried until the busy timeout."""
        deadline = time.monotonic() + self.busy_timeout_s
        while True:
            try:
                if str(self.conn.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                    self.conn.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as e:
                if not ("locked" in str(e).lower() or "busy" in str(e).lower()) or time.monotonic() >= deadline:
                    raise
                time.sleep(0.01 + random.random() * 0.04)

    def _refuse_newer(self, version: int | str) -> None:
        """Refuse a store of a newer schema version, or with a migration step (`set/name`) this aidigest lacks."""
        if isinstance(version, str):
            what = f"migration {version}, applied by a newer aidigest (this one does not know it)"
        elif version > SCHEMA_VERSION:
            what = f"schema version {version}, written by a newer aidigest (this one knows up to {SCHEMA_VERSION})"
        else:
            return
        raise StoreError(f"store {self.path} has {what}; it was not modified: upgrade aidigest, or pass --db PATH "
                         "for another store")

    def close(self) -> None:
        self.release_day()
        self.conn.close()

    def _begin(self) -> None:
        if self.pg is not None:  # writers take turns, as BEGIN IMMEDIATE makes them on SQLite
            self.pg.execute("BEGIN")
            try:
                self.pg.execute("SELECT pg_advisory_xact_lock(?, ?)", WRITE_LOCK)
            except BaseException:  # not granted within the busy timeout: the connection stays usable
                with contextlib.suppress(PgError):
                    self.pg.execute("ROLLBACK")
                raise
        else:
            self.conn.execute("BEGIN IMMEDIATE")

    def _end(self, commit: bool) -> None:
        if self.pg is not None:
            self.pg.execute("COMMIT" if commit else "ROLLBACK")
        elif commit:
            self.conn.commit()
        else:
            self.conn.rollback()

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction that takes the write lock first (BEGIN IMMEDIATE): waits up to the busy
        timeout for another writer, then reads and writes with no one in between; rolled back on any error.
        Yields the connection to write with. A `write()` inside another is a savepoint of the outer transaction:
        an error in it undoes its own writes; the outermost commits or rolls back everything."""
        if self._depth:
            savepoint = f"write_{self._depth}"
            self.conn.execute(f"SAVEPOINT {savepoint}")
            self._depth += 1
            try:
                yield self.conn
            except BaseException:
                self.conn.execute(f"ROLLBACK TO {savepoint}")
                self.conn.execute(f"RELEASE {savepoint}")
                raise
            finally:
                self._depth -= 1
            self.conn.execute(f"RELEASE {savepoint}")
            return
        self._begin()
        self._depth = 1
        try:
            yield self.conn
        except BaseException:
            self._end(commit=False)
            raise
        finally:
            self._depth = 0
        self._end(commit=True)

    def query(self, sql: str, params: Sequence | dict = ()) -> list[sqlite3.Row]:
        """Every row of one read statement (rows by column name or position)."""
        return self.conn.execute(sql, params).fetchall()

    def query_one(self, sql: str, params: Sequence | dict = ()) -> sqlite3.Row | None:
        return self.conn.execute(sql, params).fetchone()

    def scalar(self, sql: str, params: Sequence | dict = ()) -> Any:
        """The first column of the first row of one read statement (None when there is no row)."""
        row = self.conn.execute(sql, params).fetchone()
        return None if row is None else row[0]

    # ---- one run per day --------------------------------------------------------------------
    def day_lock(self, day: dt.date, command: str) -> None:
        """Hold `day` for this process until `release_day`/`close` (a kernel lock on one byte of `<db>.lock`, so a
        killed process releases it; on PostgreSQL a session advisory lock, released by the server when the process
        dies). Raises StoreBusy naming the run that holds the day."""
        if self.pg is not None:
            if self._pg_day is None:
                if not self.scalar("SELECT pg_try_advisory_lock(?, ?)", (DAY_LOCK, day.toordinal())):
                    raise StoreBusy(
                        f"refused: {day} is being processed in store {self.path} by "
                        f"{describe_holders(running_runs(self.url, day))}; `{command}` not started (rerun when it "
                        "has finished)"
                    )
                self._pg_day = day.toordinal()
            return
        if self.path == ":memory:" or self._lock_fd is not None:
            return
        import fcntl

        lock_path = self.path + ".lock"
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:
            raise store_error(lock_path, e) from None
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, day.toordinal())
        except OSError:
            os.close(fd)
            raise StoreBusy(
                f"refused: {day} is being processed in store {self.path} by "
                f"{describe_holders(running_runs(self.path, day))}; `{command}` not started (rerun when it has finished)"
            ) from None
        self._lock_fd = fd

    def release_day(self) -> None:
        if self.pg is not None and self._pg_day is not None:
            with contextlib.suppress(PgError):  # a lost connection has released it already
                self.pg.execute("SELECT pg_advisory_unlock(?, ?)", (DAY_LOCK, self._pg_day))
            self._pg_day = None
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing the file releases its locks
            self._lock_fd = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---- schema ----------------------------------------------------------------------------
    def migrate(self, sets: Sequence[Migrations] | None = None) -> None:
        """Apply the missing steps of `sets` (default: every set, aidigest.infra.migrations.SETS, in its order).
        Safe when several processes open a fresh or old store at once: what ran is read again under the write
        lock and every missing step applied in that one transaction. A store of the single migration list
        (user_version 1-5) is brought to named sets here (see aidigest.infra.migrations, "Bridging")."""
        if sets is None:
            sets = SETS
        if not self._missing(sets):
            self._ensured.update(m.name for m in sets)
            return
        with self.write() as db:
            now = time.time()  # one time for the steps applied together
            version = self.schema_version
            self._refuse_newer(version)
            if version < SCHEMA_VERSION:  # fresh (0), or made by the single list (1-5): bridged
                create = ("CREATE TABLE _migrations (set_name TEXT NOT NULL, name TEXT NOT NULL, applied_at REAL"
                          " NOT NULL, PRIMARY KEY (set_name, name))")
                if self.pg is not None:
                    self.pg.execute_ddl(create)
                else:
                    db.execute(create)
                if version:
                    db.execute("INSERT INTO _migrations (set_name, name, applied_at) VALUES (?, ?, ?)",
                               (LEGACY_SET, str(version), now))
                self._set_schema_version(SCHEMA_VERSION)
            done = self._applied()
            legacy = max((int(n) for s, n in done if s == LEGACY_SET), default=0)
            self._refuse_unknown(sets, done)
            for m in sets:
                names = {n for s, n in done if s == m.name}
                for step in m.steps:
                    if step.name in names:
                        continue
                    if step.legacy is None or step.legacy > legacy:
                        for statement in _statements(step.sql):
                            if self.pg is not None:
                                self.pg.execute_ddl(statement)
                            else:
                                db.execute(statement)
                    db.execute("INSERT INTO _migrations (set_name, name, applied_at) VALUES (?, ?, ?)",
                               (m.name, step.name, now))
        self._ensured.update(m.name for m in sets)

    def ensure(self, migrations: Migrations) -> None:
        """Make sure an owner's tables are there (its set applied); costs a set lookup once done."""
        if migrations.name not in self._ensured:
            self.migrate([migrations])

    def _applied(self) -> set[tuple[str, str]]:
        return {(r[0], r[1]) for r in self.conn.execute("SELECT set_name, name FROM _migrations")}

    def _missing(self, sets: Sequence[Migrations]) -> bool:
        version = self.schema_version
        if version != SCHEMA_VERSION:
            return True
        done = self._applied()
        self._refuse_unknown(sets, done)
        return any((m.name, step.name) not in done for m in sets for step in m.steps)

    def _refuse_unknown(self, sets: Sequence[Migrations], done: set[tuple[str, str]]) -> None:
        """A step of a set this aidigest knows, but not this step: the store was migrated by a newer aidigest."""
        for m in sets:
            unknown = {n for s, n in done if s == m.name} - {step.name for step in m.steps}
            if unknown:
                self._refuse_newer(f"{m.name}/{sorted(unknown)[0]}")

    @property
    def schema_version(self) -> int:
        if self.pg is not None:  # PostgreSQL has no user_version: a one-row table holds it
            # pg_tables, not to_regclass: a plain read sees a table another process just committed
            if not self.pg.execute("SELECT COUNT(*) FROM pg_tables WHERE schemaname = current_schema()"
                                   " AND tablename = '_schema_version'").fetchone()[0]:
                return 0
            row = self.pg.execute("SELECT version FROM _schema_version").fetchone()
            return int(row[0]) if row else 0
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    def _set_schema_version(self, version: int) -> None:
        if self.pg is not None:
            self.pg.execute("CREATE TABLE IF NOT EXISTS _schema_version (version BIGINT NOT NULL)")
            self.pg.execute("DELETE FROM _schema_version")
            self.pg.execute("INSERT INTO _schema_version (version) VALUES (?)", (version,))
        else:
            self.conn.execute(f"PRAGMA user_version = {version}")

    def count(self, table: str) -> int:
        if table not in {"items", "item_days", "runs", "source_outcomes", "reported"}:
            raise ValueError(table)
        return self.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]

    # ---- items --------------------------------------------------------------------------
    def upsert_items(self, day: dt.date, items: Iterable[Item]) -> int:
        """Store items as given (by key: a stored row with the same key is replaced, keeping its first day) and mark
        them as seen on `day`. Merging a new sighting into a stored item is the caller's work (aidigest.collect
        `store_items`: `stored_items`, then aidigest.dedupe, then this, in one `write()`).

        Returns the number of new item rows."""
        new = 0
        now = time.time()
        d = day.isoformat()
        with self.write() as db:
            for it in items:
                data = it.model_dump_json()
                if db.execute(
                    "INSERT INTO items (key, kind, title, url, arxiv_id, data, first_day, last_day, created_at,"
                    " updated_at) VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT(key) DO NOTHING",
                    (it.key, it.kind, it.title, it.url, it.arxiv_id, data, d, d, now, now),
                ).rowcount:
                    new += 1
                else:
                    db.execute(
                        "UPDATE items SET kind=?, title=?, url=?, arxiv_id=?, data=?,"
                        " first_day=CASE WHEN first_day < ? THEN first_day ELSE ? END,"
                        " last_day=CASE WHEN last_day > ? THEN last_day ELSE ? END, updated_at=? WHERE key=?",
                        (it.kind, it.title, it.url, it.arxiv_id, data, d, d, d, d, now, it.key),
                    )
                db.execute("INSERT INTO item_days (day, key) VALUES (?, ?) ON CONFLICT DO NOTHING", (d, it.key))
        return new

    def stored_items(self, keys: Iterable[str], arxiv_ids: Iterable[str] = ()) -> dict[str, Item]:
        """key -> stored item, for the items whose key is one of `keys` or whose arXiv id is one of `arxiv_ids`
        (in the order they were stored). Call it inside `write()` when what it returns decides what is written."""
        rows: dict[str, tuple[int, str]] = {}  # key -> (rowid, data): each row parsed once, found by key or id
        for column, values in (("key", list(dict.fromkeys(keys))), ("arxiv_id", list(dict.fromkeys(arxiv_ids)))):
            for i in range(0, len(values), 500):
                part = values[i : i + 500]
                marks = ",".join("?" * len(part))
                for r in self.conn.execute(f"SELECT rowid, key, data FROM items WHERE {column} IN ({marks})", part):
                    rows[r[1]] = (r[0], r[2])
        return {k: Item.model_validate_json(data) for k, (_, data) in sorted(rows.items(), key=lambda kv: kv[1][0])}

    def items_for_day(self, day: dt.date, kind: str | None = None) -> list[Item]:
        sql = "SELECT i.data FROM items i JOIN item_days d ON d.key = i.key WHERE d.day = ?"
        args: list = [day.isoformat()]
        if kind:
            sql += " AND i.kind = ?"
            args.append(kind)
        sql += " ORDER BY i.created_at, i.key"
        return [Item.model_validate_json(r[0]) for r in self.conn.execute(sql, args)]

    def get_item(self, key: str) -> Item | None:
        row = self.conn.execute("SELECT data FROM items WHERE key = ?", (key,)).fetchone()
        return Item.model_validate_json(row[0]) if row else None

    # ---- runs ---------------------------------------------------------------------------
    def start_run(self, day: dt.date, command: str) -> int:
        with self.write():
            row = self.conn.execute(
                "INSERT INTO runs (day, command, started_at, pid) VALUES (?, ?, ?, ?) RETURNING id",
                (day.isoformat(), command, time.time(), os.getpid()),
            ).fetchone()
        return int(row[0])

    def finish_run(self, run_id: int, status: str, summary: dict | None = None) -> None:
        with self.write():
            self.conn.execute(
                "UPDATE runs SET finished_at = ?, status = ?, summary = ? WHERE id = ?",
                (time.time(), status, json.dumps(summary or {}, ensure_ascii=False), run_id),
            )

    def record_outcome(self, run_id: int, o: SourceOutcome) -> None:
        with self.write():  # replaced as SQLite's REPLACE does: a row recorded again comes last (by rowid)
            self.conn.execute("DELETE FROM source_outcomes WHERE run_id = ? AND source = ?", (run_id, o.source))
            self.conn.execute(
                "INSERT INTO source_outcomes (run_id, source, kind, status, items, error, duration_s, notes)"
                " VALUES (?,?,?,?,?,?,?,?)",
                (run_id, o.source, o.kind, o.status, o.items, o.error, o.duration_s, json.dumps(o.notes)),
            )

    def outcomes(self, run_id: int) -> list[SourceOutcome]:
        rows = self.conn.execute(
            "SELECT source, kind, status, items, error, duration_s, notes FROM source_outcomes WHERE run_id = ? ORDER BY rowid",
            (run_id,),
        )
        return [
            SourceOutcome(
                source=r["source"], kind=r["kind"], status=r["status"], items=r["items"], error=r["error"],
                duration_s=r["duration_s"], notes=json.loads(r["notes"] or "{}"),
            )
            for r in rows
        ]

    def last_outcomes(self) -> dict[str, tuple[str, SourceOutcome]]:
        """source -> (day of its latest run, its outcome in that run)."""
        rows = self.conn.execute(
            "SELECT o.source, r.day, o.run_id FROM source_outcomes o JOIN runs r ON r.id = o.run_id"
            " WHERE o.run_id = (SELECT MAX(o2.run_id) FROM source_outcomes o2 WHERE o2.source = o.source)"
        ).fetchall()
        out: dict[str, tuple[str, SourceOutcome]] = {}
        for r in rows:
            for o in self.outcomes(r["run_id"]):
                if o.source == r["source"]:
                    out[o.source] = (r["day"], o)
        return out

    def latest_collect_run(self, day: dt.date) -> int | None:
        row = self.conn.execute(
            "SELECT r.id FROM runs r WHERE r.day = ? AND EXISTS (SELECT 1 FROM source_outcomes o WHERE o.run_id = r.id)"
            " ORDER BY r.id DESC LIMIT 1",
            (day.isoformat(),),
        ).fetchone()
        return int(row[0]) if row else None

    # ---- reported (cross-day dedup) -------------------------------------------------------
    def mark_reported(self, day: dt.date, rows: Iterable[tuple[str, str, str, float]]) -> None:
        """rows: (key, kind, category, score). Replaces the day's previous rows (reruns are idempotent); an item
        the day's report showed before keeps the time it was first shown (`reported_at`)."""
        d = day.isoformat()
        rows = list(rows)
        kinds = {r[1] for r in rows}
        now = time.time()
        with self.write():
            first: dict[str, float] = {}
            for kind in kinds:
                for r in self.conn.execute(
                    "SELECT key, reported_at FROM reported WHERE day = ? AND kind = ?", (d, kind)
                ):
                    first[r["key"]] = r["reported_at"] or 0.0
                self.conn.execute("DELETE FROM reported WHERE day = ? AND kind = ?", (d, kind))
            self.conn.executemany(
                "INSERT INTO reported (day, key, kind, category, score, reported_at) VALUES (?,?,?,?,?,?)"
                " ON CONFLICT (day, key) DO UPDATE SET kind=excluded.kind, category=excluded.category,"
                " score=excluded.score, reported_at=excluded.reported_at",
                [(d, k, kind, c, s, first.get(k, now)) for k, kind, c, s in rows],
            )

    # An earlier day's row counts against `day` unless `day`'s own report showed the item first (a backfill of
    # an earlier day, run after `day` was published, must not empty `day` when it is rerun). Rows of `day`
    # itself never count. Rows written before schema 3 have no time: older than any row that has one.
    _EARLIER = (
        "SELECT r.key, r.day, r.score FROM reported r WHERE r.day >= ? AND r.day < ? AND NOT EXISTS ("
        " SELECT 1 FROM reported own WHERE own.day = ? AND own.key = r.key"
        " AND r.reported_at IS NOT NULL AND COALESCE(own.reported_at, 0) < r.reported_at)"
    )

    def reported_before(self, day: dt.date, window_days: int) -> dict[str, tuple[str, float]]:
        """key -> (latest earlier day it was reported on, its score then), within the window before `day`."""
        start = (day - dt.timedelta(days=window_days)).isoformat()
        rows = self.conn.execute(self._EARLIER + " ORDER BY r.day", (start, day.isoformat(), day.isoformat()))
        out: dict[str, tuple[str, float]] = {}
        for r in rows:
            out[r["key"]] = (r["day"], r["score"])
        return out

    def returned_before(self, day: dt.date, window_days: int) -> frozenset[str]:
        """Keys reported on two or more earlier days within the window: stories that already came back once."""
        start = (day - dt.timedelta(days=window_days)).isoformat()
        rows = self.conn.execute(
            f"SELECT key FROM ({self._EARLIER}) AS earlier GROUP BY key HAVING COUNT(DISTINCT day) >= 2",
            (start, day.isoformat(), day.isoformat()),
        )
        return frozenset(r[0] for r in rows)

    # ---- conditional-request validators (aidigest.infra.http.ValidatorCache) --------------------
    def get_validators(self, url: str) -> tuple[str | None, str | None, bytes | None]:
        row = self.conn.execute("SELECT etag, last_modified, body FROM http_validators WHERE url = ?", (url,)).fetchone()
        return (row["etag"], row["last_modified"], row["body"]) if row else (None, None, None)

    def put_validators(self, url: str, etag: str | None, last_modified: str | None, body: bytes) -> None:
        if not etag and not last_modified:
            return
        with self.write():
            self.conn.execute(
                "INSERT INTO http_validators (url, etag, last_modified, body, updated_at) VALUES (?,?,?,?,?)"
                " ON CONFLICT (url) DO UPDATE SET etag=excluded.etag, last_modified=excluded.last_modified,"
                " body=excluded.body, updated_at=excluded.updated_at",
                (url, etag, last_modified, body, time.time()),
            )

    # ---- a span of days (the weekly roundup, aidigest.weekly.build) ------------------------------------
    def items_between(self, start: dt.date, end: dt.date, kind: str) -> dict[str, tuple[Item, list[dt.date]]]:
        """key -> (stored item, the days from `start` to `end` inclusive it was seen on, oldest first), for the
        items of `kind` seen on any of those days; in the order they were first stored."""
        rows = self.conn.execute(
            "SELECT i.key, i.data, d.day FROM items i JOIN item_days d ON d.key = i.key"
            " WHERE d.day >= ? AND d.day <= ? AND i.kind = ? ORDER BY i.created_at, i.key, d.day",
            (start.isoformat(), end.isoformat(), kind),
        )
        out: dict[str, tuple[Item, list[dt.date]]] = {}
        for r in rows:
            if r[0] not in out:
                out[r[0]] = (Item.model_validate_json(r[1]), [])
            out[r[0]][1].append(dt.date.fromisoformat(r[2]))
        return out

    def reported_between(self, start: dt.date, end: dt.date, kind: str) -> list[tuple[dt.date, str, str, float]]:
        """(day, key, category, score) of every item of `kind` the daily reports from `start` to `end` showed."""
        rows = self.conn.execute(
            "SELECT day, key, category, score FROM reported WHERE day >= ? AND day <= ? AND kind = ? ORDER BY day, key",
            (start.isoformat(), end.isoformat(), kind),
        )
        return [(dt.date.fromisoformat(r[0]), r[1], r[2], float(r[3])) for r in rows]

    def runs_of_day(self, day: dt.date) -> list[tuple[int, str, str | None]]:
        """(run id, command, status) of every run recorded for `day`, newest first (status None: unfinished)."""
        rows = self.conn.execute("SELECT id, command, status FROM runs WHERE day = ? ORDER BY id DESC", (day.isoformat(),))
        return [(int(r[0]), str(r[1]), r[2]) for r in rows]
