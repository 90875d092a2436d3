"""How well the offline result-sentence picker chooses, on DEVELOPMENT papers only.

    python -m aidigest.summarize.eval_result [--data DIR]

Two numbers, for the old TL;DR (first usable sentence, `tldr.extractive_tldr`) and the new pick
(`result.result_sentence`):

- first-sentence share: of the dev papers with an abstract (labeled_papers/linyueqian_* under DIR, the shared
  data root; skipped when not found), how often the chosen sentence is the abstract's first sentence;
- hand-marked agreement: on the 50 dev abstracts in tests/data/result_sentences/ (papers drawn at random with
  seed 12 from the dev split; per abstract the sentences stating its main contribution or main result were
  marked by hand BEFORE the picker's cue lists were written), how often the chosen sentence is a marked one.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..records import Item
from .result import candidate_sentences, result_sentence
from .text import clean
from .tldr import extractive_tldr

DEV_GLOB = "labeled_papers/linyueqian_*/*.jsonl"
MARKS_DIR = Path(__file__).resolve().parents[3] / "tests" / "data" / "result_sentences"


def _item(rec: dict) -> Item:
    return Item(kind="paper", title=rec["title"], url=rec.get("abs") or "", key=rec["id"], snippet=rec["summary"])


def _same(chosen: str, sentence: str) -> bool:
    a, b = clean(chosen).rstrip("…").strip(), clean(sentence)
    return bool(a) and b.startswith(a)


def first_share(records: list[dict]) -> dict[str, float | int]:
    n = old_first = new_first = 0
    for rec in records:
        sents = candidate_sentences(rec.get("summary") or "")
        if len(sents) < 2:
            continue
        it = _item(rec)
        n += 1
        old_first += _same(extractive_tldr(it), sents[0])
        new_first += _same(result_sentence(it), sents[0])
    return {"papers": n, "old_first_share": old_first / n if n else 0.0, "new_first_share": new_first / n if n else 0.0}


def marked_agreement(marks_dir: Path = MARKS_DIR) -> dict[str, float | int]:
    papers = {json.loads(line)["id"]: json.loads(line) for line in (marks_dir / "dev_papers.jsonl").open(encoding="utf-8")}
    n = old_hit = new_hit = 0
    for line in (marks_dir / "marks.jsonl").open(encoding="utf-8"):
        m = json.loads(line)
        it = _item(papers[m["id"]])
        n += 1
        old_hit += any(_same(extractive_tldr(it), s) for s in m["marked"])
        new_hit += any(_same(result_sentence(it), s) for s in m["marked"])
    return {"papers": n, "old_agreement": old_hit / n, "new_agreement": new_hit / n}


def dev_records(data: Path) -> list[dict]:
    seen: set[str] = set()
    out = []
    for f in sorted(data.glob(DEV_GLOB)):
        for line in f.open(encoding="utf-8"):
            rec = json.loads(line)
            if rec.get("summary") and rec["id"] not in seen:
                seen.add(rec["id"])
                out.append(rec)
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=None, help="shared data root holding labeled_papers/linyueqian_*")
    args = ap.parse_args(argv)
    m = marked_agreement()
    print(f"hand-marked dev abstracts: {m['papers']}; a marked sentence chosen: "
          f"old {m['old_agreement']:.0%}, new {m['new_agreement']:.0%}")
    if args.data is not None:
        recs = dev_records(args.data)
        if recs:
            s = first_share(recs)
            print(f"dev papers with an abstract of >= 2 sentences: {s['papers']}; the first sentence chosen: "
                  f"old {s['old_first_share']:.1%}, new {s['new_first_share']:.1%}")
        else:
            print(f"no {DEV_GLOB} under {args.data}")


if __name__ == "__main__":
    main()
