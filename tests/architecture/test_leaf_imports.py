"""Importing a leaf loads (almost) nothing: each import runs in a fresh interpreter and counts the aidigest
modules it loaded (the package `aidigest` and the packages on the way included). The limits are what the code
reaches today; raising one means a leaf started to load the application again (a package `__init__` with logic,
a shared helper imported from a stage). Rendering never loads the LLM client. Timing is measured in
bench/structure.py, not here."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys

import pytest
from conftest import REPO

SRC = REPO / "src"

# module -> the most aidigest modules importing it may load
LEAF_LIMITS = {
    "aidigest.records": 2,  # aidigest, records
    "aidigest.text": 2,  # aidigest, text
    "aidigest.infra.env": 3,  # aidigest, infra, infra.env
    "aidigest.render.escape": 3,  # aidigest, render, render.escape
    "aidigest.config": 8,  # + configbase, infra.days, infra.paths, infra.env, errors (the root, a leaf): never a source
    "aidigest.infra.store": 9,  # + records, migrations, pgstore, pids, env, errors
}

PROBE = """
import importlib, json, sys
for name in sys.argv[1:]:
    importlib.import_module(name)
print(json.dumps(sorted(m for m in sys.modules if m == "aidigest" or m.startswith("aidigest.")) + (["httpx"] if "httpx" in sys.modules else [])))
"""


def _loaded(*modules: str) -> list[str]:
    env = dict(os.environ, PYTHONPATH=str(SRC))
    out = subprocess.run([sys.executable, "-c", PROBE, *modules], capture_output=True, text=True, env=env,
                         check=True, timeout=120)
    return json.loads(out.stdout)


@pytest.mark.parametrize("module", sorted(LEAF_LIMITS))
def test_a_leaf_loads_a_handful_of_modules_and_no_httpx(module):
    loaded = _loaded(module)
    assert "httpx" not in loaded, f"importing {module} loads httpx"
    ours = [m for m in loaded if m != "httpx"]
    assert len(ours) <= LEAF_LIMITS[module], f"importing {module} loads {len(ours)} aidigest modules: {ours}"


def test_no_render_module_loads_the_llm_client():
    names = sorted(f"aidigest.render.{p.stem}" for p in (SRC / "aidigest" / "render").glob("*.py")
                   if p.stem != "__init__")
    assert "aidigest.render.markdown" in names and "aidigest.render.site" in names
    loaded = _loaded(*names)
    assert set(names) <= set(loaded)
    assert [m for m in loaded if m == "aidigest.llm" or m.startswith("aidigest.llm.")] == []


def _holds_code(node: ast.stmt) -> bool:
    if isinstance(node, ast.Import | ast.ImportFrom):
        return False
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
        return False  # the docstring
    if isinstance(node, ast.Assign) and all(getattr(t, "id", "").startswith("__") for t in node.targets):
        return False  # __all__, __version__
    return True


def test_package_init_files_only_describe_and_re_export():
    """A package's `__init__` runs before any of its modules: logic there is loaded by every one of them."""
    offending = []
    for init in sorted((SRC / "aidigest").rglob("__init__.py")):
        tree = ast.parse(init.read_text(encoding="utf-8"))
        offending += [f"{init.relative_to(SRC)}:{n.lineno}" for n in tree.body if _holds_code(n)]
    assert offending == []


def test_the_command_line_loads_no_pydantic_httpx_or_stage():
    """`aidigest --help` imports the CLI and renders; the CLI's modules load the config, the store, the LLM client
    and the stages inside the commands that use them (bench/structure.py measures the time: under 0.4 s)."""
    probe = ("import sys, json, aidigest.cli; "
             "print(json.dumps(sorted(m for m in sys.modules if m.startswith(('aidigest', 'pydantic', 'httpx')))))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(SRC)})
    loaded = json.loads(out.stdout)
    assert not [m for m in loaded if m.startswith(("pydantic", "httpx"))], loaded
    stages = ("pipeline", "collect", "classify", "dedupe", "select", "summarize", "render", "deliver", "sources.builtin",
              "llm.core", "config", "infra.store", "records")
    assert not [m for m in loaded if m.removeprefix("aidigest.").startswith(stages)], loaded
