"""One colour per category, shared by the day charts (render/chart.py) and the site's trend charts
(render/trend.py), so a category has the same colour everywhere.

Matplotlib's "tab20" colours (written out here, so the site needs no matplotlib). A category of the built-in
taxonomy takes the colour at its position in data/taxonomy.toml; any other id (a custom taxonomy) a colour
picked from a hash of its id: stable from run to run and from day to day. Positions run through the ten
strong tab20 hues first, then their light variants, so neighbouring categories never get two shades of one hue.
"""

from __future__ import annotations

import zlib
from functools import lru_cache

from ..taxonomy import load_taxonomy

TAB20 = (
    "#1f77b4", "#aec7e8", "#ff7f0e", "#ffbb78", "#2ca02c", "#98df8a", "#d62728", "#ff9896", "#9467bd", "#c5b0d5",
    "#8c564b", "#c49c94", "#e377c2", "#f7b6d2", "#7f7f7f", "#c7c7c7", "#bcbd22", "#dbdb8d", "#17becf", "#9edae5",
)


@lru_cache(maxsize=1)
def _builtin_ids() -> tuple[str, ...]:
    return tuple(load_taxonomy(None).ids)


ORDER = tuple(range(0, 20, 2)) + tuple(range(1, 20, 2))  # strong hues, then their light variants


def colour_index(category: str) -> int:
    """Index into TAB20 of `category` (a taxonomy id)."""
    ids = _builtin_ids()
    pos = ids.index(category) if category in ids else zlib.crc32(category.encode("utf-8"))
    return ORDER[pos % len(ORDER)]


def category_colour(category: str) -> str:
    """"#rrggbb" of `category`."""
    return TAB20[colour_index(category)]
