"""The mood lexicon: feelings, the words people use for them, and the words
curators use for them.

The lexicon is data (``moodrec/data/lexicon.json``).  Each feeling has *cues*
(phrases that, in a query, say the user has that feeling) and *related* words
(what a curator writes in a blurb about songs for it), each with a weight
below 1 so that expansions never outweigh the user's own words.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ._text import Analyzer, Token, is_hangul, load_resource

__all__ = ["Feeling", "Lexicon", "CueMatch"]


def _jamo(word: str) -> str:
    # Decomposed Hangul lets a stem match its inflections: 헤어지 is a prefix
    # of 헤어진 only once syllables are split into letters.
    return unicodedata.normalize("NFD", word)


@dataclass(frozen=True)
class Feeling:
    """A feeling or situation of the lexicon."""

    name: str
    label: str
    valence: float
    #: (index term, weight, the word as the lexicon writes it)
    related: tuple[tuple[str, float, str], ...]
    #: single-word English cues, as index terms (mutual synonyms of the feeling)
    cue_terms: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class CueMatch:
    """A lexicon cue found in a query: tokens ``start``..``end`` (exclusive)."""

    feeling: int
    start: int
    end: int


def _by_first_two(
    cues: dict[str, list[tuple[tuple[str, ...], int]]],
) -> dict[tuple[str, str | None], list[tuple[tuple[str, ...], int]]]:
    """(first key, second key) -> the cues that begin with them, then the
    one-word cue of the first key; (first key, None) -> its one-word cues.
    Lists of ``cues`` are longest first, so every longer cue comes before the
    one-word ones and the order at a position is the order of ``cues``."""
    out: dict[tuple[str, str | None], list[tuple[tuple[str, ...], int]]] = {}
    for first, lst in cues.items():
        single = [e for e in lst if len(e[0]) == 1]
        longer: dict[tuple[str, str | None], list[tuple[tuple[str, ...], int]]] = {}
        for e in lst:
            if len(e[0]) > 1:
                longer.setdefault((first, e[0][1]), []).append(e)
        for at, found in longer.items():
            out[at] = found + single
        if single:
            out[first, None] = single
    return out


def _cues_at(by2: dict[tuple[str, str | None], list[tuple[tuple[str, ...], int]]],
             keys: Sequence[str], i: int) -> list[tuple[tuple[str, ...], int]]:
    """The cues that can start at ``keys[i]``, longest first."""
    if i + 1 < len(keys):
        found = by2.get((keys[i], keys[i + 1]))
        if found is not None:
            return found
    return by2.get((keys[i], None), [])


class Lexicon:
    """Compiled mood lexicon, matched against analysed query tokens.

    Examples
    --------
    >>> lex = Lexicon()
    >>> toks = Analyzer().tokens("she left me")
    >>> any(lex.feelings[m.feeling].name == "breakup" for m in lex.match(toks))
    True
    """

    def __init__(self, data: dict[str, Any] | None = None, analyzer: Analyzer | None = None) -> None:
        data = data if data is not None else load_resource("lexicon.json")
        #: the lexicon data in use (saved with a model)
        self.data = data
        self.analyzer = analyzer if analyzer is not None else Analyzer()
        a = self.analyzer
        self.feelings: list[Feeling] = []
        # first key -> [(keys, feeling index)], English phrases matched on keys
        self._en: dict[str, list[tuple[tuple[str, ...], int]]] = {}
        # first syllable -> [(jamo words, feeling index, exact)], Korean prefixes
        self._ko: dict[str, list[tuple[tuple[str, ...], int, bool]]] = {}
        # Intensifiers ("so", "really") do not change a feeling: a cue also
        # matches with them left out on both sides ("the apartment is so quiet"
        # meets "apartment is quiet"), if two content words of the cue remain
        # ("i really miss" does not become "i miss", which "I miss the bus" has).
        self._intensifiers = frozenset(a.key(w) for w in a.language.get("intensifiers_en", []))
        self._en_bare: dict[str, list[tuple[tuple[str, ...], int]]] = {}
        for fi, f in enumerate(data["feelings"]):
            related = []
            for word, weight in f.get("related", {}).items():
                for term in a.terms(word):
                    related.append((term, float(weight), word))
            cue_terms = []
            for cue in f.get("cues", []):
                words = a.words(cue)
                if not words:
                    continue
                if is_hangul(words[0]):
                    keys = tuple(_jamo(w) for w in words)
                    exact = len(words) == 1 and len(words[0]) == 1
                    self._ko.setdefault(words[0][0], []).append((keys, fi, exact))
                    if len(words) == 1:
                        # a Korean noun cue (혼술, 이별) can stand in a Korean title
                        cue_terms.append((a.strip_particle(words[0]), words[0]))
                else:
                    expanded = [x for w in words for x in a.expand_informal(w)]
                    keys = tuple(a.key(w) for w in expanded)
                    self._en.setdefault(keys[0], []).append((keys, fi))
                    bare = tuple(k for k in keys if k not in self._intensifiers)
                    content = [w for w in expanded if a.key(w) not in self._intensifiers and a.terms(w)]
                    if len(content) >= 2:
                        self._en_bare.setdefault(bare[0], []).append((bare, fi))
                    if len(expanded) == 1:
                        term = a.term_of(expanded[0])
                        if term:
                            cue_terms.append((term, expanded[0]))
            self.feelings.append(
                Feeling(
                    name=str(f["name"]),
                    label=str(f.get("label", f["name"])),
                    valence=float(f.get("valence", 0.0)),
                    related=tuple(related),
                    cue_terms=tuple(dict.fromkeys(cue_terms)),
                )
            )
        # Longest phrases first, so "the one that got away" beats "away".
        for lst in self._en.values():
            lst.sort(key=lambda e: -len(e[0]))
        for lst2 in self._ko.values():
            lst2.sort(key=lambda e: -len(e[0]))
        for lst3 in self._en_bare.values():
            lst3.sort(key=lambda e: -len(e[0]))
        # Looked up by their first two words (and one-word cues by their word), a
        # query word meets the few cues that can start there, not every cue
        # beginning "i" or "my"; each list keeps the longest-first order.
        self._en_by2 = _by_first_two(self._en)
        self._bare_by2 = _by_first_two(self._en_bare)
        #: a readable word for each term the lexicon expands to ("alon" -> "alone")
        self.display: dict[str, str] = {}
        for f in self.feelings:
            for term, _w, word in f.related:
                # a word of one term only: "self-love" is not how to show "love"
                if " " not in word and len(a.terms(word)) == 1:
                    self.display.setdefault(term, word)
            for term, word in f.cue_terms:
                self.display.setdefault(term, word)
        self.valence: dict[str, float] = {}
        for f in self.feelings:
            for term, _word in f.cue_terms:
                self.valence.setdefault(term, 0.8 * f.valence)
        for word, v in data.get("valence_words", {}).items():
            for term in a.terms(word):
                self.valence[term] = float(v)
        # Korean query words in English: first syllable -> [(jamo words, English words,
        # which words must match whole)], longest first.  The blurbs are English, so a Korean query's own
        # words (지하철, 벚꽃) reach them only through this glossary.
        self._glossary: dict[str, list[tuple[tuple[str, ...], tuple[str, ...], tuple[bool, ...]]]] = {}
        for korean, english in data.get("glossary_ko_en", {}).items():
            words = korean.split()
            if not words or not all(is_hangul(w) for w in words) or not english:
                continue
            keys = tuple(_jamo(w) for w in words)
            # which words must match whole: a one-syllable word, unless it is
            # the last of a phrase (비 오 matches 비가 오는, not 비밀)
            whole = tuple(len(w) == 1 and (j < len(words) - 1 or len(words) == 1) for j, w in enumerate(words))
            self._glossary.setdefault(words[0][0], []).append((keys, tuple(english), whole))
        for lst4 in self._glossary.values():
            lst4.sort(key=lambda e: -sum(len(k) for k in e[0]))
        #: English keys the lexicon knows, for spelling correction of queries.
        self.known_keys: frozenset[str] = frozenset(
            k for lst in self._en.values() for keys, _ in lst for k in keys
        )

    def match(self, tokens: Sequence[Token]) -> list[CueMatch]:
        """Every cue found in ``tokens``, longest first at each position."""
        out: list[CueMatch] = []
        keys = [t.key for t in tokens]
        jamo = [_jamo(t.surface) if t.hangul else "" for t in tokens]
        stems = [_jamo(self.analyzer.strip_particle(t.surface)) if t.hangul else "" for t in tokens]
        for i, tok in enumerate(tokens):
            if tok.hangul:
                for cue_keys, fi, exact in self._ko.get(tok.surface[0], ()):
                    n = len(cue_keys)
                    if i + n > len(tokens):
                        continue
                    if exact:
                        ok = jamo[i] == cue_keys[0] or stems[i] == cue_keys[0]
                    else:
                        ok = all(jamo[i + j].startswith(cue_keys[j]) for j in range(n))
                    if ok:
                        out.append(CueMatch(fi, i, i + n))
            else:
                for cue_keys, fi in _cues_at(self._en_by2, keys, i):
                    n = len(cue_keys)
                    if tuple(keys[i : i + n]) == cue_keys:
                        out.append(CueMatch(fi, i, i + n))
        if self._en_bare:
            # a Hangul word stays in place (its key never starts an English cue), so
            # a cue never matches across it
            pos = [i for i, t in enumerate(tokens) if t.hangul or keys[i] not in self._intensifiers]
            bare = [keys[i] for i in pos]
            found = {(m.feeling, m.start) for m in out}
            for j, i in enumerate(pos):
                for cue_keys, fi in _cues_at(self._bare_by2, bare, j):
                    n = len(cue_keys)
                    if tuple(bare[j : j + n]) == cue_keys and (fi, i) not in found:
                        out.append(CueMatch(fi, i, pos[j + n - 1] + 1))
                        found.add((fi, i))
        return out

    def translate(self, tokens: Sequence[Token]) -> list[tuple[int, int, tuple[str, ...]]]:
        """English words for the Korean words of ``tokens``: (start, end, words).

        A glossary entry matches words that begin with it (외로 matches
        외로운 and 외로워); a one-syllable entry, or a one-syllable word of a
        phrase before its last, only the whole word with or without its
        particle (비 matches 비가, not 비밀); the longest entry wins and entries
        never overlap.

        >>> lex = Lexicon()
        >>> [w for _, _, w in lex.translate(Analyzer().tokens("지하철에서 비가 와"))][:2]
        [('subway',), ('rain',)]
        """
        out: list[tuple[int, int, tuple[str, ...]]] = []
        if not self._glossary:
            return out
        i = 0
        while i < len(tokens):
            tok = tokens[i]
            hit = None
            if tok.hangul:
                for keys, english, whole in self._glossary.get(tok.surface[0], ()):
                    n = len(keys)
                    if i + n > len(tokens) or not all(t.hangul for t in tokens[i : i + n]):
                        continue
                    if all(self._glossary_word(tokens[i + j].surface, keys[j], whole[j]) for j in range(n)):
                        hit = (i, i + n, english)
                        break
            if hit:
                out.append(hit)
                i = hit[1]
            else:
                i += 1
        return out

    def _glossary_word(self, word: str, key: str, whole: bool) -> bool:
        jamo = _jamo(word)
        if whole:
            return jamo == key or _jamo(self.analyzer.strip_particle(word)) == key
        return jamo.startswith(key)

    def song_valence(self, terms: Iterable[str], moods: Iterable[str] = ()) -> float:
        """Emotional direction of a song's text, -1 (dark) .. +1 (bright).

        A mean of the valences of its emotional words, shrunk towards 0 when
        the text has few of them; curated moods count double.
        """
        total = 0.0
        count = 0.0
        for t in terms:
            v = self.valence.get(t)
            if v is not None:
                total += v
                count += 1.0
        for m in moods:
            for t in self.analyzer.terms(m):
                v = self.valence.get(t)
                if v is not None:
                    total += 2.0 * v
                    count += 2.0
        return total / (count + 2.0) if count else 0.0
