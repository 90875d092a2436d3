"""The installable package: `python -m build` makes an sdist and a wheel, `twine check` passes, and the wheel,
installed into a fresh venv (the repository not on sys.path), runs a replayed day, builds the site and runs
`aidigest eval classify` — so every data file, template, static file, model and the eval split is inside it.

The fresh venv borrows the test environment's third-party dependencies through a .pth file (tests/freshvenv.py
says why); aidigest itself must come from the wheel, which the test asserts. The time from `pip install` to the
first report is written to tests/artifacts/package.txt with the wheel's size.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tarfile
import time
import tomllib
import zipfile
from pathlib import Path

from conftest import DEMO_REPLAY, REPO
from freshvenv import aidigest_location, built_dists, clean_env, make_venv, pip_offline_env

from aidigest import __version__

GOLDEN = REPO / "tests" / "data" / "golden" / "demo_offline" / "out" / "2026-08-02"
ARTIFACTS = REPO / "tests" / "artifacts"


def test_sdist_and_wheel_build_and_pass_twine_check():
    sdist, wheel = built_dists()
    assert wheel.name == f"aidigest-{__version__}-py3-none-any.whl" and sdist.name == f"aidigest-{__version__}.tar.gz"
    r = subprocess.run([sys.executable, "-m", "twine", "check", "--strict", str(sdist), str(wheel)],
                       capture_output=True, text=True, env=clean_env(), timeout=120)
    assert r.returncode == 0 and r.stdout.count("PASSED") == 2, r.stdout + r.stderr
    names = set(zipfile.ZipFile(wheel).namelist())
    package_files = [p.relative_to(REPO / "src").as_posix() for p in (REPO / "src" / "aidigest").rglob("*")
                     if p.is_file() and "__pycache__" not in p.parts]
    missing = sorted(set(package_files) - names)
    assert not missing, f"files of src/aidigest not in the wheel: {missing}"
    assert "aidigest/data/classifier/weights.npz" in names and "aidigest/templates/report.md.j2" in names
    assert any(n.startswith("aidigest/data/eval/dw-dengwei_") and n.endswith(".jsonl") for n in names)
    with tarfile.open(sdist) as t:
        in_sdist = {n.split("/", 1)[1] for n in t.getnames() if "/" in n}
    assert {"pyproject.toml", "README.md", "src/aidigest/cli/__init__.py", "src/aidigest/data/classifier/weights.npz"} <= in_sdist


def test_the_version_is_written_once():
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in pyproject["project"] and pyproject["project"]["dynamic"] == ["version"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "aidigest.__version__"}
    hits = [p for p in (REPO / "src").rglob("*.py") if re.search(r"^__version__\s*=", p.read_text(encoding="utf-8"), re.M)]
    assert [p.relative_to(REPO).as_posix() for p in hits] == ["src/aidigest/__init__.py"]


def test_the_wheel_in_a_fresh_venv_runs_a_day_the_site_and_eval(tmp_path):
    _, wheel = built_dists()
    bin_dir = make_venv(tmp_path / "venv")
    assert aidigest_location(bin_dir) is None  # nothing of the repository is importable there
    work = tmp_path / "work"  # not the repository: nothing is found relative to it
    work.mkdir()
    env = clean_env(HOME=str(tmp_path / "home"), XDG_CACHE_HOME=str(tmp_path / "cache"), **pip_offline_env())

    t0 = time.monotonic()
    r = subprocess.run([str(bin_dir / "python"), "-m", "pip", "install", "--quiet", str(wheel)],
                       capture_output=True, text=True, env=env, cwd=work, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    t_installed = time.monotonic()
    where = aidigest_location(bin_dir)
    assert where and Path(where).is_relative_to(tmp_path / "venv"), where

    exe = str(bin_dir / "aidigest")
    r = subprocess.run([exe, "--version"], capture_output=True, text=True, env=env, cwd=work, timeout=60)
    assert r.returncode == 0 and r.stdout.strip() == f"aidigest {__version__}", r.stdout + r.stderr

    (work / "empty.toml").write_text("")  # the built-in defaults, as the golden day
    r = subprocess.run([exe, "run", "--date", "2026-08-02", "--replay", str(DEMO_REPLAY), "--db", "store.sqlite3",
                        "--out", "reports", "--llm", "none", "--config", "empty.toml"],
                       capture_output=True, text=True, env=env, cwd=work, timeout=600)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    t_report = time.monotonic()
    day = work / "reports" / "2026-08-02"
    # the same reports as the golden day made from the repository (templates, taxonomy, classifier weights)
    for name in ("News_2026-08-02_report.md", "Papers_2026-08-02_report.md"):
        assert (day / name).read_bytes() == (GOLDEN / name).read_bytes(), name

    r = subprocess.run([exe, "site", "--reports", "reports", "--db", "store.sqlite3", "--out", "site"],
                       capture_output=True, text=True, env=env, cwd=work, timeout=600)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    home = (work / "site" / "index.html").read_text(encoding="utf-8")
    assert "2026-08-02" in home and (work / "site" / "day" / "2026-08-02-news.html").exists()
    assert any((work / "site").rglob("*.css")) and any((work / "site").rglob("*.js"))

    r = subprocess.run([exe, "eval", "classify"], capture_output=True, text=True, env=env, cwd=work, timeout=600)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    # the first line is the fair figure: papers and both news sets, all from data shipped in the wheel
    m = re.search(r"papers (\d\.\d+) \(n=(\d+)\) · news English (\d\.\d+) \(n=(\d+)\) · news Korean (\d\.\d+)",
                  r.stdout.splitlines()[0] if r.stdout else "")
    assert m and float(m.group(1)) >= 0.70 and int(m.group(2)) > 600, r.stdout[:2000]
    assert float(m.group(3)) >= 0.80 and int(m.group(4)) > 200 and float(m.group(5)) >= 0.80, r.stdout[:2000]
    assert str(tmp_path / "venv") in r.stdout.replace("\n", "")  # the split shipped inside the installed package

    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "package.txt").write_text(
        f"wheel {wheel.name}: {wheel.stat().st_size} bytes ({wheel.stat().st_size / 1e6:.2f} MB)\n"
        f"pip install of the wheel (dependencies already present, no index): {t_installed - t0:.1f} s\n"
        f"pip install -> first report of the replayed day 2026-08-02 (--llm none): {t_report - t0:.1f} s\n",
        encoding="utf-8")
