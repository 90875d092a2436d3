"""Shared test helpers: paths to the real recordings copied into tests/data (see tests/data/README.md)."""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parent
DATA = TESTS / "data"
REPO = TESTS.parent
DEMO_REPLAY = REPO / "demo" / "replay" / "2026-08-02"


def data_path(*parts: str) -> Path:
    """Path of a file under tests/data; fails loudly when the recording is not there."""
    p = DATA.joinpath(*parts)
    if not p.exists():
        raise FileNotFoundError(f"test recording missing: {p}")
    return p


def data_bytes(*parts: str) -> bytes:
    return data_path(*parts).read_bytes()


# ---- the store's two backends (tests/pg_server.py starts a real PostgreSQL server) -------------------------------
import os  # noqa: E402

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def pg_server():
    """One real PostgreSQL server for the session (tests/pg_server.py). Skipped, saying why, when the server or
    psycopg is missing; in CI (CI set) that is a failure instead."""
    from pg_server import PgServer, find_bin

    why = None
    bindir = find_bin()
    if bindir is None:
        why = "PostgreSQL server binaries not found (Debian package postgresql; scripts/system-deps.sh installs it)"
    else:
        try:
            import psycopg  # noqa: F401
        except ImportError:
            why = "psycopg not installed (pip install -e '.[test]')"
    if why:
        if os.environ.get("CI"):
            pytest.fail(f"CI: {why}")
        pytest.skip(why)
    assert bindir is not None
    server = PgServer(bindir).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_db(request, tmp_path) -> str:
    """A fresh store on each backend: a SQLite file path, or the URL of a new PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "store.sqlite3")
    return request.getfixturevalue("pg_server").new_db()
