"""No module-level mutable state in src/: no `global` rebinding, and no module-level dict, list or set that a function
changes. What a run computes is returned or kept on an object the caller holds, so two runs in one process (tests,
the backfill's --jobs, a library user) cannot see each other's leftovers, and which code ran first cannot change what
the next call does.

The registries are the exception, on purpose: the built-in sources and LLM providers register through the same
`register()` a plugin calls (simonw/llm's model), at import, before any run; they are listed below with that reason.
Caches use functools.cache (a pure function of its arguments), never a dict a function fills."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "aidigest"
MUTATORS = {"append", "extend", "insert", "update", "setdefault", "pop", "popitem", "clear", "remove", "discard",
            "add", "__setitem__", "sort", "reverse"}
# module -> names a function may change, and why
REGISTRIES = {
    "sources/registry.py": {"SOURCES": "the source registry: built-ins and plugins call register() at import"},
    "llm/registry.py": {"PROVIDERS": "the LLM provider registry: built-ins and plugins call register() at import"},
}


def _containers(tree: ast.Module) -> set[str]:
    names = set()
    for node in tree.body:
        targets, value = [], None
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        mutable = isinstance(value, ast.Dict | ast.List | ast.Set | ast.DictComp | ast.ListComp | ast.SetComp) or (
            isinstance(value, ast.Call) and isinstance(value.func, ast.Name)
            and value.func.id in {"dict", "list", "set", "defaultdict", "OrderedDict", "Counter", "deque"})
        if mutable:
            names |= {t.id for t in targets if isinstance(t, ast.Name)}
    return names


def _changes(tree: ast.Module, names: set[str]) -> list[tuple[int, str]]:
    found = []
    for fn in ast.walk(tree):
        if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(fn):
            if isinstance(node, ast.Global):
                found += [(node.lineno, f"global {n}") for n in node.names]
            target = None
            if isinstance(node, ast.Assign | ast.AugAssign | ast.Delete):
                for t in getattr(node, "targets", None) or [node.target]:  # type: ignore[attr-defined]
                    if isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name):
                        target = t.value.id
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                  and isinstance(node.func.value, ast.Name) and node.func.attr in MUTATORS):
                target = node.func.value.id
            if target in names:
                found.append((node.lineno, target))
    return found


def module_state() -> list[str]:
    out = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        allowed = REGISTRIES.get(rel, {})
        for line, name in _changes(tree, _containers(tree)):
            if name not in allowed:
                out.append(f"{rel}:{line} {name}")
    return out


def test_no_function_changes_module_level_state():
    assert module_state() == [], "return it, keep it on an object the caller holds, or use functools.cache"


def test_the_state_check_can_fail():
    tree = ast.parse("SEEN = {}\nLAST = None\ndef f(k):\n    global LAST\n    SEEN[k] = 1\n    SEEN.setdefault(k, 2)\n")
    assert _changes(tree, _containers(tree)) == [(4, "global LAST"), (5, "SEEN"), (6, "SEEN")]
