"""The category chart: 1200 px wide, Korean drawn with NanumGothic from the koreanize-matplotlib wheel
(without importing that package), no missing-glyph warnings even with emoji in titles, deterministic."""

from __future__ import annotations

import logging
import struct
import sys
import warnings

from test_summarize_fixtures import hf_items

from aidigest.render.chart import Bars, _setup_fonts, chart_png, drawable, korean_font_files
from aidigest.summarize.i18n import strings
from aidigest.taxonomy import load_taxonomy

LONG = "아주 긴 카테고리 이름: 대규모 언어 모델의 평가와 정렬 그리고 에이전트 시스템 −1"


def _png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", png[16:24])


def _render_15(caplog):
    tax = load_taxonomy()
    labels = [c.name_ko for c in tax.categories]  # 15 Korean names ("기타" included)
    labels[-1] = LONG
    titles = [it.title + " 🚀🤖" for it in hf_items()[:8]] + ["[단독 인터뷰] 세계 최초로 인간을 닮은 범용로봇 개발한 ‘생추어리 AI’FREE"] * 7
    counts = list(range(120, 0, -8))[:15]
    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.WARNING):
        warnings.simplefilter("always")
        png = chart_png(Bars(labels, counts, titles), strings("ko").chart_title.format(kind="News", day="2026-08-02"),
                        strings("ko").chart_top)
    return png, caught


def test_15_korean_categories_render_1200px_wide_without_missing_glyphs(caplog, tmp_path):
    assert korean_font_files(), "koreanize-matplotlib's NanumGothic fonts must be installed"
    png, caught = _render_15(caplog)
    width, height = _png_size(png)
    assert width == 1200 and 600 <= height <= 1000
    glyph_msgs = [str(w.message) for w in caught if "glyph" in str(w.message).lower()]
    glyph_msgs += [r.getMessage() for r in caplog.records if "glyph" in r.getMessage().lower()]
    assert glyph_msgs == []
    assert "koreanize_matplotlib" not in sys.modules  # located by find_spec, never imported
    (tmp_path / "chart15.png").write_bytes(png)


def test_fonts_cover_korean_and_emoji_is_dropped():
    families, _ = _setup_fonts()
    assert families == ("NanumGothic", "DejaVu Sans")
    assert drawable("대규모 언어 모델 −1") == "대규모 언어 모델 −1"
    assert drawable("🚀 Launch 🤖") == "Launch"


def test_chart_is_deterministic(caplog):
    a, _ = _render_15(caplog)
    b, _ = _render_15(caplog)
    assert a == b


# ---- a rerun does not redraw an unchanged chart ----------------------------------------------------------
def _news_digest():
    import asyncio
    import datetime as dt

    from test_summarize_fixtures import classify, hn_category, hn_items

    from aidigest.assemble import build_digest
    from aidigest.config import Config
    from aidigest.context import DayContext
    from aidigest.infra.store import Store

    with Store(":memory:") as store:
        ctx = DayContext(day=dt.date(2026, 8, 2), language="ko", config=Config(), taxonomy=load_taxonomy(), store=store)
        return asyncio.run(build_digest(ctx, "news", classify(hn_items(), hn_category)))


def test_unchanged_chart_is_reused_and_a_changed_one_redrawn(tmp_path, monkeypatch):
    from aidigest.render import chart
    from aidigest.render.write import write_report
    from aidigest.render.chart import KEY_FIELD, png_text

    digest = _news_digest()
    first = write_report(digest, tmp_path).chart.read_bytes()
    assert png_text(first, KEY_FIELD)
    real = chart.chart_png
    drawn = []
    monkeypatch.setattr(chart, "chart_png", lambda *a, **k: drawn.append(1) or real(*a, **k))
    assert write_report(digest, tmp_path).chart.read_bytes() == first and not drawn  # same inputs: reused

    sec = digest.sections[0]
    changed = digest.model_copy(update={"sections": [sec.model_copy(update={"total": sec.total + 1}), *digest.sections[1:]]})
    path = write_report(changed, tmp_path).chart
    assert len(drawn) == 1 and path.read_bytes() != first
    # a chart file that does not carry this key (an older version, a file edited by hand) is redrawn
    path.write_bytes(first.replace(KEY_FIELD.encode(), b"x" * len(KEY_FIELD)))
    assert write_report(changed, tmp_path).chart.read_bytes() != first and len(drawn) == 2


