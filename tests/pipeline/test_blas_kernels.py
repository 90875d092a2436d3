"""CI is green on any x86-64 host: the store-migration and golden-day tests pass under two OpenBLAS kernels of
this one machine, so they pass on a host whose default kernel is either (an Intel or AMD CPU without AVX-512 runs
Haswell, one with AVX-512 runs SkylakeX). The kernels sum the classifier's dot products in different orders, so
its confidences differ in the 8th digit between them (a store made on one host and reread on the other shows it):
the tests compare categories exactly and confidences within a tolerance, and every report stays byte-identical
to the golden reference because no report shows a BLAS-computed number unrounded.

`OPENBLAS_CORETYPE` forces numpy's OpenBLAS to a kernel; threadpoolctl says which one really runs (OpenBLAS falls
back to another when the CPU lacks the forced one: that kernel is skipped, saying why). Each kernel costs one
run of the two test files in a child pytest (~30 s here)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import REPO

KERNELS = ("Haswell", "SkylakeX")  # AVX2 + FMA; AVX-512 (the default of an AVX-512 host)
TESTS = ("tests/store/test_store_migrations.py", "tests/pipeline/test_golden_days.py")


def kernel_env(kernel: str) -> dict[str, str]:
    return {**os.environ, "OPENBLAS_CORETYPE": kernel}


def kernel_running(kernel: str) -> str | None:
    """The OpenBLAS kernel a Python started with OPENBLAS_CORETYPE=kernel runs (threadpoolctl), None without
    OpenBLAS."""
    code = ("import numpy, json, threadpoolctl; print(json.dumps([i.get('architecture') for i in "
            "threadpoolctl.threadpool_info() if i.get('internal_api') == 'openblas']))")
    r = subprocess.run([sys.executable, "-c", code], env=kernel_env(kernel), capture_output=True, text=True,
                       timeout=60, check=True)
    found = json.loads(r.stdout.strip().splitlines()[-1])
    return found[0] if found else None


@pytest.mark.parametrize("kernel", KERNELS)
def test_store_and_golden_day_tests_pass_under_the_openblas_kernel(kernel):
    running = kernel_running(kernel)
    if running is None:
        pytest.skip("numpy is not linked to OpenBLAS here: no kernel to force")
    if running.lower() != kernel.lower():
        pytest.skip(f"this CPU lacks the {kernel} kernel's instructions: OpenBLAS runs {running} instead")
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *TESTS], cwd=REPO,
                       env=kernel_env(kernel), capture_output=True, text=True, timeout=900)
    tail = "\n".join(r.stdout.splitlines()[-30:])
    assert r.returncode == 0, f"under OPENBLAS_CORETYPE={kernel} ({running}):\n{tail}\n{r.stderr[-2000:]}"
    assert " passed" in tail and "skipped" not in tail, tail
