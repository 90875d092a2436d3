"""Category distribution chart: one horizontal bar per category (name in the report language, count),
with each category's top item title beside it. 1200 px wide, height grows with the number of categories.

Korean glyphs: the NanumGothic TTFs shipped in the `koreanize-matplotlib` wheel are registered with
matplotlib's font manager (found via importlib.util.find_spec — the package itself is NOT imported, it would
restyle matplotlib globally); "DejaVu Sans" stays as the fallback family (minus sign, Latin symbols).
Characters no registered font can draw (emoji, rare scripts) are dropped from chart text, so rendering
never warns about missing glyphs. Agg backend via matplotlib.figure.Figure: no pyplot global state.
"""

from __future__ import annotations

import glob
import hashlib
import importlib.metadata
import importlib.util
import io
import json
import os
import struct
import threading
from dataclasses import dataclass
import unicodedata
import zlib
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..report import Digest
from ..summarize.header import list_strings
from ..summarize.i18n import strings
from .escape import one_line
from .palette import category_colour

WIDTH_PX = 1200
DPI = 100
KOREAN_FAMILY = "NanumGothic"
FALLBACK_FAMILY = "DejaVu Sans"
LABEL_WIDTH = 22  # display columns per category-label line
TITLE_WIDTH = 74  # display columns of the top-item title beside each bar
KEY_FIELD = "aidigest-chart"  # PNG text chunk holding the chart's input key (see digest_chart)

# The drawing code's version, part of every chart's key (see chart_key): change it whenever a change here or in
# palette.py changes the pixels (tests/pipeline/test_golden_days.py then fails), so that charts drawn by the old code are
# drawn again. tests/render/test_render_chart.py keeps a hash of the drawing functions' source as a reminder. (Until
# this constant, the key hashed this whole file: any edit, even one that draws nothing differently, changed
# every chart's bytes. The value is that hash of the last such version, so existing charts stay valid.)
DRAWING_VERSION = "943464ff0af2be70dbe95ed9b6bbff8a168b482ce0c904aa2bdb1015ac89aee6"

_draw_lock = threading.Lock()  # matplotlib's rc settings are global: one chart at a time, whatever the thread


def korean_font_files() -> list[str]:
    """The NanumGothic *.ttf files of the koreanize-matplotlib wheel ([] when it is not installed)."""
    spec = importlib.util.find_spec("koreanize_matplotlib")
    if spec is None or not spec.origin:
        return []
    return sorted(glob.glob(os.path.join(os.path.dirname(spec.origin), "fonts", "*.ttf")))


@lru_cache(maxsize=1)
def _setup_fonts() -> tuple[tuple[str, ...], frozenset[int]]:
    """Register the Korean fonts once; (font families to use, code points they can draw)."""
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    families: list[str] = []
    covered: set[int] = set()
    for path in korean_font_files():
        try:
            font_manager.fontManager.addfont(path)
        except (OSError, RuntimeError, ValueError):
            continue
        if os.path.basename(path) == "NanumGothic.ttf":
            families.append(KOREAN_FAMILY)
            covered |= set(FT2Font(path).get_charmap())
    families.append(FALLBACK_FAMILY)
    dejavu = font_manager.findfont(font_manager.FontProperties(family=FALLBACK_FAMILY), fallback_to_default=True)
    covered |= set(FT2Font(dejavu).get_charmap())
    return tuple(families), frozenset(covered)


def drawable(text: str) -> str:
    """`text` on one line, without characters none of the chart fonts has a glyph for."""
    _, covered = _setup_fonts()
    return "".join(ch for ch in one_line(text) if ch == " " or ord(ch) in covered).strip()


def _cols(ch: str) -> int:
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def fit(text: str, width: int) -> str:
    """Cut `text` to `width` display columns (wide CJK characters count 2), with an ellipsis."""
    out: list[str] = []
    used = 0
    for ch in text:
        w = _cols(ch)
        if used + w > width - 1:
            return "".join(out).rstrip() + "…"
        out.append(ch)
        used += w
    return "".join(out)


def wrap(text: str, width: int, max_lines: int = 2) -> str:
    """Wrap at spaces to `width` display columns, at most `max_lines` lines (the last one cut)."""
    lines: list[str] = []
    line = ""
    for word in text.split(" "):
        cand = f"{line} {word}".strip()
        if sum(_cols(c) for c in cand) <= width or not line:
            line = cand
        else:
            lines.append(line)
            line = word
    lines.append(line)
    if len(lines) > max_lines:
        lines = lines[: max_lines - 1] + [" ".join(lines[max_lines - 1 :])]
    return "\n".join(fit(x, width) for x in lines)


@lru_cache(maxsize=1)
def _renderer_id() -> str:
    versions = []
    for dist in ("matplotlib", "koreanize-matplotlib"):
        try:
            versions.append(importlib.metadata.version(dist))
        except importlib.metadata.PackageNotFoundError:
            versions.append("")
    return DRAWING_VERSION + ":" + ":".join(versions)


