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

An item whose text gives instructions to AI systems (aidigest.injection) is never quoted: its sentences are
left out, its event and TL;DR say it was withheld, its title is not used as a quote.

The quoted sentences stay in their source language; the report labels the section as extractive and names
that language (see render). Connective text comes from `i18n.strings(language)`.
"""

from __future__ import annotations

import math
import re
from array import array
from collections import Counter
from dataclasses import dataclass, field
from itertools import repeat

import numpy as np

from ..report import SectionSummary, SummaryPoint
from ..injection import instruction_like, withheld_text
from ..records import Item
from ..urls import host_of
from .i18n import Strings, guess_text_language, strings
from .text import (
    _CLAUSE,
    _KO_PARTICLE,
    _WORD,
    clean,
    content_bigrams,
    content_words,
    is_content,
    looks_like_boilerplate,
    split_sentences,
    stem,
    truncate,
    words,
)
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
    """How many of the day's items (of one kind) contain each term.

    `from_items` counts every term of every item. `for_terms` counts only the terms a summary will look up
    (those of the items it summarizes: `needed_terms`), with the same counts: a big day's summaries look up a
    small share of its terms, so most of the tokenizing and counting is skipped (the scale bench's digest stage,
    bench/results). A term outside that set is counted when first asked for."""

    n_docs: int = 0
    df: Counter = field(default_factory=Counter)
    terms: set[str] | None = None  # None: df has every term; else df is exact for these terms only
    corpus: list[Item] | None = field(default=None, repr=False)  # kept by for_terms, to count more terms

    @classmethod
    def from_items(cls, items: list[Item]) -> DocFreq:
        d = cls(n_docs=len(items))
        for it in items:
            d.df.update(item_terms(it).keys())
        return d

    @classmethod
    def for_terms(cls, items: list[Item], terms: set[str] | frozenset[str]) -> DocFreq:
        d = cls(n_docs=len(items), terms=set(), corpus=list(items))
        d.add_terms(terms)
        return d

    def add_terms(self, terms: set[str] | frozenset[str]) -> None:
        """Count `terms` too (only meaningful for a `for_terms` frequency; `from_items` has them all)."""
        if self.terms is None or self.corpus is None:
            return
        new = set(terms) - self.terms
        if new:
            self.df.update(_count_terms(self.corpus, new))
            self.terms |= new

    def idf(self, term: str) -> float:
        if self.terms is not None and term not in self.terms:
            self.add_terms({term})
        return math.log((self.n_docs + 1) / (self.df.get(term, 0) + 1)) + 1.0


def needed_terms(items: list[Item]) -> set[str]:
    """Every term key `extractive_summary` may look up the document frequency of for these items: their
    `item_terms` (themes) and the keys of their title words (`title_keywords`)."""
    out: set[str] = set()
    for it in items:
        out.update(item_terms(it).keys())
        out.update(stem(w) for w in content_words(it.title))
    return out


# The restricted count (`DocFreq.for_terms`) finds which of the wanted keys `item_terms` would give each item,
# without building all its terms. Exact, because:
#  - a key's surface words can be listed: `stem` only drops a final "s", turns "ies" into "y" or drops one
#    Korean particle, so every w with stem(w) == k is among k, k+"s", k[:-1]+"ies", k+particle (each candidate
#    is checked with `stem` itself, and with the content-word and length rules of `item_terms`);
#  - `content_bigrams` pairs adjacent words within a clause: in one token stream where every clause separator
#    is the token "0" (a digit: never a content word), the adjacent content pairs are exactly those pairs
#    (a word token never contains a separator character, and `str.lower` is idempotent).
# Each item's tokens are mapped to small ids (0 for words no wanted key uses), and unigram hits and adjacent
# id pairs are looked up for all items at once with numpy. tests/summarize/test_summarize_docfreq.py compares the
# counts with `from_items` on real items and fuzzes the tokenizer.
_CLAUSE_MARK = " 0 "


def _ko_particles() -> list[str] | None:
    """The particles `stem` drops, read from its pattern; None if the pattern is not the expected shape."""
    m = re.fullmatch(r"\(\?<=\[가-힣\]\)\(\?:([가-힣|]+)\)\$", _KO_PARTICLE.pattern)
    return m.group(1).split("|") if m else None


_KO_PARTICLES = _ko_particles()


def _surface_words(key: str) -> list[str]:
    """Every word w with stem(w) == key."""
    cands = {key, key + "s"}
    if key.endswith("y"):
        cands.add(key[:-1] + "ies")
    if key and "가" <= key[-1] <= "힣":  # a particle is only dropped after a Hangul syllable
        cands.update(key + p for p in _KO_PARTICLES or ())
    return [w for w in cands if stem(w) == key]


# Fast tokenizer for ASCII text, same tokens as `_WORD.findall(_CLAUSE.sub(" 0 ", text))` except that a
# clause break may come out as several "0" tokens. Bytes: 1:1 translate + a few replaces, all in C.
def _ascii_table() -> bytes:
    table = bytearray(range(256))
    for c in range(128):
        ch = chr(c)
        if ch in "abcdefghijklmnopqrstuvwxyz0123456789-'":
            continue
        if ch.isspace():  # \s in the " - " separator (ASCII: also \x1c-\x1f)
            table[c] = 32
        elif _CLAUSE.fullmatch(ch):  # a one-character clause separator
            table[c] = 2
        else:
            table[c] = 1
    return bytes(table)


_ASCII_TABLE = _ascii_table()
# a "-" or "'" belongs to a word only between two letters/digits (the [-'] of _WORD); any other one is a gap
_LONE_JOINERS = (b" -", b"- ", b" '", b"' ", b"--", b"-'", b"'-", b"''")
_SEEN_MAX = 50_000  # snippets whose token ids _count_terms remembers (1,200 characters: ~1 KB)


def _clause_tokens(low: str) -> list[str]:
    """Word tokens of lower-cased `low` with clause breaks as "0" tokens (see above)."""
    if not low.isascii():
        return _WORD.findall(_CLAUSE.sub(_CLAUSE_MARK, low))
    b = low.encode("ascii").translate(_ASCII_TABLE).replace(b" - ", b" \x02 ")
    b = b" " + b.replace(b"\x02", b" 0 ").replace(b"\x01", b" ") + b" "
    if b"-" in b or b"'" in b:
        while True:  # runs like "---" take a second round
            before = b
            for j in _LONE_JOINERS:
                b = b.replace(j, b"  ")
            if b == before:
                break
    return b.decode("ascii").split()


def _count_terms(items: list[Item], terms: set[str]) -> Counter:
    """For each key of `terms`: in how many `items` `item_terms` has it (same as counting item_terms)."""
    if _KO_PARTICLES is None:  # stem's Korean rule changed shape: count the slow, obvious way
        slow: Counter = Counter()
        for it in items:
            slow.update(terms.intersection(item_terms(it)))
        return slow
    keys = sorted(terms)
    uni, pairs = _surface_index(keys)
    if not uni and not pairs:
        return Counter()
    counter = _TermCounter(len(keys), uni, pairs)
    counter.count(items)
    return Counter({keys[k]: int(c) for k, c in enumerate(counter.counts) if c})


def _surface_index(keys: list[str]) -> tuple[dict[str, int], dict[tuple[str, str], int]]:
    """(surface word -> index of its unigram key, (word, word) -> index of its bigram key) for `keys`, with the
    content-word and length rules of `item_terms`."""
    uni: dict[str, int] = {}
    pairs: dict[tuple[str, str], int] = {}
    for k, key in enumerate(keys):
        parts = key.split(" ")
        if len(parts) == 1:
            for w in _surface_words(key):
                if is_content(w) and len(w) > 2:
                    uni[w] = k
        elif len(parts) == 2:
            firsts = [a for a in _surface_words(parts[0]) if is_content(a)]
            seconds = [b for b in _surface_words(parts[1]) if is_content(b) and len(b) > 2]
            for a in firsts:
                for b in seconds:
                    pairs[(a, b)] = k
    return uni, pairs


class _TermCounter:
    """Counts, per wanted key, the items whose token ids hold it (a unigram hit or an adjacent id pair).
    Token ids: 1.. for words some wanted key uses, 0 for every other token (and for "0", the clause break)."""

    _END = array("i", [0]).tobytes()  # after each text: pairs never span two texts
    _RUN_BYTES = 8_000_000  # ids counted per run (2M ids): bounded memory

    def __init__(self, n_keys: int, uni: dict[str, int], pairs: dict[tuple[str, str], int]) -> None:
        vocab = sorted(set(uni) | {a for a, _ in pairs} | {b for _, b in pairs})
        self.wid = {w: i + 1 for i, w in enumerate(vocab)}
        self.n_ids = len(vocab) + 1
        self.n_keys = n_keys
        self.uni_key = np.full(self.n_ids, -1, dtype=np.int64)
        for w, k in uni.items():
            self.uni_key[self.wid[w]] = k
        pair_items = sorted((self.wid[a] * self.n_ids + self.wid[b], k) for (a, b), k in pairs.items())
        self.pair_code = np.array([c for c, _ in pair_items], dtype=np.int64)
        self.pair_key = np.array([k for _, k in pair_items], dtype=np.int64)
        self.counts = np.zeros(n_keys, dtype=np.int64)

    def count(self, items: list[Item]) -> None:
        """Add `items` to `counts`, a run of items at a time."""
        ids = bytearray()  # int32 token ids of a run of items, and the number of ids per item
        lengths: list[int] = []
        seen: dict[str, bytes] = {}  # snippet -> its ids: a snippet that comes again is not tokenized again
        for it in items:
            start = len(ids)
            if it.title:
                ids += self._ids(it.title)
            if it.snippet:
                text_ids = seen.get(it.snippet)
                if text_ids is None:
                    text_ids = self._ids(it.snippet)
                    if len(seen) < _SEEN_MAX:
                        seen[it.snippet] = text_ids
                ids += text_ids
            lengths.append((len(ids) - start) // 4)
            if len(ids) >= self._RUN_BYTES:  # count this run, start the next
                self._flush(ids, lengths)
                ids, lengths = bytearray(), []
        if lengths:
            self._flush(ids, lengths)

    def _ids(self, text: str) -> bytes:
        toks = _clause_tokens(text.lower())
        return array("i", map(self.wid.get, toks, repeat(0, len(toks)))).tobytes() + self._END

    def _flush(self, ids: bytearray, lengths: list[int]) -> None:
        x = np.frombuffer(ids, dtype=np.int32).astype(np.int64)
        own = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
        u = self.uni_key[x]
        hit = u >= 0
        found = [own[hit] * self.n_keys + u[hit]]
        if len(self.pair_code) and len(x) > 1:
            found.append(self._pair_hits(x, own))
        codes = np.sort(np.concatenate(found))
        if len(codes):  # each (item, key) once
            first = np.ones(len(codes), dtype=bool)
            first[1:] = codes[1:] != codes[:-1]
            self.counts[:] += np.bincount(codes[first] % self.n_keys, minlength=self.n_keys)

    def _pair_hits(self, x: np.ndarray, own: np.ndarray) -> np.ndarray:
        """item * n_keys + key of every adjacent id pair of `x` that is a wanted bigram."""
        a, b = x[:-1], x[1:]
        both = (a > 0) & (b > 0)
        code = a[both] * self.n_ids + b[both]
        pos = np.minimum(np.searchsorted(self.pair_code, code), len(self.pair_code) - 1)
        ok = self.pair_code[pos] == code
        return own[:-1][both][ok] * self.n_keys + self.pair_key[pos[ok]]


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


def _sentences(items: list[Item], skip: set[int] | frozenset[int] = frozenset()) -> list[_Sent]:
    out: list[_Sent] = []
    for i, it in enumerate(items):
        if i in skip:
            continue
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
class _Quotes:
    """A category's quotable sentences (with their centrality), and what the summary has quoted so far: a
    sentence is quoted once, and the languages of everything quoted name the summary's source language."""

    def __init__(self, items: list[Item], language: str) -> None:
        self.items, self.language = items, language
        self.flagged = {i for i, it in enumerate(items) if instruction_like(f"{it.title}\n{it.snippet}")}
        self.sents = _sentences(items, self.flagged)
        self.cen: np.ndarray
        self.sim: np.ndarray
        self.cen, self.sim = _centrality(self.sents) if self.sents else (np.zeros(0), np.zeros((0, 0)))
        self.used: set[int] = set()
        self.quoted: list[tuple[str, str]] = []  # (text, item language) of every quoted sentence / title

    def quote(self, idx: int) -> str:
        self.used.add(idx)
        s = self.sents[idx]
        self.quoted.append((s.text, self.items[s.item].language))
        return s.text

    def title_of(self, i: int) -> str:
        if i in self.flagged:
            return withheld_text(self.language)
        self.quoted.append((self.items[i].title, self.items[i].language))
        return truncate(clean(self.items[i].title), 200)

    def source_language(self) -> str | None:
        langs = Counter(guess_text_language(text, default=lang) for text, lang in self.quoted)
        return langs.most_common(1)[0][0] if langs else None


