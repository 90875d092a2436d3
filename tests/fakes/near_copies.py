"""Planted near-duplicate titles for the near-dup tests and the scale benchmark: the edits a republished
story typically shows (case, punctuation, one word dropped, a " | site" suffix). Not a fake server: fake DATA,
made from real titles, whose ground truth (which title each copy came from) the caller keeps."""

from __future__ import annotations

import random
import re

OPS = ("case", "punct", "drop", "suffix")


def perturb(title: str, rng: random.Random, domains: list[str]) -> str:
    """One or two of: change case, change punctuation, drop one word (titles of 4+ words), add ' | site'."""
    for op in rng.sample(OPS, rng.choice([1, 1, 2])):
        if op == "case":
            title = rng.choice([str.lower, str.upper, str.title])(title)
        elif op == "punct":
            how = rng.choice(["strip", "colon", "quote", "excl"])
            if how == "strip":
                title = re.sub(r"[^\w\s]", "", title)
            elif how == "colon":
                title = title.replace(":", " -", 1) if ":" in title else title + "."
            elif how == "quote":
                title = f'"{title}"'
            else:
                title += "!"
        elif op == "drop":
            words = title.split()
            if len(words) > 3:
                del words[rng.randrange(len(words))]
                title = " ".join(words)
        else:
            title = title + rng.choice([" | ", " - ", " — "]) + rng.choice(domains)
    return title
