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
