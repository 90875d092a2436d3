"""The LLM summary of one category of a week: ONE structured call per category, built from the week's top stories
(numbered sources, as a daily section's) and the category's daily LLM summaries (context, never cited), checked by
the same checks as a daily section, one retry with the failure reason.

A week costs about one call per category (two when the first answer fails its checks), not a re-read of every item:
the prompt carries each story's title, signals, days and at most `SNIPPET_CHARS` of its text. The prompt holds
nothing that changes between reruns, so an unchanged week is answered from the LLM cache (no call).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..config import Config
from ..llm.base import Message
from ..llm.prompts import UNTRUSTED_INSTRUCTION, wrap_untrusted
from ..records import Item
from ..report import SectionSummary
from .i18n import language_name
from .llm import SummaryFailed, checked_summary, source_block
from .text import truncate

SNIPPET_CHARS = 400  # of each story's text: the week's prompt is about the stories, not their articles
DAILY_CHARS = 600  # of each day's summary of the category
MAX_DAILY = 7


@dataclass(frozen=True)
class WeekSource:
    item: Item
    days: list[dt.date]


@dataclass(frozen=True)
class WeekCategory:
    """What the week's summary of one category is written from: its top stories (`sources`, cited 1..n) and the
    category's daily LLM summaries (`daily`, context only)."""

    week: str
    kind: str
    category: str
    name: str
    description: str
    sources: list[WeekSource]
    daily: list[tuple[dt.date, str]]


def system_prompt(language: str) -> str:
    lang = f"{language_name(language)} ({language})"
    return f"""You write one category section of a WEEKLY AI news and papers digest: what mattered this week.
Write every text field in {lang}. Keep names of models, products, companies, people and papers as written in the sources.

You get the week's most important stories of the category (numbered sources, with the days of the week each was seen
on: a story seen on several days kept coming back) and, as context, the daily summaries written for this category
during the week. Cite only the numbered sources.

Return one JSON object:
- "themes": 1-3 points: the topics that ran through the week.
- "events": 1-6 points: what concretely happened or was published, one point per notable source.
- "impact": 1-3 points: concrete consequences the sources state or directly imply. No generic statements.
- "bottom_line": 1-2 points: the takeaway of the week for this category.
- "tldr": exactly one entry per source, in source order: "<source number>: <one sentence in {lang}, in your own words>".
Each point is one string "<numbers of the sources that support it, comma-separated>: <text>", e.g. "2, 5: ...". Every point cites at least one source, and only numbers that appear in the source list. Do not put [n] markers in the text. Use only information from the sources and the daily summaries: no filler, no speculation, no praise.

{UNTRUSTED_INSTRUCTION}"""


def user_prompt(cat: WeekCategory) -> str:
    sources, daily = cat.sources, cat.daily
    blocks = [source_block(i, s.item, SNIPPET_CHARS, seen=f"Seen on: {', '.join(d.isoformat() for d in s.days)}\n")
              for i, s in enumerate(sources, start=1)]
    context = ""
    if daily:
        days = [wrap_untrusted(f"daily summary {d.isoformat()}", truncate(t, DAILY_CHARS), note=False)
                for d, t in daily[:MAX_DAILY]]
        context = "\n\nDaily summaries of this category (context only, do not cite):\n\n" + "\n\n".join(days)
    return (
        f"Category: {cat.name} — {cat.description}\nWeek: {cat.week}\n"
        f"Sources ({len(sources)}, cite them as 1..{len(sources)}):\n\n" + "\n\n".join(blocks) + context
    )


async def week_summary(llm, config: Config, language: str, cat: WeekCategory) -> tuple[SectionSummary, list[str]]:
    """A checked four-part summary of the week's `cat.sources` (cited [1]..[n]) and one TL;DR per source, or
    SummaryFailed after one retry (the caller shows the section as the offline list and records the fallback)."""
    if llm is None:
        raise SummaryFailed("llm-offline", "no LLM configured")
    items = [s.item for s in cat.sources]
    base = [
        Message(role="system", content=system_prompt(language)),
        Message(role="user", content=user_prompt(cat)),
    ]
    return await checked_summary(llm, base, items, language, config, purpose=f"weekly:{cat.kind}:{cat.category}")