def extractive_summary(
    items: list[Item], total: int, language: str, corpus_df: DocFreq | None = None
) -> tuple[SectionSummary, list[str]]:
    """(summary, one TL;DR per item) for a category's top `items` (cited as [1]..[len(items)])."""
    if not items:
        raise ValueError("extractive_summary needs at least one item")
    t = strings(language)
    corpus_df = corpus_df or DocFreq.from_items(items)
    q = _Quotes(items, language)
    # the order matters: a sentence quoted by one heading is not quoted again by a later one
    events = _key_events(q)
    themes = _key_themes(q, corpus_df, t)
    impact = _impact(q, t)
    bottom = _bottom_line(q, total, t)
    summary = SectionSummary(
        themes=themes, events=events, impact=impact, bottom_line=bottom, method="extractive",
        source_language=q.source_language(),
    )
    return summary, [extractive_tldr(it, language=language) for it in items]


def _key_events(q: _Quotes) -> list[SummaryPoint]:
    """One key sentence per top item (title + signals when the item has no text)."""
    events: list[SummaryPoint] = []
    for i in range(min(EVENTS_MAX, len(q.items))):
        own = [k for k, s in enumerate(q.sents) if s.item == i]
        if own:
            best = max(own, key=lambda k: (_event_score(q, k, own), -k))  # noqa: B023 (called in this iteration)
            events.append(SummaryPoint(text=q.quote(best), cites=[i + 1]))
        else:
            sig = item_signals(q.items[i], q.language)
            events.append(SummaryPoint(text=q.title_of(i) + (f" ({sig})" if sig else ""), cites=[i + 1]))
    return events


