"""Named migration sets: every module that owns SQLite tables declares them in its own ordered set.

    MIGRATIONS = Migrations("llm")                   # one set per owner; the name is stored, never change it
    MIGRATIONS.add("001_cache_and_calls", "CREATE TABLE llm_cache (...); ...")
    MIGRATIONS.add("002_modes", "ALTER TABLE llm_cache ADD COLUMN mode ...")   # append; never edit a released step

    store.ensure(MIGRATIONS)                         # before the owner's first statement on a store (cheap after)

The store (aidigest.infra.store) applies its own set and every set defined so far when it opens, in one
`BEGIN IMMEDIATE` transaction; `store.ensure(set)` applies a set defined after the store was opened (also one such
transaction; the applied steps are read again under the write lock, so processes opening one store together apply
each step once). The table `_migrations(set, name, applied_at)` records every step that ran.

Bridging: before named sets, one list in store.py made every table (`PRAGMA user_version` 1-5). A step made by that
list says so with `legacy=N` (the list's migration N made it); in a store of that time at version V, steps with
`legacy <= V` are recorded as applied without running (their tables and columns are there, with their rows), the
others run. The store records V (set `legacy_user_version`), so a set ensured later is bridged the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Step:
    name: str
    sql: str  # one or more statements
    legacy: int | None = None  # the migration of the single list (user_version 1-5) that made the same schema


@dataclass
class Migrations:
    """An owner's ordered, named schema steps. Creating one registers it (`SETS`) for stores opened later."""

    name: str
    steps: list[Step] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.name in SETS:
            raise ValueError(f"migration set {self.name!r} is defined twice")
        SETS[self.name] = self

    def add(self, name: str, sql: str, *, legacy: int | None = None) -> Step:
        if any(s.name == name for s in self.steps):
            raise ValueError(f"migration {self.name}/{name} is defined twice")
        step = Step(name, sql, legacy)
        self.steps.append(step)
        return step


SETS: dict[str, Migrations] = {}  # every set defined so far, in definition order
