"""The Markdown report, in the seed's layout (see the seed's News_2024-10-29_report.md), with the date added:

    # Daily Artificial Intelligence Insights : News — YYYY-MM-DD

    ![Category Distribution Graph](news_YYYY-MM-DD.png)

    *(offline only) a note that no LLM wrote this report*

    ## <emoji> <AI category name in the report language>       (AI categories only; `software` is listed at the end)

    *오늘 12건 (상위 8건 아래) · 가장 많이 논의: “…” (HF 추천 283개) · 출처: …*     (facts line)

    offline (no LLM wrote the section): a ranked list
    1. **[title](url)** — HN 132점 · 댓글 74개 · [HN 토론](https://news.ycombinator.com/item?id=…)
       - 원문 발췌: “the item's own sentence stating its contribution or result”

    LLM-written section (seed layout):
    **요약:**  1. **주요 주제**: / 2. **주요 사건**: / 3. **영향 분석**: / 4. **최종 요약**:  - claim [1][3]
    **출처:**   - [1] title (url) · [HN 토론](…)
    **한 줄 요약:**   - [1] one sentence — HN 132점 · 댓글 74개

    **이 분야의 다른 소식:**           compact list past the cap, then "… 외 N건"

    ## 💻 그 밖의 기술 소식              non-AI computing news: title, HN points, discussion link (capped by config)
    ## 🔁 계속 주목받는 소식            (returning stories, if any)
    ## 🩺 실행 상태                     (run health in words, always last; raw errors are in the JSON export)

Every piece of fetched or generated text goes through `escape.md_text`, every URL through `escape.safe_url`.
The output has no timestamps: the same digest renders to the same bytes.
"""

from __future__ import annotations

from ..digest import CategorySection, Digest, OtherTechEntry, SectionSummary, SourceEntry
from ..models import RunHealth
from ..summarize.header import list_strings
from ..summarize.i18n import Strings, language_name, strings
from ..summarize.tldr import signals_text
from .escape import md_text, safe_url
from .health_words import outcome_line

TITLE_PREFIX = "# Daily Artificial Intelligence Insights : "


def report_kind_word(kind: str) -> str:
    return "News" if kind == "news" else "Papers"


def _cites(cites: list[int]) -> str:
    return "".join(f"[{c}]" for c in cites)


def _point(text: str, cites: list[int]) -> str:
    c = _cites(cites)
    return f"{md_text(text)} {c}".strip()


def _link_line(title: str, url: str, t: Strings, prefix: str = "") -> str:
    u = safe_url(url)
    target = u if u else md_text(t.url_refused)
    return f" - {prefix}{md_text(title)} ({target})"


def extractive_label(summary: SectionSummary, language: str) -> str:
    t = strings(language)
    src = summary.source_language
    if src and src != language:
        return t.extractive_label.format(lang=language_name(src, language))
    return t.extractive_label_same


def render_summary(summary: SectionSummary, language: str) -> list[str]:
    t = strings(language)
    out = [f"**{t.summary}:**", ""]
    if summary.method == "extractive":
        out += [f"*{md_text(extractive_label(summary, language))}*", ""]
    parts = summary.parts()
    for i, (name, points) in enumerate(zip(t.parts, parts, strict=True), start=1):
        out += [f"{i}. **{name}**:", ""]
        if i < 4:
            out += [f"   - {_point(p.text, p.cites)}" for p in points]
        else:
            out.append("   " + " ".join(_point(p.text, p.cites) for p in points))
        out.append("")
    return out


def _tldr_line(e: SourceEntry, language: str) -> str:
    sig = signals_text(language, e.hn_points, e.hn_comments, e.hf_upvotes, len(e.sources))
    line = f" - [{e.n}] {md_text(e.tldr)}"
    return f"{line} — {md_text(sig)}" if sig else line


def _link(text: str, url: str | None) -> str:
    """`[text](url)` with both made safe; the text alone when the URL is refused or missing."""
    u = safe_url(url or "")
    return f"[{md_text(text)}]({u})" if u else md_text(text)


def _discussion(url: str | None, language: str) -> str:
    """" · [HN 토론](…)" when the item has an HN discussion page (and it is not the item's own link)."""
    u = safe_url(url or "")
    return f" · [{md_text(list_strings(language).discussion)}]({u})" if u else ""


def render_ranked(sec: CategorySection, language: str) -> list[str]:
    """The offline section body: the facts line, then per item its title (linked), signals, HN discussion link and
    the one sentence of its own text that states its contribution or result (quoted, in its own language)."""
    ls = list_strings(language)
    out = [f"*{md_text(sec.header)}*", ""] if sec.header else []
    for e in sec.entries:
        sig = signals_text(language, e.hn_points, e.hn_comments, e.hf_upvotes, len(e.sources))
        star = f" ⭐ {md_text(ls.followed)}" if e.followed else ""
        disc = _discussion(e.discussion_url, language) if e.discussion_url != e.url else ""
        line = f"{e.n}. **{_link(e.title, e.url)}**"
        if safe_url(e.url) is None:
            line += f" ({md_text(strings(language).url_refused)})"
        tail = " · ".join(x for x in (md_text(sig) if sig else "",) if x)
        out.append(line + (f" — {tail}" if tail else "") + disc + star)
        if e.result:
            out.append(f"   - {md_text(ls.result_label)}: “{md_text(e.result)}”")
    out.append("")
    return out


