"""Helpers for the tests that drive `aidigest` as a user would: real subprocesses, real SQLite files, the
demo's real recording (and the same real bodies served for another date)."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "demo" / "replay" / "2026-08-02"
DAY = "2026-08-02"


def cli_env(extra: dict | None = None) -> dict:
    e = {k: v for k, v in os.environ.items() if not k.startswith(("AIDIGEST_", "OPENAI_", "ANTHROPIC_", "TOGETHER_"))}
    e.update(extra or {})
    e["COLUMNS"] = "200"
    return e


def aidigest(*args: str, cwd: Path, env: dict | None = None, stdin: str | bytes | None = None, timeout: int = 300,
             **kw) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "aidigest.cli", *args], cwd=cwd, env=cli_env(env), input=stdin, capture_output=True,
        text=not isinstance(stdin, bytes), timeout=timeout, **kw,
    )


def start(*args: str, cwd: Path, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "aidigest.cli", *args], cwd=cwd, env=cli_env(env), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )


def no_traceback(r) -> bool:
    return "Traceback" not in (r.stderr or "") and "Traceback" not in (r.stdout or "")


def last_line(text: str) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1] if lines else ""


def recording_for(day: dt.date, dest: Path) -> Path:
    """A replay recording for `day` serving the demo's real bodies (byte for byte) at the URLs our sources ask
    for `day`: what a source that is not date-addressable does (an RSS feed answers its latest entries whatever
    the date), so a backfill of `day` sees the same items as 2026-08-02."""
    import httpx

    from aidigest.config import Config
    from aidigest.sources import arxiv, hackernews, hf_papers

    cfg = Config()
    hn, ax = cfg.sources.hackernews, cfg.sources.arxiv
    urls = {
        "hn.algolia.com": str(httpx.URL(hackernews.ALGOLIA_URL, params=hackernews.algolia_params(day, hn.min_points, 0))),
        "huggingface.co": str(httpx.URL(hf_papers.API_URL, params=hf_papers.request_url(day)[1])),
        "export.arxiv.org": str(httpx.URL(arxiv.API_URL, params=arxiv.page_params(
            day, ax.categories, 0, min(ax.page_size, ax.max_results)))),
    }
    index = json.loads((DEMO / "index.json").read_text(encoding="utf-8"))
    (dest / "bodies").mkdir(parents=True, exist_ok=True)
    for e in index["entries"]:
        host = httpx.URL(e["url"]).host
        shutil.copyfile(DEMO / e["body_file"], dest / e["body_file"])
        e["url"] = urls[host]
        e["note"] = f"the 2026-08-02 demo body served for {day} (tests/clihelp.py recording_for)"
    (dest / "index.json").write_text(json.dumps(index, indent=1), encoding="utf-8")
    return dest


def runs(db: Path) -> list[dict]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute("SELECT * FROM runs ORDER BY id")]
    finally:
        conn.close()


def wait_for_running(db: Path, proc: subprocess.Popen, timeout: float = 120) -> dict:
    """Wait until `proc` has a run row in the store that is not finished; return it."""
    end = time.time() + timeout
    while time.time() < end:
        if proc.poll() is not None:
            raise AssertionError(f"process ended early: rc={proc.returncode} {proc.stderr.read()}")
        if db.exists():
            try:
                for r in runs(db):
                    if r.get("finished_at") is None and r.get("pid") in (None, proc.pid):  # no pid column before schema 3
                        return r
            except sqlite3.Error:
                pass
        time.sleep(0.05)
    raise AssertionError("the run never started")


def temp_files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*.tmp"))


def llm_line(stdout: str) -> tuple[int, int]:
    """(calls, tokens) from a run's LLM line against the fake OpenAI-compatible server's model."""
    m = re.search(r"LLM: openai:fake-model — (\d+) calls, \d+ cached, (\d+) tokens", stdout)
    assert m, stdout[-2000:]
    return int(m.group(1)), int(m.group(2))
