"""`aidigest eval profiles`: how well a reader profile's "추천" section (aidigest.profiles.rank) finds what a simulated reader
wants, against two baselines. Only labelled papers; the profiles are built from the DEVELOPMENT split and scored
on the TEST split (never tuned on it).

Simulated readers (each built from dev papers only, `LIKED_MAX` of them, sampled with a fixed seed):
- "cs.CL": likes dev papers whose primary arXiv category is cs.CL; wants test papers of primary cs.CL;
- "cs.GR+cs.GT": likes dev papers of graphics and game theory; wants test papers of those two;
- "authors": pins the `AUTHORS_N` most prolific dev authors of primary cs.CL papers and likes their dev papers
  (a reader who follows a few people); wants test papers of their field (primary cs.CL) or by them.

Each test day's papers are ranked by the profile (embeddings of title + abstract, the offline encoder, cached
in the store when one is given); precision@10 = share of the top 10 that the reader wants, averaged over the
test days. Baselines on the same days, both as their EXPECTED precision@10 (not one draw):
- popularity order (aidigest.select.items.rank_score, the main digest's order). Labelled papers carry no HN/HF signal
  and no publication time, so on these days every paper scores the same: the order is then nobody's choice (the
  arXiv id tie-break), and a tie is counted as broken at random (its wanted share fills its places in the top
  10). The table says on how many days popularity had any signal at all;
- a random order: the day's wanted share.
The "authors" reader's names are plain strings: a pinned name matches any paper signed with it (one common name
matches papers of other people of that name; by the definition of "wanted" they count as wanted, so they help).

`split="dev"` is the mode for choosing settings: readers built from the first half of the dev days, scored on
the other half (the test split is not read). The test table is for reporting once, never for choosing.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..classify.eval import PACKAGED_SPLIT
from ..classify.offline import item_text
from ..config import ProfileConfig
from ..infra.env import env_value
from ..records import Item
from .reader import LikedPaper
from .rank import build_profile, score_items
from ..select.items import rank_scores

K = 10
LIKED_MAX = 40
AUTHORS_N = 4
SEED = 20
DEV_PREFIX, TEST_PREFIX = "linyueqian_", "dw-dengwei_"


@dataclass
class Reader:
    name: str
    categories: set[str]  # primary arXiv categories the reader wants
    liked: list[LikedPaper]
    authors: list[str] = field(default_factory=list)


@dataclass
class ReaderScore:
    name: str
    liked: int
    days: int
    wanted_share: float  # base rate: share of the test papers the reader wants
    profile: float
    popularity: float  # expected precision of popularity order (ties broken at random)
    random: float  # expected precision of a random order
    signal_days: int = 0  # days on which popularity told any two papers apart
    author_papers: int = 0  # scored papers signed by a pinned author

    @property
    def ratio(self) -> float:
        return self.profile / self.popularity if self.popularity > 0 else float("inf")


def _papers(folder: Path, prefix: str) -> dict[str, list[dict]]:
    """file stem (day) -> papers of the split's jsonl files found under `folder` (recursively)."""
    out: dict[str, list[dict]] = {}
    for p in sorted(folder.glob(f"**/{prefix}*/*.jsonl")):
        rows = [json.loads(line) for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]
        out.setdefault(p.stem, []).extend(r for r in rows if r.get("categories") and r.get("title"))
    return out


def default_data_dir() -> Path | None:
    """A folder holding both splits: $AIDIGEST_EVAL_DATA, ../shared/data (from the working directory or next to
    the repository), else the repository's tests/data (one dev day in tests/data/profiles) with the test split
    shipped in the package (aidigest/data/eval, see `_test_split`). No machine-specific path."""
    repo = Path(__file__).resolve().parents[3]
    env = env_value("AIDIGEST_EVAL_DATA")
    for c in [*([Path(env)] if env else []), Path.cwd().parent / "shared" / "data", repo.parent / "shared" / "data",
              repo / "tests" / "data"]:
        if c.is_dir() and any(c.glob(f"**/{DEV_PREFIX}*/*.jsonl")) and _test_split(c):
            return c
    return None


def _liked(rows: Sequence[dict]) -> list[LikedPaper]:
    return [LikedPaper(arxiv_id=r["id"], title=r["title"], abstract=r.get("summary") or "", source="file") for r in rows]


def simulated_readers(dev: Sequence[dict]) -> list[Reader]:
    rng = random.Random(SEED)
    readers = []
    for name, cats in (("cs.CL", {"cs.CL"}), ("cs.GR+cs.GT", {"cs.GR", "cs.GT"})):
        rows = sorted((r for r in dev if r["categories"][0] in cats), key=lambda r: r["id"])
        readers.append(Reader(name, cats, _liked(rng.sample(rows, min(LIKED_MAX, len(rows))))))
    cl = [r for r in dev if r["categories"][0] == "cs.CL"]
    counts = Counter(a for r in cl for a in r.get("authors") or [])
    authors = [a for a, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:AUTHORS_N]]
    theirs = sorted((r for r in cl if set(r.get("authors") or []) & set(authors)), key=lambda r: r["id"])
    readers.append(Reader("authors", {"cs.CL"}, _liked(theirs[:LIKED_MAX]), authors))
    return [r for r in readers if r.liked]