def _event_score(q: _Quotes, k: int, own: list[int]) -> float:
    """How well sentence `k` stands for its item: centrality within the item's sentences `own`, plus an
    announcement cue, plus being the item's first sentence."""
    within = float(q.sim[k, own].sum()) / max(len(own) - 1, 1)
    return within + (0.6 if _PROPOSE.search(q.sents[k].text) else 0.0) + (0.15 if q.sents[k].pos == 0 else 0.0)


def _key_themes(q: _Quotes, corpus_df: DocFreq, t: Strings) -> list[SummaryPoint]:
    """Terms shared by several items, rare across the day; with nothing shared, each top item's rarest title
    words."""
    themes: list[SummaryPoint] = []
    if len(q.items) >= 2:
        for _, idxs, surface in _shared_terms(q.items, corpus_df):
            themes.append(
                SummaryPoint(text=t.recurring_term.format(term=surface, n=len(idxs)), cites=[i + 1 for i in idxs])
            )
    if not themes:  # nothing shared: each top item's rarest title words
        for i in range(min(THEMES_MAX, len(q.items))):
            kws = title_keywords(q.items[i], corpus_df)
            text = t.keywords.format(terms=", ".join(kws)) if kws else q.title_of(i)
            themes.append(SummaryPoint(text=text, cites=[i + 1]))
    return themes


