"""Every table's schema, as named migration sets in one ordered list that every store applies when it opens.

    STORE = Migrations("store", (                    # one set per owner; the name is stored, never change it
        Step("001_items_runs_reported", "CREATE TABLE items (...); ..."),
        Step("002_run_pid_reported_at", "ALTER TABLE runs ADD COLUMN pid ..."),  # append; never edit a released step
    ))
    SETS = (STORE, LLM, REUSE, DELIVER, PROFILES)  # applied in this order

Like simonw/llm's migrations.py: one list, one call. The store (aidigest.infra.store) applies the missing steps of
`SETS` when it opens, in one `BEGIN IMMEDIATE` transaction (the applied steps are read again under the write lock, so
processes opening one store together apply each step once), so which tables a store has never depends on which
modules a process happened to import. The table `_migrations(set, name, applied_at)` records every step that ran.
A set is declared here, not in its owner's module, because the store (infrastructure) must not import the stages
that own tables; each owner still holds the only SQL on its tables and names its set (`MIGRATIONS = LLM`).
`store.ensure(set)` applies a set that is not in `SETS` (a test's) on first use; for the listed ones it costs a set
lookup.

Bridging: before named sets, one list in store.py made every table (`PRAGMA user_version` 1-5). A step made by that
list says so with `legacy=N` (the list's migration N made it); in a store of that time at version V, steps with
`legacy <= V` are recorded as applied without running (their tables and columns are there, with their rows), the
others run. The store records V (set `legacy_user_version`), so a set ensured later is bridged the same way.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    name: str
    sql: str  # one or more statements
    legacy: int | None = None  # the migration of the single list (user_version 1-5) that made the same schema


@dataclass(frozen=True)
class Migrations:
    """An owner's ordered, named schema steps."""

    name: str
    steps: tuple[Step, ...] = ()

    def __post_init__(self) -> None:
        names = [s.name for s in self.steps]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"migration {self.name}/{twice[0]} is defined twice")


# the store's own tables (aidigest.infra.store)
STORE = Migrations("store", (
    Step("001_items_runs_reported", """
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
    CREATE TABLE http_validators (
        url           TEXT PRIMARY KEY,
        etag          TEXT,
        last_modified TEXT,
        body          BLOB,
        updated_at    REAL NOT NULL
    );
""", legacy=1),
    # concurrent runs and backfills: which process a run is (named when a run is refused), and when a day's report first
    # showed an item (a backfill of an earlier day, made later, does not take it from that day)
    Step("002_run_pid_reported_at", """
    ALTER TABLE runs ADD COLUMN pid INTEGER;
    ALTER TABLE reported ADD COLUMN reported_at REAL;
""", legacy=3),
))

# the LLM cache, call log and remembered structured-output modes (aidigest.llm.cache)
LLM = Migrations("llm", (
    Step("001_cache_and_calls", """
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
""", legacy=1),
    # cache hit counts, structured-output mode per cache entry and call, and the structured-output mode discovered per
    # endpoint + model (so later runs skip discovery)
    Step("002_hits_and_modes", """
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
""", legacy=2),
))

# what later runs reuse (aidigest.reuse)
REUSE = Migrations("reuse", (
    # sentence embeddings by text hash (per encoder), offline predictions by text hash (per classifier fingerprint),
    # article snippets with their fetch date, extractive section summaries by their inputs
    Step("001_embeddings_labels_snippets_summaries", """
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
""", legacy=5),
))

# deliveries (aidigest.deliver.notify)
DELIVER = Migrations("deliver", (
    # one row per (day, kind, target); target is a hash of the target URL, never the URL (it may hold a secret)
    Step("001_deliveries", """
    CREATE TABLE deliveries (
        day         TEXT NOT NULL,
        kind        TEXT NOT NULL,
        target      TEXT NOT NULL,
        label       TEXT NOT NULL,           -- the target as shown: position + apprise privacy URL
        status      TEXT NOT NULL,           -- sent | failed
        parts       INTEGER NOT NULL DEFAULT 0,
        parts_sent  INTEGER NOT NULL DEFAULT 0,
        attempts    INTEGER NOT NULL DEFAULT 0,
        error       TEXT,
        updated_at  REAL NOT NULL,
        PRIMARY KEY (day, kind, target)
    );
""", legacy=4),
    # the weekly roundup (aidigest week): one row per (ISO week, kind, target), the same columns as a day's
    Step("002_week_deliveries", """
    CREATE TABLE week_deliveries (
        week        TEXT NOT NULL,           -- ISO week, e.g. 2026-W31
        kind        TEXT NOT NULL,
        target      TEXT NOT NULL,
        label       TEXT NOT NULL,
        status      TEXT NOT NULL,           -- sent | failed
        parts       INTEGER NOT NULL DEFAULT 0,
        parts_sent  INTEGER NOT NULL DEFAULT 0,
        attempts    INTEGER NOT NULL DEFAULT 0,
        error       TEXT,
        updated_at  REAL NOT NULL,
        PRIMARY KEY (week, kind, target)
    );
"""),
))

# the reader profiles' liked papers and no-repeat memory (aidigest.profiles.reader)
PROFILES = Migrations("profiles", (
    Step("001_liked_reported", """
    CREATE TABLE profile_liked (
        profile   TEXT NOT NULL,
        arxiv_id  TEXT NOT NULL,
        added_at  REAL NOT NULL,
        PRIMARY KEY (profile, arxiv_id)
    );
    CREATE TABLE profile_reported (
        profile   TEXT NOT NULL,
        day       TEXT NOT NULL,
        key       TEXT NOT NULL,
        kind      TEXT NOT NULL,
        category  TEXT NOT NULL,
        score     REAL NOT NULL,
        PRIMARY KEY (profile, day, key)
    );
"""),
))

# every set, in the order a store applies them (and `aidigest store copy` copies their tables: a referenced row first)
SETS: tuple[Migrations, ...] = (STORE, LLM, REUSE, DELIVER, PROFILES)
