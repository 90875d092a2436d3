"""Offline one-line TL;DRs and the signals line ("HN 132 points · 74 comments") shown next to them."""

from __future__ import annotations

from ..injection import instruction_like, withheld_text
from ..records import Item
from .i18n import strings
from .text import clean, looks_like_boilerplate, split_sentences, truncate

TLDR_MAX_CHARS = 180


def extractive_tldr(item: Item, max_chars: int = TLDR_MAX_CHARS, language: str = "en") -> str:
    """First real sentence of the snippet/abstract, truncated; the title when there is no text; a "withheld"
    note when the item's text gives instructions to AI systems (aidigest.injection)."""
    if instruction_like(f"{item.title}\n{item.snippet}"):
        return withheld_text(language)
    for s in split_sentences(item.snippet):
        if len(s) >= 20 and not looks_like_boilerplate(s):
            return truncate(s, max_chars)
    return truncate(clean(item.title), max_chars) or item.url


def signals_text(
    language: str,
    hn_points: int | None = None,
    hn_comments: int | None = None,
    hf_upvotes: int | None = None,
    n_sources: int = 1,
) -> str:
    """"HN 132점 · 댓글 74개 · 출처 2곳" in the report language; "" when there are no signals."""
    t = strings(language)
    parts: list[str] = []
    if hn_points is not None:
        parts.append(t.hn.format(points=hn_points))
    if hn_comments:
        parts.append(t.comments.format(n=hn_comments))
    if hf_upvotes is not None:
        parts.append(t.upvotes.format(n=hf_upvotes))
    if n_sources > 1:
        parts.append(t.n_sources.format(n=n_sources))
    return " · ".join(parts)


def item_signals(item: Item, language: str) -> str:
    return signals_text(language, item.hn_points, item.hn_comments, item.hf_upvotes, len(item.sources))
