"""The command line's three doors open the same app: the `aidigest` script, `python -m aidigest` and
`python -m aidigest.cli` (what the golden days fall back to when no script is installed)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from aidigest import __version__


@pytest.mark.parametrize("module", ["aidigest", "aidigest.cli"])
def test_python_dash_m_runs_the_command_line(module, tmp_path):
    env = {**os.environ, "AIDIGEST_HOME": str(tmp_path)}  # nothing of the user's is read or written
    out = subprocess.run([sys.executable, "-m", module, "--version"], capture_output=True, text=True, timeout=60,
                         env=env)
    assert (out.returncode, out.stdout.strip()) == (0, f"aidigest {__version__}")
    bad = subprocess.run([sys.executable, "-m", module, "run", "--date", "nonsense"], capture_output=True, text=True,
                         timeout=60, env=env)
    assert bad.returncode == 2 and "--date: 'nonsense' is not a date" in bad.stderr and "Traceback" not in bad.stderr
