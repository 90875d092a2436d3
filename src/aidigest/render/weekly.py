"""Writing a week's roundup: the Markdown report and its JSON export, atomically, beside the daily reports.

    <out_dir>/weekly/YYYY-Www/News_YYYY-Www_report.md     Papers_YYYY-Www_report.md
    <out_dir>/weekly/YYYY-Www/News_YYYY-Www.json          Papers_YYYY-Www.json

(a report in another language than Korean gets the language as a suffix, as the daily files do). Layout, in the
daily report's conventions:

    # Weekly Artificial Intelligence Insights : News — 2026-W31 (2026-07-27 ~ 2026-08-02)
    *(offline only) a note that no LLM wrote this report*
    **이번 주 수집:** 7일 중 5일 보고서 …   **빠진 날:**  - 2026-07-28 (화): 수집하지 않음 (실행 기록 없음)
    ## 📊 분야별 비중                        category | stories | share | week before | change
    ## <emoji> <category>                   facts line; LLM: **요약:** (four parts, [n]) + **출처:**; offline: ranked list
    ## 🔁 이번 주 계속 돌아온 소식            stories seen on two or more days, with their days
    ## 🩺 주간 상태                          fallbacks, left-out counts, notes

Every piece of fetched or generated text goes through `escape.md_text`, every URL through `escape.safe_url`.
The report holds no timestamp and no run counter: the same week renders to the same bytes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..summarize.header import source_name
from ..summarize.i18n import strings
from ..summarize.tldr import signals_text
from ..weekly.report import DayState, WeekEntry, WeeklyDigest, WeekSection
from ..infra.atomic import clean_stale_temp, write_text_atomic
from .escape import md_text, safe_url
from .health_words import error_words
from .markdown import discussion_link, md_link, render_summary, report_kind_word

TITLE_PREFIX = "# Weekly Artificial Intelligence Insights : "
WEEKLY_DIR = "weekly"

WEEKDAYS = {"ko": "월화수목금토일", "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")}


@dataclass(frozen=True)
class WeekStrings:
    collected: str  # {n} {days}
    missing: str
    status: dict[str, str]
    shares: str
    share_head: tuple[str, str, str, str, str]
    facts: str  # {n} {share}
    before: str  # {share} {delta}
    before_none: str
    most: str  # {title} {signals}
    days_seen: str  # {n} {days}
    day_seen: str  # {day}
    more: str  # {n}
    returning: str
    health: str
    fallbacks: str
    left_out: str  # {n}
    other_tech: str  # {n}
    notes: str
    none: str
    llm_note: str
    llm_partial: str
    no_items: str
    model: str  # {model}


_KO = WeekStrings(
    collected="**이번 주 수집:** 7일 중 {n}일 보고서 ({days})",
    missing="**빠진 날:**",
    status={"not_collected": "수집하지 않음 (실행 기록 없음)", "all_failed": "모든 소스 실패",
            "empty": "수집했지만 항목 없음", "run_failed": "실행이 오류로 중단됨", "not_over": "아직 끝나지 않은 날",
            "collected": "수집했지만 일일 보고서 없음", "reported": "보고서 있음"},
    shares="📊 분야별 비중",
    share_head=("분야", "이번 주", "비중", "지난주", "변화"),
    facts="이번 주 {n}건 · 전체의 {share}",
    before="지난주 {share} ({delta})",
    before_none="지난주 자료 없음",
    most="가장 많이 논의: “{title}” ({signals})",
    days_seen="{n}일 등장: {days}",
    day_seen="등장: {day}",
    more="… 외 {n}건",
    returning="🔁 이번 주 계속 돌아온 소식",
    health="🩺 주간 상태",
    fallbacks="대체 경로",
    left_out="일일 보고서에 실리지 않아 뺀 항목 (others·제외 키워드·목록 밖)",
    other_tech="AI 밖 컴퓨팅 소식(software)으로 뺀 항목",
    notes="참고",
    none="없음",
    llm_note="LLM 없이 만든 주간 보고서입니다: 분야마다 이번 주 가장 주목받은 항목을 신호(점수·댓글·추천·등장 일수) 순으로 나열했고, 한국어 요약문은 LLM을 설정하면 생성됩니다.",
    llm_partial="LLM 요약이 검사를 통과하지 못한 분야는 요약 대신 순위 목록으로 표시했습니다 (주간 상태의 대체 경로 참고).",
    no_items="이번 주에 보고된 항목이 없습니다.",
    model="요약 모델: {model}",
)

_EN = WeekStrings(
    collected="**Collected this week:** reports on {n} of 7 days ({days})",
    missing="**Missing days:**",
    status={"not_collected": "not collected (no run recorded)", "all_failed": "every source failed",
            "empty": "collected, no items", "run_failed": "the run stopped with an error", "not_over": "not over yet",
            "collected": "collected, no daily report", "reported": "reported"},
    shares="📊 Share by category",
    share_head=("Category", "This week", "Share", "Week before", "Change"),
    facts="{n} this week · {share} of the week",
    before="week before {share} ({delta})",
    before_none="no data for the week before",
    most="most discussed: “{title}” ({signals})",
    days_seen="seen on {n} days: {days}",
    day_seen="seen on {day}",
    more="… and {n} more",
    returning="🔁 Kept coming back this week",
    health="🩺 Week status",
    fallbacks="Fallbacks",
    left_out="Left out, not shown by any daily report (others, muted, past the list)",
    other_tech="Left out as computing news not about AI (software)",
    notes="Notes",
    none="none",
    llm_note="Written without an LLM: each category lists the week's most noticed items by their signals (points, comments, upvotes, days seen); prose summaries need an LLM.",
    llm_partial="Categories whose LLM summary failed its checks are shown as the ranked list instead (see Fallbacks).",
    no_items="Nothing was reported this week.",
    model="summaries by {model}",
)


def week_strings(language: str) -> WeekStrings:
    return _KO if language == "ko" else _EN


def weekday(d, language: str) -> str:
    names = WEEKDAYS.get(language, WEEKDAYS["en"])
    return names[d.weekday()]


def _day(d, language: str) -> str:
    return f"{d.strftime('%m-%d')} {weekday(d, language)}"


def _pct(x: float) -> str:
    return f"{round(x * 100)}%"


def _delta(now: float, before: float) -> str:
    pp = round((now - before) * 100)
    return f"{pp:+d}%p" if pp else "±0%p"


def file_names(week: WeeklyDigest, suffix: str = "") -> tuple[str, str]:
    """(markdown, json) file names of the week's report of its kind. `suffix` (e.g. "_<profile>"): a reader's own
    week beside the shared one (the reader-profile extension point, see aidigest.weekly.build)."""
    word = report_kind_word(week.kind)
    sfx = suffix + ("" if week.language == "ko" else f"_{week.language}")
    return f"{word}_{week.week}_report{sfx}.md", f"{word}_{week.week}{sfx}.json"


def week_dir(out_dir: Path, week: str) -> Path:
    return Path(out_dir) / WEEKLY_DIR / week


def _signals(e: WeekEntry, language: str) -> str:
    return signals_text(language, e.hn_points, e.hn_comments, e.hf_upvotes, len(e.sources))


def _discussion(e: WeekEntry, language: str) -> str:
    return discussion_link(e.discussion_url, language) if e.discussion_url and e.discussion_url != e.url else ""


def _days_text(e: WeekEntry, language: str) -> str:
    ws = week_strings(language)
    if len(e.days) == 1:
        return ws.day_seen.format(day=_day(e.days[0], language))
    return ws.days_seen.format(n=len(e.days), days=", ".join(_day(d, language) for d in e.days))


def _facts(sec: WeekSection, language: str) -> str:
    ws = week_strings(language)
    bits = [ws.facts.format(n=sec.stories, share=_pct(sec.share))]
    if sec.share_before is None:
        bits.append(ws.before_none)
    else:
        bits.append(ws.before.format(share=_pct(sec.share_before), delta=_delta(sec.share, sec.share_before)))
    top = max(sec.entries, key=lambda e: (e.hn_comments or 0, e.popularity), default=None)
    if top is not None and (sig := _signals(top, language)):
        title = top.title if len(top.title) <= 60 else top.title[:59].rstrip() + "…"
        bits.append(ws.most.format(title=title, signals=sig))
    return md_text(" · ".join(bits))


def _section(sec: WeekSection, language: str) -> list[str]:
    t, ws = strings(language), week_strings(language)
    out = [f"## {md_text(sec.emoji)} {md_text(sec.name)}", "", f"*{_facts(sec, language)}*", ""]
    if sec.summary is None:  # the honest offline form: the ranked list, nothing written for it
        for e in sec.entries:
            sig = _signals(e, language)
            line = f"{e.n}. **{md_link(e.title, e.url)}**" + (f" — {md_text(sig)}" if sig else "") + _discussion(e, language)
            out.append(line)
            out.append(f"   - {md_text(_days_text(e, language))}")
    else:
        out += render_summary(sec.summary, language)
        out += [f"**{t.sources}:**", ""]
        for e in sec.entries:
            u = safe_url(e.url)
            out.append(f" - [{e.n}] {md_text(e.title)} ({u or md_text(t.url_refused)}){_discussion(e, language)}"
                       f" — {md_text(_days_text(e, language))}")
        out.append("")
        out += [f"**{t.tldr}:**", ""]
        for e in sec.entries:
            sig = _signals(e, language)
            out.append(f" - [{e.n}] {md_text(e.tldr)}" + (f" — {md_text(sig)}" if sig else ""))
    if sec.more:
        out += ["", f"*{md_text(ws.more.format(n=sec.more))}*"]
    out += ["", ""]
    return out


def _missing_line(d: DayState, language: str) -> str:
    ws = week_strings(language)
    line = f" - {d.day.isoformat()} ({weekday(d.day, language)}): {md_text(ws.status[d.status])}"
    if d.failed:
        why = [f"{source_name(o.source) or o.source}: {error_words(o.error, language) or o.status}" for o in d.failed]
        line += f" — {md_text('; '.join(why))}"
    return line


PICK_WORD = {"ko": "추천", "en": "Picked for you"}  # as a reader's daily digest (aidigest.profiles.rank.words)


def _picks(week: WeeklyDigest) -> list[str]:
    """The reader's "⭐ 추천" section: its top stories of the week across categories, each with its reason."""
    out = [f"## ⭐ {PICK_WORD.get(week.language, PICK_WORD['en'])} · {md_text(week.profile or '')}", ""]
    for p in week.picks or []:
        why = f" — {md_text(p.reason)}" if p.reason else ""
        out.append(f"{p.n}. **{md_link(p.title, p.url)}** ({md_text(p.emoji)} {md_text(p.category_name)}){why}")
        if p.tldr:
            out.append(f"   - {md_text(p.tldr)}")
    return out + ["", ""]


