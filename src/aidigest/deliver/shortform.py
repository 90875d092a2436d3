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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Literal

from ..report import Digest, PickEntry
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


def _add_picks(sf: ShortForm, profile: str | None, picks: list[PickEntry], w: dict[str, str]) -> None:
    """A reader profile's picks, first, with their reasons; its name in the title."""
    sf.title += f" · {profile}"
    sf.lines.append(Line("heading", f"⭐ {w.get('picks', 'Picks')}"))
    for p in picks[: PICKS_MAX]:
        text = " ".join(p.title.split()) + (f" — {p.reason}" if p.reason else "")
        sf.lines.append(Line("item", text, p.url))


def build_short_form(digest: Digest, top: int = 3, site_url: str = "") -> ShortForm:
    w = _words(digest.language)
    sf = ShortForm(
        day=digest.day, kind=digest.kind, language=digest.language,
        title=f"{w['title']} {digest.day.isoformat()} · {w.get(digest.kind, digest.kind)}",
    )
    if digest.picks:  # a reader profile's digest (aidigest.profiles.personalize): its picks first, with their reasons
        _add_picks(sf, digest.profile, digest.picks, w)
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
        _add_picks(sf, week.profile, week.picks, w)
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


def _same(text: str) -> str:
    return text


@dataclass(frozen=True)
class _Style:
    """How each role of a line is written in one format: format strings of the escaped text {t}, link {u} and
    title {title}; `rest` is the text after an item's title ({rest} in `titled`, only when there is text)."""

    text: Callable[[str], str]  # escapes text and titles
    url: Callable[[str], str]  # escapes the link
    heading: str
    titled: str
    rest: str
    untitled: str
    page: str
    other: str


_STYLES: Mapping[str, _Style] = MappingProxyType({
    "email": _Style(_h, _h, "<h3>{t}</h3>", '<p>• <a href="{u}">{title}</a>{rest}<br><small>{u}</small></p>', "<br>{t}",
                    '<p>• {t}<br><a href="{u}">{u}</a></p>', '<p><b>{t}:</b> <a href="{u}">{u}</a></p>', "<p><i>{t}</i></p>"),
    # chat HTML (Telegram): b, i, a and newlines only
    "html": _Style(_h, _h, "\n<b>{t}</b>", '• <a href="{u}">{title}</a>{rest}', " — {t}", '• {t} <a href="{u}">↗</a>',
                   '\n<a href="{u}">{t}</a>', "<i>{t}</i>"),
    "markdown": _Style(_md, _md_url, "\n**{t}**", "- [{title}]({u}){rest}", " — {t}", "- {t} [↗]({u})", "\n[{t}]({u})",
                       "_{t}_"),
})
_PLAIN = _Style(_same, _same, "\n{t}", "- {title}{rest}\n  {u}", "\n  {t}", "- {t}\n  {u}", "\n{t}: {u}", "{t}")


def render_line(line: Line, fmt: Format) -> str:
    style = _STYLES.get(fmt, _PLAIN)
    t, u = style.text(line.text), style.url(line.url or "")
    if line.role == "heading":
        return style.heading.format(t=t)
    if line.role == "item":
        if line.title:
            rest = style.rest.format(t=t) if line.text else ""
            return style.titled.format(title=style.text(line.title), u=u, rest=rest)
        return style.untitled.format(t=t, u=u)
    if line.role == "page":
        return style.page.format(t=t, u=u)
    return style.other.format(t=t)


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
