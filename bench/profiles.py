"""Reader profiles (issue 20): what each extra profile costs, and how fast the ranking is.

    PYTHONPATH=src python bench/profiles.py [--rank-only] [--llm-latency 0.2]

1. One crawl, many readers: the recorded sample day (demo/replay/2026-08-02) run end to end with the fake LLM
   of bench/e2e.py (bench/fake_llm.py on loopback: valid categories and Korean summaries) three times, each on a
   fresh store: no profile, one profile ("nlp": interests + liked papers), two profiles ("nlp" + "vision":
   keywords). Printed per run: LLM calls and tokens (the run's own totals), wall seconds, and the profile stage's
   seconds. The shared part (collect, categorize, summarize) is done once per run: the calls must not grow.
2. Ranking: 10,000 items x 10 profiles once embeddings are cached (the vectors are given; embedding is the
   classifier's cost, cached in the store by text): aidigest.profiles.rank.score_items + the top 10 picks with their
   reasons, per profile. Items: real titles/abstracts/authors of the labelled papers (../shared/data), cycled
   to 10,000 with distinct keys; vectors: random unit vectors (seeded), 10 profiles of 3 interests, 20 liked
   papers, 5 keywords and 3 authors each. Target: under 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import REPO  # noqa: E402

DAY = "2026-08-02"
REPLAY = REPO / "demo" / "replay" / DAY
TARGET_RANK_S = 2.0
KEYWORDS = ["LLM", "diffusion", "robot", "강화학습", "agent", "benchmark", "transformer", "3D", "video", "speech",
            "graph", "privacy", "quantization", "retrieval", "RAG", "medical", "segmentation", "reasoning", "GAN",
            "federated", "Gaussian", "token", "attention", "CLIP", "tracking", "pose", "depth", "NeRF", "audio",
            "translation", "code", "math", "alignment", "RLHF", "reward", "sparse", "pruning", "distillation",
            "contrastive", "multimodal", "vision", "kernel", "Bayesian", "causal", "fairness", "theorem", "game",
            "protein", "molecule", "climate"]

PROFILES = {
    "nlp": {"interests": ["대형 언어 모델의 추론과 평가", "retrieval-augmented generation"], "liked": ["2607.26497"]},
    "vision": {"include_keywords": ["vision", "image", "video", "이미지"]},
}


def e2e(llm_latency: float) -> list[dict]:
    from e2e import MODEL, worker_prepare
    from fake_llm import Responder, TimedFakeOpenAI

    import aidigest.pipeline as pipeline
    from aidigest.config import Config
    from aidigest.infra.http import HttpClient
    from aidigest.infra.store import Store

    day = dt.date.fromisoformat(DAY)
    rows = []
    with tempfile.TemporaryDirectory(prefix="aidigest-profiles-") as tmp:
        tmpd = Path(tmp)
        prep = worker_prepare(tmpd)
        responder = Responder(prep["categories"], prep["reported_ids"])
        with TimedFakeOpenAI(responder=responder, latency_s=llm_latency, tokens_per_s=100.0, models=[MODEL]) as srv:
            os.environ["OPENAI_BASE_URL"] = srv.base_url
            os.environ["OPENAI_API_KEY"] = "sk-bench-not-a-real-key"
            for label, names in (("no profile", []), ("1 profile (nlp)", ["nlp"]), ("2 profiles (nlp, vision)", ["nlp", "vision"])):
                cfg = Config().updated(llm={"provider": f"openai:{MODEL}", "concurrency": 16},
                                       profiles={n: PROFILES[n] for n in names})
                run_dir = tmpd / label.split()[0]
                run_dir.mkdir()
                srv.reset()

                async def go(cfg=cfg, run_dir=run_dir):
                    with Store(str(run_dir / "store.db")) as store:
                        async with HttpClient.create(cfg.http, replay=REPLAY) as http:
                            return await pipeline.run_day(day, cfg, store, http, run_dir / "out")

                t0 = time.perf_counter()
                summary = asyncio.run(go())
                wall = time.perf_counter() - t0
                h = summary.health.llm
                rows.append({"run": label, "llm_calls": h.calls, "tokens_in": h.tokens_in, "tokens_out": h.tokens_out,
                             "server_requests": len(srv.log()), "wall_s": round(wall, 2),
                             "profile_s": {p.name: round(p.seconds, 2) for p in summary.profiles},
                             "profile_reports": {p.name: sorted(p.reports) for p in summary.profiles}})
    return rows


def rank_bench(n_items: int = 10_000, n_profiles: int = 10) -> dict:
    import numpy as np

    from aidigest.config import ProfileConfig
    from aidigest.records import Item
    from aidigest.profiles.reader import LikedPaper
    from aidigest.profiles.rank import build_profile, prepare, reasons, score_items
    from aidigest.select.items import rank_scores

    shared = Path(os.environ.get("AIDIGEST_SHARED_DATA") or REPO.parent / "shared" / "data")
    rows = [json.loads(line) for p in sorted((shared / "labeled_papers").glob("*/*.jsonl"))
            for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not rows:
        raise SystemExit(f"labelled papers not found under {shared} (set AIDIGEST_SHARED_DATA)")
    items = [Item(kind="paper", title=r["title"], url=r["abs"], key=f"bench:{i}", snippet=r.get("summary") or "",
                  arxiv_id=r["id"], authors=r.get("authors") or []) for i, r in
             ((i, rows[i % len(rows)]) for i in range(n_items))]
    rng = np.random.default_rng(20)

    def unit(n: int) -> np.ndarray:
        v = rng.standard_normal((n, 512)).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    X = unit(n_items)
    models = []
    for p in range(n_profiles):
        cfg = ProfileConfig(interests=[f"interest {p}.{k}" for k in range(3)],
                            include_keywords=KEYWORDS[p * 5:(p + 1) * 5],  # distinct per profile: no shared scan
                            authors=[rows[(p * 7 + k) % len(rows)]["authors"][0] for k in range(3)])
        liked = [LikedPaper(arxiv_id=rows[(p * 31 + k) % len(rows)]["id"], title="t", source="file") for k in range(20)]
        models.append(build_profile(f"p{p}", cfg, liked, lambda texts: unit(len(texts))))
    day = dt.date.fromisoformat(DAY)
    t0, c0 = time.perf_counter(), time.process_time()
    pop = np.array(rank_scores(items, day))  # shared by every profile of a run
    prepared = prepare(items)
    t_pop = time.perf_counter() - t0
    for m in models:
        s = score_items(m, items, X, day, pop, prepared)
        top = np.argsort(-s.score, kind="stable")[:10]
        for i in top:
            reasons(m, s, int(i), "ko")
    total, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {"items": n_items, "profiles": n_profiles, "seconds": round(total, 3), "cpu_s": round(cpu, 3),
            "popularity_s": round(t_pop, 3), "load": os.getloadavg()[0],
            "target_s": TARGET_RANK_S, "met": total < TARGET_RANK_S}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rank-only", action="store_true")
    ap.add_argument("--llm-latency", type=float, default=0.2)
    args = ap.parse_args()
    r = rank_bench()
    print(f"ranking: {r['items']} items x {r['profiles']} profiles in {r['seconds']:.3f} s wall, {r['cpu_s']:.3f} s CPU "
          f"(popularity and text once: {r['popularity_s']:.3f} s; load average {r['load']:.1f} on {os.cpu_count()} cores); "
          f"target < {TARGET_RANK_S} s: {'met' if r['met'] else 'MISSED'}")
    if args.rank_only:
        return
    rows = e2e(args.llm_latency)
    print("| run | LLM calls | tokens in | tokens out | wall s | profile stage s |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        prof = ", ".join(f"{k} {v}" for k, v in row["profile_s"].items()) or "—"
        print(f"| {row['run']} | {row['llm_calls']} | {row['tokens_in']} | {row['tokens_out']} | {row['wall_s']} | {prof} |")


if __name__ == "__main__":
    main()
