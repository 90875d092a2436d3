"""Bench: a 30-day backfill through the LLM path, sequential vs `--jobs 4` vs two worker processes on PostgreSQL.

    python bench/backfill.py [--days 30] [--llm-latency 1.0] [--tokens-per-s 100] [--slots 16] [--jobs 4]

Inputs: the demo day's real recording served for each of the days (tests/clihelp.py `recording_for`), each earlier
day's titles prefixed with its date (else every day after the first is answered from the LLM cache), the bench's fake LLM (bench/fake_llm.py: valid answers,
each call waits `latency + tokens_out / tokens_per_s`; at most `slots` served at once, like a server with 16
slots), `[llm] concurrency` = slots, and `[digest] repeat_window_days = 0` so every day does the same work whatever
order its days run in. Every mode starts from an empty store, so no LLM answer is cached from another mode.
PostgreSQL: a real server started by tests/pg_server.py (needs Debian's postgresql and psycopg).

Modes (all `aidigest run --from D1 --to DN --replay … --llm openai:fake-model`):
- sequential: one process, SQLite (the default);
- jobs: one process, `--jobs N`, SQLite;
- jobs-pg: one process, `--jobs N`, PostgreSQL;
- two workers: the same command started twice against one PostgreSQL database (days claimed from the store);
- two workers x jobs: both with `--jobs N`.
Prints one Markdown table: wall seconds, LLM calls, the peak of calls in flight at the fake, the LLM slot floor
(the calls' nominal service seconds / slots: no schedule of those calls on those slots can be faster), speed-up.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "bench"))

LAST_DAY = dt.date(2026, 8, 2)  # the demo day; the backfill ends on it


def recording(days: list[dt.date], dest: Path) -> Path:
    """One replay folder for every day: the demo day's real bodies at each day's URLs, each earlier day's titles
    prefixed with its date (so no day's LLM prompt is another's, as in a real backfill, where days have different
    items: without it every day after the first is answered from the LLM cache)."""
    from clihelp import DEMO, recording_for

    index = json.loads((DEMO / "index.json").read_text(encoding="utf-8"))
    shutil.copytree(DEMO, dest)
    for d in days:
        if d == LAST_DAY:
            continue
        rec = recording_for(d, dest.parent / f"rec-{d}")
        for e in json.loads((rec / "index.json").read_text(encoding="utf-8"))["entries"]:
            body = (rec / e["body_file"]).read_bytes()
            tag = f"{d} · ".encode()
            body = body.replace(b'"title":"', b'"title":"' + tag).replace(b"<title>", b"<title>" + tag)
            e["body_file"] = f"bodies/{d}-{Path(e['body_file']).name}"
            e["note"] += f"; titles prefixed with '{d} · ' (bench/backfill.py)"
            (dest / e["body_file"]).write_bytes(body)
            index["entries"].append(e)
        shutil.rmtree(rec)
    (dest / "index.json").write_text(json.dumps(index, indent=1), encoding="utf-8")
    return dest


def peak_in_flight(requests: list) -> int:
    events = sorted([(r.t_arrive, 1) for r in requests if hasattr(r, "t_end")]
                    + [(r.t_end, -1) for r in requests if hasattr(r, "t_end")])
    peak = cur = 0
    for _, step in events:
        cur += step
        peak = max(peak, cur)
    return peak


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--llm-latency", type=float, default=1.0)
    ap.add_argument("--tokens-per-s", type=float, default=100.0)
    ap.add_argument("--slots", type=int, default=16)
    ap.add_argument("--jobs", type=int, default=4)
    ap.add_argument("--modes", default="sequential,jobs,jobs-pg,two-workers,two-workers-jobs")
    a = ap.parse_args()

    from e2e import worker_prepare
    from fake_llm import Responder, TimedFakeOpenAI
    from pg_server import PgServer, find_bin

    days = [LAST_DAY - dt.timedelta(days=i) for i in range(a.days)][::-1]
    tmp = Path(tempfile.mkdtemp(prefix="aidigest-bench-backfill-"))
    pg = None
    try:
        rec = recording(days, tmp / "rec")
        prep = worker_prepare(tmp)
        cfg = tmp / "aidigest.toml"
        cfg.write_text(f"[llm]\nconcurrency = {a.slots}\n[digest]\nrepeat_window_days = 0\n", encoding="utf-8")
        modes = a.modes.split(",")
        if any("pg" in m or "workers" in m for m in modes):
            bindir = find_bin()
            if bindir is None:
                sys.exit("bench/backfill.py: PostgreSQL server binaries not found (Debian package postgresql)")
            pg = PgServer(bindir).start()
        responder = Responder(prep["categories"], prep["reported_ids"])
        rows = []
        base_wall = None
        with TimedFakeOpenAI(responder=responder, latency_s=a.llm_latency, tokens_per_s=a.tokens_per_s,
                             slots=a.slots) as srv:
            env = {k: v for k, v in os.environ.items() if not k.startswith(("AIDIGEST_", "OPENAI_"))}
            env.update({"OPENAI_BASE_URL": srv.base_url, "OPENAI_API_KEY": "sk-bench"})
            for mode in modes:
                work = tmp / mode
                work.mkdir()
                db = pg.new_db("bench") if pg is not None and ("pg" in mode or "workers" in mode) else str(
                    work / "store.sqlite3")
                args = [sys.executable, "-m", "aidigest.cli", "run", "--from", days[0].isoformat(), "--to",
                        days[-1].isoformat(), "--replay", str(rec), "--db", db, "--llm", "openai:fake-model",
                        "--config", str(cfg)]
                jobs = ["--jobs", str(a.jobs)] if "jobs" in mode else []
                n = 2 if "workers" in mode else 1
                before = len(srv.requests)
                t0 = time.monotonic()
                procs = [subprocess.Popen([*args, *jobs, "--out", str(work / f"out{i}")], env=env, cwd=work,
                                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                         for i in range(n)]
                for p in procs:
                    out, err = p.communicate(timeout=3600)
                    if p.returncode != 0:
                        sys.exit(f"{mode}: exit {p.returncode}\n{out[-2000:]}\n{err[-2000:]}")
                wall = time.monotonic() - t0
                reqs = srv.requests[before:]
                reports = sum(1 for i in range(n) for _ in (work / f"out{i}").rglob("*_report.md"))
                base_wall = base_wall or wall
                label = {"sequential": "sequential (SQLite)", "jobs": f"--jobs {a.jobs} (SQLite)",
                         "jobs-pg": f"--jobs {a.jobs} (PostgreSQL)", "two-workers": "two workers (PostgreSQL)",
                         "two-workers-jobs": f"two workers x --jobs {a.jobs} (PostgreSQL)"}[mode]
                floor = sum(srv.service_s(r) for r in reqs) / a.slots  # slot-seconds / slots
                rows.append((label, wall, len(reqs), peak_in_flight(reqs), floor, reports, base_wall / wall))
                print(f"{label}: {wall:.1f} s", file=sys.stderr, flush=True)
        print(f"\n{a.days}-day backfill, fake LLM {a.llm_latency:g} s + tokens/{a.tokens_per_s:g} per call, "
              f"{a.slots} slots, [llm] concurrency {a.slots}\n")
        print("| mode | wall s | LLM calls | peak calls in flight | LLM slot floor s | reports | speed-up |")
        print("|---|---|---|---|---|---|---|")
        for label, wall, calls, peak, floor, reports, speed in rows:
            print(f"| {label} | {wall:.1f} | {calls} | {peak} | {floor:.1f} | {reports} | {speed:.2f}x |")
    finally:
        if pg is not None:
            pg.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
