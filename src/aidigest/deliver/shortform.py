"""The day's short form: what a mail or chat message says about one report (kind) of one day.

Built from the `Digest` model (the day's JSON export, `<out>/<day>/{News|Papers}_<day>.json`): a title, per
category the top items, each with its title, link and sentence (the LLM's TL;DR, or offline the item's own
result sentence labelled as a quote, "원문 발췌: “…”", as the Markdown report does), the link to the day's page on the site when a site
URL is configured, and one health line when something fell back. Rendered per channel format (email HTML,
chat HTML, Markdown, plain text) and packed into messages no longer than the channel allows: a message is split
between lines, and a line that alone is too long loses the end of its text, never a character of its link.

Fetched text (titles, TL;DRs) is untrusted: escaped for HTML and Markdown, never interpreted.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ..report import Digest
from ..render.layout import day_page_path, week_page_path
from ..weekly.report import WeeklyDigest

Format = Literal["email", "html", "markdown", "text"]

_WORDS = {
    "ko": {"picks": "추천", "title": "AI 다이제스트", "news": "뉴스", "paper": "논문", "page": "전체 보기", "health": "상태",
           "part": "부분", "failed": "실패", "fallback": "대체", "budget": "LLM 예산 도달", "quote": "원문 발췌",
           "weekly": "주간", "missing": "빠진 날", "days": "{n}일"},
    "en": {"title": "AI digest", "news": "News", "paper": "Papers", "page": "Full report", "health": "Health",
           "part": "part", "failed": "failed", "fallback": "fell back", "budget": "LLM budget reached",
           "quote": "From the source", "weekly": "weekly", "missing": "missing days", "days": "{n} days"},
}


def site_page_url(base: str, day: dt.date, kind: str) -> str | None:
    """The day's page of `kind` on the published site (`aidigest site`, whose render.layout.day_page_path knows
    the layout): `<base>/day/<YYYY-MM-DD>-news.html`."""
    if not base:
        return None
    return f"{base.rstrip('/')}/{day_page_path(day, kind)}"


@dataclass(frozen=True)
class Line:
    """One line of a message: `text` (untrusted) and an optional link that is never shortened; an item also has
    its `title` (the link's text: "[title](url) — text"), shortened only when the text alone cannot make room."""

    role: Literal["heading", "item", "page", "health"]
    text: str
    url: str | None = None
    title: str = ""


@dataclass
class ShortForm:
    day: dt.date
    kind: str
    language: str
    title: str
    lines: list[Line] = field(default_factory=list)

    @property
    def urls(self) -> list[str]:
        return [ln.url for ln in self.lines if ln.url]


PICKS_MAX = 5  # picks of a profile's digest in a message


def _words(language: str) -> dict[str, str]:
    return _WORDS.get(language, _WORDS["en"])


def health_note(digest: Digest) -> str | None:
    """One line when something went wrong or fell back (failed sources, fallbacks, LLM budget), else None."""
    h = digest.health
    w = _words(digest.language)
    parts: list[str] = []
    failed = [o.source for o in h.outcomes if o.status in ("failed", "no_recording")]
    if failed:
        parts.append(f"{w['failed']}: {', '.join(sorted(failed))}")
    if h.fallbacks:
        n = sum(h.fallbacks.values())
        parts.append(f"{w['fallback']} ×{n} ({', '.join(sorted(h.fallbacks))})")
    if h.llm.budget_stopped:
        parts.append(w["budget"])
    return "; ".join(parts) if parts else None


def build_short_form(digest: Digest, top: int = 3, site_url: str = "") -> ShortForm:
    w = _words(digest.language)
    sf = ShortForm(
        day=digest.day, kind=digest.kind, language=digest.language,
        title=f"{w['title']} {digest.day.isoformat()} · {w.get(digest.kind, digest.kind)}",
    )
    if digest.picks:  # a reader profile's digest (aidigest.profiles.personalize): its picks first, with their reasons
        sf.title += f" · {digest.profile}"
        sf.lines.append(Line("heading", f"⭐ {w.get('picks', 'Picks')}"))
        for p in digest.picks[: PICKS_MAX]:
            text = " ".join(p.title.split()) + (f" — {p.reason}" if p.reason else "")
            sf.lines.append(Line("item", text, p.url))
    for sec in digest.sections:
        if not sec.entries:
            continue
        sf.lines.append(Line("heading", f"{sec.emoji} {sec.name} ({sec.total})"))
        for e in sec.entries[: max(top, 0)]:
            title = " ".join(e.title.split())
            if sec.summary is not None:  # an LLM wrote the section: its TL;DR
                text = " ".join(e.tldr.split())
            else:  # offline: the item's own sentence, said to be a quote (the report labels it the same way)
                quote = " ".join((e.result or e.tldr).split())
                text = f"{w['quote']}: “{quote}”" if quote else ""
            sf.lines.append(Line("item", "" if text == title else text, e.url, title))
    page = site_page_url(site_url, digest.day, digest.kind)
    if page:
        sf.lines.append(Line("page", w["page"], page))
    note = health_note(digest)
    if note:
        sf.lines.append(Line("health", f"⚠ {w['health']}: {note}"))
    return sf


def build_week_short_form(week: WeeklyDigest, top: int = 3, site_url: str = "") -> ShortForm:
    """The week's roundup as a message: per category its share and top stories (TL;DR when an LLM wrote one, else
    the title; "N days" for a story that kept coming back), the week's page, and the missing days."""
    w = _words(week.language)
    sf = ShortForm(day=week.start, kind=week.kind, language=week.language,
                   title=f"{w['title']} {w['weekly']} {week.week} · {w.get(week.kind, week.kind)}")
    if week.profile and week.picks:  # a reader profile's week (aidigest.weekly.profiles): its picks first
        sf.title += f" · {week.profile}"
        sf.lines.append(Line("heading", f"⭐ {w.get('picks', 'Picks')}"))
        for p in week.picks[: PICKS_MAX]:
            text = " ".join(p.title.split()) + (f" — {p.reason}" if p.reason else "")
            sf.lines.append(Line("item", text, p.url))
    for sec in week.sections:
        if not sec.entries:
            continue
        sf.lines.append(Line("heading", f"{sec.emoji} {sec.name} ({sec.stories}, {round(sec.share * 100)}%)"))
        for e in sec.entries[: max(top, 0)]:
            text = " ".join((e.tldr or e.title).split())
            if len(e.days) > 1:
                text += f" ({w['days'].format(n=len(e.days))})"
            sf.lines.append(Line("item", text, e.url))
    if site_url:
        sf.lines.append(Line("page", w["page"], f"{site_url.rstrip('/')}/{week_page_path(week.week, week.kind)}"))
    missing = [d.day.isoformat() for d in week.missing_days]
    if missing or week.fallbacks:
        parts = [f"{w['missing']}: {', '.join(missing)}"] if missing else []
        if week.fallbacks:
            parts.append(f"{w['fallback']} ×{sum(week.fallbacks.values())}")
        sf.lines.append(Line("health", f"⚠ {w['health']}: {'; '.join(parts)}"))
    return sf


def load_week(path: Path) -> WeeklyDigest:
    return WeeklyDigest.model_validate_json(Path(path).read_text(encoding="utf-8"))


def load_digest(path: Path) -> Digest:
    return Digest.model_validate_json(Path(path).read_text(encoding="utf-8"))


# ---- rendering ---------------------------------------------------------------------------------------
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>~|])")


