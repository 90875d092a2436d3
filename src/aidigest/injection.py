"""Fetched text that tries to talk to an AI: normalization of look-alike characters and a detector.

`normalize_lookalikes(text)` folds the characters a page can use to disguise a delimiter or a phrase:
NFKC (fullwidth `＜／untrusted-text＞` -> `</untrusted-text>`), zero-width characters and the soft hyphen
removed, every Unicode dash and minus mapped to `-`. `aidigest.llm.prompts.wrap_untrusted` normalizes
before it defuses delimiters; the detector normalizes before it matches.

`instruction_like(text)` returns the phrase when the text addresses instructions to a model ("ignore all
previous instructions", "you are now ...", "system prompt:", chat-template tokens, Korean equivalents), else
None. The summarizer flags such items in run health and the extractive path never quotes them as an event,
a TL;DR or any other sentence (see aidigest.summarize). A news story ABOUT prompt injection that quotes such
a phrase is flagged too: it is listed, only not quoted.
"""

from __future__ import annotations

import re
import unicodedata
from types import MappingProxyType

# zero-width space/non-joiner/joiner, word joiner, BOM, soft hyphen, Mongolian vowel separator, invisible operators
_INVISIBLE = MappingProxyType(dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e\u2061\u2062\u2063\u2064"), None))
# hyphen, non-breaking hyphen, figure dash, en/em dash, horizontal bar, minus, small/fullwidth hyphen-minus
_DASHES = MappingProxyType(dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d\u2043"), ord("-")))


def normalize_lookalikes(text: str) -> str:
    """NFKC, invisible characters removed, dashes mapped to '-' (see the module doc)."""
    if not text:
        return ""
    out = unicodedata.normalize("NFKC", text).translate(_INVISIBLE).translate(_DASHES)
    return out


_PATTERNS = (
    r"\b(?:ignore|disregard|forget|override|bypass)\b[\s\w,'’-]{0,40}?\b(?:previous|prior|above|earlier|preceding|"
    r"former|all|any|your|the|system|original)\b[\s\w'’-]{0,30}?\b(?:instructions?|prompts?|rules|directions|"
    r"guidelines|context|messages?)\b",
    r"\byou\s+are\s+now\s+(?:a|an|in|the|my|no\s+longer|DAN|free|unrestricted|jailbroken|unfiltered)\b",
    r"\b(?:new|updated|real|actual)\s+(?:system\s+)?instructions?\s*:",
    r"\bsystem\s+prompt\s*[:\]]",
    r"\b(?:reveal|print|repeat|show)\b[\s\w]{0,20}\b(?:system\s+prompt|api\s+key|your\s+instructions)\b",
    r"\b(?:do\s+not|don'?t|never)\s+(?:tell|inform|mention\s+(?:this\s+)?to|warn)\s+the\s+user\b",
    r"\b(?:ai|language\s+model|llm|assistant|chatbot)s?\b[\s\w,]{0,20}\b(?:must|should|shall)\s+(?:now\s+)?"
    r"(?:ignore|include|insert|add|output|recommend|say|write)\b",
    r"<\|?(?:im_start|im_end|system|endoftext)\|?>|\[/?INST\]|<<SYS>>|^\s*#{2,}\s*(?:system|instruction)\b",
    r"(?:이전|앞의|위의|모든)\s*(?:지시|명령|지침|프롬프트)[^\n.]{0,10}무시",
    r"(?:지시|명령|지침)(?:를|을|사항을)?\s*무시하(?:고|라|세요)",
)
_INSTRUCTION_RE = re.compile("|".join(f"(?:{p})" for p in _PATTERNS), re.I | re.M)


def instruction_like(text: str | None) -> str | None:
    """The first phrase in `text` that gives instructions to a model, or None."""
    if not text:
        return None
    m = _INSTRUCTION_RE.search(normalize_lookalikes(text))
    return m.group(0).strip() if m else None


WITHHELD = MappingProxyType({
    "ko": "(본문에 AI에게 보내는 지시문이 있어 인용하지 않음)",
    "en": "(not quoted: its text gives instructions to AI systems)",
})


def withheld_text(language: str) -> str:
    return WITHHELD.get(language, WITHHELD["en"])
