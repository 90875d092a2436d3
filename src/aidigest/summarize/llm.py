"""LLM summary of one category: one structured call, checked; one retry with the failure reason.

The answer schema (`SummaryAnswer`) is four lists of points plus one TL;DR per source, every list bounded
(`max_length`) so a rambling model cannot produce an unbounded answer. A point is one string
"<cited source numbers>: <text>" ("2, 5: ..."), a TL;DR "<source number>: <sentence>": the same information
as {"text": .., "cites": [..]} and {"n": .., "text": ..} in ~5 tokens less structure each (a long section's
answer carries ~17 of them, and the longest answer sets the second round's length). The older objects are
still read (some models write them out of habit); the numbers, not the positions, name the sources.
Fetched titles and snippets reach the prompt only through `aidigest.llm.prompts.wrap_untrusted`.

`llm_summary` returns a checked (summary, tldrs) or raises `SummaryFailed(code, detail)`; the caller
(aidigest.summarize.sections.summarize_sections) then takes the extractive path and records the fallback.
"""

from __future__ import annotations

from ..errors import AidigestError

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import BaseModel, Field, ValidationError, field_validator

from ..context import DayContext
from ..llm.base import BudgetExceeded, LLMError, LLMFatal, LLMResult, LLMUnavailable, Message
from ..llm.prompts import UNTRUSTED_INSTRUCTION, wrap_untrusted
from ..llm.schema import parse_json_text, validation_message
from ..records import Item
from ..report import SectionSummary, SummaryPoint
from .checks import CITE_RE, check_summary
from .i18n import language_name
from .text import clean, truncate
from .tldr import item_signals

MAX_SOURCES = 40  # sources per LLM call (per_category above this: the section is summarized offline)
SNIPPET_CHARS = 1500
ECHO_CHARS = 2000  # how much of a rejected answer is shown back to the model on the retry


POINT_CHARS = 700  # one point's text at most
_POINT_RE = re.compile(r"^\s*\[?\s*(\d+(?:\s*,\s*\d+)*)\s*\]?\s*:\s*(.*?)\s*$", re.S)


def _point_entries(value: Any) -> Any:
    """Points as "<cites>: <text>" strings (an older {"text", "cites"} object is turned into one)."""
    if not isinstance(value, list):
        return value
    out = []
    for e in value:
        if isinstance(e, dict) and "text" in e and isinstance(e.get("cites"), list):
            e = f"{', '.join(str(c) for c in e['cites'])}: {e['text']}"
        out.append(e)
    return out


def parse_point(entry: str) -> tuple[list[int], str]:
    """(cited source numbers, text) of one point; no numbers ([]) if it starts with none (the check rejects it)."""
    m = _POINT_RE.match(entry)
    if not m:
        return [], entry
    return [int(c) for c in m.group(1).split(",")], m.group(2)


TLDR_CHARS = 300  # one TL;DR sentence at most
_TLDR_RE = re.compile(r"^\s*\[?(\d+)\]?\s*[:.)]\s*(.*?)\s*$", re.S)


def _tldr_entries(value: Any) -> Any:
    """TL;DR entries as "<n>: <text>" strings (an older {"n", "text"} object is turned into one)."""
    if not isinstance(value, list):
        return value
    return [f"{e['n']}: {e['text']}" if isinstance(e, dict) and "n" in e and "text" in e else e for e in value]


def parse_tldr(entry: str) -> tuple[int, str] | None:
    """(source number, sentence) of one TL;DR entry, None if it names no source number."""
    m = _TLDR_RE.match(entry)
    return (int(m.group(1)), m.group(2)) if m else None


Point = Annotated[str, Field(min_length=4, max_length=POINT_CHARS + 40,
                             description='"<numbers of the sources that support it>: <text>"')]