_Theme = tuple[str, list[int], str]  # (term key, indexes of the items holding it, surface form)


def _shared_terms(items: list[Item], corpus_df: DocFreq) -> list[_Theme]:
    """Up to THEMES_MAX title terms held by two items or more, the heaviest first (holders x rarity, phrases
    x 1.5), without repeating what an earlier theme already says."""
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
    chosen: list[_Theme] = []
    for _, term in cands:
        _add_theme(chosen, term, holders[term], per_item, items)
        if len(chosen) >= THEMES_MAX:
            break
    return chosen


def _surface_of(per_item: list[dict[str, str]], term: str, idxs: list[int]) -> str:
    return Counter(per_item[i][term] for i in idxs).most_common(1)[0][0]


def _add_theme(chosen: list[_Theme], term: str, idxs: list[int], per_item: list[dict[str, str]],
               items: list[Item]) -> None:
    """Add `term` to `chosen` unless an earlier theme covers it; a bigram that continues an earlier bigram in the
    same items turns it into a three-word phrase instead."""
    words_t = term.split()
    if any(set(words_t) <= set(c.split()) and len(set(idxs) - set(ci)) <= 1 for c, ci, _ in chosen):
        return  # "language" after "large language models" in (about) the same items: nothing new
    overlap = [j for j, (c, ci, _) in enumerate(chosen) if set(words_t) & set(c.split()) and set(idxs) <= set(ci)]
    if not overlap:
        chosen.append((term, idxs, _surface_of(per_item, term, idxs)))
        return
    # "language models" after "large language" in the same items: one phrase, not two
    j = overlap[0]
    c, ci, surf = chosen[j]
    if len(words_t) == 2 and c.split()[-1] == words_t[0] and len(c.split()) == 2:
        key3 = f"{c} {words_t[1]}"
        have = [i for i in ci if f" {key3} " in _stemmed_text(items[i])]
        if len(have) >= max(2, len(ci) - 1):
            chosen[j] = (key3, have, f"{surf} {_surface_of(per_item, term, idxs).split()[-1]}")


