"""Data flows one way through aidigest's modules: no import cycle, and no function-local import that only hides
one (scripts/import_graph.py; docs/import-graph.md shows the graph before and after the issue-9 step)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _script():
    spec = importlib.util.spec_from_file_location("import_graph", REPO / "scripts" / "import_graph.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["import_graph"] = mod
    spec.loader.exec_module(mod)
    return mod


ig = _script()

# Function-local imports of aidigest modules that are neither cycle dodges nor marked `# lazy: heavy (<lib>)`.
# The CLI is the entry point: a command imports its machinery when it runs (`aidigest --help` stays fast).
ENTRY_POINTS = {"aidigest.cli"}
# The rest were left as they were because other work changes these modules at the same time; mark each
# `# lazy: ...` or move it to module level, then remove it here. The list may shrink, never grow.
KNOWN_UNMARKED: set[tuple[str, str]] = set()


@pytest.fixture(scope="module")
def graph():
    return ig.scan(REPO / "src")


def test_no_import_cycle(graph):
    assert ig.cycles(graph) == []
    assert ig.hidden_cycles(graph) == []  # not even with every function-local import at module level


def test_no_function_local_import_dodges_a_cycle(graph):
    dodges = [f"{li.path}:{li.line} imports {li.target}" for li in ig.cycle_dodges(graph)]
    assert dodges == [], "move the shared code down a layer instead of importing it inside a function"


def test_every_other_function_local_import_says_why(graph):
    bare = [f"{li.path}:{li.line} imports {li.target}" for li in ig.unmarked(graph)
            if li.module not in ENTRY_POINTS and (li.module, li.target) not in KNOWN_UNMARKED]
    assert bare == [], "import at module level, or mark a heavy library's lazy import `# lazy: heavy (<lib>)`"
    still = {(li.module, li.target) for li in ig.unmarked(graph)}
    assert KNOWN_UNMARKED <= still, f"fixed, remove from KNOWN_UNMARKED: {sorted(KNOWN_UNMARKED - still)}"


def test_report_models_import_only_models(graph):
    assert graph.edges["aidigest.report"] == {"aidigest.records"}
    assert "aidigest.pipeline" not in {t for e in graph.edges.values() for t in e}  # nothing imports the orchestrator


# Modules both widely imported and importing widely: a change anywhere reaches them and theirs reaches
# everywhere. Only the orchestrator may be one (it runs every stage); the CLI entry point imports each command's
# machinery inside the command, so it needs no exception.
HUBS_ALLOWED = {"aidigest.pipeline"}


def test_no_module_is_a_hub(graph):
    assert set(ig.hubs(graph, limit=8)) <= HUBS_ALLOWED
    fin, fout = ig.fan_in(graph), ig.fan_out(graph)
    assert fin["aidigest.records"] > 8 and max(fout.values()) > 8  # the counts count


def test_the_leaves_load_nothing_by_the_graph(graph):
    for leaf in ("aidigest.text", "aidigest.records", "aidigest.infra.env", "aidigest.render.escape"):
        assert ig.loaded_by(graph, leaf) == {leaf}, leaf
    assert not any(m.startswith("aidigest.sources") for m in ig.loaded_by(graph, "aidigest.config"))


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for rel, text in {"aidigest/__init__.py": "", **files}.items():
        p = tmp_path / "src" / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    return tmp_path / "src"


def test_the_script_finds_cycles_dodges_and_lazy_marks(tmp_path):
    src = _tree(tmp_path, {
        "aidigest/a.py": "from .b import x\n",
        "aidigest/b.py": "def f():\n    from .a import y\n\nx = 1\n",  # would close a -> b -> a
        "aidigest/c.py": "from . import d\n",
        "aidigest/d.py": "from .c import z\n",  # a real cycle c <-> d
        "aidigest/e.py": "def g():\n    from .a import y  # lazy: heavy (numpy)\n",
        "aidigest/f.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .a import y\n",
        "aidigest/p/__init__.py": "from .q import w\n",
        "aidigest/p/q.py": "w = 1\n",
        "aidigest/g.py": "from .p.q import w\n",  # loads the package p too
    })
    g = ig.scan(src)
    assert ig.cycles(g) == [["aidigest.c", "aidigest.d"]]
    assert ig.hidden_cycles(g) == [["aidigest.a", "aidigest.b"], ["aidigest.c", "aidigest.d"]]
    assert [(li.module, li.target) for li in ig.cycle_dodges(g)] == [("aidigest.b", "aidigest.a")]
    assert [(li.module, li.lazy) for li in g.local] == [("aidigest.b", False), ("aidigest.e", True)]
    assert [li.module for li in ig.unmarked(g)] == ["aidigest.b"]
    assert g.edges["aidigest.f"] == set() and g.type_only == 1
    assert g.edges["aidigest.g"] == {"aidigest.p", "aidigest.p.q"}
    assert "dodges a cycle" in ig.report(g) and "(2) c d" in ig.report(g)


def test_the_script_counts_fan_in_fan_out_and_loads(tmp_path):
    src = _tree(tmp_path, {
        "aidigest/a.py": "from . import b, c\n",
        "aidigest/b.py": "from .c import x\n",
        "aidigest/c.py": "x = 1\n",
    })
    g = ig.scan(src)
    assert ig.fan_in(g)["aidigest.c"] == 2 and ig.fan_out(g)["aidigest.a"] == 2
    assert ig.loaded_by(g, "aidigest.a") == {"aidigest.a", "aidigest.b", "aidigest.c"}
    assert ig.hubs(g, limit=1) == [] and ig.hubs(g, limit=0) == ["aidigest.b"]
    assert "max fan-in: 2 (c)" in ig.report(g)
