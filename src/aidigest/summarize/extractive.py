"""Offline summary: key sentences of the items' own snippets/abstracts, under the four headings, with [n].

Pure lexical (numpy only, no model download): sentences are TF-IDF vectors (plural-folded content words),
their centrality is the summed cosine similarity to the category's other sentences (continuous LexRank).

  주요 주제 / Key themes   terms shared by several items, weighted by rarity across the whole day
                           (the day's corpus document frequency), e.g. "Recurring topic “agents” in 3 items [1][2][4]";
                           with nothing shared: the top titles
  주요 사건 / Key events   per top item its key sentence (announcement cue "we propose/introduce/release" +
                           centrality within the item); items without text: title + signals (points, comments)
  영향 분석 / Impact       reported results ("outperforms", "3.5x", "improves 12%") from different items, and the
                           item with the most attention (HN points / HF upvotes / sources) — never generic filler
  최종 요약 / Bottom line  how many items the category had today + the day's most central sentence

The quoted sentences stay in their source language; the report labels the section as extractive and names
that language (see render). Connective text comes from `i18n.strings(language)`.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from ..digest import SectionSummary, SummaryPoint
from ..models import Item
from ..urls import host_of
from .i18n import guess_text_language, strings
from .text import clean, content_bigrams, content_words, looks_like_boilerplate, split_sentences, stem, truncate, words
from .tldr import extractive_tldr, item_signals

EVENTS_MAX = 5
THEMES_MAX = 3
RESULTS_MAX = 2
SENTENCE_MAX_CHARS = 320
SENTENCE_MIN_CHARS = 25
SENTENCE_RAW_MAX_CHARS = 450  # longer "sentences" are run-on lists or markup: not quoted

_PROPOSE = re.compile(
    r"\b(?:we|this (?:paper|work|study|article|post)|here,? we|in this (?:paper|work),? we)\b[^.]{0,80}?"
    r"\b(?:propose|introduce|present|develop|design|release|build|construct|study|show)"
    r"|\b(?:announc|launch|releas|unveil|open-sourc)",
    re.I,
)
_LIST_DASH = re.compile(r"(?:^|\s)-\s+[A-Z]")  # "... depth-limited - Persistent memory": a flattened list

# a reported result: a number with a unit, or a strong comparative; weaker verbs count only next to a number
_RESULT_STRONG = re.compile(
    r"\d+(?:\.\d+)?\s*(?:%|x\b|×|times\b|pp\b|points?\b)|outperform|state-of-the-art|\bsota\b|surpass|"
    r"\bbeats?\b|new record",
    re.I,
)
_RESULT_WEAK = re.compile(r"improv(?:e|es|ed|ing|ement)|reduc(?:e|es|ed|ing|tion)|speed-?up|faster|achiev|gain", re.I)


def is_result(sentence: str) -> bool:
    return bool(_RESULT_STRONG.search(sentence) or (_RESULT_WEAK.search(sentence) and re.search(r"\d", sentence)))


# ---- corpus document frequency (for theme terms) ---------------------------------------------------
def item_terms(item: Item) -> dict[str, str]:
    """term key -> surface form: plural-folded content unigrams (> 2 letters) and in-clause bigrams of
    title + snippet. Keys of terms that occur in the title are marked by `title_terms`."""
    out: dict[str, str] = {}
    for text in (item.title, item.snippet):
        for w in content_words(text):
            if len(w) > 2:
                out.setdefault(stem(w), stem(w) if re.match(r"[가-힣]", w) else w)
        for a, b in content_bigrams(text):
            if len(b) > 2:
                out.setdefault(f"{stem(a)} {stem(b)}", f"{a} {b}")
    return out


def title_terms(item: Item) -> set[str]:
    keys = {stem(w) for w in content_words(item.title) if len(w) > 2}
    keys |= {f"{stem(a)} {stem(b)}" for a, b in content_bigrams(item.title) if len(b) > 2}
    return keys


@dataclass
class DocFreq:
    """How many of the day's items (of one kind) contain each term."""

    n_docs: int = 0
    df: Counter = field(default_factory=Counter)

    @classmethod
    def from_items(cls, items: list[Item]) -> DocFreq:
        d = cls(n_docs=len(items))
        for it in items:
            d.df.update(item_terms(it).keys())
        return d

    def idf(self, term: str) -> float:
        return math.log((self.n_docs + 1) / (self.df.get(term, 0) + 1)) + 1.0


