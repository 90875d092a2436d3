"""A hanging LLM endpoint with the DEFAULT settings: how long until the reports are written?

    .venv/bin/python bench/hang.py            # prints the numbers, writes bench/results/<date>-<machine>-hang.md

`aidigest run` (a real subprocess, default config: timeout_s 120, call_deadline_s 180, run_deadline_s 240,
breaker_failures 3) on the demo's recorded day 2026-08-02, `--llm openai:gpt-4o-mini` pointed at the fake
OpenAI-compatible server of tests/fakes on 127.0.0.1, which accepts every request and never answers (each
request is held 900 s). Target (issue 8): the reports are written within 5 minutes and the fallbacks are named.
Before issue 8 the same run was still going after 15 minutes.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from fakes import Reply  # noqa: E402
from fakes.fake_openai import FakeOpenAIServer  # noqa: E402

DAY = "2026-08-02"
TARGET_S = 300.0


def main() -> int:
    write = "--no-write" not in sys.argv
    with tempfile.TemporaryDirectory() as tmp, FakeOpenAIServer(responder=lambda req: Reply.hang_forever(900)) as srv:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AIDIGEST_", "OPENAI_", "ANTHROPIC_"))}
        env.update({"OPENAI_BASE_URL": srv.base_url, "OPENAI_API_KEY": "sk-bench-not-a-key"})
        t0 = time.monotonic()
        r = subprocess.run(
            [sys.executable, "-m", "aidigest.cli", "run", "--date", DAY, "--replay", str(ROOT / "demo" / "replay" / DAY),
             "--db", f"{tmp}/s.db", "--out", f"{tmp}/out", "--llm", "openai:gpt-4o-mini"],
            cwd=tmp, env=env, capture_output=True, text=True, timeout=1800,
        )
        wall = time.monotonic() - t0
        asked = srv.count
        reports = sorted(p.name for p in Path(tmp, "out", DAY).glob("*.md")) if Path(tmp, "out", DAY).exists() else []
        health = ""
        if reports:
            md = Path(tmp, "out", DAY, reports[0]).read_text()
            health = md[md.index("🩺"):] if "🩺" in md else ""
    fallbacks = re.findall(r"^ - (.*(?:→).*)$", health, re.M)
    offline = re.findall(r"LLM switched off[^\n]*", health)
    lines = [
        f"# Hanging LLM endpoint, default settings ({dt.date.today()}, {socket.gethostname()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()})",
        "",
        "| measure | value |",
        "|---|---|",
        f"| exit code | {r.returncode} |",
        f"| wall time to reports written | {wall:.1f} s (target ≤ {TARGET_S:.0f} s: {'met' if wall <= TARGET_S and reports else 'NOT met'}) |",
        f"| requests the hanging server received | {asked} |",
        f"| reports written | {', '.join(reports) or 'none'} |",
        f"| fallbacks named in run health | {len(fallbacks)} |",
        "",
        "Run health says:",
        "",
        *(f"- {x}" for x in offline[:1] + fallbacks[:8]),
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if write:
        out = ROOT / "bench" / "results" / f"{dt.date.today()}-{socket.gethostname()}-hang.md"
        out.write_text(text, encoding="utf-8")
        print(f"wrote {out}")
    return 0 if (wall <= TARGET_S and reports and r.returncode == 0) else 1


if __name__ == "__main__":
    raise SystemExit(main())
