"""The site's emoji icons (aidigest.render.icons): every emoji the site's own text uses is shipped as an SVG, the
images replace the emoji on pages and only there, and nothing else gets through unescaped. (What a browser
without an emoji font shows is in test_site_browser.py.)"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from aidigest.render.icons import ICON_DIR, code, has_icon, icon_html, iconize, shipped, strip_emoji, used_emoji
from aidigest.render.templating import make_env
from aidigest.taxonomy import load_taxonomy


def test_every_emoji_the_site_uses_is_shipped_as_an_svg():
    used = used_emoji()
    assert {c.emoji for c in load_taxonomy(None).categories} <= used
    assert {"🔁", "🩺", "💻"} <= used  # the headings of still-trending, run health, other tech news
    missing = sorted(e for e in used if not has_icon(e))
    assert not missing, f"run scripts/emoji_icons.py (see its doc) for: {missing}"
    assert shipped() == {code(e) for e in used}  # and nothing unused
    for stem in shipped():
        root = ET.parse(ICON_DIR / f"{stem}.svg").getroot()
        assert root.tag == "{http://www.w3.org/2000/svg}svg" and root.get("viewBox") == "0 0 36 36", stem
        assert not [el for el in root.iter() if el.tag.endswith(("script", "foreignObject", "image"))], stem
    assert "CC-BY 4.0" in (ICON_DIR / "LICENSE.txt").read_text(encoding="utf-8")


def test_code_drops_the_presentation_selector():
    assert code("👁️") == code("👁") == "1f441"
    assert code("⚖️") == "2696" and code("🧠") == "1f9e0"


def test_icons_on_pages_text_elsewhere():
    img = str(icon_html("🧠", "../"))
    assert img == '<img class="emoji" src="../static/emoji/1f9e0.svg" alt="" width="20" height="20">'
    assert str(icon_html("🧠", None)) == "🧠"  # feed entries (no page root): the emoji as text
    assert str(icon_html("🦄", "")) == "🦄"  # a custom taxonomy's emoji without a shipped icon stays text
    assert str(icon_html("<b>", "")) == "&lt;b&gt;"
    h = str(iconize("🩺 실행 <상태> ⚖️", ""))
    assert h == ('<img class="emoji" src="static/emoji/1fa7a.svg" alt="" width="20" height="20"> 실행 &lt;상태&gt; '
                 '<img class="emoji" src="static/emoji/2696.svg" alt="" width="20" height="20">')
    assert str(iconize("🩺 <x>", None)) == "🩺 &lt;x&gt;"
    assert strip_emoji("🧠 대규모 언어 모델") == "대규모 언어 모델"


def test_templates_use_the_page_root():
    env = make_env()
    t = env.from_string("{{ icon(e) }}|{{ h|iconize }}")
    assert t.render(e="📦", h="🔁 다시", root="../../") == (
        '<img class="emoji" src="../../static/emoji/1f4e6.svg" alt="" width="20" height="20">|'
        '<img class="emoji" src="../../static/emoji/1f501.svg" alt="" width="20" height="20"> 다시')
    assert t.render(e="📦", h="🔁 다시") == "📦|🔁 다시"  # no root: a feed entry
