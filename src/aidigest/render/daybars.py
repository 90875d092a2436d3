"""The day page's chart as HTML: one row per category (icon, name, count, a bar, the category's top item), the
same rows in the same order and colours as the report's PNG chart (render/chart.py), but drawn by the browser.

The PNG is 1,200 px wide with 9–10 pt text: on a 390 px phone it shrinks to a third and its text to ~4 px. Here
the labels are page text at the page's own sizes (≥ 13 px on a phone) and only the bars are graphics (an inline
SVG per row, its width a share of the largest count: presentation attributes, no inline style, so the CSP
`style-src 'self'` holds). The stylesheet lays the rows out for phones (name and count, then the bar, then the
top item) and wider screens (one line per category).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..report import Digest
from ..summarize.header import list_strings
from ..summarize.i18n import strings
from .chart import OTHER_COLOR
from .escape import one_line
from .palette import category_colour


@dataclass(frozen=True)
class DayBar:
    anchor: str  # the section it links to on the day page ("cat-llm", "other-tech")
    emoji: str
    name: str
    count: int
    share: float  # bar length, 0–100 (the largest count is 100)
    fill: str  # "#rrggbb"
    top: str  # title of the category's first item ("" when none)


@dataclass(frozen=True)
class DayChart:
    top_label: str  # what the titles beside the bars are ("대표 항목")
    bars: list[DayBar]


def day_chart(digest: Digest) -> DayChart | None:
    """The rows of the day's chart (sorted by count, the non-AI computing items last), None for an empty day."""
    other = digest.stats.other_tech
    if not digest.sections and not other:
        return None
    t = strings(digest.language)
    order = sorted(range(len(digest.sections)), key=lambda i: (-digest.sections[i].total, i))
    rows: list[tuple[str, str, str, int, str, str]] = []
    for i in order:
        sec = digest.sections[i]
        rows.append((f"cat-{sec.category}", sec.emoji, sec.name, sec.total, category_colour(sec.category),
                     sec.entries[0].title if sec.entries else ""))
    if other:
        emoji, _, name = list_strings(digest.language).other_tech.partition(" ")
        rows.append(("other-tech" if digest.other_tech else "", emoji, name, other, OTHER_COLOR,
                     digest.other_tech[0].title if digest.other_tech else ""))
    peak = max(r[3] for r in rows) or 1
    bars = [DayBar(anchor=a, emoji=e, name=n, count=c, share=round(100 * c / peak, 2), fill=f, top=one_line(top))
            for a, e, n, c, f, top in rows]
    return DayChart(t.chart_top, bars)
