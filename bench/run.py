"""aidigest benchmarks: one entry point for every section.

    python bench/run.py [--quick] [--sections scale,e2e]

Prints a table per section (rich) and writes bench/results/<YYYY-MM-DD>-<machine>[-quick].json and a Markdown
summary beside it (.md), recording the machine (cores, CPU model, Python, platform, load average) and the git
commit (with a dirty flag).

Sections live in bench/<name>.py and register in SECTIONS below: a module exposing
`run(ctx: BenchContext, progress=print) -> SectionResult` (see bench/common.py). A registered section whose
file does not exist yet is reported as not available instead of failing the run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    BENCH,
    RESULTS,
    BenchContext,
    BenchError,
    SectionResult,
    git_info,
    machine_info,
)

# name -> module in bench/ (add a section: write bench/<module>.py with run(ctx, progress) and list it here)
SECTIONS: dict[str, str] = {
    "scale": "scale",
    "e2e": "e2e",  # end-to-end pipeline run: to be added as bench/e2e.py
    "site": "site_build",  # the static web archive over 365 days (bench/site_build.py; "site" would shadow the stdlib module)
}


def available(name: str) -> bool:
    return (BENCH / f"{SECTIONS[name]}.py").is_file()


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def markdown(report: dict, results: list[SectionResult]) -> str:
    m, g = report["machine"], report["git"]
    out = [
        f"# aidigest benchmark — {report['date']} ({'quick' if report['quick'] else 'full'})",
        "",
        f"- machine: `{m['name']}`, {m['cores']} cores, {m['cpu_model']}, {m['memory_gb']} GB RAM",
        f"- Python {m['python']} on {m['platform']}",
        f"- load average at start (1/5/15 min): {m['loadavg_at_start']}",
        f"- git: `{g['commit']}`{' (dirty working tree)' if g['dirty'] else ''}",
        f"- wall time: {report['wall_s']:.1f} s",
        "",
    ]
    for name, why in report.get("skipped", {}).items():
        out.append(f"- section `{name}` skipped: {why}")
    for r in results:
        out += [f"## {r.title}", ""]
        out.append("| " + " | ".join(r.columns) + " |")
        out.append("|" + "---|" * len(r.columns))
        out += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in r.rows]
        out.append("")
        if r.targets:
            out += ["### Targets", "", "| target | measured | limit | met |", "|---|---|---|---|"]
            for t in r.targets:
                unit = "" if t.unit in ("≥", "=", "x") else f" {t.unit}"
                op = {"≥": "≥ ", "=": "= "}.get(t.unit, "≤ ")
                out.append(f"| {t.name} | {t.value}{unit} | {op}{t.limit}{unit} | {'yes' if t.met else '**NO**'} |")
            out.append("")
        if r.notes:
            out += ["### Notes", ""] + [f"- {n}" for n in r.notes] + [""]
        if r.profile:
            out += ["### Profile of the slowest stage (a target was missed)", "", "```", r.profile, "```", ""]
    return "\n".join(out)


def print_tables(results: list[SectionResult]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=max(Console().width, 160))
    for r in results:
        table = Table(title=r.title, show_lines=False)
        for c in r.columns:
            table.add_column(c, justify="right" if c not in ("size", "in → exact → near") else "left")
        for row in r.rows:
            table.add_row(*row)
        console.print(table)
        for t in r.targets:
            mark = "[green]met[/green]" if t.met else "[red]NOT MET[/red]"
            console.print(f"  target {t.name}: {t.value} (limit {t.limit} {t.unit}) {mark}")
        for n in r.notes:
            console.print(f"  [dim]{n}[/dim]")
        if r.profile:
            console.print(r.profile, markup=False, highlight=False)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="aidigest benchmarks")
    ap.add_argument("--quick", action="store_true", help="small sizes only (the whole run under 2 minutes)")
    ap.add_argument("--sections", default="", help=f"comma-separated, from: {', '.join(SECTIONS)} (default: all available)")
    ap.add_argument("--no-write", action="store_true", help="print only, do not write bench/results/")
    a = ap.parse_args(argv)

    names = [s.strip() for s in a.sections.split(",") if s.strip()] or list(SECTIONS)
    unknown = [n for n in names if n not in SECTIONS]
    if unknown:
        print(f"error: unknown section(s) {', '.join(unknown)}; known: {', '.join(SECTIONS)}", file=sys.stderr)
        return 2
    ctx = BenchContext(quick=a.quick)
    report = {
        "date": dt.date.today().isoformat(),
        "quick": a.quick,
        "machine": machine_info(),
        "git": git_info(),
        "sections": {},
        "skipped": {},
    }
    t0 = time.perf_counter()
    results: list[SectionResult] = []
    for name in names:
        if not available(name):
            why = f"bench/{SECTIONS[name]}.py does not exist yet"
            report["skipped"][name] = why
            print(f"{name}: skipped ({why})", file=sys.stderr)
            continue
        module = importlib.import_module(SECTIONS[name])
        try:
            res = module.run(ctx, progress=lambda msg: print(msg, file=sys.stderr, flush=True))
        except BenchError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        results.append(res)
        report["sections"][name] = res.to_json()
    report["wall_s"] = time.perf_counter() - t0
    report["machine"]["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]

    print_tables(results)
    if not a.no_write:
        RESULTS.mkdir(parents=True, exist_ok=True)
        stem = f"{report['date']}-{report['machine']['name']}" + ("-quick" if a.quick else "")
        _write_atomic(RESULTS / f"{stem}.json", json.dumps(report, indent=1, ensure_ascii=False) + "\n")
        _write_atomic(RESULTS / f"{stem}.md", markdown(report, results))
        print(f"wrote bench/results/{stem}.json and .md", file=sys.stderr)
    missed = [t.name for r in results for t in r.targets if not t.met]
    if missed:
        print(f"targets not met: {'; '.join(missed)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
