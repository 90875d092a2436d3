"""Run health for the reader: what each source did, in words. The raw error text stays in the JSON export
(`health.outcomes[].error`); the report says what kind of failure it was.

    techreview_kr: 녹화본에 이 요청이 없어 가져오지 못함 (0건)
    arxiv: 실패 — 응답 시간 초과
"""

from __future__ import annotations

import re

from ..records import SourceOutcome
from ..summarize.header import source_name

_KO_STATUS = {"ok": "정상", "empty": "새 항목 없음", "failed": "실패", "no_recording": "녹화본에 없음", "skipped": "건너뜀"}
_EN_STATUS = {"ok": "ok", "empty": "nothing new", "failed": "failed", "no_recording": "not in the recording",
              "skipped": "skipped"}

# (pattern over the raw error, Korean, English): first match wins
_KINDS: list[tuple[re.Pattern[str], str, str]] = [
    (re.compile(r"not in the recording", re.I), "녹화본에 이 요청의 응답이 없음", "the recording has no response for this request"),
    (re.compile(r"timed? ?out|timeout", re.I), "응답 시간 초과", "the server did not answer in time"),
    (re.compile(r"\b429\b|rate.?limit", re.I), "요청이 너무 많아 서버가 거절함 (429)", "rate-limited by the server (429)"),
    (re.compile(r"\bHTTP (\d{3})\b|\bstatus(?: code)?:? (\d{3})\b|\b(5\d\d|4\d\d) [A-Z]", re.I),
     "서버가 오류 코드 {code}로 응답함", "the server answered with error {code}"),
    (re.compile(r"too large|size cap", re.I), "응답이 너무 커서 건너뜀", "the response was too large"),
    (re.compile(r"connect|resolve|name or service|network|unreachable|refused", re.I),
     "서버에 연결하지 못함", "could not connect to the server"),
    (re.compile(r"pars|xml|json|decode|malformed|unexpected", re.I), "응답을 해석하지 못함", "could not read the response"),
]


def error_words(error: str | None, language: str) -> str:
    """What kind of failure `error` (a raw message) is, in the report language."""
    if not error:
        return ""
    for rx, ko, en in _KINDS:
        m = rx.search(error)
        if m:
            text = ko if language == "ko" else en
            if "{code}" in text:
                code = next((g for g in m.groups() if g), "?")
                text = text.format(code=code)
            return text
    return "알 수 없는 오류 (원문은 JSON 내보내기에 있음)" if language == "ko" else "an error (raw text in the JSON export)"


def outcome_line(o: SourceOutcome, language: str) -> str:
    """One plain line about a source's outcome (no raw error text, no URL)."""
    ko = language == "ko"
    status = (_KO_STATUS if ko else _EN_STATUS).get(o.status, o.status)
    name = source_name(o.source) or o.source
    count = f"{o.items}건" if ko else f"{o.items} items"
    line = f"{name} ({o.kind}): {status}, {count}"
    why = error_words(o.error, language)
    if why:
        line += f" — {why}"
    return line


# Run-health notes are written in English by the stages (and kept so in the JSON export and the run record); the
# ones a reader meets on an ordinary day are said in the report language. (pattern over the note, Korean text)
_KO_NOTES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^deliveries that failed and are retried by the next notify: (\d+) \((.*)\)$"),
     "전송에 실패해 다음 notify 때 다시 보낼 보고서 {0}건 ({1})"),
    (re.compile(r"^near-duplicates merged: (\d+)$"), "거의 같은 항목을 하나로 합침: {0}건"),
    (re.compile(r"^(news|paper): (\d+) duplicate item\(s\) handed to the digest, shown once$"),
     "{0}: 중복으로 들어온 항목 {1}건은 한 번만 표시"),
]


_KO_KIND = {"news": "뉴스", "paper": "논문"}


def note_words(note: str, language: str) -> str:
    """A run-health note in the report language where it is one of the known ones (else as written)."""
    if language != "ko":
        return note
    for rx, ko in _KO_NOTES:
        m = rx.match(note)
        if m:
            return ko.format(*(re.sub(r"\b(news|paper)\b", lambda k: _KO_KIND[k.group(1)], g) for g in m.groups()))
    return note
