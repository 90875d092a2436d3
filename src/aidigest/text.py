"""The small text helpers every stage shares: whitespace, HTML fragments, clipping, the script a text is written
in (the language helpers). Pure functions of their arguments; the module imports nothing of aidigest, so a
source or a renderer that needs one loads nothing else.

    normalize_space("a \n b ")            -> "a b"
    strip_html("<p>a &amp; b</p>")        -> "a & b"
    clip_text(text, 600)                  -> at most 600 characters, cut at a sentence end when one fits
    truncate(title, 70)                   -> at most 70 characters, cut at a word, "…" included
    language_check(text, "ko")            -> (plausibly Korean?, Hangul share, description)

`clip_text` and `truncate` are two operations, not two thresholds of one: a snippet keeps whole sentences and
may end without an ellipsis; a title shown in a line is cut at a word and always says it was cut.
"""

from __future__ import annotations

import html
import re
import unicodedata
from html.parser import HTMLParser

_WS = re.compile(r"\s+")


def normalize_space(text: str | None) -> str:
    """Runs of whitespace as one space, no space at either end; "" for None."""
    return _WS.sub(" ", text or "").strip()


_BLOCK_TAGS = {
    "p", "br", "div", "li", "ul", "ol", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "pre",
    "blockquote", "section", "article", "header", "footer", "table", "hr",
}
_DROP_TAGS = {"script", "style", "noscript", "template"}


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._drop = 0

    def handle_starttag(self, tag, attrs):
        if tag in _DROP_TAGS:
            self._drop += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_startendtag(self, tag, attrs):
        if tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_endtag(self, tag):
        if tag in _DROP_TAGS and self._drop:
            self._drop -= 1
        elif tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_data(self, data):
        if not self._drop:
            self.parts.append(data)


def strip_html(fragment: str | None) -> str:
    """Visible text of an HTML fragment (tags removed, entities decoded, whitespace collapsed)."""
    if not fragment:
        return ""
    if "<" not in fragment:
        return normalize_space(html.unescape(fragment))
    p = _TextExtractor()
    try:
        p.feed(fragment)
        p.close()
    except Exception:  # noqa: BLE001 - html.parser is lenient; fall back to a crude strip on anything odd
        return normalize_space(html.unescape(re.sub(r"<[^>]+>", " ", fragment)))
    return normalize_space("".join(p.parts))


# A sentence ends with . ! ? (or their full-width forms, or an ellipsis) followed by a space / end.
_SENTENCE_END = re.compile(r"[.!?。！？…](?:[\"'”’)\]]*)(?=\s|$)")


def clip_text(text: str, max_chars: int) -> str:
    """The first `max_chars` characters of `text`, cut at the last sentence end that fits.

    When no sentence end falls in the second half of the budget, cut at the last space and add "…"."""
    text = normalize_space(text)
    if max_chars <= 0 or len(text) <= max_chars:
        return text
    window = text[: max_chars + 1]
    ends = [m.end() for m in _SENTENCE_END.finditer(window) if m.end() <= max_chars]
    if ends and ends[-1] >= max_chars // 2:
        return window[: ends[-1]].strip()
    cut = window[:max_chars].rstrip()
    space = cut.rfind(" ")
    if space >= max_chars // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:-") + "…"


def truncate(text: str, max_chars: int) -> str:
    """Cut at a word boundary and add an ellipsis when longer than `max_chars` (the ellipsis counted)."""
    text = normalize_space(text)
    if len(text) <= max_chars:
        return text
    cut = text[: max_chars - 1]
    sp = cut.rfind(" ")
    if sp > max_chars * 0.6:
        cut = cut[:sp]
    return cut.rstrip(" ,;:-–—") + "…"


# ---- script detection (the language helpers) --------------------------------------------------------------------------------
def _script(ch: str) -> str | None:
    o = ord(ch)
    if 0xAC00 <= o <= 0xD7A3 or 0x1100 <= o <= 0x11FF or 0x3130 <= o <= 0x318F:
        return "hangul"
    if 0x3040 <= o <= 0x30FF:
        return "kana"
    if 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF:
        return "han"
    if 0x0400 <= o <= 0x04FF:
        return "cyrillic"
    if ch.isalpha():
        name = unicodedata.name(ch, "")
        if name.startswith("LATIN"):
            return "latin"
        return "other"
    return None


def script_counts(text: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for ch in text:
        s = _script(ch)
        if s:
            counts[s] = counts.get(s, 0) + 1
    return counts


def script_share(text: str, scripts: tuple[str, ...]) -> float:
    """Share of letters in `text` written in any of `scripts` (0.0 when there are no letters)."""
    counts = script_counts(text)
    total = sum(counts.values())
    if not total:
        return 0.0
    return sum(counts.get(s, 0) for s in scripts) / total


# Scripts a text in language X must mostly be written in, and the minimum share.
# Korean text routinely carries English model names, so its bar is lower (Hangul ≥ 0.3 of letters).
LANGUAGE_SCRIPTS: dict[str, tuple[tuple[str, ...], float]] = {
    "ko": (("hangul",), 0.3),
    "ja": (("kana", "han"), 0.3),
    "zh": (("han",), 0.3),
    "ru": (("cyrillic",), 0.5),
    "uk": (("cyrillic",), 0.5),
}
LATIN_LANGUAGES = {"en", "de", "fr", "es", "it", "pt", "nl", "sv", "da", "no", "fi", "pl", "cs", "tr", "vi", "id"}


def language_check(text: str, lang: str) -> tuple[bool, float, str]:
    """(ok, share, description) — is `text` plausibly written in `lang`? Unknown languages pass."""
    if lang in LANGUAGE_SCRIPTS:
        scripts, minimum = LANGUAGE_SCRIPTS[lang]
    elif lang in LATIN_LANGUAGES:
        scripts, minimum = ("latin",), 0.7
    else:
        return True, 1.0, f"no script rule for '{lang}'"
    share = script_share(text, scripts)
    if lang == "ja" and script_counts(text).get("kana", 0) == 0 and share > 0:
        return False, 0.0, "no kana: looks like Chinese, not Japanese"
    return share >= minimum, share, f"{'/'.join(scripts)} share {share:.2f} (need ≥ {minimum})"


def guess_text_language(text: str, default: str = "en") -> str:
    """ko / ja / zh / ru by script, else `default` (Latin-script languages are not told apart)."""
    counts = script_counts(text)
    total = sum(counts.values())
    if not total:
        return default
    if counts.get("hangul", 0) / total >= 0.3:
        return "ko"
    if counts.get("kana", 0) / total >= 0.1:
        return "ja"
    if counts.get("han", 0) / total >= 0.3:
        return "zh"
    if counts.get("cyrillic", 0) / total >= 0.5:
        return "ru"
    return default
