"""Functions a reader can hold in their head: none in src/ over 60 lines or with more than 6 parameters.

McCabe complexity (at most 15) is ruff's C901, set in pyproject.toml with no per-file ignore; this test holds the
two limits ruff has no rule for. Lines are the whole definition (decorators excluded, docstring included), the way
a reader scrolls it. Parameters exclude `self`/`cls`; the command functions of the CLI are exempt: their parameters
are the command's flags, which typer reads from the signature (grouping them would hide them from --help)."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "aidigest"
MAX_LINES = 60
MAX_PARAMS = 6


def _functions():
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                yield path.relative_to(SRC).as_posix(), node


def _is_cli_command(path: str, node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A typer command: a function of the CLI package registered with `@command(<app>)` (aidigest.cli.errors) or
    typer's own `@<app>.command(...)` / `@<app>.callback(...)`."""
    if not path.startswith("cli/"):
        return False
    for dec in node.decorator_list:
        call = dec.func if isinstance(dec, ast.Call) else dec
        if isinstance(call, ast.Name) and call.id == "command":
            return True
        if isinstance(call, ast.Attribute) and call.attr in ("command", "callback"):
            return True
    return False


def _params(node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    a = node.args
    names = [x.arg for x in (*a.posonlyargs, *a.args, *a.kwonlyargs)]
    return names[1:] if names[:1] in (["self"], ["cls"]) else names


def long_functions(limit: int = MAX_LINES) -> list[str]:
    return [f"{p}:{n.lineno} {n.name} ({n.end_lineno - n.lineno + 1} lines)" for p, n in _functions()
            if n.end_lineno - n.lineno + 1 > limit]


def wide_functions(limit: int = MAX_PARAMS) -> list[str]:
    return [f"{p}:{n.lineno} {n.name} ({len(_params(n))} parameters)" for p, n in _functions()
            if len(_params(n)) > limit and not _is_cli_command(p, n)]


def test_no_function_over_60_lines():
    assert long_functions() == [], "split these into named steps that read top to bottom"


def test_no_function_over_6_parameters():
    assert wide_functions() == [], "group these parameters into a small typed object"


def test_the_checks_can_fail():
    # the same scans with limits every real code base breaks
    assert long_functions(limit=5) and wide_functions(limit=1)