def title_keywords(item: Item, corpus_df: DocFreq, k: int = 3) -> list[str]:
    """The `k` rarest content words of the title (Korean particles stripped), in title order."""
    seen: dict[str, tuple[float, int, str]] = {}
    for pos, w in enumerate(content_words(item.title)):
        if len(w) < 3 and not re.match(r"[가-힣]", w):
            continue
        key = stem(w)
        surface = key if re.match(r"[가-힣]", w) else w
        if key not in seen:
            seen[key] = (corpus_df.idf(key), pos, surface)
    best = sorted(seen.values(), key=lambda v: (-v[0], v[1]))[:k]
    return [v[2] for v in sorted(best, key=lambda v: v[1])]


# ---- sentences ---------------------------------------------------------------------------------------
@dataclass
class _Sent:
    text: str
    item: int  # index into items
    pos: int  # position within the item's snippet
    tokens: list[str]


def _sentences(items: list[Item]) -> list[_Sent]:
    out: list[_Sent] = []
    for i, it in enumerate(items):
        pos = 0
        for s in split_sentences(it.snippet):
            if not SENTENCE_MIN_CHARS <= len(s) <= SENTENCE_RAW_MAX_CHARS or looks_like_boilerplate(s):
                continue
            letters = sum(ch.isalpha() or ch.isspace() for ch in s)
            if letters < 0.85 * len(s) or "{{" in s or _LIST_DASH.search(s):
                continue
            toks = [stem(w) for w in content_words(s)]
            if len(toks) < 3:
                continue
            out.append(_Sent(truncate(s, SENTENCE_MAX_CHARS), i, pos, toks))
            pos += 1
    return out


def _centrality(sents: list[_Sent]) -> tuple[np.ndarray, np.ndarray]:
    """(global centrality in [0,1], similarity matrix) over the category's sentences."""
    vocab: dict[str, int] = {}
    for s in sents:
        for t in s.tokens:
            vocab.setdefault(t, len(vocab))
    m = np.zeros((len(sents), len(vocab)), dtype=np.float64)
    for r, s in enumerate(sents):
        for t, c in Counter(s.tokens).items():
            m[r, vocab[t]] = c / len(s.tokens)
    sdf = (m > 0).sum(axis=0)
    m *= np.log((len(sents) + 1) / (sdf + 1)) + 1.0
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    m /= norms
    sim = m @ m.T
    np.fill_diagonal(sim, 0.0)
    cen = sim.sum(axis=1)
    top = cen.max() if len(cen) else 0.0
    return (cen / top if top > 0 else cen), sim


