"""How the code base reads and loads: the numbers issue 22 asks for, printed (not asserted).

    .venv/bin/python bench/structure.py [--runs N]

- modules loaded by importing a leaf (`aidigest.render.escape`, `aidigest.infra.store`, `aidigest.text`, ...), each in a
  fresh interpreter: aidigest modules and all modules, and the import time;
- `aidigest --help`: wall time of a fresh process (median of N runs, the console script's interpreter);
- functions over 60 lines and over McCabe complexity 15 in src/ (the architecture tests hold both at 0);
- exception classes in src/ and how many do not derive from `AidigestError`;
- lines of the CLI (the aidigest.cli package: each module and the total).

Everything runs against the checkout this file sits in (src/ first on sys.path).
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
LEAVES = ["aidigest.render.escape", "aidigest.infra.store", "aidigest.text", "aidigest.infra.env", "aidigest.errors",
          "aidigest.records", "aidigest.config", "aidigest.cli"]

PROBE = """
import sys, time, json
t = time.perf_counter()
try:
    __import__(sys.argv[1])
except ImportError as e:
    print(json.dumps({"missing": str(e)})); raise SystemExit
dt = time.perf_counter() - t
mods = [m for m in sys.modules if m == "aidigest" or m.startswith("aidigest.")]
print(json.dumps({"aidigest": len(mods), "all": len(sys.modules), "seconds": dt,
                  "httpx": "httpx" in sys.modules, "llm": any(m.startswith("aidigest.llm") for m in mods)}))
"""


def leaf_loads(module: str) -> dict:
    env = dict(os.environ, PYTHONPATH=str(SRC))
    out = subprocess.run([sys.executable, "-c", PROBE, module], capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout)


def help_seconds(runs: int) -> float:
    exe = Path(sys.executable).with_name("aidigest")
    cmd = [str(exe), "--help"] if exe.exists() else [sys.executable, "-m", "aidigest.cli", "--help"]
    env = dict(os.environ, PYTHONPATH=str(SRC))
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, capture_output=True, env=env, check=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def _length(node: ast.AST) -> int:
    return node.end_lineno - node.lineno + 1  # type: ignore[attr-defined]


def long_functions(limit: int = 60) -> list[tuple[str, int]]:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and _length(node) > limit:
                found.append((f"{path.relative_to(SRC)}:{node.lineno} {node.name}", _length(node)))
    return found


def complex_functions(limit: int = 15) -> list[str]:
    ruff = Path(sys.executable).with_name("ruff")
    cmd = [str(ruff) if ruff.exists() else "ruff", "check", "--select", "C901", "--output-format", "json",
           "--isolated", "--config", f"lint.mccabe.max-complexity={limit}", str(SRC)]
    out = subprocess.run(cmd, capture_output=True, text=True)
    return [f"{Path(d['filename']).relative_to(SRC)}:{d['location']['row']} {d['message']}"
            for d in json.loads(out.stdout or "[]")]


def exception_classes() -> tuple[int, list[str]]:
    """(all exception classes in src/, those whose bases never reach AidigestError), by name, across modules."""
    bases: dict[str, list[str]] = {}
    where: dict[str, str] = {}
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                names = [b.id if isinstance(b, ast.Name) else b.attr if isinstance(b, ast.Attribute) else ""
                         for b in node.bases]
                bases[node.name] = names
                where[node.name] = str(path.relative_to(SRC))

    def is_exc(name: str, seen=()) -> bool:
        if name in ("Exception", "BaseException") or name.endswith("Error") and name not in bases:
            return name != "AidigestError" or True
        return any(is_exc(b, seen + (name,)) for b in bases.get(name, []) if b not in seen)

    def rooted(name: str, seen=()) -> bool:
        if name == "AidigestError":
            return True
        return any(rooted(b, seen + (name,)) for b in bases.get(name, []) if b not in seen)

    excs = [n for n in bases if n != "AidigestError" and any(is_exc(b) for b in bases[n])]
    return len(excs), [f"{where[n]} {n}" for n in excs if not rooted(n)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    print("## imports (fresh interpreter each)")
    for mod in LEAVES:
        r = leaf_loads(mod)
        if "missing" in r:
            print(f"  {mod:<26} (no such module)")
            continue
        print(f"  {mod:<26} aidigest modules {r['aidigest']:>3}  all modules {r['all']:>4}  "
              f"{r['seconds'] * 1000:6.0f} ms  httpx={r['httpx']}  llm={r['llm']}")
    print(f"## aidigest --help: {help_seconds(args.runs):.3f} s (median of {args.runs})")
    longs = long_functions()
    print(f"## functions over 60 lines: {len(longs)}")
    for name, n in sorted(longs, key=lambda x: -x[1]):
        print(f"  {n:>4}  {name}")
    cx = complex_functions()
    print(f"## functions over complexity 15: {len(cx)}")
    for line in cx:
        print(f"  {line}")
    total, unrooted = exception_classes()
    print(f"## exception classes: {total}, without the AidigestError root: {len(unrooted)}")
    for line in unrooted:
        print(f"  {line}")
    cli = SRC / "aidigest" / "cli"
    files = [cli.with_suffix(".py")] if cli.with_suffix(".py").exists() else sorted(cli.glob("*.py"))
    counts = {f.relative_to(SRC).as_posix(): len(f.read_text(encoding="utf-8").splitlines()) for f in files}
    print(f"## cli: {sum(counts.values())} lines in {len(counts)} file(s)")
    for name, n in sorted(counts.items(), key=lambda x: -x[1]):
        print(f"  {n:>5}  {name}")


if __name__ == "__main__":
    main()
