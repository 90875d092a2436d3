"""SQLite store: items, per-day membership, runs and per-source outcomes, reported items, LLM cache/log.

One real sqlite3 connection; the schema is created and migrated automatically (PRAGMA user_version).
Items are upserted by canonical key, so rerunning a day never adds rows.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path

from .dedupe.merge import merge_pair
from .models import Item, SourceOutcome

MIGRATIONS: list[str] = [
    # 1: initial schema
    """
    CREATE TABLE items (
        key         TEXT PRIMARY KEY,
        kind        TEXT NOT NULL,
        title       TEXT NOT NULL,
        url         TEXT NOT NULL,
        arxiv_id    TEXT,
        data        TEXT NOT NULL,           -- Item as JSON
        first_day   TEXT NOT NULL,
        last_day    TEXT NOT NULL,
        created_at  REAL NOT NULL,
        updated_at  REAL NOT NULL
    );
    CREATE INDEX items_arxiv ON items(arxiv_id);
    CREATE TABLE item_days (
        day  TEXT NOT NULL,
        key  TEXT NOT NULL REFERENCES items(key),
        PRIMARY KEY (day, key)
    );
    CREATE TABLE runs (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        day         TEXT NOT NULL,
        command     TEXT NOT NULL,
        started_at  REAL NOT NULL,
        finished_at REAL,
        status      TEXT,
        summary     TEXT                     -- JSON: counters, fallbacks, llm totals
    );
    CREATE TABLE source_outcomes (
        run_id     INTEGER NOT NULL REFERENCES runs(id),
        source     TEXT NOT NULL,
        kind       TEXT NOT NULL,
        status     TEXT NOT NULL,
        items      INTEGER NOT NULL,
        error      TEXT,
        duration_s REAL NOT NULL,
        notes      TEXT NOT NULL DEFAULT '{}',
        PRIMARY KEY (run_id, source)
    );
    CREATE TABLE reported (
        day       TEXT NOT NULL,
        key       TEXT NOT NULL,
        kind      TEXT NOT NULL,
        category  TEXT NOT NULL,
        score     REAL NOT NULL,
        PRIMARY KEY (day, key)
    );
    CREATE INDEX reported_key ON reported(key);
    CREATE TABLE llm_cache (
        cache_key   TEXT PRIMARY KEY,
        provider    TEXT NOT NULL,
        model       TEXT NOT NULL,
        response    TEXT NOT NULL,           -- JSON of the provider-neutral result
        tokens_in   INTEGER NOT NULL,
        tokens_out  INTEGER NOT NULL,
        cost_usd    REAL NOT NULL,
        created_at  REAL NOT NULL
    );
    CREATE TABLE llm_calls (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id      INTEGER,
        provider    TEXT NOT NULL,
        model       TEXT NOT NULL,
        purpose     TEXT NOT NULL,
        cache_key   TEXT,
        cached      INTEGER NOT NULL,
        status      TEXT NOT NULL,           -- ok | error | cached | budget
        tokens_in   INTEGER NOT NULL DEFAULT 0,
        tokens_out  INTEGER NOT NULL DEFAULT 0,
        cost_usd    REAL NOT NULL DEFAULT 0,
        latency_s   REAL NOT NULL DEFAULT 0,
        error       TEXT,
        created_at  REAL NOT NULL
    );
    CREATE TABLE http_validators (
        url           TEXT PRIMARY KEY,
        etag          TEXT,
        last_modified TEXT,
        body          BLOB,
        updated_at    REAL NOT NULL
    );
    """,
    # 2: LLM layer (aidigest.llm): cache hit counts, structured-output mode per cache entry and call,
    #    and the structured-output mode discovered per endpoint + model (so later runs skip discovery)
    """
    ALTER TABLE llm_cache ADD COLUMN mode TEXT NOT NULL DEFAULT 'text';
    ALTER TABLE llm_cache ADD COLUMN hits INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE llm_cache ADD COLUMN last_hit_at REAL;
    ALTER TABLE llm_calls ADD COLUMN mode TEXT;
    ALTER TABLE llm_calls ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX llm_calls_run ON llm_calls(run_id);
    CREATE TABLE llm_modes (
        provider    TEXT NOT NULL,
        base_url    TEXT NOT NULL,
        model       TEXT NOT NULL,
        mode        TEXT NOT NULL,
        updated_at  REAL NOT NULL,
        PRIMARY KEY (provider, base_url, model)
    );
    """,
    # 3: work already done, never redone (aidigest.reuse): sentence embeddings by text hash (per encoder),
    #    offline predictions by text hash (per classifier fingerprint), article snippets with their fetch date,
    #    extractive section summaries by their inputs
    """
    CREATE TABLE IF NOT EXISTS embeddings (
        encoder     TEXT NOT NULL,
        text_hash   TEXT NOT NULL,
        vector      BLOB NOT NULL,           -- float32, little-endian
        created_at  REAL NOT NULL,
        PRIMARY KEY (encoder, text_hash)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS offline_labels (
        model       TEXT NOT NULL,
        text_hash   TEXT NOT NULL,
        category    TEXT NOT NULL,
        confidence  REAL NOT NULL,
        created_at  REAL NOT NULL,
        PRIMARY KEY (model, text_hash)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS snippets (
        url         TEXT NOT NULL,
        max_chars   INTEGER NOT NULL,
        snippet     TEXT NOT NULL,
        fetched_day TEXT NOT NULL,
        fetched_at  REAL NOT NULL,
        PRIMARY KEY (url, max_chars)
    );
    CREATE TABLE IF NOT EXISTS offline_summaries (
        cache_key   TEXT PRIMARY KEY,        -- hash of the code, language, section items, total, day's corpus
        draft       TEXT NOT NULL,           -- JSON: {"summary": SectionSummary, "tldrs": [...]}
        created_at  REAL NOT NULL
    );
    """,
]


class Store:
    def __init__(self, path: str | Path = ":memory:"):
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(self.path)
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("PRAGMA foreign_keys = ON")
        if self.path != ":memory:":
            self.conn.execute("PRAGMA journal_mode = WAL")
        self.migrate()

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---- schema -------------------------------------------------------------------------
    def migrate(self) -> None:
        version = self.conn.execute("PRAGMA user_version").fetchone()[0]
        for i, script in enumerate(MIGRATIONS[version:], start=version + 1):
            with self.conn:
                self.conn.executescript(script)
                self.conn.execute(f"PRAGMA user_version = {i}")

    @property
    def schema_version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    def count(self, table: str) -> int:
        if table not in {"items", "item_days", "runs", "source_outcomes", "reported", "llm_cache", "llm_calls"}:
            raise ValueError(table)
        return self.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]

    # ---- items --------------------------------------------------------------------------
    def upsert_items(self, day: dt.date, items: Iterable[Item]) -> int:
        """Insert or merge items by canonical key (or arXiv id) and mark them as seen on `day`.

        Returns the number of new item rows."""
        new = 0
        now = time.time()
        d = day.isoformat()
        with self.conn:
            for it in items:
                row = self.conn.execute("SELECT key, data, first_day, last_day FROM items WHERE key = ?", (it.key,)).fetchone()
                if row is None and it.arxiv_id:
                    row = self.conn.execute(
                        "SELECT key, data, first_day, last_day FROM items WHERE arxiv_id = ?", (it.arxiv_id,)
                    ).fetchone()
                if row is None:
                    self.conn.execute(
                        "INSERT INTO items (key, kind, title, url, arxiv_id, data, first_day, last_day, created_at, updated_at)"
                        " VALUES (?,?,?,?,?,?,?,?,?,?)",
                        (it.key, it.kind, it.title, it.url, it.arxiv_id, it.model_dump_json(), d, d, now, now),
                    )
                    key = it.key
                    new += 1
                else:
                    key = row["key"]
                    merged = merge_pair(Item.model_validate_json(row["data"]), it).model_copy(update={"key": key})
                    self.conn.execute(
                        "UPDATE items SET kind=?, title=?, url=?, arxiv_id=?, data=?, first_day=min(first_day, ?),"
                        " last_day=max(last_day, ?), updated_at=? WHERE key=?",
                        (merged.kind, merged.title, merged.url, merged.arxiv_id, merged.model_dump_json(), d, d, now, key),
                    )
                self.conn.execute("INSERT OR IGNORE INTO item_days (day, key) VALUES (?, ?)", (d, key))
        return new

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
        with self.conn:
            cur = self.conn.execute(
                "INSERT INTO runs (day, command, started_at) VALUES (?, ?, ?)", (day.isoformat(), command, time.time())
            )
        return int(cur.lastrowid)

    def finish_run(self, run_id: int, status: str, summary: dict | None = None) -> None:
        with self.conn:
            self.conn.execute(
                "UPDATE runs SET finished_at = ?, status = ?, summary = ? WHERE id = ?",
                (time.time(), status, json.dumps(summary or {}, ensure_ascii=False), run_id),
            )

    def record_outcome(self, run_id: int, o: SourceOutcome) -> None:
        with self.conn:
            self.conn.execute(
                "INSERT OR REPLACE INTO source_outcomes (run_id, source, kind, status, items, error, duration_s, notes)"
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
        """rows: (key, kind, category, score). Replaces the day's previous rows (reruns are idempotent)."""
        d = day.isoformat()
        rows = list(rows)
        kinds = {r[1] for r in rows}
        with self.conn:
            for kind in kinds:
                self.conn.execute("DELETE FROM reported WHERE day = ? AND kind = ?", (d, kind))
            self.conn.executemany(
                "INSERT OR REPLACE INTO reported (day, key, kind, category, score) VALUES (?,?,?,?,?)",
                [(d, k, kind, c, s) for k, kind, c, s in rows],
            )

    def reported_before(self, day: dt.date, window_days: int) -> dict[str, tuple[str, float]]:
        """key -> (latest earlier day it was reported on, its score then), within the window before `day`."""
        start = (day - dt.timedelta(days=window_days)).isoformat()
        rows = self.conn.execute(
            "SELECT key, day, score FROM reported WHERE day >= ? AND day < ? ORDER BY day",
            (start, day.isoformat()),
        )
        out: dict[str, tuple[str, float]] = {}
        for r in rows:
            out[r["key"]] = (r["day"], r["score"])
        return out

    def returned_before(self, day: dt.date, window_days: int) -> frozenset[str]:
        """Keys reported on two or more earlier days within the window: stories that already came back once."""
        start = (day - dt.timedelta(days=window_days)).isoformat()
        rows = self.conn.execute(
            "SELECT key FROM reported WHERE day >= ? AND day < ? GROUP BY key HAVING COUNT(DISTINCT day) >= 2",
            (start, day.isoformat()),
        )
        return frozenset(r[0] for r in rows)

    # ---- conditional-request validators (aidigest.http.ValidatorCache) --------------------
    def get_validators(self, url: str) -> tuple[str | None, str | None, bytes | None]:
        row = self.conn.execute("SELECT etag, last_modified, body FROM http_validators WHERE url = ?", (url,)).fetchone()
        return (row["etag"], row["last_modified"], row["body"]) if row else (None, None, None)

    def put_validators(self, url: str, etag: str | None, last_modified: str | None, body: bytes) -> None:
        if not etag and not last_modified:
            return
        with self.conn:
            self.conn.execute(
                "INSERT OR REPLACE INTO http_validators (url, etag, last_modified, body, updated_at) VALUES (?,?,?,?,?)",
                (url, etag, last_modified, body, time.time()),
            )
