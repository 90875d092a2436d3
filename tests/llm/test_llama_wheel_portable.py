"""The llama.cpp server wheel the tests run is built portably (scripts/llama-wheel.sh).

A wheel compiled with the build host's native flags used AVX-512/AMX kernels and segfaulted in llama_decode on
another host (Intel AMX). This reads the installed CPU backend's machine code: AVX2 (ymm registers) must be
there, AVX-512 (zmm registers) and AMX tile instructions must not. It fails on a natively built wheel from an
AVX-512 host, whichever host the test runs on.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.llamacpp

spec = importlib.util.find_spec("llama_cpp")
if spec is None and not os.environ.get("CI"):
    pytest.skip("llama-cpp-python is not installed (make test installs it)", allow_module_level=True)


def cpu_backend() -> Path:
    assert spec is not None and spec.origin, "llama_cpp must be installed in CI"
    libs = sorted(Path(spec.origin).parent.glob("lib/libggml-cpu*.so"))
    assert libs, f"no libggml-cpu*.so under {Path(spec.origin).parent / 'lib'}"
    return libs[0]


@pytest.mark.skipif(shutil.which("objdump") is None, reason="objdump (binutils) not installed")
def test_cpu_backend_has_no_avx512_or_amx_code():
    asm = subprocess.run(["objdump", "-d", "--no-show-raw-insn", str(cpu_backend())],
                         capture_output=True, text=True, check=True).stdout
    assert "%ymm" in asm, "expected AVX2 code in the CPU backend"
    assert "%zmm" not in asm, "AVX-512 code in the CPU backend: the wheel was built with native flags"
    for amx in ("tileloadd", "tdpbssd", "tdpbf16ps", "ldtilecfg"):
        assert amx not in asm, f"AMX instruction {amx} in the CPU backend: built with native flags"


def test_wheel_came_from_the_portable_wheelhouse():
    """The flags the wheel was built with sit beside it; GGML_NATIVE must be OFF."""
    cache = Path(os.environ.get("AIDIGEST_WHEELHOUSE", Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "aidigest" / "wheels"))
    flags = sorted(cache.glob("llama-cpp-python-*-portable-*/CMAKE_ARGS"))
    assert flags, f"no portable wheelhouse under {cache} (make test builds it with scripts/llama-wheel.sh)"
    assert "-DGGML_NATIVE=OFF" in flags[-1].read_text()
