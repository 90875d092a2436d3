"""The chart draws titles literally: `$` is not TeX. Before: "The FCC Has Fined Robocallers $208M, Collected $6,790"
(a real HN title) was typeset as math ("208M,Collected" in italics, spaces gone), and a real arXiv title with TeX
that matplotlib's mathtext cannot parse made the report lose its chart."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

from conftest import data_path

from aidigest.config import Config
from aidigest.assemble import build_digest
from aidigest.context import DayContext
from aidigest.render.write import write_report
from aidigest.records import Classified, Item, Sighting
from aidigest.render.chart import TITLE_WIDTH, Bars, chart_png, drawable, fit
from aidigest.infra.store import Store
from aidigest.taxonomy import load_taxonomy


def _fcc_title() -> str:
    items = json.loads(data_path("hackernews", "derived_items_victorqribeiro_2019-11", "topstories.items.json").read_text())
    return next(it["title"] for it in items if "Robocallers" in it.get("title", ""))


def _tex_paper() -> Item:
    d = json.loads(data_path("chart", "linyueqian_2025-06-30.tex_title.jsonl").read_text(encoding="utf-8"))
    return Item(kind="paper", title=d["title"], url=d["abs"], key=f"arxiv:{d['id']}", snippet=d.get("summary") or "",
                arxiv_id=d["id"], sightings=[Sighting(source="arxiv", url=d["abs"], title=d["title"])])


def test_dollar_amounts_are_handed_to_matplotlib_as_plain_text(monkeypatch):
    from matplotlib.text import Text

    drawn: list[tuple[str, bool]] = []
    real_draw = Text.draw

    def spy(self, renderer):
        if self.get_text():
            drawn.append((self.get_text(), self.get_parse_math()))
        return real_draw(self, renderer)

    monkeypatch.setattr(Text, "draw", spy)
    title = _fcc_title()
    assert title == "The FCC Has Fined Robocallers $208M, Collected $6,790"
    png = chart_png(Bars(["Policy $ Law"], [3], [title]), "News 2026-08-02: $1B day")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    texts = dict(drawn)
    assert fit(drawable(title), TITLE_WIDTH) in texts  # the title exactly, dollars and spaces kept
    assert "News 2026-08-02: $1B day" in texts
    assert not any(math for _, math in drawn)  # nothing was parsed as TeX


def test_a_title_with_tex_matplotlib_cannot_parse_keeps_the_chart(tmp_path):
    paper = _tex_paper()
    assert paper.title.startswith("$\\textrm{ODE}_t \\left(")
    tax = load_taxonomy()
    cat = next(c.id for c in tax.categories if c.report)
    with Store(tmp_path / "s.sqlite3") as store:
        ctx = DayContext(day=dt.date(2025, 6, 30), language="en", config=Config(), taxonomy=tax, store=store)
        digest = asyncio.run(build_digest(ctx, "paper", [Classified(item=paper, category=cat, method="offline")]))
    health = digest.health
    paths = write_report(digest, tmp_path / "out")
    assert paths.chart is not None and paths.chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert paths.chart.name in paths.markdown.read_text(encoding="utf-8")
    assert not any("chart not drawn" in n for n in [*health.notes, *paths.notes])
