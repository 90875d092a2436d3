"""JSON export of a digest (the `Digest` model dumped), stable across reruns.

Volatile values are left out so identical content gives identical bytes: per-source durations
(`health.outcomes[].duration_s`). Dict keys of counters (fallbacks, per-category counts) and the notes
are sorted.
"""

from __future__ import annotations

import json

from ..report import Digest


def digest_json(digest: Digest) -> str:
    data = digest.model_dump(mode="json", exclude={"health": {"outcomes": {"__all__": {"duration_s"}}}})
    for extra in ("profile", "picks"):  # a reader profile's digest only: the main digest's export stays as it was
        if data.get(extra) is None:
            data.pop(extra, None)
    health = data["health"]
    health["fallbacks"] = dict(sorted(health["fallbacks"].items()))
    health["notes"] = sorted(health["notes"])
    health["outcomes"] = sorted(health["outcomes"], key=lambda o: (o["kind"], o["source"]))
    data["stats"]["per_category"] = dict(sorted(data["stats"]["per_category"].items()))
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
