"""The Markdown report, in the seed's layout (see the seed's News_2024-10-29_report.md), with the date added:

    # Daily Artificial Intelligence Insights : News — YYYY-MM-DD

    ![Category Distribution Graph](news_YYYY-MM-DD.png)

    *(offline only) a note that no LLM wrote this report*

    ## <emoji> <AI category name in the report language>       (AI categories only; `software` is listed at the end)

    *오늘 12건 (상위 8건 아래) · 1위: “…” (HF 추천 283개) · 상위 8건의 출처: …*     (facts line)

    offline (no LLM wrote the section): a ranked list, each line shaped like the LLM report's source lines
     - [1] [title](url) — 원문 발췌: “the item's own result sentence” (HN 132점 · 댓글 74개 · [HN 토론](…))

    LLM-written section (seed layout):
    **요약:**  1. **주요 주제**: / 2. **주요 사건**: / 3. **영향 분석**: / 4. **최종 요약**:  - claim [1][3]
    **출처:**   - [1] [title](url) — the item's TL;DR (HN 132점 · 댓글 74개 · [HN 토론](…))
    (one list to read: each source carries its own TL;DR, the summary cites it by [n])

    **이 분야의 다른 소식:**           compact list past the cap, then "… 외 N건"

    ## 💻 그 밖의 기술 소식              non-AI computing news: title, HN points, discussion link (capped by config)
    ## 🔁 계속 주목받는 소식            (returning stories, if any)
    ## 🩺 실행 상태                     (run health in words, always last; raw errors are in the JSON export)

The layout is the Jinja2 template `report.md.j2` (shipped in aidigest/templates; a file of that name in the
`[site] templates` folder replaces it). The template gets a view model (`ReportView`, below) in which every piece of
fetched or generated text is already escaped (`escape.md_text`) and every URL already made safe (`escape.safe_url`,
refused URLs replaced by a note): the template only lays the pieces out, so an override cannot un-escape anything.
The environment has autoescape off (HTML escaping would corrupt Markdown); `md` and `md_url` filters are there for
text an override adds itself. The output has no timestamps: the same digest renders to the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import jinja2

from ..report import CategorySection, Digest, OtherTechEntry, SectionSummary, SourceEntry
from ..records import CategoryCheck, RunHealth
from ..summarize.header import list_strings
from ..summarize.i18n import Strings, language_name, strings
from ..summarize.tldr import signals_text
from .escape import md_text, safe_url
from .health_words import note_words, outcome_line
from .templating import TemplateProblem, render, template_loader

TITLE_PREFIX = "# Daily Artificial Intelligence Insights : "
TEMPLATE = "report.md.j2"


def report_kind_word(kind: str) -> str:
    return "News" if kind == "news" else "Papers"


# ---- the view model: Markdown-ready strings (escaped), laid out by report.md.j2 ------------------------------
@dataclass(frozen=True)
class SummaryPartView:
    number: int
    name: str
    points: list[str]  # "claim [1][3]", escaped
    inline: bool  # the last part (bottom line): points on one line


@dataclass(frozen=True)
class SummaryView:
    label: str  # "요약"
    extractive_note: str  # "" or the escaped note that the summary is extracted, not written
    parts: list[SummaryPartView]


@dataclass(frozen=True)
class RankedView:
    n: int
    link: str  # "[title](url)", or the title alone when the URL is refused or missing
    refused: str  # "" or the escaped note that the URL was refused
    signals: str  # "" or "HN 132점 · 댓글 74개" (escaped)
    discussion: str  # "" or " · [HN 토론](url)"
    followed: str  # "" or " ⭐ 팔로우한 키워드" (escaped)
    result_label: str
    result: str  # "" or the item's own result sentence (escaped)
    meta: str = ""  # "" or " (HN 132점 · 댓글 74개 · [HN 토론](url))": signals and discussion link, after the text


@dataclass(frozen=True)
class SourceView:
    n: int
    title: str
    target: str  # the safe URL or the escaped refused-URL note
    discussion: str  # "" or " · [HN 토론](url)"
    tldr: str
    signals: str
    link: str = ""  # "[title](url)", or the title alone when the URL is refused or missing
    refused: str = ""  # "" or the escaped note that the URL was refused
    meta: str = ""  # "" or " (HF 추천 168개 · [HN 토론](url))"


@dataclass(frozen=True)
class MoreView:
    label: str
    lines: list[str]  # "title (url)", escaped
    counted: str  # "" or "… 외 N건" (escaped)


@dataclass(frozen=True)
class SectionView:
    category: str
    emoji: str
    name: str
    header: str  # the facts line (escaped), "" when there is none
    ranked: list[RankedView] | None  # offline section: the ranked list (None: an LLM wrote the section)
    summary: SummaryView | None
    sources_label: str
    sources: list[SourceView]
    tldr_label: str
    more: MoreView | None


@dataclass(frozen=True)
class OtherTechView:
    heading: str
    dropped: str  # "" or the escaped note that the list was dropped by config
    note: str
    lines: list[str]  # "[title](url) — HN 120점 · [HN 토론](url)"


@dataclass(frozen=True)
class ReturningView:
    heading: str
    lines: list[str]


@dataclass(frozen=True)
class HealthView:
    heading: str
    language_note: str
    sources_label: str
    sources: list[str]
    fallbacks_label: str
    fallbacks: list[str]
    counts: list[str]  # the listed/others/muted/repeats/returning/LLM lines
    notes_label: str
    notes: list[str]
    counts_label: str = ""  # the counts' own heading ("집계"): they no longer hang under the fallbacks
    checks_label: str = ""  # "오프라인 분류기와 엇갈린 LLM 분류"
    checks: list[str] = field(default_factory=list)  # one line per disputed LLM category (escaped)


@dataclass(frozen=True)
class ReportView:
    title: str  # "Daily Artificial Intelligence Insights : News — 2026-08-02"
    kind: str
    day: str
    language: str
    chart: str | None
    llm_note: str
    no_items: str
    sections: list[SectionView]
    other_tech: OtherTechView | None
    returning: ReturningView | None
    health: HealthView


def _cites(cites: list[int]) -> str:
    return "".join(f"[{c}]" for c in cites)


def _point(text: str, cites: list[int]) -> str:
    c = _cites(cites)
    return f"{md_text(text)} {c}".strip()


def _target(url: str, t: Strings) -> str:
    u = safe_url(url)
    return u if u else md_text(t.url_refused)


def extractive_label(summary: SectionSummary, language: str) -> str:
    t = strings(language)
    src = summary.source_language
    if src and src != language:
        return t.extractive_label.format(lang=language_name(src, language))
    return t.extractive_label_same


def summary_view(summary: SectionSummary, language: str) -> SummaryView:
    t = strings(language)
    note = md_text(extractive_label(summary, language)) if summary.method == "extractive" else ""
    parts = [SummaryPartView(i, name, [_point(p.text, p.cites) for p in points], i == 4)
             for i, (name, points) in enumerate(zip(t.parts, summary.parts(), strict=True), start=1)]
    return SummaryView(t.summary, note, parts)


def render_summary(summary: SectionSummary, language: str) -> list[str]:
    """The summary block alone, as lines (the same layout report.md.j2 gives it)."""
    v = summary_view(summary, language)
    out = [f"**{v.label}:**", ""]
    if v.extractive_note:
        out += [f"*{v.extractive_note}*", ""]
    for p in v.parts:
        out += [f"{p.number}. **{p.name}**:", ""]
        out += ["   " + " ".join(p.points)] if p.inline else [f"   - {x}" for x in p.points]
        out.append("")
    return out


def md_link(text: str, url: str | None) -> str:
    """`[text](url)` with both made safe; the text alone when the URL is refused or missing."""
    u = safe_url(url or "")
    return f"[{md_text(text)}]({u})" if u else md_text(text)


def discussion_link(url: str | None, language: str) -> str:
    """" · [HN 토론](…)" when the item has an HN discussion page (and it is not the item's own link)."""
    u = safe_url(url or "")
    return f" · [{md_text(list_strings(language).discussion)}]({u})" if u else ""


def _signals(e: SourceEntry, language: str) -> str:
    sig = signals_text(language, e.hn_points, e.hn_comments, e.hf_upvotes, len(e.sources))
    return md_text(sig) if sig else ""


def _meta(signals: str, discussion: str) -> str:
    """" (signals · [HN 토론](url))" after a source line's text; "" when there is neither."""
    inner = " · ".join(x for x in (signals, discussion.removeprefix(" · ")) if x)
    return f" ({inner})" if inner else ""


def _ranked(e: SourceEntry, language: str) -> RankedView:
    ls = list_strings(language)
    signals = _signals(e, language)
    discussion = discussion_link(e.discussion_url, language) if e.discussion_url != e.url else ""
    return RankedView(
        n=e.n,
        link=md_link(e.title, e.url),
        refused=md_text(strings(language).url_refused) if safe_url(e.url) is None else "",
        signals=signals,
        discussion=discussion,
        followed=f" ⭐ {md_text(ls.followed)}" if e.followed else "",
        result_label=md_text(ls.result_label),
        result=md_text(e.result) if e.result else "",
        meta=_meta(signals, discussion),
    )


def _source(e: SourceEntry, language: str) -> SourceView:
    t = strings(language)
    signals = _signals(e, language)
    discussion = discussion_link(e.discussion_url, language) if e.discussion_url and e.discussion_url != e.url else ""
    return SourceView(
        n=e.n, title=md_text(e.title), target=_target(e.url, t), discussion=discussion,
        tldr=md_text(e.tldr), signals=signals, link=md_link(e.title, e.url),
        refused=md_text(t.url_refused) if safe_url(e.url) is None else "", meta=_meta(signals, discussion),
    )


def _more(sec: CategorySection, t: Strings) -> MoreView | None:
    if not (sec.more or sec.counted_only):
        return None
    return MoreView(t.more, [f"{md_text(c.title)} ({_target(c.url, t)})" for c in sec.more],
                    md_text(t.more_count.format(n=sec.counted_only)) if sec.counted_only else "")


def section_view(sec: CategorySection, language: str) -> SectionView:
    t = strings(language)
    offline = sec.summary is None  # no LLM wrote this section: a ranked, linked list, not an imitation of an analysis
    return SectionView(
        category=sec.category, emoji=md_text(sec.emoji), name=md_text(sec.name),
        header=md_text(sec.header) if sec.header else "",
        ranked=[_ranked(e, language) for e in sec.entries] if offline else None,
        summary=None if sec.summary is None else summary_view(sec.summary, language),
        sources_label=t.sources, sources=[] if offline else [_source(e, language) for e in sec.entries],
        tldr_label=t.tldr, more=_more(sec, t),
    )


def _other_line(o: OtherTechEntry, language: str) -> str:
    t = strings(language)
    bits = [t.hn.format(points=o.hn_points)] if o.hn_points is not None else []
    line = md_link(o.title, o.url)
    if bits:
        line += f" — {md_text(' · '.join(bits))}"
    if o.discussion_url and o.discussion_url != o.url:
        line += discussion_link(o.discussion_url, language)
    return line


def other_tech_view(digest: Digest) -> OtherTechView | None:
    """"그 밖의 기술 소식": non-AI computing items by title, HN points and discussion link, after the AI sections."""
    ls = list_strings(digest.language)
    n, listed = digest.stats.other_tech, len(digest.other_tech)
    if not n:
        return None
    if not listed:
        return OtherTechView(ls.other_tech, md_text(ls.other_tech_dropped.format(n=n)), "", [])
    return OtherTechView(ls.other_tech, "", md_text(ls.other_tech_note.format(n=n, k=listed)),
                         [_other_line(o, digest.language) for o in digest.other_tech])


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def returning_view(digest: Digest) -> ReturningView | None:
    if not digest.returning:
        return None
    t = strings(digest.language)
    lines = []
    for r in digest.returning:
        e = r.entry
        u = safe_url(e.url)
        growth = t.returning_line.format(was=_num(r.popularity_then), day=r.reported_day.isoformat(), now=_num(e.popularity))
        lines.append(f"{md_text(r.emoji)} {md_text(r.category_name)} · {md_text(e.title)} ({u or md_text(t.url_refused)})"
                     f" — {md_text(growth)}")
    return ReturningView(t.returning, lines)


def check_line(c: CategoryCheck, t: Strings, language: str) -> str:
    """One disputed LLM category in words: title, the LLM's answer → what the item got, the offline opinion."""
    def name(cid: str | None) -> str:
        if cid is None:
            return t.h_check_no_answer
        return c.names.get(f"{cid}@ko" if language == "ko" else cid) or c.names.get(cid) or cid

    return t.h_check_line.format(title=c.title, llm=name(c.llm), final=name(c.final), offline=name(c.offline),
                                 conf=f"{c.offline_confidence:.2f}", second=name(c.second))


def health_view(digest: Digest, health: RunHealth) -> HealthView:
    t = strings(digest.language)
    ls = list_strings(digest.language)
    s = digest.stats
    # each report lists its own kind's sources (the Papers report has nothing to say about Hacker News)
    sources = [md_text(outcome_line(o, digest.language))
               for o in sorted(health.outcomes, key=lambda o: (o.kind, o.source)) if o.kind == digest.kind]
    fallbacks = [f"{md_text(k)} ×{v}" for k, v in sorted(health.fallbacks.items())]
    counts = [
        t.h_listed.format(full=s.full, compact=s.compact, counted=s.counted_only),
        f"{t.h_others}: {s.others + s.unknown_category}",
        *([f"{md_text(ls.h_muted)}: {s.muted}"] if s.muted else []),
        *([md_text(ls.h_other_tech.format(listed=s.other_tech_listed, n=s.other_tech))] if s.other_tech else []),
        f"{t.h_repeats.format(days=s.repeat_window_days)}: {s.repeated_skipped}",
        f"{t.h_returning}: {s.returning}",
    ]
    llm = health.llm
    if llm.provider in ("", "none") and not llm.calls and not llm.cached:
        counts.append(f"{t.h_llm}: {t.h_none}")
    else:
        line = t.h_llm_line.format(
            provider=llm.provider, calls=llm.calls, cached=llm.cached, failed=llm.failed,
            tin=llm.tokens_in, tout=llm.tokens_out, cost=f"{llm.cost_usd:.4f}",
        )
        if llm.unpriced:
            line += f" ({t.h_unpriced})"
        if llm.items and (llm.tokens_in or llm.tokens_out):
            tin, tout = llm.per_item()
            line += "; " + t.h_llm_per_item.format(tin=f"{tin:.0f}", tout=f"{tout:.0f}", items=llm.items)
        counts.append(f"{t.h_llm}: {md_text(line)}")
    if llm.budget_stopped:
        counts.append(f"{t.h_llm}: {md_text(t.h_budget)}")
    checks = [c for c in health.checks if c.kind == digest.kind]
    if checks or llm.provider not in ("", "none"):
        fixed = sum(c.final == c.second != c.llm for c in checks)
        counts.append(md_text(t.h_checks.format(n=len(checks), fixed=fixed, offline=len(checks) - fixed)
                              if checks else t.h_checks_none))
    return HealthView(
        heading=t.run_health,
        language_note=md_text(t.h_lang_fallback.format(lang=digest.language)) if t.fallback else "",
        sources_label=t.h_sources, sources=sources or [t.h_none],  # in words; raw errors are in the JSON export
        fallbacks_label=t.h_fallbacks, fallbacks=fallbacks or [t.h_none],
        counts=counts, notes_label=t.h_notes, counts_label=t.h_counts,
        checks_label=t.h_checks_label, checks=[md_text(check_line(c, t, digest.language)) for c in checks],
        notes=[md_text(n) for n in sorted(note_words(n, digest.language) for n in health.notes)],
    )


def offline_note(digest: Digest) -> str:
    """The note under the report's title when some sections were not written by an LLM ("" when all were): that
    the report quotes the items' own sentences (no LLM at all), or which sections fell back to the quoted list.
    Plain text; the Markdown report and the site's day page both show it."""
    if not any(sec.summary is None for sec in digest.sections):
        return ""
    ls = list_strings(digest.language)
    some_llm = any(sec.summary is not None for sec in digest.sections) or digest.health.llm.provider not in ("", "none")
    return ls.llm_partial_note if some_llm else ls.llm_note


def report_view(digest: Digest, chart_name: str | None) -> ReportView:
    """Everything the report shows, each piece of fetched or generated text escaped for Markdown."""
    t = strings(digest.language)
    note = offline_note(digest)
    llm_note = md_text(note) if note else ""
    return ReportView(
        title=f"{TITLE_PREFIX[2:]}{report_kind_word(digest.kind)} — {digest.day.isoformat()}",
        kind=digest.kind, day=digest.day.isoformat(), language=digest.language, chart=chart_name or None,
        llm_note=llm_note, no_items="" if digest.sections else md_text(t.no_items),
        sections=[section_view(sec, digest.language) for sec in digest.sections],
        other_tech=other_tech_view(digest), returning=returning_view(digest), health=health_view(digest, digest.health),
    )


# ---- the template ---------------------------------------------------------------------------------------------
def _md_url(url: object) -> str:
    """A URL made safe for "(url)" in Markdown; "" when it is not http(s)."""
    return (safe_url(url) or "") if isinstance(url, str) else ""


@lru_cache(maxsize=8)
def markdown_env(override_dir: str | None = None) -> jinja2.Environment:
    """The report's Jinja2 environment: the override folder first, then the package's templates. Autoescape is off
    (it would HTML-escape Markdown); the view model is escaped already. TemplateProblem when the folder is missing."""
    env = jinja2.Environment(
        loader=template_loader(override_dir), autoescape=False, undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, auto_reload=True,
    )
    env.filters["md"] = lambda s: md_text(str(s))
    env.filters["md_url"] = _md_url
    return env


def check_template(templates: str | Path | None = None) -> None:
    """Load and compile report.md.j2 (the override's, if any): a broken template is found before a run starts.
    Raises TemplateProblem (one line: template, line, what)."""
    env = markdown_env(str(templates) if templates else None)
    try:
        env.get_template(TEMPLATE)
    except jinja2.TemplateSyntaxError as e:
        raise TemplateProblem(f"template {e.filename or e.name or TEMPLATE} line {e.lineno}: {e.message}") from None
    except jinja2.TemplateNotFound as e:
        raise TemplateProblem(f"template {e.name} not found (in the override folder or the package)") from None


def render_markdown(digest: Digest, chart_name: str | None, templates: str | Path | None = None) -> str:
    """The whole report. `chart_name`: file name of the chart next to the report (None: no chart).
    `templates`: the override folder (`[site] templates`); None: the package's report.md.j2.
    Raises TemplateProblem when the template cannot be loaded or rendered."""
    env = markdown_env(str(templates) if templates else None)
    try:
        md = render(env, TEMPLATE, r=report_view(digest, chart_name))
    except TemplateProblem as e:
        where = f" (template folder {templates})" if templates and str(templates) not in str(e) else ""
        raise TemplateProblem(f"{e}{where}") from None
    return md.rstrip("\n") + "\n"
