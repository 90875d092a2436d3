"""Checks a category summary must pass before it is written.

`check_summary` (LLM output): every failure as a `CheckFailure(code, detail)`; codes, in the order checked:
  parts      a part (themes/events/impact/bottom line) is missing or has no point
  empty      a point has no text
  citations  a [n] outside 1..len(sources), or a point that cites nothing
  language   the text is not in the report language (Hangul ≥ 0.3 of letters for ko; script rules in i18n)
  copy       the summary is largely a copy of one source text (8-gram overlap ≥ 0.5)
  filler     generic impact talk: one point naming ≥ 3 of economy/politics/society/environment/culture,
             or ≥ 2 impact points opening with such a domain label ("경제: ...", "Social impact: ...")
  tldr       not exactly one non-empty TL;DR per source
  tldr_language, tldr_copy   TL;DRs not in the report language / copied from the item's own text
  url        a URL (http(s)://..., www...., or host.tld/path) in a point or TL;DR that is not one of the
             section's source links (a model obeying injected text must not publish a phishing link)

`final_guard` is the last line of defence for EVERY section (LLM or extractive): four non-empty parts,
valid citations. It raises `SectionInvariantError`; the orchestrator makes sure it never fires.
"""

from __future__ import annotations

from ..errors import InternalError

import re
from dataclasses import dataclass

from ..report import SectionSummary
from ..injection import normalize_lookalikes
from .i18n import language_check
from .text import clean, ngrams, split_sentences, words

PART_NAMES = ("themes", "events", "impact", "bottom_line")
COPY_NGRAM = 8
COPY_MAX_SHARE = 0.5
TLDR_NGRAM = 6
TLDR_COPY_SHARE = 0.6
TLDR_MIN_WORDS_FOR_COPY = 6

CITE_RE = re.compile(r"\[(\d{1,3})\]")

_DOMAINS = {
    "economy": r"경제|econom",
    "politics": r"정치|politic",
    "society": r"사회|social|societ",
    "environment": r"환경|environment",
    "culture": r"문화|cultur",
}
_DOMAIN_LABEL = re.compile(
    r"^\s*(?:\*\*)?\s*(?:경제|정치|사회|환경|문화|economic|economy|political|politics|social|societal|society|"
    r"environmental|environment|cultural|culture)(?:적)?(?:\s*(?:영향|impact|측면|effects?))?\s*(?:\*\*)?\s*[:：]",
    re.I,
)


@dataclass(frozen=True)
class CheckFailure:
    code: str
    detail: str

    def __str__(self) -> str:
        return f"{self.code}: {self.detail}"


class SectionInvariantError(InternalError, AssertionError):
    """A section about to be written is empty or has broken citations (a bug: must never happen)."""


def _text(summary: SectionSummary) -> str:
    return " ".join(p.text for part in summary.parts() for p in part)


def strip_cites(text: str) -> str:
    return clean(CITE_RE.sub(" ", text))


def check_parts(summary: SectionSummary) -> list[CheckFailure]:
    out = []
    for name, part in zip(PART_NAMES, summary.parts(), strict=True):
        if not part:
            out.append(CheckFailure("parts", f"'{name}' has no points"))
    for name, part in zip(PART_NAMES, summary.parts(), strict=True):
        for p in part:
            if not strip_cites(p.text):
                out.append(CheckFailure("empty", f"a point in '{name}' has no text"))
                break
    return out


def check_citations(summary: SectionSummary, n_sources: int) -> list[CheckFailure]:
    out = []
    for name, part in zip(PART_NAMES, summary.parts(), strict=True):
        for p in part:
            inline = [int(m) for m in CITE_RE.findall(p.text)]
            bad = sorted({c for c in list(p.cites) + inline if not 1 <= c <= n_sources})
            if bad:
                out.append(CheckFailure("citations", f"'{name}' cites {bad}, sources are [1]..[{n_sources}]"))
                return out
            if not p.cites and not inline:
                out.append(CheckFailure("citations", f"a point in '{name}' cites no source"))
                return out
    return out


def check_language(summary: SectionSummary, language: str) -> list[CheckFailure]:
    ok, _, desc = language_check(strip_cites(_text(summary)), language)
    return [] if ok else [CheckFailure("language", f"not written in '{language}' ({desc})")]


def copy_share(text: str, source: str, n: int = COPY_NGRAM) -> float:
    """Share of `text`'s word n-grams that also occur in `source` (0 when `text` is shorter than n words)."""
    a = ngrams(words(text), n)
    if not a:
        return 0.0
    return len(a & ngrams(words(source), n)) / len(a)


