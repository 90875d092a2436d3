"""Save the scale bench's 1,000-item day as the input of the golden `scale_day` case.

    .venv/bin/python bench/golden_scale_items.py     # needs ../shared/data (or $AIDIGEST_SHARED_DATA)

tests/data/golden/scale_day/items.jsonl is this output: bench/scale.py's `build_dataset(1000)` (real titles of
../shared/data plus the bench's planted copies). The golden tests only read the saved file, so they import no bench
code and run without ../shared; rerun this only when the scale bench's dataset changes on purpose, then regenerate
the scale_day references (tests/golden_days.py --write scale_day) in the same commit.
"""

from __future__ import annotations

import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ITEMS = BENCH.parent / "tests" / "data" / "golden" / "scale_day" / "items.jsonl"


def main() -> None:
    sys.path.insert(0, str(BENCH))
    from scale import build_dataset

    ds = build_dataset(1000)
    ITEMS.parent.mkdir(parents=True, exist_ok=True)
    ITEMS.write_text("".join(it.model_dump_json() + "\n" for it in ds.items), encoding="utf-8")
    print(f"scale_day: {len(ds.items)} items -> {ITEMS.relative_to(BENCH.parent)}")


if __name__ == "__main__":
    main()