class SummaryAnswer(BaseModel):
    """What the model must return for one category."""

    themes: list[Point] = Field(min_length=1, max_length=4)
    events: list[Point] = Field(min_length=1, max_length=8)
    impact: list[Point] = Field(min_length=1, max_length=4)
    bottom_line: list[Point] = Field(min_length=1, max_length=3)
    tldr: list[Annotated[str, Field(min_length=4, max_length=TLDR_CHARS + 8)]] = Field(
        min_length=1, max_length=MAX_SOURCES, description='one entry per source: "<source number>: <one sentence>"')

    _tldr = field_validator("tldr", mode="before")(lambda cls, v: _tldr_entries(v))
    _points = field_validator("themes", "events", "impact", "bottom_line", mode="before")(
        lambda cls, v: _point_entries(v))


class SummaryFailed(AidigestError, exit_code=1):
    def __init__(self, code: str, detail: str = ""):
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


def system_prompt(language: str) -> str:
    lang = f"{language_name(language)} ({language})"
    return f"""You write one category section of a daily AI news and papers digest.
Write every text field in {lang}. Keep names of models, products, companies, people and papers as written in the sources.

Return one JSON object:
- "themes": 1-3 points: the main topics the sources share.
- "events": 1-6 points: what concretely happened or was published, one point per notable source.
- "impact": 1-3 points: concrete consequences or results that the sources state or directly imply (numbers, who is affected, what changes). Never write generic statements about the economy, politics, society, culture or the environment; if the sources support little, write one short, specific point.
- "bottom_line": 1-2 points: the takeaway of the day for this category.
- "tldr": exactly one entry per source, in source order: "<source number>: <one sentence in {lang}, in your own words, not copied from the source>".
Each point is one string "<numbers of the sources that support it, comma-separated>: <text>", e.g. "2, 5: ...". Every point cites at least one source, and only numbers that appear in the source list. Do not put [n] markers in the text. Use only information from the sources: no filler, no speculation, no praise.

{UNTRUSTED_INSTRUCTION}"""


def source_block(n: int, it: Item, snippet_chars: int, seen: str = "") -> str:
    """Source [n] of a summary prompt: its title, `seen` (extra lines, e.g. the week's days), its signals and its
    clipped text, delimited as untrusted (the day's and the week's prompts both cite sources this way)."""
    sig = item_signals(it, "en")
    body = f"Title: {clean(it.title)}\n{seen}"
    if sig:
        body += f"Signals: {sig}\n"
    text = truncate(it.snippet, snippet_chars) if it.snippet else "(no text available: title only)"
    body += f"Text: {text}"
    return f"[{n}]\n" + wrap_untrusted(f"source {n}", body, note=False)


def user_prompt(items: list[Item], category_name: str, category_description: str, day: dt.date, language: str) -> str:
    blocks = [source_block(i, it, SNIPPET_CHARS) for i, it in enumerate(items, start=1)]
    return (
        f"Category: {category_name} — {category_description}\nDate: {day.isoformat()}\n"
        f"Sources ({len(items)}, cite them as 1..{len(items)}):\n\n" + "\n\n".join(blocks)
    )


def to_summary(answer: SummaryAnswer, n_sources: int, model: str | None) -> tuple[SectionSummary, list[str]]:
    """Inline [n] markers move into `cites` (out-of-range numbers are kept so the check can reject them)."""

    def points(raw: list[str]) -> list[SummaryPoint]:
        out = []
        for entry in raw:
            cites, raw_text = parse_point(entry)
            inline = [int(m) for m in CITE_RE.findall(raw_text)]
            text = clean(CITE_RE.sub("", raw_text)).replace(" .", ".").replace(" ,", ",")
            out.append(SummaryPoint(text=text, cites=sorted(set(cites) | set(inline))))
        return out

    by_n: dict[int, str] = {}
    for entry in answer.tldr:
        parsed = parse_tldr(entry)
        if parsed is not None:
            by_n.setdefault(parsed[0], clean(parsed[1]))
    tldrs = [by_n.get(i, "") for i in range(1, n_sources + 1)]
    summary = SectionSummary(
        themes=points(answer.themes), events=points(answer.events), impact=points(answer.impact),
        bottom_line=points(answer.bottom_line), method="llm", model=model,
    )
    return summary, tldrs


