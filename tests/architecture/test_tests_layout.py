"""The tests are laid out like the code: one folder per layer, and the golden and pipeline tests stand on their own
(no benchmark code imported: a benchmark edit must not be able to break the tests that guard the reader's bytes)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
REPO = TESTS.parent
PACKAGE = REPO / "src" / "aidigest"
# folders that test a layer with no package of its own: the command line, the whole pipeline, the code's structure
NOT_A_PACKAGE = {"cli", "pipeline", "architecture"}
BENCH_IMPORT = re.compile(r"""sys\.path\.insert\([^)]*["']bench["']|^\s*(from|import)\s+(e2e|fake_llm|scale|common)\b""", re.M)


def _test_folders() -> set[str]:
    return {p.parent.relative_to(TESTS).as_posix() for p in TESTS.rglob("test_*.py") if "data" not in p.parts}


def test_every_test_folder_is_named_after_a_layer():
    for folder in _test_folders():
        layer = [PACKAGE / folder / "__init__.py", PACKAGE / f"{folder}.py", PACKAGE / "infra" / f"{folder}.py"]
        assert folder in NOT_A_PACKAGE or any(p.is_file() for p in layer), (
            f"tests/{folder}/ names no stage or infrastructure module of src/aidigest (name test folders after the "
            "layer they test)")


def test_every_test_folder_is_on_pytests_path():
    cfg = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    paths = set(cfg["tool"]["pytest"]["ini_options"]["pythonpath"])
    missing = {f"tests/{f}" for f in _test_folders()} - paths
    assert not missing, f"add to [tool.pytest.ini_options] pythonpath: {sorted(missing)}"


def test_golden_and_pipeline_tests_import_no_bench_code():
    guarded = [TESTS / "golden_days.py", TESTS / "week_days.py", TESTS / "site_days.py",
               *sorted((TESTS / "pipeline").glob("*.py")), *sorted((TESTS / "fakes").glob("*.py"))]
    offenders = [p.relative_to(REPO).as_posix() for p in guarded if BENCH_IMPORT.search(p.read_text(encoding="utf-8"))]
    assert not offenders, f"these import bench/ code (move the shared piece to tests/fakes/): {offenders}"


def test_the_bench_import_check_can_fail():
    assert BENCH_IMPORT.search('    sys.path.insert(0, str(REPO / "bench"))\n')
    assert BENCH_IMPORT.search("from fake_llm import Responder\n")
    assert not BENCH_IMPORT.search("from fakes.responder import Responder\n")
