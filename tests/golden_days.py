"""The golden days: every report, JSON export and chart the pipeline writes for five fixed days, compared byte
for byte with references made by an earlier release (tests/data/golden/<case>/...). They guard refactors:
a structural change must not change one byte a reader gets.

Cases:
- `demo_offline`: `aidigest run` on the demo day's recording (demo/replay/2026-08-02), `--llm none`, as `make demo`.
- `demo_llm`: the same day through the LLM path, against the fake OpenAI-compatible server on 127.0.0.1
  (tests/fakes/responder.py: the categories of the real offline classifier, Korean summaries that pass every check;
  no model runs), as bench/e2e.py does at zero latency.
- `korean_day`: `aidigest run` on the demo's Korean day (demo/replay/2026-07-23: the real GeekNews feed, no other
  source recorded), `--llm none`, as `make demo`'s second run.
- `old_system_day`: `aidigest run` on 2024-10-29, the day of the old system's report (demo/replay/2024-10-29:
  reconstructed envelopes around that day's real titles and links, see its NOTES.md), `--llm none`; its News
  report and chart are the README's example in docs/examples/2024-10-29/ (a test keeps them equal).
- `scale_day`: the 1,000-item day of bench/scale.py (`build_dataset(1000)`: real titles of ../shared/data plus
  the bench's planted copies), saved once by bench/golden_scale_items.py as tests/data/golden/scale_day/items.jsonl
  because ../shared is not in the repository (no test imports bench code); classified offline and built into both reports without an LLM, as the scale bench does.

Regenerate ONLY for an intended change of the output (say why in the commit):
    .venv/bin/python tests/golden_days.py --write [case ...]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
GOLDEN = TESTS / "data" / "golden"
DAY = "2026-08-02"
REPLAY = REPO / "demo" / "replay" / DAY
SCALE_ITEMS = GOLDEN / "scale_day" / "items.jsonl"
KOREAN_DAY = "2026-07-23"
KOREAN_REPLAY = REPO / "demo" / "replay" / KOREAN_DAY
OLD_DAY = "2024-10-29"
OLD_REPLAY = REPO / "demo" / "replay" / OLD_DAY
CASES = ("demo_offline", "demo_llm", "scale_day", "korean_day", "old_system_day")


def _aidigest(args: list[str], env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIDIGEST_", "OPENAI_", "ANTHROPIC_", "TOGETHER_"))}
    env.update(env_extra or {})
    bin_dir = Path(sys.executable).parent
    exe = bin_dir / "aidigest"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "aidigest"]
    return subprocess.run(cmd + args, env=env, capture_output=True, text=True, timeout=600)


def _db(work: Path) -> str:
    """The store the case uses: the one given to produce() (e.g. a PostgreSQL URL), else a SQLite file in `work`."""
    return _STORE.get("db") or str(work / "store.sqlite3")


_STORE: dict[str, str] = {}


def _run_day(work: Path, llm: str, env_extra: dict[str, str] | None = None, day: str = DAY,
             replay: Path = REPLAY, config: str = "") -> Path:
    out = work / "reports"
    cfg = work / "aidigest.toml"
    cfg.write_text(config, encoding="utf-8")  # "": the built-in defaults, whatever the user's config folder holds
    r = _aidigest(["run", "--date", day, "--replay", str(replay), "--db", _db(work),
                   "--out", str(out), "--llm", llm, "--config", str(cfg)], env_extra)
    if r.returncode != 0:
        raise AssertionError(f"aidigest run failed ({r.returncode}):\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
    return out


def demo_offline(work: Path) -> Path:
    return _run_day(work, "none")


def korean_day(work: Path) -> Path:
    return _run_day(work, "none", day=KOREAN_DAY, replay=KOREAN_REPLAY)


def old_system_day(work: Path) -> Path:
    return _run_day(work, "none", day=OLD_DAY, replay=OLD_REPLAY,
                    config=(OLD_REPLAY / "aidigest.toml").read_text(encoding="utf-8"))


def demo_llm(work: Path) -> Path:
    from fakes.fake_openai import FakeOpenAIServer
    from fakes.responder import Responder, offline_categories

    prepared = offline_categories(work, DAY, REPLAY)
    responder = Responder(prepared["categories"], prepared["reported_ids"])
    with FakeOpenAIServer(responder=responder) as srv:
        return _run_day(work, "openai:fake-model", {"OPENAI_BASE_URL": srv.base_url, "OPENAI_API_KEY": "sk-golden-test"})


def scale_day(work: Path) -> Path:
    from aidigest.assemble import build_digest
    from aidigest.classify.items import classify_offline
    from aidigest.config import Config
    from aidigest.context import DayContext
    from aidigest.records import Classified, Item, RunHealth
    from aidigest.render.write import write_report
    from aidigest.infra.store import Store
    from aidigest.taxonomy import load_taxonomy

    items = [Item.model_validate_json(line) for line in SCALE_ITEMS.read_text(encoding="utf-8").splitlines() if line]
    taxonomy, config = load_taxonomy(), Config()
    preds = classify_offline(items, taxonomy)
    classified = [Classified(item=it, category=cat, confidence=conf, method="offline")
                  for it, (cat, conf) in zip(items, preds, strict=True)]
    out = work / "reports"
    day = items[0].published.date() if items[0].published else dt.date(2024, 10, 29)
    with Store(_db(work)) as store:
        health = RunHealth()
        ctx = DayContext(day=day, language=config.general.language, config=config, taxonomy=taxonomy, store=store)
        for kind in ("news", "paper"):
            digest = asyncio.run(build_digest(ctx, kind, classified))
            health.merge(digest.health)
            write_report(digest, out, health)
    return out


def produce(case: str, work: Path, db: str | None = None) -> dict[str, bytes]:
    """relative path -> bytes of every file the case writes (into the store `db`: default a SQLite file in `work`;
    the same bytes are expected from a PostgreSQL store)."""
    work.mkdir(parents=True, exist_ok=True)
    _STORE.clear()
    if db:
        _STORE["db"] = db
    try:
        out = {"demo_offline": demo_offline, "demo_llm": demo_llm, "scale_day": scale_day,
               "korean_day": korean_day, "old_system_day": old_system_day}[case](work)
    finally:
        _STORE.clear()
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def reference(case: str) -> dict[str, bytes]:
    root = GOLDEN / case / "out"
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def write(case: str, work: Path) -> None:
    files = produce(case, work)
    root = GOLDEN / case / "out"
    shutil.rmtree(root, ignore_errors=True)
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    print(f"{case}: {len(files)} files -> {root.relative_to(REPO)}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--write", action="store_true", help="regenerate the references of the named cases")
    ap.add_argument("cases", nargs="*", default=list(CASES))
    a = ap.parse_args()
    import tempfile

    if a.write:
        for c in a.cases:
            with tempfile.TemporaryDirectory() as d:
                write(c, Path(d))
    print(json.dumps({c: len(reference(c)) for c in CASES}))
