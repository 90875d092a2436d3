"""A fresh virtual environment with no aidigest in it, and the package built once per session.

Shared by the wheel test (tests/cli/test_package.py) and the workflow harness (tests/cli/test_workflow_harness.py).

What is real: `python -m venv`, `python -m build` (sdist + wheel, no network: `--no-isolation` builds with the
setuptools of the test environment), `pip install` into the fresh venv. What is borrowed: the third-party
dependencies. Downloading them for every test run would need the network, so the fresh venv reaches the test
environment's site-packages through one `.pth` file — never the repository's `src/` (the editable install of
aidigest stays invisible: a `.pth` line adds a folder to sys.path but does not run the `.pth` files in it). Every
caller asserts that `aidigest` imports from inside the fresh venv.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from functools import lru_cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def clean_env(**extra: str) -> dict[str, str]:
    """The caller's environment minus everything that would let the repository's code or settings leak in."""
    drop = ("AIDIGEST_", "OPENAI_", "ANTHROPIC_", "TOGETHER_", "PYTHON", "VIRTUAL_ENV", "PIP_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.update({"NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1", "COLUMNS": "200", "PYTHONIOENCODING": "utf-8"})
    env.update(extra)
    return env


def pip_offline_env() -> dict[str, str]:
    """pip settings of an offline install: the package index is never asked (dependencies are already visible)."""
    return {"PIP_NO_INDEX": "1", "PIP_NO_BUILD_ISOLATION": "0", "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "PIP_NO_INPUT": "1"}


def dependency_dirs() -> list[str]:
    """The test environment's site-packages folders (where the third-party dependencies are), never the repo."""
    dirs = []
    for p in sys.path:
        path = Path(p)
        if path.name in ("site-packages", "dist-packages") and path.is_dir() and REPO not in path.parents:
            dirs.append(str(path))
    assert dirs, f"no site-packages on sys.path: {sys.path}"
    return list(dict.fromkeys(dirs))


def make_venv(dest: Path) -> Path:
    """A new venv at `dest` (without pip of its own: the test environment's pip is reachable, and pip installs into
    the interpreter that runs it). Returns its bin folder."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(dest)], check=True, timeout=120)
    py = dest / "bin" / "python"
    purelib = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True, env=clean_env()).stdout.strip()
    Path(purelib, "_aidigest_test_deps.pth").write_text("\n".join(dependency_dirs()) + "\n", encoding="utf-8")
    assert sysconfig.get_python_version() in purelib
    return dest / "bin"


def aidigest_location(bin_dir: Path) -> str | None:
    """Where `import aidigest` finds the package in that venv (None: not importable)."""
    r = subprocess.run([str(bin_dir / "python"), "-c", "import aidigest; print(aidigest.__file__)"],
                       capture_output=True, text=True, env=clean_env(), cwd=tempfile.gettempdir(), timeout=60)
    return r.stdout.strip() if r.returncode == 0 else None


@lru_cache(maxsize=1)
def built_dists() -> tuple[Path, Path]:
    """(sdist, wheel) of the working tree, built once per test session into a temporary folder."""
    out = Path(tempfile.mkdtemp(prefix="aidigest-dist-"))
    atexit.register(shutil.rmtree, out, ignore_errors=True)
    work = Path(tempfile.mkdtemp(prefix="aidigest-src-"))  # build from a copy: no build/ or egg-info in the repo
    atexit.register(shutil.rmtree, work, ignore_errors=True)
    src = work / "aidigest"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):  # what the build reads, and nothing else of the checkout
        shutil.copy2(REPO / name, src / name)
    shutil.copytree(REPO / "src", src / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    r = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(src)],
                       capture_output=True, text=True, env=clean_env(), timeout=600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    sdist = next(out.glob("aidigest-*.tar.gz"))
    wheel = next(out.glob("aidigest-*-py3-none-any.whl"))
    return sdist, wheel