def render_section(sec: CategorySection, language: str) -> list[str]:
    t = strings(language)
    out = [f"## {md_text(sec.emoji)} {md_text(sec.name)}", ""]
    if sec.summary is None:  # no LLM wrote this section: a ranked, linked list, not an imitation of an analysis
        out += render_ranked(sec, language)
        return out + _render_more(sec, t) + [""]
    if sec.header:
        out += [f"*{md_text(sec.header)}*", ""]
    out += render_summary(sec.summary, language)
    out += [f"**{t.sources}:**", ""]
    out += [_link_line(e.title, e.url, t, prefix=f"[{e.n}] ") + (_discussion(e.discussion_url, language)
            if e.discussion_url and e.discussion_url != e.url else "") for e in sec.entries]
    out += ["", f"**{t.tldr}:**", ""]
    out += [_tldr_line(e, language) for e in sec.entries]
    out.append("")
    out += _render_more(sec, t)
    out.append("")
    return out


def _render_more(sec: CategorySection, t: Strings) -> list[str]:
    out: list[str] = []
    if sec.more or sec.counted_only:
        out += [f"**{t.more}:**", ""]
        out += [_link_line(c.title, c.url, t) for c in sec.more]
        if sec.counted_only:
            out.append(" - " + md_text(t.more_count.format(n=sec.counted_only)))
        out.append("")
    return out


def _other_line(o: OtherTechEntry, language: str) -> str:
    t = strings(language)
    bits = [t.hn.format(points=o.hn_points)] if o.hn_points is not None else []
    line = f" - {_link(o.title, o.url)}"
    if bits:
        line += f" — {md_text(' · '.join(bits))}"
    if o.discussion_url and o.discussion_url != o.url:
        line += _discussion(o.discussion_url, language)
    return line


def render_other_tech(digest: Digest) -> list[str]:
    """"그 밖의 기술 소식": non-AI computing items by title, HN points and discussion link, after the AI sections."""
    ls = list_strings(digest.language)
    n, listed = digest.stats.other_tech, len(digest.other_tech)
    if not n:
        return []
    out = [f"## {ls.other_tech}", ""]
    if not listed:
        return out + [md_text(ls.other_tech_dropped.format(n=n)), "", ""]
    out += [f"*{md_text(ls.other_tech_note.format(n=n, k=listed))}*", ""]
    out += [_other_line(o, digest.language) for o in digest.other_tech]
    return out + ["", ""]


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def render_returning(digest: Digest) -> list[str]:
    if not digest.returning:
        return []
    t = strings(digest.language)
    out = [f"## {t.returning}", ""]
    for r in digest.returning:
        e = r.entry
        u = safe_url(e.url)
        growth = t.returning_line.format(was=_num(r.popularity_then), day=r.reported_day.isoformat(), now=_num(e.popularity))
        out.append(
            f" - {md_text(r.emoji)} {md_text(r.category_name)} · {md_text(e.title)} ({u or md_text(t.url_refused)})"
            f" — {md_text(growth)}"
        )
    out += ["", ""]
    return out


def render_health(digest: Digest, health: RunHealth) -> list[str]:
    t = strings(digest.language)
    s = digest.stats
    out = [f"## {t.run_health}", ""]
    if t.fallback:
        out += [md_text(t.h_lang_fallback.format(lang=digest.language)), ""]
    out += [f"**{t.h_sources}:**", ""]
    if health.outcomes:  # in words; the raw error text is in the JSON export (health.outcomes[].error)
        for o in sorted(health.outcomes, key=lambda o: (o.kind, o.source)):
            out.append(f" - {md_text(outcome_line(o, digest.language))}")
    else:
        out.append(f" - {t.h_none}")
    out += ["", f"**{t.h_fallbacks}:**", ""]
    if health.fallbacks:
        out += [f" - {md_text(k)} ×{v}" for k, v in sorted(health.fallbacks.items())]
    else:
        out.append(f" - {t.h_none}")
    out += [
        "",
        f" - {t.h_listed.format(full=s.full, compact=s.compact, counted=s.counted_only)}",
        f" - {t.h_others}: {s.others + s.unknown_category}",
        *([f" - {md_text(list_strings(digest.language).h_muted)}: {s.muted}"] if s.muted else []),
        *([f" - {md_text(list_strings(digest.language).h_other_tech.format(listed=s.other_tech_listed, n=s.other_tech))}"]
          if s.other_tech else []),
        f" - {t.h_repeats.format(days=s.repeat_window_days)}: {s.repeated_skipped}",
        f" - {t.h_returning}: {s.returning}",
    ]
    llm = health.llm
    if llm.provider in ("", "none") and not llm.calls and not llm.cached:
        out.append(f" - {t.h_llm}: {t.h_none}")
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
        out.append(f" - {t.h_llm}: {md_text(line)}")
    if llm.budget_stopped:
        out.append(f" - {t.h_llm}: {md_text(t.h_budget)}")
    if health.notes:
        out += ["", f"**{t.h_notes}:**", ""]
        out += [f" - {md_text(n)}" for n in sorted(health.notes)]
    out.append("")
    return out


def render_markdown(digest: Digest, chart_name: str | None) -> str:
    """The whole report. `chart_name`: file name of the chart next to the report (None: no chart)."""
    t = strings(digest.language)
    lines = [f"{TITLE_PREFIX}{report_kind_word(digest.kind)} — {digest.day.isoformat()}", ""]
    if chart_name:
        lines += [f"![Category Distribution Graph]({chart_name})", ""]
    if any(sec.summary is None for sec in digest.sections):
        ls = list_strings(digest.language)
        some_llm = any(sec.summary is not None for sec in digest.sections) or digest.health.llm.provider not in ("", "none")
        lines += [f"*{md_text(ls.llm_partial_note if some_llm else ls.llm_note)}*", ""]
    if not digest.sections:
        lines += [md_text(t.no_items), ""]
    for sec in digest.sections:
        lines += render_section(sec, digest.language)
    lines += render_other_tech(digest)
    lines += render_returning(digest)
    lines += render_health(digest, digest.health)
    return "\n".join(lines).rstrip("\n") + "\n"
