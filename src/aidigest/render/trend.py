"""Category trends across days for the site: items per category per day over the last N days (stacked bars,
drawn as inline SVG by the `_trend.html.j2` template) and which categories grew.

Inline SVG rather than a PNG: no matplotlib cost per build, it scales on a phone, its text is the page's
(Korean) font, and each bar segment carries a <title> (day, category, count). Colours are the categories'
colours in the day charts (render/palette.py); emoji and names are the taxonomy's.

"Grew": the window is cut in two halves (e.g. 15 + 15 days of a 30-day window); a category grew when it has
more items in the later half than in the earlier one. The table lists every category seen in the window,
the largest growth first.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from .palette import category_colour

WIDTH = 720
HEIGHT = 250
LEFT, RIGHT, TOP, BOTTOM = 34, 8, 12, 30


@dataclass(frozen=True)
class CategoryInfo:
    id: str
    name: str
    emoji: str


@dataclass
class Segment:
    x: float
    y: float
    w: float
    h: float
    fill: str
    title: str


@dataclass
class Growth:
    category: CategoryInfo
    fill: str
    earlier: int
    recent: int
    total: int

    @property
    def delta(self) -> int:
        return self.recent - self.earlier

    @property
    def grew(self) -> bool:
        return self.recent > self.earlier


@dataclass
class TrendChart:
    kind: str
    days: int
    start: dt.date
    end: dt.date
    width: int = WIDTH
    height: int = HEIGHT
    segments: list[Segment] = field(default_factory=list)
    y_ticks: list[tuple[float, int]] = field(default_factory=list)  # (y, value)
    x_labels: list[tuple[float, str]] = field(default_factory=list)  # (x, "MM-DD")
    growth: list[Growth] = field(default_factory=list)
    half: int = 0  # days per half of the window
    total: int = 0
    plot: tuple[float, float, float, float] = (LEFT, TOP, WIDTH - RIGHT, HEIGHT - BOTTOM)  # x0, y0, x1, y1

    @property
    def empty(self) -> bool:
        return self.total == 0


def _nice_max(v: int) -> tuple[int, int]:
    """(axis maximum, tick step) for a peak value `v`."""
    if v <= 0:
        return 1, 1
    raw = v / 4
    mag = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(s * mag for s in (1, 2, 5, 10) if s * mag >= raw)
    step = max(1, int(step))
    return int(math.ceil(v / step) * step), step


def trend_chart(
    kind: str,
    counts: dict[dt.date, dict[str, int]],
    categories: list[CategoryInfo],
    end: dt.date,
    days: int,
) -> TrendChart:
    """The chart of `kind` over the `days` days ending on `end` (inclusive). `counts[day][category]`: items of
    that category in that day's report (days without a report count as 0). `categories` gives the stacking
    order (bottom first) and the names; categories found in `counts` but not there are appended."""
    start = end - dt.timedelta(days=days - 1)
    window = [start + dt.timedelta(days=i) for i in range(days)]
    known = {c.id for c in categories}
    cats = list(categories)
    for d in window:
        for cid in sorted(counts.get(d, {})):
            if cid not in known:
                known.add(cid)
                cats.append(CategoryInfo(cid, cid, ""))
    chart = TrendChart(kind=kind, days=days, start=start, end=end)
    totals = [sum(counts.get(d, {}).values()) for d in window]
    chart.total = sum(totals)
    top, step = _nice_max(max(totals) if totals else 0)
    x0, y0, x1, y1 = chart.plot
    slot = (x1 - x0) / days
    bar_w = max(1.0, slot * 0.78)
    scale = (y1 - y0) / top
    for v in range(0, top + 1, step):
        chart.y_ticks.append((round(y1 - v * scale, 2), v))
    label_every = 7 if days <= 45 else 14
    for i, d in enumerate(window):
        x = x0 + i * slot + (slot - bar_w) / 2
        if (days - 1 - i) % label_every == 0:
            chart.x_labels.append((round(x0 + i * slot + slot / 2, 2), d.strftime("%m-%d")))
        y = y1
        day_counts = counts.get(d, {})
        for c in cats:
            n = day_counts.get(c.id, 0)
            if n <= 0:
                continue
            h = n * scale
            y -= h
            chart.segments.append(Segment(
                x=round(x, 2), y=round(y, 2), w=round(bar_w, 2), h=round(h, 2), fill=category_colour(c.id),
                title=f"{d.isoformat()} · {c.emoji} {c.name}: {n}".replace("  ", " "),
            ))
    half = days // 2
    chart.half = half
    first, second = window[: days - half], window[days - half:]
    for c in cats:
        earlier = sum(counts.get(d, {}).get(c.id, 0) for d in first)
        recent = sum(counts.get(d, {}).get(c.id, 0) for d in second)
        if earlier or recent:
            chart.growth.append(Growth(c, category_colour(c.id), earlier, recent, earlier + recent))
    chart.growth.sort(key=lambda g: (-g.delta, -g.recent, g.category.id))
    return chart
