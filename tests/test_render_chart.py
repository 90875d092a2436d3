"""The category chart: 1200 px wide, Korean drawn with NanumGothic from the koreanize-matplotlib wheel
(without importing that package), no missing-glyph warnings even with emoji in titles, deterministic."""

from __future__ import annotations

import logging
import struct
import sys
import warnings

from test_summarize_fixtures import hf_items

from aidigest.render.chart import _setup_fonts, chart_png, drawable, korean_font_files
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
        png = chart_png(labels, counts, titles, strings("ko").chart_title.format(kind="News", day="2026-08-02"),
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
