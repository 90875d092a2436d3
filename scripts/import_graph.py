"""The aidigest-internal import graph: module-level edges, cycles, and function-local imports.

    python scripts/import_graph.py [SRC]        # SRC: the folder holding the `aidigest` package (default: src)

Prints (1) every module-level edge between aidigest modules, (2) the cycles among them (strongly connected
components of more than one module), (3) every import of an aidigest module made inside a function, with
file:line, and whether it carries a `# lazy: heavy (<lib>)` comment (allowed: it keeps a heavy library out
of start-up), (4) per module its fan-in (modules importing it), fan-out (modules it imports) and how many
aidigest modules importing it loads (the module-level edges followed to the end). Imports under
`if TYPE_CHECKING:` are type-only and not edges.

An edge to `aidigest.a.b` also counts as an edge to the package `aidigest.a` (its `__init__` runs first),
unless that package contains the importing module (then it is already being imported). Only the standard
library is used, and nothing is imported from the scanned tree: it works on any checkout (tests/architecture/test_import_graph.py
runs it on this one).
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass, field
from pathlib import Path

PACKAGE = "aidigest"
LAZY_MARK = "# lazy:"


@dataclass(frozen=True)
class LocalImport:
    module: str  # the importing module
    path: str  # file, relative to SRC
    line: int
    target: str  # the aidigest module named by the import
    lazy: bool  # marked `# lazy: ...` (a heavy library behind it, kept out of start-up)
    loads: frozenset[str] = frozenset()  # every aidigest module it loads (target + packages on the way)
    dodges_cycle: bool = False  # at module level it would close a cycle (see `mark_cycle_dodges`)


@dataclass
class Graph:
    modules: list[str]
    edges: dict[str, set[str]] = field(default_factory=dict)  # module -> modules it imports at module level
    local: list[LocalImport] = field(default_factory=list)
    type_only: int = 0  # imports under `if TYPE_CHECKING:`

    def edge_count(self) -> int:
        return sum(len(v) for v in self.edges.values())


def _module_name(src: Path, path: Path) -> str:
    parts = list(path.relative_to(src).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_package(src: Path, module: str) -> bool:
    return (src / Path(*module.split(".")) / "__init__.py").is_file()


def _resolve(importer: str, is_pkg: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = importer.split(".")
    if not is_pkg:
        base = base[:-1]
    if node.level > 1:
        base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _named(node: ast.Import | ast.ImportFrom, importer: str, is_pkg: bool, modules: set[str]) -> set[str]:
    """The aidigest modules an import statement names."""
    named: set[str] = set()
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.name.split(".")[0] == PACKAGE:
                named.add(alias.name)
    else:
        base = _resolve(importer, is_pkg, node)
        if base.split(".")[0] != PACKAGE:
            return set()
        for alias in node.names:
            sub = f"{base}.{alias.name}"
            named.add(sub if sub in modules else base)
    return named


def _loads(named: set[str], importer: str, modules: set[str]) -> set[str]:
    """The aidigest modules importing `named` runs: each, plus the packages on their way in."""
    out: set[str] = set()
    for name in named:
        parts = name.split(".")
        for i in range(2, len(parts) + 1):  # aidigest itself (the top package) is everyone's ancestor
            mod = ".".join(parts[:i])
            own_ancestor = importer == mod or importer.startswith(mod + ".")
            if mod in modules and not (own_ancestor and mod != name):
                out.add(mod)
    out.discard(importer)
    return out


def _type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def scan(src: Path | str = "src") -> Graph:
    src = Path(src)
    files = sorted((src / PACKAGE).rglob("*.py"))
    names = {_module_name(src, f): f for f in files}
    modules = set(names)
    graph = Graph(modules=sorted(modules), edges={m: set() for m in modules})
    for module, path in sorted(names.items()):
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        is_pkg = path.name == "__init__.py"

        def visit(node: ast.AST, in_function: bool, module=module, path=path, lines=lines, is_pkg=is_pkg) -> None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.If) and _type_checking(child.test):
                    graph.type_only += sum(isinstance(n, (ast.Import, ast.ImportFrom)) for n in ast.walk(child))
                    for other in child.orelse:
                        visit(other, in_function)
                    continue
                if isinstance(child, (ast.Import, ast.ImportFrom)):
                    named = _named(child, module, is_pkg, modules)
                    targets = _loads(named, module, modules)
                    if in_function:
                        around = " ".join(lines[max(child.lineno - 2, 0): child.end_lineno or child.lineno])
                        for t in sorted(named):
                            graph.local.append(LocalImport(module, str(path.relative_to(src)), child.lineno, t,
                                                           LAZY_MARK in around, frozenset(_loads({t}, module, modules))))
                    else:
                        graph.edges[module] |= targets
                    continue
                inner = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
                visit(child, inner)

        visit(ast.parse(text, filename=str(path)), False)
    mark_cycle_dodges(graph)
    return graph


def hidden_cycles(graph: Graph) -> list[list[str]]:
    """The cycles there would be with every function-local import (except `# lazy:` ones) at module level."""
    hoisted = Graph(modules=graph.modules, edges={m: set(e) for m, e in graph.edges.items()})
    for li in graph.local:
        hoisted.edges[li.module] |= li.loads
    return cycles(hoisted)


def mark_cycle_dodges(graph: Graph) -> None:
    """A function-local import dodges a cycle when, moved to module level together with the other function-local
    imports, it would close one: the importing module and a module it loads would be in one strongly connected
    component. (Two modules importing each other inside functions are both caught, not only one-sided cases.)"""
    component = {m: i for i, comp in enumerate(hidden_cycles(graph)) for m in comp}
    graph.local = [
        LocalImport(li.module, li.path, li.line, li.target, li.lazy, li.loads,
                    li.module in component and any(component.get(t) == component[li.module] for t in li.loads))
        for li in graph.local
    ]


def cycles(graph: Graph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted, largest first."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = [0]
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))

    def strong(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.edges.get(v, ())):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in graph.modules:
        if v not in index:
            strong(v)
    return sorted(out, key=lambda c: (-len(c), c))


def cycle_dodges(graph: Graph) -> list[LocalImport]:
    """Function-local imports of aidigest modules that would close a cycle at module level."""
    return [li for li in graph.local if li.dodges_cycle]


def unmarked(graph: Graph) -> list[LocalImport]:
    """Function-local imports of aidigest modules without a `# lazy:` reason."""
    return [li for li in graph.local if not li.lazy]


def fan_in(graph: Graph) -> dict[str, int]:
    """Per module: how many modules import it at module level."""
    counts = dict.fromkeys(graph.modules, 0)
    for targets in graph.edges.values():
        for t in targets:
            counts[t] += 1
    return counts


def fan_out(graph: Graph) -> dict[str, int]:
    """Per module: how many aidigest modules it imports at module level."""
    return {m: len(graph.edges[m]) for m in graph.modules}


def loaded_by(graph: Graph, module: str) -> set[str]:
    """The aidigest modules importing `module` loads: itself and every module-level edge followed to the end
    (the top package `aidigest` not counted)."""
    seen = {module}
    todo = [module]
    while todo:
        for t in graph.edges.get(todo.pop(), ()):
            if t not in seen:
                seen.add(t)
                todo.append(t)
    return seen


def hubs(graph: Graph, limit: int = 8) -> list[str]:
    """Modules with both fan-in and fan-out over `limit`: the ones a change anywhere reaches and that reach
    everywhere."""
    fin, fout = fan_in(graph), fan_out(graph)
    return [m for m in graph.modules if fin[m] > limit and fout[m] > limit]


def report(graph: Graph) -> str:
    short = lambda m: m.removeprefix(PACKAGE + ".") if m != PACKAGE else m  # noqa: E731
    comps = cycles(graph)
    dodges = cycle_dodges(graph)
    bare = unmarked(graph)
    hidden = hidden_cycles(graph)
    out = [
        f"modules: {len(graph.modules)}; module-level edges: {graph.edge_count()}; "
        f"type-only imports: {graph.type_only}",
        f"cycles (strongly connected components > 1): {len(comps)}"
        + (f", modules in them: {sum(len(c) for c in comps)}" if comps else ""),
        f"cycles hidden by function-local imports (there with them at module level): {len(hidden)}"
        + (f", sizes {[len(c) for c in hidden]}" if hidden else ""),
        f"function-local imports of aidigest modules: {len(graph.local)} in "
        f"{len({(li.path, li.line) for li in graph.local})} statements; {len(dodges)} dodge a cycle "
        f"(at module level they would close one); {len(graph.local) - len(bare)} marked `# lazy:`, {len(bare)} unmarked",
        "",
        "## cycles",
    ]
    out += [f"- ({len(c)}) " + " ".join(short(m) for m in c) for c in comps] or ["(none)"]
    out += ["", "## cycles hidden by function-local imports"]
    out += [f"- ({len(c)}) " + " ".join(short(m) for m in c) for c in hidden] or ["(none)"]
    out += ["", "## function-local imports (file:line target)"]
    out += [f"- {li.path}:{li.line} {short(li.target)}" + ("  [dodges a cycle]" if li.dodges_cycle else "")
            + ("  [lazy]" if li.lazy else "") for li in graph.local] or ["(none)"]
    fin, fout = fan_in(graph), fan_out(graph)
    loads = {m: len(loaded_by(graph, m)) for m in graph.modules}
    out[4:4] = [
        f"max fan-in: {max(fin.values())} ({', '.join(short(m) for m in graph.modules if fin[m] == max(fin.values()))}); "
        f"max fan-out: {max(fout.values())} ({', '.join(short(m) for m in graph.modules if fout[m] == max(fout.values()))}); "
        f"fan-in and fan-out both over 8: {', '.join(short(m) for m in hubs(graph)) or 'none'}",
    ]
    out += ["", "## per module: fan-in, fan-out, aidigest modules its import loads (itself included)"]
    out += [f"- {short(m):<28} in {fin[m]:>3}  out {fout[m]:>3}  loads {loads[m]:>3}" for m in graph.modules]
    out += ["", "## module-level edges"]
    out += [f"- {short(m)} -> " + " ".join(short(t) for t in sorted(graph.edges[m]))
            for m in graph.modules if graph.edges[m]]
    return "\n".join(out)


if __name__ == "__main__":
    print(report(scan(sys.argv[1] if len(sys.argv) > 1 else "src")))
