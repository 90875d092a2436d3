"""Facts-only text of the offline report, in the report language: a section's header line and the labels of
the ranked list and of the non-AI list. Nothing here pretends to be an analysis: every word is a count, a
title, a signal or a source name.

    오늘 12건 (상위 8건 아래) · 1위: “Qwen-UI-Agent …” (HF 추천 283개) · 상위 8건의 출처: HF Daily Papers 5, arXiv+HF Daily Papers 3

Korean and English are written out; other languages use the English text (the report says so in run health,
see i18n.Strings.fallback).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from ..records import Item
from .text import clean, truncate
from .tldr import item_signals


@dataclass(frozen=True)
class ListStrings:
    count_all: str  # {n}
    count_top: str  # {n} {k}
    most_discussed: str  # {title} {signals}
    from_sources: str  # {sources}
    result_label: str  # before the item's own sentence
    no_text: str  # an item without any text
    link: str
    discussion: str
    followed: str
    other_tech: str  # heading of the non-AI list
    other_tech_note: str  # {n} {k}
    other_tech_dropped: str  # {n}: other_tech_max = 0
    llm_note: str  # offline reports: what an LLM would add
    llm_partial_note: str  # an LLM run where some sections fell back to the list
    h_muted: str
    h_other_tech: str  # {listed} {n}
    h_zero_shot: str
    from_top_sources: str = "sources of the top {k}: {sources}"  # {k} {sources}: the counts add up to k


_KO = ListStrings(
    count_all="오늘 {n}건",
    count_top="오늘 {n}건 (상위 {k}건 아래)",
    most_discussed="1위: “{title}” ({signals})",
    from_sources="출처: {sources}",
    result_label="원문 발췌",
    no_text="(본문 없음: 제목만 수집됨)",
    link="링크",
    discussion="HN 토론",
    followed="관심 키워드",
    other_tech="💻 그 밖의 기술 소식",
    other_tech_note="AI와 직접 관련 없는 컴퓨팅 소식 {n}건 중 {k}건 (HN 점수순)",
    other_tech_dropped="AI와 직접 관련 없는 컴퓨팅 소식 {n}건은 설정(other_tech_max = 0)에 따라 생략했습니다.",
    llm_note="LLM 없이 만든 보고서입니다: 항목마다 원문에서 성과·결과를 말하는 한 문장을 골라 그대로 옮겼고, 한국어 요약문은 LLM을 설정하면 생성됩니다.",
    llm_partial_note="LLM 요약이 검사를 통과하지 못한 분야는 요약 대신 원문 발췌 목록으로 표시했습니다 (실행 상태의 대체 경로 참고).",
    h_muted="제외 키워드(exclude_keywords)로 뺀 항목",
    h_other_tech="그 밖의 기술 소식: {n}건 중 {listed}건 표시",
    h_zero_shot="분류",
    from_top_sources="상위 {k}건의 출처: {sources}",
)

_EN = ListStrings(
    count_all="{n} items today",
    count_top="{n} items today (top {k} below)",
    most_discussed="top: “{title}” ({signals})",
    from_sources="sources: {sources}",
    result_label="From the source",
    no_text="(no text: only the title was collected)",
    link="link",
    discussion="HN discussion",
    followed="followed keyword",
    other_tech="💻 Other tech news",
    other_tech_note="{k} of {n} computing items not about AI (by HN points)",
    other_tech_dropped="{n} computing items not about AI were left out (other_tech_max = 0).",
    llm_note="Written without an LLM: for each item, the one sentence of its own text that states its contribution or result is quoted as is; prose summaries need an LLM.",
    llm_partial_note="Sections whose LLM summary failed its checks are shown as the quoted list instead (see Fallbacks in run health).",
    h_muted="Left out by exclude_keywords",
    h_other_tech="Other tech news: {listed} of {n} listed",
    h_zero_shot="Classification",
)


def list_strings(language: str) -> ListStrings:
    return _KO if language == "ko" else _EN


def source_name(source: str) -> str:
    """The name reports show for a source: its title in the source registry, a feed's own name, else the key."""
    # read when a name is asked, not at import: the renderers that import this module need no source loaded
    from ..sources.builtin import SOURCES  # lazy: heavy (httpx, feedparser: every built-in source registers)

    spec = SOURCES.get(source)
    if spec is not None and spec.title:
        return spec.title
    return source.split(":", 1)[1] if source.startswith("rss:") else source


def section_header(kind: str, items: list[Item], total: int, language: str) -> str:
    """One line of facts about a category's day: count, the first listed item's signals (if it has any), and
    where the listed items come from. The source counts add up to the listed items: an item seen in several
    sources is counted once, under the names of all of them ("arXiv+HF Daily Papers 1"); only the listed items
    are counted (the others are not at hand), and the line says so when some are not listed."""
    t = list_strings(language)
    k = len(items)
    parts = [t.count_all.format(n=total) if total <= k else t.count_top.format(n=total, k=k)]
    # the list's own first item (the ranking decides the order; a "most discussed" further down read as a contradiction)
    if k > 1 and (items[0].hn_points or items[0].hn_comments or items[0].hf_upvotes):
        top = items[0]
        parts.append(t.most_discussed.format(title=truncate(clean(top.title), 70), signals=item_signals(top, language)))
    counts: Counter[str] = Counter()
    for it in items:
        names = sorted({n for n in (source_name(s) for s in it.sources) if n}, key=str.casefold)
        if names:
            counts["+".join(names)] += 1
    if counts:
        srcs = next(iter(counts)) if len(counts) == 1 else ", ".join(f"{name} {n}" for name, n in counts.most_common())
        parts.append((t.from_sources if total <= k else t.from_top_sources).format(sources=srcs, k=k))
    return " · ".join(parts)


def cli_report_line(kind: str, collected: int, shown: dict[str, int] | None, paths) -> str:
    """What `aidigest run` prints per report: what it shows, and plainly when the day brought nothing new."""
    where = ", ".join(map(str, paths))
    if shown is None:
        return f"{kind} ({collected} items): {where}"
    new = shown["ai"] + shown["other_tech"] + shown["returning"]
    left = [f"{shown['repeated']} already reported"] if shown["repeated"] else []
    if shown["others"]:
        left.append(f"{shown['others']} not about AI/computing")
    if shown["muted"]:
        left.append(f"{shown['muted']} muted by exclude_keywords")
    why = f" ({'; '.join(left)})" if left else ""
    if new == 0:
        return f"{kind}: nothing new today — {collected} items collected{why}; report: {where}"
    parts = [f"{shown['ai']} in AI sections"]
    if shown["other_tech"]:
        parts.append(f"{shown['other_tech']} other tech")
    if shown["returning"]:
        parts.append(f"{shown['returning']} still trending")
    return f"{kind}: {collected} items collected, {', '.join(parts)}{why}: {where}"
