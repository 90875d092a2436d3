"""The schema list of the release before named migration sets (aidigest.infra.store.MIGRATIONS at commit 6c11cbf, copied
verbatim): `PRAGMA user_version` N meant "the first N scripts ran". Tests build the stores older releases left (user
version 1-4) with it and check that the current store brings them to named migration sets with nothing lost."""

from __future__ import annotations

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
    # 3: concurrent runs and backfills: which process a run is (named when a run is refused), and when a day's
    #    report first showed an item (a backfill of an earlier day, made later, does not take it from that day)
    """
    ALTER TABLE runs ADD COLUMN pid INTEGER;
    ALTER TABLE reported ADD COLUMN reported_at REAL;
    """,
    # 4: deliveries of the day's digest (aidigest.deliver): one row per (day, kind, target); target is a hash of
    #    the target URL, never the URL (it may hold a secret)
    """
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
    """,
    # 5: work already done, never redone (aidigest.reuse): sentence embeddings by text hash (per encoder),
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
