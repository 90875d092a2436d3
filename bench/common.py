"""Shared pieces of the benchmarks: paths, machine/git info, result records, and the real-data corpus.

The corpus is REAL data from shared/data (next to the repository clone: ../shared/data; override with the
environment variable AIDIGEST_SHARED_DATA). Nothing in it is generated: larger item sets are made by
recombining fragments of real titles and by small, documented edits (see `build_dataset`).
"""

from __future__ import annotations

import datetime as dt
import glob
import json
import os
import platform
import re
import resource
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "bench"
RESULTS = BENCH / "results"
DAY = dt.date(2026, 8, 2)  # the report day the benchmark items pretend to be from


class BenchError(Exception):
    """A clear, one-line reason the benchmark cannot run (printed without a traceback)."""


def shared_data() -> Path:
    env = os.environ.get("AIDIGEST_SHARED_DATA")
    path = Path(env) if env else REPO.parent / "shared" / "data"
    if not (path / "papers_labeled.jsonl").is_file():
        raise BenchError(
            f"real data not found at {path} (expected papers_labeled.jsonl there): the benchmark reads "
            "shared/data beside the repository clone; set AIDIGEST_SHARED_DATA to its location"
        )
    return path


# ---- machine and git --------------------------------------------------------------------------------------
def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_name() -> str:
    name = os.environ.get("AIDIGEST_BENCH_MACHINE") or platform.node() or "machine"
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name)[:40]


def machine_info() -> dict:
    return {
        "name": machine_name(),
        "cores": os.cpu_count(),
        "cpu_model": cpu_model(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def git_info() -> dict:
    def run(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return ""

    commit = run("rev-parse", "HEAD") or "unknown"
    dirty = bool(run("status", "--porcelain", "--untracked-files=no"))
    return {"commit": commit, "dirty": dirty}


def peak_rss_mb() -> float:
    """Peak resident set size of this process (VmHWM), in MB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ---- results ----------------------------------------------------------------------------------------------
@dataclass
class Target:
    name: str
    value: float
    limit: float
    unit: str
    met: bool


@dataclass
class SectionResult:
    """What a bench section hands back to bench/run.py: a table, targets, notes, raw numbers."""

    name: str
    title: str
    columns: list[str]
    rows: list[list[str]]
    targets: list[Target] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    profile: str | None = None  # top lines of a profile when a target was missed
    data: dict = field(default_factory=dict)  # JSON-able raw measurements

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class BenchContext:
    quick: bool
    python: str = sys.executable


# ---- the real corpus --------------------------------------------------------------------------------------
@dataclass
class RealRecord:
    kind: str  # news | paper
    title: str
    url: str
    source: str
    snippet: str = ""
    arxiv_id: str | None = None
    language: str = "en"
    points: int | None = None
    comments: int | None = None
    upvotes: int | None = None


_HANGUL = re.compile("[가-힣]")


def load_real_records(data: Path) -> list[RealRecord]:
    """Every real title of shared/data (papers, news items, HN recordings, HF daily papers), one record per
    distinct (case/space-insensitive) title, in a fixed order."""
    recs: list[RealRecord] = []
    for line in (data / "papers_labeled.jsonl").read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        recs.append(RealRecord("paper", " ".join(r["title"].split()), f"https://arxiv.org/abs/{r['id']}", "arxiv",
                               snippet=" ".join(r["abstract"].split()), arxiv_id=r["id"]))
    for name, kind in (("finddme_news_items.jsonl", "news"), ("finddme_papers_items.jsonl", "paper")):
        for line in (data / "news_items" / name).read_text(encoding="utf-8").splitlines():
            r = json.loads(line)
            aid = None
            m = re.search(r"arxiv\.org/abs/(\d{4}\.\d{4,5})", r["url"])
            if m:
                aid = m.group(1)
            recs.append(RealRecord(kind, r["title"], r["url"], "report:" + r["domain"], arxiv_id=aid,
                                   language="ko" if _HANGUL.search(r["title"]) else "en"))
    for f in sorted(glob.glob(str(data / "hackernews" / "derived_items_*" / "*.items.json"))):
        for h in json.loads(Path(f).read_text(encoding="utf-8")):
            if h.get("title"):
                recs.append(RealRecord("news", h["title"], h.get("url") or f"https://news.ycombinator.com/item?id={h['id']}",
                                       "hackernews", points=h.get("score"), comments=h.get("descendants")))
    for f in sorted(glob.glob(str(data / "hackernews" / "algolia_raw_*" / "*.json"))):
        for h in json.loads(Path(f).read_text(encoding="utf-8")).get("hits", []):
            if h.get("title"):
                recs.append(RealRecord("news", h["title"], h.get("url") or f"https://news.ycombinator.com/item?id={h['objectID']}",
                                       "hackernews", points=h.get("points"), comments=h.get("num_comments")))
    for f in sorted(glob.glob(str(data / "huggingface_daily_papers" / "*" / "*.json"))):
        for p in json.loads(Path(f).read_text(encoding="utf-8")):
            pid = p["paper"]["id"]
            recs.append(RealRecord("paper", " ".join(p["title"].split()), f"https://huggingface.co/papers/{pid}",
                                   "hf_papers", snippet=" ".join((p.get("summary") or "").split()), arxiv_id=pid,
                                   upvotes=p["paper"].get("upvotes")))
    seen: set[str] = set()
    out = []
    for r in recs:
        k = " ".join(r.title.casefold().split())
        if k and k not in seen:
            seen.add(k)
            out.append(r)
    return out


def real_domains(data: Path) -> list[str]:
    doms = {json.loads(line)["domain"] for line in (data / "news_items" / "finddme_news_items.jsonl").read_text(encoding="utf-8").splitlines()}
    return sorted(d.removeprefix("www.") for d in doms)


# ---- perturbations: shared with tests/dedupe/test_near_dupes.py -------------------------------------------------
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from fakes.near_copies import perturb  # noqa: E402,F401  (re-exported for scale.py)


def _is_prime(n: int) -> bool:
    return n >= 2 and all(n % d for d in range(2, int(n**0.5) + 1))


def next_prime(n: int) -> int:
    while not _is_prime(n):
        n += 1
    return n