def test_rerun_with_an_unchanged_chart_does_not_import_matplotlib(tmp_path):
    import subprocess

    from aidigest.render.write import write_report

    paths = write_report(_news_digest(), tmp_path)
    before = paths.chart.read_bytes()
    code = (
        "import sys; from pathlib import Path; from aidigest.report import Digest; from aidigest.render.write import write_report; "
        f"d = Digest.model_validate_json(Path({str(paths.json)!r}).read_text(encoding='utf-8')); "
        f"write_report(d, Path({str(tmp_path)!r})); print('matplotlib' in sys.modules)"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "False" and paths.chart.read_bytes() == before


def test_chart_drawn_from_the_selection_preview_is_the_reports_chart(tmp_path, monkeypatch):
    """The pipeline draws each chart from build_digest's preview (selection only, no summaries yet) while the LLM
    writes the summaries and hands the bytes to write_report: they must be the chart of the final digest."""
    import asyncio
    import datetime as dt

    from test_summarize_fixtures import classify, hn_category, hn_items

    from aidigest.assemble import build_digest
    from aidigest.config import Config
    from aidigest.context import DayContext
    from aidigest.render import chart
    from aidigest.render.write import prepare_chart, write_report
    from aidigest.infra.store import Store

    previews = []
    with Store(":memory:") as store:
        ctx = DayContext(day=dt.date(2026, 8, 2), language="ko", config=Config(), taxonomy=load_taxonomy(), store=store)
        final = asyncio.run(build_digest(ctx, "news", classify(hn_items(), hn_category), on_selected=previews.append))
    assert len(previews) == 1 and all(s.summary is None or not s.summary.events for s in previews[0].sections)
    assert [(s.category, s.total) for s in previews[0].sections] == [(s.category, s.total) for s in final.sections]

    real = chart.chart_png
    drawn = []
    monkeypatch.setattr(chart, "chart_png", lambda *a, **k: drawn.append(1) or real(*a, **k))
    early = prepare_chart(previews[0], tmp_path)
    assert early and len(drawn) == 1 and not (tmp_path / "2026-08-02").exists()  # drawn, nothing written yet
    png = write_report(final, tmp_path, chart=early).chart.read_bytes()
    assert png == early and len(drawn) == 1  # written as handed over, not drawn again
    assert chart.digest_chart(final) == png and len(drawn) == 2  # the same bytes as drawing the final digest
    assert write_report(final, tmp_path).chart.read_bytes() == png and len(drawn) == 2  # without bytes: the file's


def _drawing_code_hash() -> str:
    import hashlib
    import inspect

    from aidigest.render import chart, palette

    funcs = (chart.korean_font_files, chart._setup_fonts, chart.drawable, chart._cols, chart.fit, chart.wrap,
             chart.chart_png, chart.digest_chart, palette._builtin_ids, palette.colour_index, palette.category_colour)
    consts = (chart.WIDTH_PX, chart.DPI, chart.KOREAN_FAMILY, chart.FALLBACK_FAMILY, chart.LABEL_WIDTH,
              chart.TITLE_WIDTH, chart.OTHER_COLOR, palette.TAB20, palette.ORDER)
    text = "\n".join(inspect.getsource(getattr(f, "__wrapped__", f)) for f in funcs) + repr(consts)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_a_change_of_the_drawing_code_comes_with_a_new_drawing_version():
    """Every chart's key carries DRAWING_VERSION (not a hash of the whole module: a refactor that draws the same
    pixels keeps the same bytes). When this fails you changed the drawing code: if the pixels change, give
    DRAWING_VERSION a new value (charts drawn before are then redrawn) and regenerate the golden days; either way
    record the new hash here."""
    from aidigest.render.chart import DRAWING_VERSION

    assert (DRAWING_VERSION[:12], _drawing_code_hash()) == ("943464ff0af2", "2fa6795e101df694bb6207174e0a180f8188df9cdcc97520976b3428cccb6603")


def test_a_chart_that_fails_costs_no_report_and_is_said_in_its_run_health(tmp_path, monkeypatch):
    from aidigest.render import chart
    from aidigest.render.write import write_report

    digest = _news_digest()

    def broken(*a, **k):
        raise RuntimeError("no fonts")

    monkeypatch.setattr(chart, "chart_png", broken)
    paths = write_report(digest, tmp_path)
    assert paths.chart is None and paths.notes == ("news chart not drawn (RuntimeError)",)
    assert "news chart not drawn (RuntimeError)" in paths.markdown.read_text(encoding="utf-8")
    assert not any("chart" in n for n in digest.health.notes)  # the caller's health is not changed: notes come back
    early = b"\x89PNG\r\n\x1a\n early"
    again = write_report(digest, tmp_path, chart=early)  # bytes drawn earlier are written as they are
    assert again.chart is not None and again.chart.read_bytes() == early and again.notes == ()