def _item(r: dict) -> Item:
    return Item(kind="paper", title=r["title"], url=r.get("abs") or f"https://arxiv.org/abs/{r['id']}",
                key=f"arxiv:{r['id']}", snippet=r.get("summary") or "", arxiv_id=r["id"],
                primary_category=r["categories"][0], arxiv_categories=list(r["categories"]),
                authors=list(r.get("authors") or []))


def expected_precision(order_scores: Sequence[float], wanted: Sequence[bool], k: int = K) -> float:
    """Expected precision@k of ranking by `order_scores` (higher first) with ties broken at random: the tie
    group cut by the k-th place fills its places with its wanted share."""
    groups: dict[float, list[bool]] = {}
    for s, w in zip(order_scores, wanted, strict=True):
        groups.setdefault(s, []).append(w)
    k = min(k, len(wanted))
    if k == 0:
        return 0.0
    hit, left = 0.0, k
    for s in sorted(groups, reverse=True):
        g = groups[s]
        take = min(left, len(g))
        hit += take * sum(g) / len(g)
        left -= take
        if not left:
            break
    return hit / k


def _test_split(folder: Path) -> dict[str, list[dict]]:
    """The test split under `folder`, else the copy shipped with the package (aidigest/data/eval)."""
    return _papers(folder, TEST_PREFIX) or _papers(PACKAGED_SPLIT, TEST_PREFIX)


def evaluate(folder: Path, embed_texts: Callable[[list[str]], np.ndarray], split: str = "test") -> list[ReaderScore]:
    """precision@K per simulated reader (see module doc). split="test": profiles from the dev split, scored on
    the test days; split="dev": profiles from the first half of the dev days, scored on the second half."""
    dev_days = _papers(folder, DEV_PREFIX)
    if split == "dev":
        names = sorted(dev_days)
        half = len(names) // 2
        if not half:
            raise FileNotFoundError(f"{folder}: the dev mode needs at least 2 dev days ({DEV_PREFIX}*/)")
        dev = [r for d in names[:half] for r in dev_days[d]]
        test = {d: dev_days[d] for d in names[half:]}
    elif split == "test":
        dev = [r for rows in dev_days.values() for r in rows]
        test = _test_split(folder)
    else:
        raise ValueError(f"split: dev or test, not {split!r}")
    if not dev or not test:
        raise FileNotFoundError(f"{folder}: needs {DEV_PREFIX}*/ (dev) and {TEST_PREFIX}*/ (test) jsonl files")
    readers = simulated_readers(dev)
    days = {d: [_item(r) for r in rows] for d, rows in sorted(test.items())}
    X = {d: embed_texts([item_text(it.title, it.snippet) for it in items]) for d, items in days.items()}
    pops = {d: rank_scores(items, dt.date.fromisoformat(d)) for d, items in days.items()}
    signal_days = sum(len(set(p)) > 1 for p in pops.values())
    out = []
    for reader in readers:
        cfg = ProfileConfig.model_validate({"authors": reader.authors})
        model = build_profile(reader.name, cfg, reader.liked, embed_texts)
        pinned = set(reader.authors)
        p_prof: list[float] = []
        p_pop: list[float] = []
        p_rand: list[float] = []
        wanted_all = n_all = by_authors = 0
        for d, items in days.items():
            day = dt.date.fromisoformat(d)
            signed = [bool(set(it.authors) & pinned) for it in items]
            wanted = [it.primary_category in reader.categories or a for it, a in zip(items, signed, strict=True)]
            wanted_all += sum(wanted)
            by_authors += sum(signed)
            n_all += len(items)
            s = score_items(model, items, X[d], day).score
            by_profile = sorted(range(len(items)), key=lambda i: (-s[i], items[i].key))[:K]
            p_prof.append(sum(wanted[i] for i in by_profile) / max(len(by_profile), 1))
            p_pop.append(expected_precision(pops[d], wanted))
            p_rand.append(expected_precision([0.0] * len(items), wanted))
        out.append(ReaderScore(reader.name, len(reader.liked), len(days), wanted_all / max(n_all, 1),
                               float(np.mean(p_prof)), float(np.mean(p_pop)), float(np.mean(p_rand)),
                               signal_days, by_authors))
    return out


def table(scores: Sequence[ReaderScore]) -> str:
    lines = [f"| reader | liked (dev) | scored days | wanted share | profile p@{K} | popularity p@{K} (expected) | "
             f"random p@{K} (expected) | profile / popularity | days with a popularity signal | papers by pinned authors |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for s in scores:
        ratio = "∞" if s.popularity == 0 else f"{s.ratio:.2f}×"
        lines.append(f"| {s.name} | {s.liked} | {s.days} | {s.wanted_share:.3f} | {s.profile:.3f} | {s.popularity:.3f} | "
                     f"{s.random:.3f} | {ratio} | {s.signal_days} of {s.days} | {s.author_papers} |")
    return "\n".join(lines)