def _stemmed_text(item: Item) -> str:
    """Title and snippet as stemmed words between spaces (" w1 w2 ... "), for phrase lookups."""
    return f" {' '.join(stem(w) for w in words(item.title + ' . ' + item.snippet))} "


def _impact(q: _Quotes, t: Strings) -> list[SummaryPoint]:
    """Reported results from different items, and where the attention went; with neither, where the items come
    from (a fact, not filler)."""
    impact = _reported_results(q)
    attention = _most_attention(q, t)
    if attention is not None:
        impact.append(attention)
    if not impact:  # no results, no signals: say where the items come from (a fact, not filler)
        hosts: dict[str, list[int]] = {}
        for i, it in enumerate(q.items):
            hosts.setdefault(host_of(it.url) or it.url, []).append(i + 1)
        shown = list(hosts)[:4]
        impact.append(SummaryPoint(text=t.reported_by.format(hosts=", ".join(shown)),
                                   cites=sorted(c for h in shown for c in hosts[h])))
    return impact


def _reported_results(q: _Quotes) -> list[SummaryPoint]:
    """Up to RESULTS_MAX result sentences not quoted yet, the most central first (the top item's preferred),
    one per item."""
    points: list[SummaryPoint] = []
    result_idx = [k for k, s in enumerate(q.sents) if k not in q.used and is_result(s.text)]
    result_idx.sort(key=lambda k: (-(q.cen[k] + (0.3 if q.sents[k].item == 0 else 0.0)), k))
    seen_items: set[int] = set()
    for k in result_idx:
        if q.sents[k].item in seen_items:
            continue
        seen_items.add(q.sents[k].item)
        points.append(SummaryPoint(text=q.quote(k), cites=[q.sents[k].item + 1]))
        if len(points) >= RESULTS_MAX:
            break
    return points


def _most_attention(q: _Quotes, t: Strings) -> SummaryPoint | None:
    """The item with the most attention (HN points + HF upvotes + 10 per extra source), None when none has any."""
    items = q.items
    attention = [
        (-(it.hn_points or 0) - (it.hf_upvotes or 0) - 10 * (len(it.sources) - 1), i)
        for i, it in enumerate(items)
        if (it.hn_points or it.hf_upvotes or len(it.sources) > 1)
    ]
    if not attention:
        return None
    i = min(attention)[1]
    sig = item_signals(items[i], q.language)
    if len(items) > 1:
        text = t.most_attention.format(title=q.title_of(i)) + (f" ({sig})" if sig else "")
    else:
        text = t.attention.format(signals=sig)
    return SummaryPoint(text=text, cites=[i + 1])


def _bottom_line(q: _Quotes, total: int, t: Strings) -> list[SummaryPoint]:
    """The size of the category today + the most central sentence not quoted yet."""
    k = len(q.items)
    count = t.all_items.format(n=k) if total <= k else t.top_items.format(n=total, k=k)
    bottom = [SummaryPoint(text=count, cites=list(range(1, k + 1)))]
    rest = [j for j in range(len(q.sents)) if j not in q.used]
    if rest:
        j = max(rest, key=lambda j: (q.cen[j], -j))
        bottom.append(SummaryPoint(text=q.quote(j), cites=[q.sents[j].item + 1]))
    return bottom