def _md(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text)


def _md_url(url: str) -> str:
    # a link destination in (...): percent-encode what would end it early (same URL for every browser)
    for ch, enc in (("(", "%28"), (")", "%29"), (" ", "%20"), ("<", "%3C"), (">", "%3E"), ("\n", "")):
        url = url.replace(ch, enc)
    return url


def _h(text: str) -> str:
    return html.escape(text, quote=True)


def render_line(line: Line, fmt: Format) -> str:
    t, u, title = line.text, line.url or "", line.title
    if fmt == "email":
        if line.role == "heading":
            return f"<h3>{_h(t)}</h3>"
        if line.role == "item":
            if title:
                rest = f"<br>{_h(t)}" if t else ""
                return f'<p>• <a href="{_h(u)}">{_h(title)}</a>{rest}<br><small>{_h(u)}</small></p>'
            return f'<p>• {_h(t)}<br><a href="{_h(u)}">{_h(u)}</a></p>'
        if line.role == "page":
            return f'<p><b>{_h(t)}:</b> <a href="{_h(u)}">{_h(u)}</a></p>'
        return f"<p><i>{_h(t)}</i></p>"
    if fmt == "html":  # chat HTML (Telegram): b, i, a and newlines only
        if line.role == "heading":
            return f"\n<b>{_h(t)}</b>"
        if line.role == "item":
            if title:
                return f'• <a href="{_h(u)}">{_h(title)}</a>' + (f" — {_h(t)}" if t else "")
            return f'• {_h(t)} <a href="{_h(u)}">↗</a>'
        if line.role == "page":
            return f'\n<a href="{_h(u)}">{_h(t)}</a>'
        return f"<i>{_h(t)}</i>"
    if fmt == "markdown":
        if line.role == "heading":
            return f"\n**{_md(t)}**"
        if line.role == "item":
            if title:
                return f"- [{_md(title)}]({_md_url(u)})" + (f" — {_md(t)}" if t else "")
            return f"- {_md(t)} [↗]({_md_url(u)})"
        if line.role == "page":
            return f"\n[{_md(t)}]({_md_url(u)})"
        return f"_{_md(t)}_"
    # plain text
    if line.role == "heading":
        return f"\n{t}"
    if line.role == "item":
        if title:
            return f"- {title}" + (f"\n  {t}" if t else "") + f"\n  {u}"
        return f"- {t}\n  {u}"
    if line.role == "page":
        return f"\n{t}: {u}"
    return t


