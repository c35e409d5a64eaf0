"""Term-major (inverted) index and partial top-k selection.

Song vectors are stored column-wise: for each term, the songs that use it
(``indices``) and their TF-IDF weights (``data``).  Scoring a query touches only
the postings of its terms, and the best k are picked with a partial selection,
so the cost grows with the postings the query touches, not with the catalog.
"""

from __future__ import annotations

from dataclasses import dataclass

import threading
from collections.abc import Callable

import numpy as np
import scipy.sparse as sp

__all__ = ["InvertedIndex", "top_k", "SpellIndex", "damerau_levenshtein"]

# Scores are rounded before ranking so that songs whose scores differ only by
# floating-point summation order count as ties, and ties keep catalog order.
_DECIMALS = 9


@dataclass
class InvertedIndex:
    """A CSC matrix (songs x terms) of L2-normalised TF-IDF weights."""

    indptr: np.ndarray  # int64, n_terms + 1
    indices: np.ndarray  # int32 song ids, sorted within each term
    data: np.ndarray  # float32 weights
    n_docs: int
    max_weight: np.ndarray | None = None  # float32, the largest weight of each term
    max_norm: float = 1.0  # the longest song vector (1 for L2-normalised rows)

    def __post_init__(self) -> None:
        if self.max_weight is None:
            out = np.zeros(self.n_terms, np.float32)
            nonempty = np.flatnonzero(np.diff(self.indptr) > 0)
            if len(nonempty):
                out[nonempty] = np.maximum.reduceat(self.data, self.indptr[nonempty])
            self.max_weight = out
        self._local = threading.local()

    def _scratch(self) -> tuple[np.ndarray, np.ndarray]:
        """Per-thread dense accumulators, allocated once and kept zeroed."""
        local = self._local
        acc = getattr(local, "acc", None)
        if acc is None or len(acc) != self.n_docs:
            acc = local.acc = np.zeros(self.n_docs, np.float64)
            local.seen = np.zeros(self.n_docs, bool)
        return acc, local.seen

    def candidates(
        self,
        terms: np.ndarray,
        weights: np.ndarray,
        k: int,
        lower: Callable[[np.ndarray], np.ndarray] | None = None,
        allowed: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Songs that can reach the top k, with their full dot products.

        Exact dynamic pruning in the MaxScore family.  Terms are taken by
        their upper bound (query weight x largest posting weight), strongest
        first, into a dense per-thread accumulator.  What the remaining terms
        can still add to any song is bounded twice: by the sum of their upper
        bounds, and, because song vectors have unit length, by the norm of
        their query weights (Cauchy-Schwarz).  Once that bound is below the k-th best lower bound
        found so far, no new song is admitted; songs whose partial score plus
        bound cannot reach it are dropped; the remaining terms only complete
        the scores of the few survivors (binary search in their postings).

        ``lower(ids)`` gives a factor <= 1 such that score x factor is a lower
        bound of the final score; ``allowed`` masks songs out.

        Returns ``(ids, scores)``, ids in no particular order.  Every song not
        returned scores below the k-th best returned one, so the top k is exact.
        """
        if len(terms) == 0:
            return np.empty(0, np.int64), np.empty(0, np.float64)
        ub = weights * self.max_weight[terms]
        order = np.argsort(-ub, kind="stable")
        terms, weights, ub = terms[order], weights[order], ub[order]
        n_terms = len(terms)
        rest_sum = np.concatenate([np.cumsum(ub[::-1])[::-1], [0.0]])
        rest_norm = np.sqrt(np.concatenate([np.cumsum((weights * weights)[::-1])[::-1], [0.0]])) * self.max_norm
        rest = np.minimum(rest_sum, rest_norm)
        acc, seen = self._scratch()
        lengths = self.indptr[terms + 1] - self.indptr[terms]
        if int(lengths.sum()) * 4 > self.n_docs:
            # The query touches a large share of the catalog: pruning would
            # admit nearly every song anyway, and tracking who was seen costs
            # more than one pass over the accumulator.
            try:
                for j in range(n_terms):
                    s, e = self.indptr[terms[j]], self.indptr[terms[j] + 1]
                    if e > s:
                        acc[self.indices[s:e]] += weights[j] * self.data[s:e]
                cand = np.flatnonzero(acc)
                return cand, acc[cand].copy()
            finally:
                acc[:] = 0.0
        found: list[np.ndarray] = []
        n_found = 0
        essential = n_terms
        theta = 0.0
        theta_at = -1.0
        try:
            for j in range(n_terms):
                s, e = self.indptr[terms[j]], self.indptr[terms[j] + 1]
                ids = self.indices[s:e]
                if len(ids) == 0:
                    continue
                vals = self.data[s:e]
                acc[ids] += weights[j] * vals
                new = ids[~seen[ids]]
                if len(new):
                    seen[new] = True
                    found.append(new)
                    n_found += len(new)
                if j + 1 >= n_terms or n_found < k:
                    continue
                if theta > rest[j + 1]:
                    essential = j + 1
                    break
                # Recompute the k-th best lower bound only when the bound left
                # has fallen enough for it to matter (it is costly on big sets).
                if theta_at < 0 or rest[j + 1] < 0.75 * theta_at:
                    cand = np.concatenate(found) if len(found) > 1 else found[0]
                    found = [cand]
                    theta = self._kth_lower(cand, acc, k, lower, allowed)
                    theta_at = rest[j + 1]
                    if theta > rest[j + 1]:
                        essential = j + 1
                        break
            if not found:
                return np.empty(0, np.int64), np.empty(0, np.float64)
            cand = np.concatenate(found) if len(found) > 1 else found[0]
            found = [cand]
            cand = cand.astype(np.int64)
            if essential < n_terms:
                # Drop songs that cannot reach the k-th best even if every
                # remaining term gave them all the length they have left.
                bound = acc[cand] + min(rest_sum[essential], rest_norm[essential])
                survivors = bound >= theta
                seen[cand[~survivors]] = False  # seen now marks the survivors only
                cand = cand[survivors]
                for j in range(essential, n_terms):
                    if len(cand) == 0:
                        break
                    s, e = self.indptr[terms[j]], self.indptr[terms[j] + 1]
                    ids = self.indices[s:e]
                    if len(ids) == 0:
                        continue
                    if len(cand) * 16 < len(ids):
                        # few survivors, a long list: binary search each survivor
                        pos = np.searchsorted(ids, cand)
                        pos[pos >= len(ids)] = 0
                        hit = ids[pos] == cand
                        acc[cand[hit]] += weights[j] * self.data[s:e][pos[hit]]
                    else:
                        # a short list: scan it and keep the survivors' entries
                        m = seen[ids]
                        acc[ids[m]] += weights[j] * self.data[s:e][m]
            return cand, acc[cand].copy()
        finally:
            for arr in found:
                acc[arr] = 0.0
                seen[arr] = False

    @staticmethod
    def _kth_lower(cand: np.ndarray, acc: np.ndarray, k: int,
                   lower: Callable[[np.ndarray], np.ndarray] | None, allowed: np.ndarray | None) -> float:
        if allowed is not None:
            cand = cand[allowed[cand]]
        if len(cand) < k:
            return 0.0
        partial = acc[cand]
        # The k best partial scores hold the k best lower bounds' candidates
        # only approximately; taking the lower bound of a superset keeps it valid.
        m = min(len(cand), max(4 * k, 64))
        top = np.argpartition(partial, len(partial) - m)[len(partial) - m:]
        bound = partial[top] if lower is None else partial[top] * lower(cand[top])
        if len(bound) < k:
            return 0.0
        return float(np.partition(bound, len(bound) - k)[len(bound) - k])

    @classmethod
    def from_matrix(cls, matrix: sp.spmatrix) -> "InvertedIndex":
        csc = sp.csc_matrix(matrix, dtype=np.float32)
        csc.sort_indices()
        sq = np.asarray(csc.multiply(csc).sum(axis=1)).ravel()
        return cls(
            indptr=csc.indptr.astype(np.int64),
            indices=csc.indices.astype(np.int32),
            data=csc.data.astype(np.float32),
            n_docs=int(csc.shape[0]),
            # a hair of slack: float32 rounding must never make a bound too tight
            max_norm=float(np.sqrt(sq.max())) * (1 + 1e-6) if len(sq) else 1.0,
        )

    @property
    def n_terms(self) -> int:
        return int(len(self.indptr) - 1)

    def doc_freq(self) -> np.ndarray:
        return np.diff(self.indptr)


def top_k(ids: np.ndarray, scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k best (id, score) pairs, best first, ties in ascending id order.

    ``ids`` may come in any order.  Uses a partial selection, not a full
    sort, so picking 5 of a million costs one linear pass.

    >>> top_k(np.array([0, 1, 2, 3]), np.array([0.5, 0.9, 0.5, 0.1]), 2)
    (array([1, 0]), array([0.9, 0.5]))
    """
    scores = np.round(scores, _DECIMALS)
    n = len(scores)
    if n == 0 or k <= 0:
        return ids[:0], scores[:0]
    if n > k:
        # The k-th best score; everything above it is in, and of the songs
        # equal to it the lowest ids fill the remaining places.
        kth = np.partition(scores, n - k)[n - k]
        above = np.flatnonzero(scores > kth)
        equal = np.flatnonzero(scores == kth)
        need = k - len(above)
        if len(equal) > need:
            equal = equal[np.argsort(ids[equal], kind="stable")[:need]]
        sel = np.concatenate([above, equal])
    else:
        sel = np.arange(n)
    order = np.lexsort((ids[sel], -scores[sel]))
    sel = sel[order]
    return ids[sel], scores[sel]


def damerau_levenshtein(a: str, b: str, limit: int = 3) -> int:
    """Optimal-string-alignment distance, stopping early past ``limit``.

    >>> damerau_levenshtein("lonley", "lonely")
    1
    """
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            v = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                v = min(v, prev2[j - 2] + 1)
            cur[j] = v
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def _grams(word: str) -> list[str]:
    padded = f"^{word}$"
    return sorted({padded[i : i + 3] for i in range(len(padded) - 2)})


class SpellIndex:
    """Character-trigram index over known words, for misspelled query words.

    Finding the words a misspelling stands for costs the postings of its
    trigrams in a vocabulary-sized index: independent of the number of songs.
    Stored as flat arrays (CSR), so it saves and loads like the rest.
    """

    def __init__(self, words: list[str], grams: list[str], indptr: np.ndarray, postings: np.ndarray) -> None:
        self.words = words
        self.grams = grams
        self._gram_ids = {g: i for i, g in enumerate(grams)}
        self.indptr = indptr
        self.postings = postings

    @classmethod
    def build(cls, words: list[str]) -> "SpellIndex":
        table: dict[str, list[int]] = {}
        for wi, w in enumerate(words):
            for g in _grams(w):
                table.setdefault(g, []).append(wi)
        grams = sorted(table)
        lengths = np.fromiter((len(table[g]) for g in grams), np.int64, len(grams))
        indptr = np.zeros(len(grams) + 1, np.int64)
        np.cumsum(lengths, out=indptr[1:])
        postings = np.fromiter((wi for g in grams for wi in table[g]), np.int32, int(indptr[-1]))
        return cls(list(words), grams, indptr, postings)

    def candidates(self, word: str, max_distance: int) -> list[tuple[str, int]]:
        """Known words within ``max_distance`` edits of ``word``, nearest first."""
        gids = [self._gram_ids[g] for g in _grams(word) if g in self._gram_ids]
        if not gids:
            return []
        hits = np.concatenate([self.postings[self.indptr[g] : self.indptr[g + 1]] for g in gids])
        if len(hits) == 0:
            return []
        uniq, counts = np.unique(hits, return_counts=True)
        # An edit changes at most 3 trigrams (a transposition 4); demand the rest.
        need = max(1, len(_grams(word)) - 4 * max_distance)
        good = uniq[counts >= need]
        if len(good) > 200:
            good = good[np.argsort(-counts[counts >= need], kind="stable")[:200]]
        out = []
        for wi in good:
            cand = self.words[int(wi)]
            d = damerau_levenshtein(word, cand, max_distance)
            if d <= max_distance:
                out.append((cand, d))
        out.sort(key=lambda x: (x[1], x[0]))
        return out
