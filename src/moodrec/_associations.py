"""Word associations: the words people type for a feeling, and the words
curators write about the songs that fit it.

People say "she only sees me as a pal"; a blurb says "a friend he secretly
loves".  The lexicon links such words through named feelings; associations
link them word to word, learned from examples we wrote: invented songs, each
with a curator's blurb and the queries a listener would type when it is the
best pick (``data/examples.jsonl`` in the repository; never any catalog's
songs, never the judged queries).

For a query word ``q`` and a blurb word ``b``, over the example songs whose
queries use ``q``, ``p = songs whose blurb has b / (songs + 1)``; the
association is ``p * log(p / p(b))`` (how much more often than in any blurb
``b`` goes with ``q``, weighted by how often), times ``log(N / songs)`` so
that a word every query uses ("feel", "song") leads nowhere in particular.
The table keeps each word's strongest associations and ships as
``moodrec/data/associations.json``, built by ``build_table``
(``python scripts/build_associations.py``).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from types import MappingProxyType
from typing import Any

from ._text import Analyzer, load_resource

__all__ = ["Associations", "build_table"]

#: associations kept per query word
TOP_PER_WORD = 24
#: a query word must appear in the queries of this many example songs
MIN_SONGS = 2


def build_table(examples: Iterable[Mapping[str, Any]],
                analyzer: Analyzer) -> tuple[dict[str, list[tuple[str, float]]], dict[str, str]]:
    """query term -> [(blurb term, weight)], strongest first, from examples
    with a ``blurb`` and a list of ``queries`` each; and each blurb term's
    most frequent written form, to show it in explanations (deterministic)."""
    query_sets: list[frozenset[str]] = []
    blurb_sets: list[frozenset[str]] = []
    forms: dict[str, Counter[str]] = {}
    for e in examples:
        blurb = analyzer.drop_contrasts(str(e["blurb"]))
        terms = []
        for word in analyzer.raw_words(blurb):
            for t in analyzer.word_terms(word):
                terms.append(t)
                forms.setdefault(t, Counter())[word] += 1
        blurb_sets.append(frozenset(terms))
        query_sets.append(frozenset(t for q in e["queries"] for t in analyzer.terms(str(q))))
    n = len(blurb_sets)
    if n == 0:
        return {}, {}
    in_blurbs = Counter(t for s in blurb_sets for t in s)
    songs_of: dict[str, list[int]] = {}
    for i, s in enumerate(query_sets):
        for t in s:
            songs_of.setdefault(t, []).append(i)
    table: dict[str, list[tuple[str, float]]] = {}
    for q in sorted(songs_of):
        songs = songs_of[q]
        if len(songs) < MIN_SONGS:
            continue
        together = Counter(b for i in songs for b in blurb_sets[i])
        rarity = math.log(n / len(songs))
        scored = []
        for b, c in together.items():
            p = c / (len(songs) + 1)
            lift = p / (in_blurbs[b] / n)
            if lift > 1.0:
                scored.append((b, round(p * math.log(lift) * rarity, 4)))
        scored = [x for x in scored if x[1] > 0]
        scored.sort(key=lambda x: (-x[1], x[0]))
        if scored:
            table[q] = scored[:TOP_PER_WORD]
    used = {b for pairs in table.values() for b, _ in pairs}
    display = {b: min(forms[b].items(), key=lambda x: (-x[1], x[0]))[0] for b in sorted(used)}
    return table, display


def _frozen(table: Mapping[str, Sequence[Sequence[Any]]]) -> Mapping[str, tuple[tuple[str, float], ...]]:
    return MappingProxyType({str(q): tuple((str(b), float(w)) for b, w in pairs) for q, pairs in table.items()})


@lru_cache(maxsize=1)
def _shipped() -> tuple[Mapping[str, tuple[tuple[str, float], ...]], Mapping[str, str]]:
    """The shipped table, read once per process and shared (read-only)."""
    data = load_resource("associations.json")
    return _frozen(data["terms"]), MappingProxyType({str(t): str(w) for t, w in data["display"].items()})


class Associations:
    """An association table, looked up by query term: the shipped one, or
    ``table`` (query term -> [(blurb term, weight)]) and its ``display`` words."""

    def __init__(self, table: Mapping[str, Sequence[Sequence[Any]]] | None = None,
                 display: Mapping[str, str] | None = None) -> None:
        if table is None:
            self._table, self.display = _shipped()
            return
        self._table = _frozen(table)
        #: blurb term -> the word as examples write it ("memori" -> "memories")
        self.display = MappingProxyType({str(t): str(w) for t, w in (display or {}).items()})

    def __len__(self) -> int:
        return len(self._table)

    def of(self, term: str) -> tuple[tuple[str, float], ...]:
        """The blurb terms ``term`` goes with, strongest first (empty if none)."""
        return self._table.get(term, ())

    @property
    def table(self) -> dict[str, list[list[Any]]]:
        """The table as plain JSON-able lists (what a saved model stores)."""
        return {q: [[b, w] for b, w in pairs] for q, pairs in self._table.items()}


def dump_table(table: Mapping[str, Sequence[tuple[str, float]]], display: Mapping[str, str], n_examples: int) -> str:
    """The table as the JSON text shipped in ``moodrec/data``."""
    doc = {
        "version": 1,
        "about": (
            "query term -> [blurb term, weight], learned from our own invented example songs "
            f"({n_examples} songs, data/examples.jsonl) by scripts/build_associations.py"
        ),
        "terms": {q: [[b, w] for b, w in pairs] for q, pairs in sorted(table.items())},
        "display": dict(sorted(display.items())),
    }
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"), sort_keys=False) + "\n"
