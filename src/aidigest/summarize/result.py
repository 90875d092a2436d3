"""The one sentence of an item's text that states what it contributes or found (offline, no model).

An abstract usually opens with background ("Large language models have ...", "Recent advances in ...") and
states its contribution ("we propose X") and its result ("X outperforms Y by 12 %") later. The old TL;DR was
the first sentence, i.e. background in almost every paper. `result_sentence` scores every sentence of the
snippet/abstract by cue words and picks the best:

  +3.0  a reported result: a number with a unit (12 %, 2.6x, +4.3 points), "outperform", "state-of-the-art",
        "surpass"; or "results/experiments show|demonstrate", "we find/show that", "reveal(s)"
  +1.0  a weaker result verb ("improve", "reduce", "achieve", "faster") — +1.0 more next to a number
  +2.5  the contribution: "we propose/introduce/present/develop/release", "this paper/work introduces",
        "here we present", "announce", "launch", "unveil", "open-source"
  +3.0  Korean news: "결과", "발표", "공개", "출시", "달성", "선보", a number with %/배/억/만
  -2.5  background cues: "recent(ly)", "has/have (become|emerged|shown)", "increasingly", "however",
        "despite", "remain(s) (challenging|unclear|underexplored)", "struggle", "lack", "limited", a question
  -1.0  the opening sentence when it carries no cue of its own (it is background far more often than not)
  -4.0  boilerplate: code/data availability, URLs, "accepted at"

Ties go to the earlier sentence. Items without usable text get "" (the report then shows the title alone,
never the title twice). How well this picks was measured on the DEV papers (bench/result_sentences.py:
the share of picks that are the abstract's first sentence, and agreement with 50 hand-marked abstracts in
tests/data/result_sentences/).
"""

from __future__ import annotations

import re

from ..injection import instruction_like
from ..records import Item
from .text import looks_like_boilerplate, split_sentences, truncate

RESULT_MAX_CHARS = 300
MIN_CHARS = 20

_NUM_UNIT = re.compile(
    r"(?:\d+(?:\.\d+)?\s*(?:%|\\%|×|x\b|times\b|pp\b|points?\b|fold\b|-fold\b)|\+\d+(?:\.\d+)?|\bup to \d)", re.I
)
_RESULT_STRONG = re.compile(
    r"outperform|state[- ]of[- ]the[- ]art|\bsota\b|surpass|\bbeats?\b|new record|"
    r"\b(?:results?|experiments?|evaluations?|analys[ie]s|findings?|studies|benchmarks?)\b[^.]{0,60}?"
    r"\b(?:show|demonstrate|reveal|indicate|confirm|suggest|highlight|validate)|"
    r"\bwe (?:find|found|show|observe|demonstrate|establish|prove)\b|\breveals?\b|\bachiev\w* (?:a |an )?(?:new |mean |average )?"
    r"(?:state|sota|best|top|\d)",
    re.I,
)
_RESULT_WEAK = re.compile(
    r"\b(?:improv\w*|reduc\w*|speed-?ups?|faster|achiev\w*|gains?|accura\w*|superior|better|competitive|"
    r"comparable|significant(?:ly)?|effective(?:ness)?)\b",
    re.I,
)
_CONTRIB = re.compile(
    r"\b(?:we|this (?:paper|work|study|article|report|post)|here,? we|in this (?:paper|work|study),? we|"
    r"the (?:paper|study))\b[^.]{0,60}?"
    r"\b(?:propos|introduc|present|develop|design|releas|build|construct|buil|offer|creat|curat|collect|"
    r"formaliz|examin|investigat|stud|explor|assess|train|establish)\w*"
    r"|\b(?:announc|launch|unveil|open-sourc)\w*|\bnow available\b",
    re.I,
)
_KO_CUE = re.compile(r"결과|발표|공개|출시|달성|선보|밝혔|\d+(?:\.\d+)?\s*(?:%|배|억|만|조)")
_BACKGROUND = re.compile(
    r"\b(?:recent(?:ly)?|has (?:become|emerged|shown|attracted|gained)|have (?:become|emerged|shown|attracted|gained)|"
    r"increasingly|however|despite|although|remains? (?:challenging|unclear|underexplored|limited|an open)|"
    r"struggl\w*|lacks?|limited|plays? (?:a |an )?(?:critical|crucial|key|important|vital)|is (?:essential|crucial|critical)|"
    r"are (?:essential|crucial|critical)|widely (?:used|adopted)|growing)\b|\?$",
    re.I,
)
_BOILER = re.compile(r"\b(?:accepted (?:at|to|by)|camera-ready|code (?:is|are|will be) (?:publicly )?available|"
                     r"will be (?:made )?(?:publicly )?available|available at)\b", re.I)


def sentence_score(sentence: str, pos: int) -> float:
    s = sentence
    score = 0.0
    num = bool(_NUM_UNIT.search(s))
    strong = bool(_RESULT_STRONG.search(s)) or num
    if strong:
        score += 3.0
    elif _RESULT_WEAK.search(s):
        score += 1.0 + (1.0 if re.search(r"\d", s) else 0.0)
    contrib = bool(_CONTRIB.search(s))
    if contrib:
        score += 2.5
    if _KO_CUE.search(s):
        score += 3.0
    if _BACKGROUND.search(s):
        score -= 2.5
    if pos == 0 and not (strong or contrib):
        score -= 1.0
    if _BOILER.search(s) or looks_like_boilerplate(s):
        score -= 4.0
    return score


def candidate_sentences(text: str) -> list[str]:
    """Sentences of `text` the picker considers (in order), the same split as everywhere else."""
    return [s for s in split_sentences(text) if len(s) >= MIN_CHARS]


def pick_index(sentences: list[str]) -> int | None:
    """Index of the best sentence in `sentences`, None when there is none."""
    if not sentences:
        return None
    scores = [sentence_score(s, i) for i, s in enumerate(sentences)]
    return max(range(len(sentences)), key=lambda i: (scores[i], -i))


def result_sentence(item: Item, max_chars: int = RESULT_MAX_CHARS) -> str:
    """The item's contribution/result sentence (truncated), or "" when its text has no usable sentence or gives
    instructions to AI systems (aidigest.injection: such text is never quoted)."""
    if instruction_like(item.snippet) or instruction_like(item.title):
        return ""
    sents = candidate_sentences(item.snippet)
    i = pick_index(sents)
    if i is None:
        return ""
    s = sents[i]
    if looks_like_boilerplate(s) or _BOILER.search(s):
        return ""
    return truncate(s, max_chars)