def render_body(lines: list[Line], fmt: Format, title: str = "") -> str:
    body = "\n".join(render_line(ln, fmt) for ln in lines).strip("\n")
    if fmt == "email":
        return (
            '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>'
            f"<h2>{_h(title)}</h2>\n{body}\n</body></html>"
        )
    return body


def _cut(line: Line, fmt: Format, room: int, field: Literal["text", "title"]) -> Line:
    """`line` with its `field` cut to the longest prefix (at a word where possible, with …) that fits `room`."""
    value = getattr(line, field)

    def with_value(v: str) -> Line:
        return Line(line.role, v if field == "text" else line.text, line.url, v if field == "title" else line.title)

    lo, hi = 0, len(value)
    while lo < hi:  # longest prefix that fits
        mid = (lo + hi + 1) // 2
        if len(render_line(with_value(value[:mid].rstrip() + "…"), fmt)) <= room:
            lo = mid
        else:
            hi = mid - 1
    cut = value[:lo]
    if " " in cut[len(cut) // 2:]:
        cut = cut[: cut.rindex(" ")]
    return with_value((cut.rstrip() + "…") if cut else "…")


def _shorten(line: Line, fmt: Format, room: int) -> Line:
    """`line` with its text cut (at a word where possible, with …) so that its rendering fits `room`
    characters; then its title, when the text alone cannot make room. The link is kept whole; the text may end
    up empty, never the link."""
    if len(render_line(line, fmt)) <= room:
        return line
    if line.title and len(render_line(Line(line.role, "", line.url, line.title), fmt)) > room:
        return _cut(Line(line.role, "", line.url, line.title), fmt, room, "title")
    return _cut(line, fmt, room, "text")


def pack(sf: ShortForm, fmt: Format, limit: int) -> list[str]:
    """Render `sf` as one or more message bodies, each at most `limit` characters (0 = no limit)."""
    if limit <= 0 or len(render_body(sf.lines, fmt, sf.title)) <= limit:
        return [render_body(sf.lines, fmt, sf.title)]
    chunks: list[list[Line]] = [[]]
    for ln in sf.lines:
        trial = chunks[-1] + [ln]
        if len(render_body(trial, fmt, sf.title)) <= limit:
            chunks[-1] = trial
            continue
        if chunks[-1]:
            chunks.append([])
        overhead = len(render_body([], fmt, sf.title)) + 1
        ln = _shorten(ln, fmt, limit - overhead)
        if len(render_body([ln], fmt, sf.title)) > limit:
            raise ValueError(f"a link alone does not fit a {limit}-character message: {ln.url}")
        chunks[-1].append(ln)
    return [render_body(c, fmt, sf.title) for c in chunks if c]