# ---- the summary -------------------------------------------------------------------------------------
def extractive_summary(
    items: list[Item], total: int, language: str, corpus_df: DocFreq | None = None
) -> tuple[SectionSummary, list[str]]:
    """(summary, one TL;DR per item) for a category's top `items` (cited as [1]..[len(items)])."""
    if not items:
        raise ValueError("extractive_summary needs at least one item")
    t = strings(language)
    corpus_df = corpus_df or DocFreq.from_items(items)
    sents = _sentences(items)
    cen, sim = _centrality(sents) if sents else (np.zeros(0), np.zeros((0, 0)))
    used: set[int] = set()
    quoted: list[tuple[str, str]] = []  # (text, item language) of every quoted sentence / title

    def quote(idx: int) -> str:
        used.add(idx)
        s = sents[idx]
        quoted.append((s.text, items[s.item].language))
        return s.text

    def title_of(i: int) -> str:
        quoted.append((items[i].title, items[i].language))
        return truncate(clean(items[i].title), 200)

    # -- key events: one key sentence per top item (title + signals when the item has no text)
    events: list[SummaryPoint] = []
    for i in range(min(EVENTS_MAX, len(items))):
        own = [k for k, s in enumerate(sents) if s.item == i]
        if own:
            def score(k: int) -> float:
                within = float(sim[k, own].sum()) / max(len(own) - 1, 1)
                return within + (0.6 if _PROPOSE.search(sents[k].text) else 0.0) + (0.15 if sents[k].pos == 0 else 0.0)

            best = max(own, key=lambda k: (score(k), -k))
            events.append(SummaryPoint(text=quote(best), cites=[i + 1]))
        else:
            sig = item_signals(items[i], language)
            events.append(SummaryPoint(text=title_of(i) + (f" ({sig})" if sig else ""), cites=[i + 1]))

    # -- key themes: terms shared by several items, rare across the day
    themes: list[SummaryPoint] = []
    if len(items) >= 2:
        per_item = [item_terms(it) for it in items]
        in_titles: set[str] = set().union(*(title_terms(it) for it in items))
        holders: dict[str, list[int]] = {}
        for i, terms in enumerate(per_item):
            for term in terms:
                holders.setdefault(term, []).append(i)
        cands = []
        for term, idxs in holders.items():
            if len(idxs) < 2 or term not in in_titles:
                continue
            weight = len(idxs) * corpus_df.idf(term) * (1.5 if " " in term else 1.0)
            cands.append((-weight, term))
        cands.sort()
        chosen: list[tuple[str, list[int], str]] = []  # (term key, holders, surface)

        def surface_of(term: str, idxs: list[int]) -> str:
            return Counter(per_item[i][term] for i in idxs).most_common(1)[0][0]

        for _, term in cands:
            idxs = holders[term]
            words_t = term.split()
            if any(set(words_t) <= set(c.split()) and len(set(idxs) - set(ci)) <= 1 for c, ci, _ in chosen):
                continue  # "language" after "large language models" in (about) the same items: nothing new
            overlap = [j for j, (c, ci, _) in enumerate(chosen) if set(words_t) & set(c.split()) and set(idxs) <= set(ci)]
            if overlap:  # "language models" after "large language" in the same items: one phrase, not two
                j = overlap[0]
                c, ci, surf = chosen[j]
                if len(words_t) == 2 and c.split()[-1] == words_t[0] and len(c.split()) == 2:
                    key3 = f"{c} {words_t[1]}"
                    have = [i for i in ci if f" {key3} " in f" {' '.join(stem(w) for w in words(items[i].title + ' . ' + items[i].snippet))} "]
                    if len(have) >= max(2, len(ci) - 1):
                        chosen[j] = (key3, have, f"{surf} {surface_of(term, idxs).split()[-1]}")
                continue
            chosen.append((term, idxs, surface_of(term, idxs)))
            if len(chosen) >= THEMES_MAX:
                break
        for _, idxs, surface in chosen:
            themes.append(
                SummaryPoint(text=t.recurring_term.format(term=surface, n=len(idxs)), cites=[i + 1 for i in idxs])
            )
    if not themes:  # nothing shared: each top item's rarest title words
        for i in range(min(THEMES_MAX, len(items))):
            kws = title_keywords(items[i], corpus_df)
            text = t.keywords.format(terms=", ".join(kws)) if kws else title_of(i)
            themes.append(SummaryPoint(text=text, cites=[i + 1]))

    # -- impact: reported results from different items, and where the attention went
    impact: list[SummaryPoint] = []
    result_idx = [k for k, s in enumerate(sents) if k not in used and is_result(s.text)]
    result_idx.sort(key=lambda k: (-(cen[k] + (0.3 if sents[k].item == 0 else 0.0)), k))
    seen_items: set[int] = set()
    for k in result_idx:
        if sents[k].item in seen_items:
            continue
        seen_items.add(sents[k].item)
        impact.append(SummaryPoint(text=quote(k), cites=[sents[k].item + 1]))
        if len(impact) >= RESULTS_MAX:
            break
    attention = [
        (-(it.hn_points or 0) - (it.hf_upvotes or 0) - 10 * (len(it.sources) - 1), i)
        for i, it in enumerate(items)
        if (it.hn_points or it.hf_upvotes or len(it.sources) > 1)
    ]
    if attention:
        i = min(attention)[1]
        sig = item_signals(items[i], language)
        if len(items) > 1:
            text = t.most_attention.format(title=title_of(i)) + (f" ({sig})" if sig else "")
        else:
            text = t.attention.format(signals=sig)
        impact.append(SummaryPoint(text=text, cites=[i + 1]))
    if not impact:  # no results, no signals: say where the items come from (a fact, not filler)
        hosts: dict[str, list[int]] = {}
        for i, it in enumerate(items):
            hosts.setdefault(host_of(it.url) or it.url, []).append(i + 1)
        shown = list(hosts)[:4]
        impact.append(SummaryPoint(text=t.reported_by.format(hosts=", ".join(shown)),
                                   cites=sorted(c for h in shown for c in hosts[h])))

    # -- bottom line: size of the category today + the most central sentence not quoted yet
    k = len(items)
    count = t.all_items.format(n=k) if total <= k else t.top_items.format(n=total, k=k)
    bottom = [SummaryPoint(text=count, cites=list(range(1, k + 1)))]
    rest = [j for j in range(len(sents)) if j not in used]
    if rest:
        j = max(rest, key=lambda j: (cen[j], -j))
        bottom.append(SummaryPoint(text=quote(j), cites=[sents[j].item + 1]))

    langs = Counter(guess_text_language(text, default=lang) for text, lang in quoted)
    source_language = langs.most_common(1)[0][0] if langs else None
    summary = SectionSummary(
        themes=themes, events=events, impact=impact, bottom_line=bottom, method="extractive",
        source_language=source_language,
    )
    return summary, [extractive_tldr(it) for it in items]