def _answer_of(result: LLMResult) -> SummaryAnswer:
    if isinstance(result.data, SummaryAnswer):
        return result.data
    try:
        if isinstance(result.data, dict):
            return SummaryAnswer.model_validate(result.data)
        return SummaryAnswer.model_validate(parse_json_text(result.text))
    except ValueError as e:  # ValidationError is a ValueError
        detail = validation_message(e) if isinstance(e, ValidationError) else str(e)
        raise SummaryFailed("invalid-json", detail) from None


async def checked_summary(
    llm, base: list[Message], items: list[Item], language: str, config, *, purpose: str,
) -> tuple[SectionSummary, list[str]]:
    """Ask `llm` for a SummaryAnswer of `items` with the prompt `base`, check it (four parts, citations, language,
    no copy, links only to the sources) and ask once more with the reason if it cannot be used; SummaryFailed
    otherwise. Shared by the day's sections and the week's."""
    source_texts = [it.snippet or "" for it in items]
    source_urls = [u for it in items for u in (it.url, *(s.url for s in it.sightings),
                                                 *(s.discussion_url or "" for s in it.sightings))]
    # a Korean section of 8 sources needs ~1,500 output tokens; never ask for less than that
    max_out = max(config.llm.max_output_tokens, 700 + 180 * len(items))
    messages = base
    last: SummaryFailed | None = None
    for attempt in (1, 2):
        answer_text = ""
        try:
            result = await llm.complete(
                messages, schema=SummaryAnswer, purpose=purpose,
                temperature=config.llm.temperature, max_output_tokens=max_out,
            )
            answer_text = result.text or ""
            answer = _answer_of(result)
            summary, tldrs = to_summary(answer, len(items), result.model)
            failures = check_summary(summary, tldrs, len(items), language, source_texts, source_urls)
            if not failures:
                return summary, tldrs
            last = SummaryFailed(failures[0].code, "; ".join(f.detail for f in failures))
        except BudgetExceeded:
            raise SummaryFailed("budget", "LLM budget reached") from None
        except LLMFatal as e:
            raise SummaryFailed("llm-fatal", type(e).__name__) from None
        except LLMUnavailable as e:  # circuit breaker open / run deadline passed: no second try
            raise SummaryFailed("llm-offline", truncate(str(e), 160)) from None
        except SummaryFailed as e:
            last = e
        except LLMError as e:
            last = SummaryFailed("llm-error", truncate(str(e), 160))
        except Exception as e:  # a provider bug must not take the report down: retry, then offline
            last = SummaryFailed("llm-error", f"{type(e).__name__}: {truncate(str(e), 120)}")
        if attempt == 2:
            break
        feedback = (
            f"Your previous answer could not be used ({last.code}: {last.detail}). "
            "Answer again with one JSON object that follows the instructions exactly."
        )
        messages = list(base)
        if answer_text:
            messages.append(Message(role="assistant", content=answer_text[:ECHO_CHARS]))
        messages.append(Message(role="user", content=feedback))
    assert last is not None
    raise last


async def llm_summary(
    items: list[Item],
    ctx: DayContext,
    *,
    kind: str,
    category: str,
    category_name: str,
    category_description: str,
) -> tuple[SectionSummary, list[str]]:
    """A checked LLM summary of `items` (cited [1]..[len(items)]) by `ctx.llm` for `ctx.day` in `ctx.language`,
    or SummaryFailed after one retry."""
    day, language, config, llm = ctx.day, ctx.language, ctx.config, ctx.llm
    if llm is None:
        raise SummaryFailed("llm-offline", "no LLM configured")
    if len(items) > MAX_SOURCES:
        raise SummaryFailed("too-many-sources", f"{len(items)} > {MAX_SOURCES}")
    base = [
        Message(role="system", content=system_prompt(language)),
        Message(role="user", content=user_prompt(items, category_name, category_description, day, language)),
    ]
    return await checked_summary(llm, base, items, language, config, purpose=f"summarize:{kind}:{category}")
