"""The small text helpers every stage shares: whitespace, HTML fragments, clipping. Pure functions of their
arguments; the module imports nothing of aidigest, so a source or a renderer that needs one loads nothing else.

    normalize_space("a \n b ")            -> "a b"
    strip_html("<p>a &amp; b</p>")        -> "a & b"
    clip_text(text, 600)                  -> at most 600 characters, cut at a sentence end when one fits
    truncate(title, 70)                   -> at most 70 characters, cut at a word, "…" included

`clip_text` and `truncate` are two operations, not two thresholds of one: a snippet keeps whole sentences and
may end without an ellipsis; a title shown in a line is cut at a word and always says it was cut.
"""

from __future__ import annotations

import html
import re
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
