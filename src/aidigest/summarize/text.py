"""Plain-text helpers for the summarizers: sentences, word tokens, n-grams. Whitespace and cutting are the
shared ones of aidigest.text (`clean` is its `normalize_space`, `truncate` its `truncate`)."""

from __future__ import annotations

import re

from ..text import normalize_space as clean
from ..text import truncate as truncate
# a sentence ends at . ! ? (or CJK full stops) followed by space and something that can start a sentence
_BOUNDARY = re.compile(r"(?<=[.!?。！？])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9가-힣\u3040-\u30ff\u4e00-\u9fff])")
_CJK_STOP = re.compile(r"(?<=[。！？])(?=\S)")
_ABBREV = re.compile(r"(?:\b(?:e\.g|i\.e|et al|vs|Fig|Figs|Eq|Eqs|etc|cf|approx|No|Mr|Mrs|Ms|Dr|Prof|Sec|resp|al|St|Inc|Ltd|Co|U\.S)\.|\b[A-Z]\.)$")
_WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*|[가-힣]+|[\u3040-\u30ff]+|[\u4e00-\u9fff]+")
_URLISH = re.compile(r"https?://|www\.|github\.com|\.git\b", re.I)

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before being below
    between both but by can could did do does doing down during each either few for from further had has have
    having he her here hers herself him himself his how however i if in into is it its itself just less let
    like may me might more most much must my myself neither no nor not now of off on once one only or other
    our ours ourselves out over own per same she should since so some such than that the their theirs them
    themselves then there these they this those through thus to too under until up upon us very via was we
    were what when where which while who whom whose why will with within without would yet you your yours
    yourself yourselves new using use used based two three first second across among toward towards onto
    show shows shown propose proposes proposed present presents introduce introduces paper work study
    approach approaches method methods framework results result task tasks existing novel
    recent recently significant significantly various different including well often make makes made
    enable enables problem problems performance demonstrate demonstrates achieve achieves state art via
    further many however thereby whether still even way ways given known several key important
    show hn ask hn launch get got know think want need go going see really thing things lot way able
    would could one just also today yesterday year years day days people time hey hi im ive we're it's
    """.split()
)


def split_sentences(text: str) -> list[str]:
    """Sentences of `text` (whitespace collapsed); abbreviations like "e.g." and "et al." do not split."""
    text = clean(text)
    if not text:
        return []
    text = _CJK_STOP.sub(" ", text)
    pieces = _BOUNDARY.split(text)
    out: list[str] = []
    for p in pieces:
        p = p.strip()
        if not p:
            continue
        if out and _ABBREV.search(out[-1]):
            out[-1] = f"{out[-1]} {p}"
        else:
            out.append(p)
    return out


def words(text: str) -> list[str]:
    """Lower-cased word tokens (Latin alphanumerics, Hangul runs, kana runs, Han runs)."""
    return _WORD.findall((text or "").lower())


_KO_PARTICLE = re.compile(r"(?<=[가-힣])(?:으로|에서|에게|까지|부터|이라|처럼|보다|은|는|이|가|을|를|에|의|로|와|과|도|만)$")


def stem(w: str) -> str:
    """A very small folding so "agents"/"agent" and "규제에"/"규제를" count as one term."""
    if len(w) > 2 and "\uac00" <= w[-1] <= "\ud7a3":
        return _KO_PARTICLE.sub("", w)
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        return w[:-1]
    return w


def is_content(w: str) -> bool:
    return w not in STOPWORDS and len(w) > 1 and not w.isdigit()


def content_words(text: str) -> list[str]:
    return [w for w in words(text) if is_content(w)]


_CLAUSE = re.compile(r"[,.;:!?()\[\]{}\"“”‘’|/–—]+|\s-\s")


def content_bigrams(text: str) -> list[tuple[str, str]]:
    """Adjacent word pairs within one clause where both words are content words ("language models")."""
    out = []
    for clause in _CLAUSE.split((text or "").lower()):
        toks = words(clause)
        out += [(a, b) for a, b in zip(toks, toks[1:]) if is_content(a) and is_content(b)]
    return out


def ngrams(tokens: list[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)}


def looks_like_boilerplate(sentence: str) -> bool:
    """Code/data availability notes, URLs, license lines: not summary material."""
    s = sentence.lower()
    if _URLISH.search(sentence):
        return True
    return s.startswith(("code is available", "code and data", "our code", "the code", "project page", "data and code", "all code"))