def chart_key(*inputs: object) -> str:
    """A key of everything that decides a chart's bytes: its inputs, this module's code, the versions of
    matplotlib and of the font wheel. Same key, same PNG (the chart is deterministic)."""
    payload = json.dumps([_renderer_id(), inputs], ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def png_text(png: bytes, keyword: str) -> str | None:
    """The value of a tEXt chunk of a PNG (None when absent or the bytes are not a well-formed PNG)."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    pos = 8
    while pos + 12 <= len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind = png[pos + 4 : pos + 8]
        data = png[pos + 8 : pos + 8 + length]
        if len(data) != length or png[pos + 8 + length : pos + 12 + length] != struct.pack(">I", zlib.crc32(kind + data)):
            return None
        if kind == b"tEXt":
            key, _, value = data.partition(b"\0")
            if key == keyword.encode("latin-1"):
                return value.decode("latin-1")
        elif kind in (b"IDAT", b"IEND"):
            return None  # text chunks we write come before the image data
        pos += 12 + length
    return None


OTHER_COLOR = "#b0b0b0"  # the one bar of non-AI computing items (always last)


@dataclass(frozen=True)
class Bars:
    """A chart's bars, top to bottom: per bar its label, count and top item's title; `colors`: one "#rrggbb" per
    bar (default: tab20 in order)."""

    labels: list[str]
    counts: list[int]
    tops: list[str]
    colors: list[str] | None = None


def chart_png(bars: Bars, title: str, top_header: str = "", key: str | None = None) -> bytes:
    """A horizontal bar chart as PNG bytes (deterministic for the same input); `key` is stored in a
    `aidigest-chart` text chunk (see digest_chart)."""
    labels, counts, tops, colors = bars.labels, bars.counts, bars.tops, bars.colors
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib import rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    families, _ = _setup_fonts()
    n = max(len(labels), 1)
    height_in = max(3.2, 1.3 + 0.46 * n)
    # text.parse_math off: titles are drawn literally ("$5M at $100M" is not TeX, a stray "$" cannot drop the chart)
    with rc_context({"font.family": list(families), "axes.unicode_minus": False, "svg.hashsalt": "aidigest",
                     "text.parse_math": False}):
        fig = Figure(figsize=(WIDTH_PX / DPI, height_in), dpi=DPI)
        FigureCanvasAgg(fig)
        top_margin = 0.75 / height_in
        bottom_margin = 0.45 / height_in
        ax = fig.add_axes((0.19, bottom_margin, 0.33, 1 - top_margin - bottom_margin))
        ys = list(range(len(labels)))
        bar_colors: list[Any] = list(colors) if colors else [matplotlib.colormaps["tab20"](i % 20) for i in ys]
        ax.barh(ys, counts, color=bar_colors, height=0.7)
        ax.set_yticks(ys, labels=[wrap(drawable(lb), LABEL_WIDTH) for lb in labels], fontsize=10)
        ax.invert_yaxis()
        ax.set_ylim(len(labels) - 0.5, -0.5)
        peak = max(counts) if counts else 1
        ax.set_xlim(0, peak * 1.15 + 0.5)
        ax.xaxis.get_major_locator().set_params(integer=True)  # type: ignore[call-arg]  # a MaxNLocator here
        ax.spines[["top", "right"]].set_visible(False)
        ax.tick_params(axis="x", labelsize=9)
        for y, c in zip(ys, counts, strict=True):
            ax.text(c + peak * 0.015 + 0.05, y, str(c), va="center", ha="left", fontsize=10, fontweight="bold")
        trans = ax.get_yaxis_transform()
        for y, t in zip(ys, tops, strict=True):
            ax.text(1.04, y, fit(drawable(t), TITLE_WIDTH), transform=trans, va="center", ha="left", fontsize=9,
                    color="#333333", clip_on=False)
        if top_header:
            ax.text(1.04, -0.75, drawable(top_header), transform=trans, va="bottom", ha="left", fontsize=9,
                    color="#777777", fontweight="bold", clip_on=False)
        fig.suptitle(drawable(title), x=0.02, ha="left", y=1 - 0.22 / height_in, va="top", fontsize=13)
        buf = io.BytesIO()
        metadata: dict[str, str | None] = {"Software": None}
        if key:
            metadata[KEY_FIELD] = key
        fig.savefig(buf, format="png", dpi=DPI, metadata=metadata)
    return buf.getvalue()


def digest_chart(digest: Digest, previous: Path | None = None) -> bytes | None:
    """The report's chart: items per category (sorted by count), or None for an empty digest.

    `previous`: the chart file already written for this report, if any. When it was drawn from the same
    inputs (its key matches), its bytes are returned without drawing, or even importing matplotlib (~1 s):
    a rerun of a day redraws nothing that has not changed. Thread-safe."""
    other = digest.stats.other_tech  # non-AI computing items: one grey bar after the AI categories
    if not digest.sections and not other:
        return None
    t = strings(digest.language)
    order = sorted(range(len(digest.sections)), key=lambda i: (-digest.sections[i].total, i))
    kind = "News" if digest.kind == "news" else "Papers"
    title = t.chart_title.format(kind=kind, day=digest.day.isoformat())
    other_label = list_strings(digest.language).other_tech.split(" ", 1)[-1]
    other_top = digest.other_tech[0].title if digest.other_tech else ""
    key = chart_key(title, t.chart_top, [
        (s.name, s.category, s.total, s.entries[0].title if s.entries else "") for s in (digest.sections[i] for i in order)
    ], (other_label, other, other_top) if other else None)
    if previous is not None and previous.is_file():
        old = previous.read_bytes()
        if png_text(old, KEY_FIELD) == key:
            return old
    labels, counts, tops, colors = [], [], [], []
    for i in order:
        sec = digest.sections[i]
        name = drawable(sec.name)
        letters = sum(ch.isalpha() for ch in sec.name)
        labels.append(name if sum(ch.isalpha() for ch in name) * 2 >= letters else sec.category)
        counts.append(sec.total)
        tops.append(sec.entries[0].title if sec.entries else "")
        colors.append(category_colour(sec.category))  # a category's colour in every chart (see render/palette.py)
    if other:
        labels.append(other_label)
        counts.append(other)
        tops.append(other_top)
        colors.append(OTHER_COLOR)
    with _draw_lock:
        return chart_png(Bars(labels, counts, tops, colors), title, t.chart_top, key=key)
