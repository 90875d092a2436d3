"""`aidigest store copy SRC DST`: every owner's tables from one store to another, SQLite <-> PostgreSQL.

The tables are the ones the migration sets create (aidigest.infra.migrations.SETS: the store's, then every owner's, in
the list's order, so a referenced row is copied before the rows that reference it). Both stores are opened
(and so migrated to this aidigest's schema) first; DST must be empty. Rows are read in the order they were inserted
(SQLite's rowid, the PostgreSQL backend's `rowid` column) and inserted in that order, so what is ordered by
insertion stays so; ids (runs, LLM calls) are copied as they are and the identity counters moved past them. The
copy is one write transaction on DST: a failure leaves it empty. Returns table -> rows copied, each count checked
against SRC.
"""

from __future__ import annotations

import re

from .migrations import SETS
from .store import Store, StoreError

_CREATE = re.compile(r"CREATE TABLE(?:\s+IF NOT EXISTS)?\s+(\w+)", re.I)
BATCH = 1000


def owner_tables() -> list[str]:
    """Every table a migration set creates, in the order of the sets (the store's first) and their steps."""
    tables: list[str] = []
    for m in SETS:
        for step in m.steps:
            tables += [t for t in _CREATE.findall(step.sql) if t not in tables]
    return tables


def _columns(store: Store, table: str) -> list[str]:
    rows: list = []
    if store.pg is not None:
        rows = store.query("SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema()"
                           " AND table_name = ? ORDER BY ordinal_position", (table,))
    else:
        rows = [(r[1],) for r in store.query(f"PRAGMA table_info({table})")]
    return [r[0] for r in rows if r[0] != "rowid"]


def _has_rowid(store: Store, table: str) -> bool:
    if store.pg is not None:
        return bool(store.scalar("SELECT COUNT(*) FROM information_schema.columns WHERE table_schema ="
                                 " current_schema() AND table_name = ? AND column_name = 'rowid'", (table,)))
    sql = store.scalar("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)) or ""
    return "WITHOUT ROWID" not in sql.upper()


def copy_store(src: str, dst: str) -> dict[str, int]:
    tables = owner_tables()
    with Store(src) as a, Store(dst) as b:
        if src == dst or a.path == b.path:
            raise StoreError(f"store copy: SRC and DST are the same store ({a.path})")
        full = [t for t in tables if b.scalar(f"SELECT COUNT(*) FROM {t}")]
        if full:
            raise StoreError(f"store copy: {b.path} is not empty ({', '.join(full[:3])} have rows); copy into a new "
                             "store")
        copied: dict[str, int] = {}
        with b.write() as db:
            for t in tables:
                cols = [c for c in _columns(a, t) if c in set(_columns(b, t))]
                names = ", ".join(cols)
                order = " ORDER BY rowid" if _has_rowid(a, t) else ""
                insert = f"INSERT INTO {t} ({names}) VALUES ({', '.join('?' * len(cols))})"
                rows = [tuple(r) for r in a.query(f"SELECT {names} FROM {t}{order}")]
                for i in range(0, len(rows), BATCH):
                    db.executemany(insert, rows[i : i + BATCH])
                copied[t] = len(rows)
                if b.pg is not None and "id" in cols and rows:  # move the identity past the copied ids
                    b.pg.execute(f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), (SELECT MAX(id) FROM {t}))")
            for t in tables:
                if b.scalar(f"SELECT COUNT(*) FROM {t}") != a.scalar(f"SELECT COUNT(*) FROM {t}"):
                    raise StoreError(f"store copy: {t} has a different row count in {b.path}; nothing was copied")
    return copied