def check_copy(summary: SectionSummary, source_texts: list[str]) -> list[CheckFailure]:
    text = strip_cites(_text(summary))
    for i, src in enumerate(source_texts, start=1):
        if not src:
            continue
        share = copy_share(text, src)
        if share >= COPY_MAX_SHARE:
            return [CheckFailure("copy", f"{share:.0%} of the summary's {COPY_NGRAM}-word runs are copied from source [{i}]")]
    return []


def check_filler(summary: SectionSummary) -> list[CheckFailure]:
    labelled = 0
    for p in summary.impact:
        hits = [d for d, rx in _DOMAINS.items() if re.search(rx, p.text, re.I)]
        if len(hits) >= 3:
            return [CheckFailure("filler", f"generic impact statement naming {', '.join(hits)}")]
        if _DOMAIN_LABEL.match(p.text):
            labelled += 1
    if labelled >= 2:
        return [CheckFailure("filler", f"{labelled} impact points are generic domain labels (economy/society/...)")]
    return []


def check_tldrs(tldrs: list[str], n_sources: int, language: str, source_texts: list[str]) -> list[CheckFailure]:
    if len(tldrs) != n_sources or any(not clean(t) for t in tldrs):
        filled = sum(1 for t in tldrs if clean(t))
        return [CheckFailure("tldr", f"{filled} non-empty TL;DRs for {n_sources} sources")]
    ok, _, desc = language_check(" ".join(tldrs), language)
    if not ok:
        return [CheckFailure("tldr_language", f"TL;DRs not written in '{language}' ({desc})")]
    for i, (tl, src) in enumerate(zip(tldrs, source_texts, strict=True), start=1):
        tw = words(tl)
        if len(tw) < TLDR_MIN_WORDS_FOR_COPY or not src:
            continue
        sents = [words(s) for s in split_sentences(src)]
        if any(tw == s for s in sents) or copy_share(tl, src, TLDR_NGRAM) >= TLDR_COPY_SHARE:
            return [CheckFailure("tldr_copy", f"TL;DR [{i}] is copied from its source text")]
    return []


_URL_RE = re.compile(
    r"(?i)\b(?:https?://|www\.)[^\s<>()\[\]{}\"'`]+|\b(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}/[^\s<>()\[\]{}\"'`]*"
)


def _url_key(url: str) -> str:
    u = url.strip().rstrip(".,;:!?…").lower()
    u = re.sub(r"^https?://", "", u)
    u = re.sub(r"^www\.", "", u)
    return u.rstrip("/")


def check_urls(summary: SectionSummary, tldrs: list[str], source_urls: list[str]) -> list[CheckFailure]:
    allowed = {_url_key(u) for u in source_urls if u}
    texts = [p.text for part in summary.parts() for p in part] + list(tldrs)
    for text in texts:
        for m in _URL_RE.finditer(normalize_lookalikes(text)):
            if _url_key(m.group(0)) not in allowed:
                return [CheckFailure("url", f"the text contains a link that is not one of the sources: {m.group(0)[:80]}")]
    return []


def check_summary(
    summary: SectionSummary, tldrs: list[str], n_sources: int, language: str, source_texts: list[str],
    source_urls: list[str] | None = None,
) -> list[CheckFailure]:
    """All failures of an LLM-written section (empty list = pass). `source_texts[i]` = text of source [i+1];
    `source_urls`: every link of the section's sources (item, sighting and discussion URLs)."""
    structural = check_parts(summary)
    if structural:
        return structural
    for check in (
        lambda: check_citations(summary, n_sources),
        lambda: check_language(summary, language),
        lambda: check_copy(summary, source_texts),
        lambda: check_filler(summary),
        lambda: check_tldrs(tldrs, n_sources, language, source_texts),
        lambda: check_urls(summary, tldrs, source_urls or []),
    ):
        failures = check()
        if failures:
            return failures
    return []


def final_guard(summary: SectionSummary, tldrs: list[str], n_sources: int) -> None:
    """Raise SectionInvariantError unless the section has four non-empty parts, valid citations, all TL;DRs."""
    if n_sources < 1:
        raise SectionInvariantError("a section without sources")
    problems = check_parts(summary) + check_citations(summary, n_sources)
    if len(tldrs) != n_sources or any(not clean(t) for t in tldrs):
        problems.append(CheckFailure("tldr", f"{len(tldrs)} TL;DRs for {n_sources} sources"))
    if problems:
        raise SectionInvariantError("; ".join(str(p) for p in problems))