def render_week_markdown(week: WeeklyDigest) -> str:
    lang = week.language
    ws = week_strings(lang)
    out = [f"{TITLE_PREFIX}{report_kind_word(week.kind)} — {week.week} ({week.start.isoformat()} ~ {week.end.isoformat()})", ""]
    if any(sec.summary is None for sec in week.sections):
        partial = week.llm_provider not in ("", "none")
        out += [f"*{md_text(ws.llm_partial if partial else ws.llm_note)}*", ""]
    have = [d for d in week.days if d.status in ("reported", "collected")]
    out.append(ws.collected.format(n=len([d for d in week.days if d.status == "reported"]),
                                   days=md_text(", ".join(_day(d.day, lang) for d in have)) or ws.none))
    out.append("")
    if week.missing_days:
        out += [ws.missing, ""] + [_missing_line(d, lang) for d in week.missing_days] + [""]
    if not week.sections:
        out += [md_text(ws.no_items), ""]
    if week.picks:  # a reader profile's week (aidigest.weekly.profiles) opens with its picks
        out += _picks(week)
    if week.shares:
        out += [f"## {ws.shares}", "", "| " + " | ".join(ws.share_head) + " |", "|---|---:|---:|---:|---:|"]
        for r in week.shares:
            before = "—" if r.share_before is None else f"{r.stories_before} ({_pct(r.share_before)})"
            change = "—" if r.share_before is None else _delta(r.share, r.share_before)
            out.append(f"| {md_text(r.emoji)} {md_text(r.name)} | {r.stories} | {_pct(r.share)} | {before} | {change} |")
        out += ["", ""]
    for sec in week.sections:
        out += _section(sec, lang)
    if week.returning:
        out += [f"## {ws.returning}", ""]
        by_cat = {s.category: s for s in week.sections}
        for e in week.returning:
            of = by_cat.get(e.category)
            cat = f"{md_text(of.emoji)} {md_text(of.name)} · " if of else ""
            sig = _signals(e, lang)
            out.append(f" - {cat}{md_link(e.title, e.url)} — {md_text(_days_text(e, lang))}" + (f" · {md_text(sig)}" if sig else ""))
        out += ["", ""]
    out += [f"## {ws.health}", ""]
    fb = [f"{md_text(k)} ×{v}" for k, v in sorted(week.fallbacks.items())]
    out.append(f" - {ws.fallbacks}: " + ("; ".join(fb) if fb else ws.none))
    if week.llm_provider not in ("", "none"):
        out.append(f" - {md_text(ws.model.format(model=week.llm_provider))}")
    out.append(f" - {md_text(ws.left_out)}: {week.stats.not_reported}")
    if week.stats.other_tech:
        out.append(f" - {md_text(ws.other_tech)}: {week.stats.other_tech}")
    if week.notes:
        out.append(f" - {ws.notes}:")
        out += [f"   - {md_text(n)}" for n in week.notes]
    return "\n".join(out).rstrip("\n") + "\n"


def week_json(week: WeeklyDigest) -> str:
    # the shared week's export holds no profile fields (they came with reader profiles; its bytes stay as they were)
    shared = week.profile is None and week.picks is None
    data = week.model_dump(mode="json", exclude={"profile", "picks"} if shared else None)
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


@dataclass(frozen=True)
class WeekPaths:
    markdown: Path
    json: Path


def write_week(week: WeeklyDigest, out_dir: Path, suffix: str = "") -> WeekPaths:
    """Write the week's Markdown report and JSON export (atomically; the same week gives the same bytes)."""
    md_name, json_name = file_names(week, suffix)
    folder = week_dir(out_dir, week.week)
    md = render_week_markdown(week)  # rendered before anything is written
    data = week_json(week)
    folder.mkdir(parents=True, exist_ok=True)
    clean_stale_temp(folder)
    return WeekPaths(markdown=write_text_atomic(folder / md_name, md), json=write_text_atomic(folder / json_name, data))
