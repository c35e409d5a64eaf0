"""Column-major (inverted) index, exact pruned scoring and partial top-k selection.

Song vectors are stored column-wise: for each term (or feeling expansion), the
songs that use it (``indices``) and their weights (``data``), in tiers of
decreasing weight, and row-wise for looking up a few songs.  Scoring a query
reads the heads of its columns and completes only the songs that can still
reach the top k, so the cost grows with the postings that matter, not with the
catalog; the best k are picked with a partial selection.
"""

from __future__ import annotations

import heapq
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

__all__ = ["InvertedIndex", "Scorer", "top_k", "SpellIndex", "damerau_levenshtein"]

# Scores are rounded before ranking so that songs whose scores differ only by
# floating-point summation order count as ties, and ties keep catalog order.
_DECIMALS = 9
# A song is pruned only when its bound is this far below the k-th best: scores
# closer than that may round to a tie, which catalog order then decides.
_SLACK = 2e-9
# A column longer than this is split into tiers by weight: its top 1/512, the
# next up to 1/128, then 1/32, and the rest.  The rest, most of the postings,
# is one run of ascending song ids, added up in one sweep of the accumulator
# (finer tiers down there cost more sweeps than the heads they allow save).
_TIERED = 2048
_TIER_SHARES = (1 / 512, 1 / 128, 1 / 32)
N_TIERS = len(_TIER_SHARES) + 1
# Heads are tried shallow to deep: cut so that a song seen in none of them is
# bounded by these shares of the k-th best score (lower reads more postings and
# leaves fewer songs to complete).
_TAIL_SHARES = (0.85, 0.6, 0.35, 0.15)
# Completing one song's score, looked up song by song, costs about as much as
# adding this many postings column by column.
_POSTINGS_PER_SONG = 1500

try:  # scipy's compiled sparse matrix x vector kernel, adding into a given vector
    from scipy.sparse._sparsetools import csc_matvec as _csc_matvec
except ImportError:  # pragma: no cover - a scipy without it: numpy does the same sums
    _csc_matvec = None


def _kernel_adds_like_numpy() -> bool:
    """Whether the kernel rounds the product before adding, as numpy does.

    A build that fused multiply and add would change scores in the last bit,
    and scores must be the same whichever path computes them."""
    if _csc_matvec is None:
        return False
    try:
        a = 1.0 + 2.0**-30
        acc = np.array([-1.0])
        _csc_matvec(1, 1, np.array([0, 1], np.int32), np.array([0], np.int32), np.array([a]), np.array([a]), acc)
        return float(acc[0]) == (a * a) - 1.0
    except Exception:  # pragma: no cover - a changed private signature
        return False


_IN_C = _kernel_adds_like_numpy()


def add_column(acc: np.ndarray, ids: np.ndarray, vals: np.ndarray, q: float) -> None:
    """``acc[ids] += vals * q`` in float64, for distinct ``ids``.

    Done in one compiled pass where scipy allows (several times faster than
    numpy's gather, add and scatter over a million postings); bit for bit
    the same sums either way.
    """
    if _IN_C and ids.dtype == np.int32 and len(ids):
        v = vals if vals.dtype == np.float64 else vals.astype(np.float64)
        _csc_matvec(len(acc), 1, np.array([0, len(ids)], np.int32), ids, v, np.array([q], np.float64), acc)
    else:
        acc[ids] += np.multiply(vals, q, dtype=np.float64)


@dataclass
class InvertedIndex:
    """A songs x columns matrix, kept two ways.

    Column by column (``indptr``, ``indices``, ``data``) with each column's
    postings in *impact tiers*: a long column's songs with the largest
    weights come first, then tiers of smaller ones (song ids ascending within
    a tier, which keeps adding them up cache-friendly).  ``tier_start[c, t]``
    is where tier t of column c starts (``tier_start[c, N_TIERS]`` its end)
    and ``tier_bound[c, t]`` the largest weight from tier t on, so the
    songs a column can lift most come first and the rest are bounded by one
    number.  And song by song (``row_indptr``, ``row_indices``, ``row_data``,
    CSR with sorted indices), to look up the weights of the few songs that
    need them.
    """

    indptr: np.ndarray  # int64, n_columns + 1
    indices: np.ndarray  # int32 song ids, by weight descending within each column
    data: np.ndarray  # float32 or float64 weights
    tier_start: np.ndarray  # int64, n_columns x (N_TIERS + 1)
    tier_bound: np.ndarray  # float64, n_columns x N_TIERS
    row_indptr: np.ndarray  # int32 or int64, n_docs + 1
    row_indices: np.ndarray  # int32 column ids, sorted within each song
    row_data: np.ndarray  # the same weights, song by song
    n_docs: int
    max_norm: float = 1.0  # the longest song vector (1 for L2-normalised rows)

    @property
    def max_weight(self) -> np.ndarray:
        """The largest weight of each column."""
        return self.tier_bound[:, 0]

    @classmethod
    def from_matrix(cls, matrix: sp.spmatrix) -> "InvertedIndex":
        """Index a songs x columns matrix (float32 or float64 weights >= 0)."""
        csr = sp.csr_matrix(matrix)
        if csr.dtype not in (np.float32, np.float64):
            csr = csr.astype(np.float64)
        csr.sort_indices()
        csc = csr.tocsc()
        indptr = csc.indptr.astype(np.int64)
        indices, data = csc.indices.astype(np.int32), csc.data
        tier_start, tier_bound = impact_tiers(indptr, indices, data)
        sq = np.asarray(csr.multiply(csr).sum(axis=1)).ravel()
        return cls(
            indptr=indptr,
            indices=indices,
            data=data,
            tier_start=tier_start,
            tier_bound=tier_bound,
            row_indptr=csr.indptr,
            row_indices=csr.indices.astype(np.int32, copy=False),
            row_data=csr.data,
            n_docs=int(csr.shape[0]),
            # a hair of slack: float32 rounding must never make a bound too tight
            max_norm=float(np.sqrt(sq.max())) * (1 + 1e-6) if len(sq) else 1.0,
        )

    @property
    def n_columns(self) -> int:
        return int(len(self.indptr) - 1)

    # the term index's columns are terms
    n_terms = n_columns

    def doc_freq(self) -> np.ndarray:
        return np.diff(self.indptr)


def impact_tiers(indptr: np.ndarray, indices: np.ndarray, data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split each long column into tiers by weight, in place (see InvertedIndex).

    The tiers' cut points are quantiles of a sample of the column's weights,
    so their sizes are near the shares aimed at; the bounds are exact.
    """
    n_cols = len(indptr) - 1
    lengths = np.diff(indptr)
    start = np.repeat(indptr[1:, None], N_TIERS + 1, axis=1)
    start[:, 0] = indptr[:-1]
    bound = np.zeros((n_cols, N_TIERS), np.float64)
    nonempty = np.flatnonzero(lengths > 0)
    if len(nonempty):
        bound[nonempty, 0] = np.maximum.reduceat(data, indptr[nonempty])
    shares = 1.0 - np.array(_TIER_SHARES)
    for j in np.flatnonzero(lengths > _TIERED).tolist():
        s, e = int(indptr[j]), int(indptr[j + 1])
        vals = data[s:e]
        cuts = np.quantile(vals[:: max(1, (e - s) // 4096)], shares)
        tier = np.zeros(e - s, np.uint8)
        for c in cuts:
            tier += vals < c
        order = np.argsort(tier, kind="stable")  # song ids stay ascending within a tier
        indices[s:e] = indices[s:e][order]
        data[s:e] = vals[order]
        counts = np.bincount(tier, minlength=N_TIERS)
        start[j, 1:] = s + np.cumsum(counts)
        tops = [float(data[a:b].max()) if b > a else 0.0 for a, b in zip(start[j, :-1], start[j, 1:])]
        # bound of tier t: the largest weight from tier t on
        bound[j] = np.maximum.accumulate(np.array(tops)[::-1])[::-1]
    return start, bound


def _head_plans(lists: list, targets: Sequence[float]) -> list[tuple[list[int], list[float]]]:
    """For each target, where to cut each column so that a song in none of
    the heads is bounded (by the first weight left in each column) below it.

    Greedy: the tier that lowers the bound most per posting is read next, so
    a short column is read whole and a long one only down to where its
    weights stop mattering.  Returns ``(tiers, tails)`` per target (tiers
    read per column, bound of each column's rest), shallow to deep.
    """
    js = [0] * len(lists)
    tails = [q * float(bound[0]) for _, _, q, _, _, _, bound in lists]
    left = sum(tails)

    def step(i: int) -> tuple[float, int]:
        _, _, q, _, _, start, bound = lists[i]
        j = js[i]
        after = q * float(bound[j + 1]) if j + 1 < N_TIERS else 0.0
        size = int(start[j + 1] - start[j])
        return -(tails[i] - after) / max(size, 1), i

    heap = [step(i) for i in range(len(lists))]
    heapq.heapify(heap)
    plans = []
    for target in targets:
        while left >= target and heap:
            _, i = heapq.heappop(heap)
            _, _, q, _, _, _, bound = lists[i]
            js[i] += 1
            after = q * float(bound[js[i]]) if js[i] < N_TIERS else 0.0
            left -= tails[i] - after
            tails[i] = after
            if js[i] < N_TIERS:
                heapq.heappush(heap, step(i))
        if left >= target:
            break
        plans.append((list(js), list(tails)))
    return plans


def _kth(values: np.ndarray, k: int) -> float:
    """The k-th largest of ``values`` (k <= len(values))."""
    return float(np.partition(values, len(values) - k)[len(values) - k])


class Scorer:
    """Exact top-k dot products over one or more :class:`InvertedIndex`.

    A query gives, per index, columns and their weights.  A song's score is
    the sum of weight x song weight over the query's columns, added in the
    order the query lists them (so every song's score is computed the same
    way, bit for bit, whichever path computes it).
    """

    def __init__(self, *indexes: InvertedIndex) -> None:
        self.indexes = indexes
        self.n_docs = indexes[0].n_docs
        self._local = threading.local()
        self._ones_cache = np.ones(0)

    def _scratch(self) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
        """Per-thread accumulators, allocated once and kept zeroed."""
        local = self._local
        if getattr(local, "acc", None) is None:
            local.acc = np.zeros(self.n_docs, np.float64)
            local.seen = np.zeros(self.n_docs, bool)
            local.slot = [np.full(ix.n_columns, -1, np.int32) for ix in self.indexes]
        return local.acc, local.seen, local.slot

    def candidates(
        self,
        queries: Sequence[tuple[np.ndarray, np.ndarray]],
        k: int,
        lower: Callable[[np.ndarray], np.ndarray] | None = None,
        allowed: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Songs that can reach the top k, with their exact dot products.

        ``queries[i]`` is ``(columns, weights)`` for index i (weights >= 0).
        ``lower(ids)`` gives a factor <= 1 such that score x factor is a lower
        bound of the final score (the final score never exceeds the dot
        product); ``allowed`` masks songs out.

        Exact pruning on impact-ordered columns.  A first look at the top
        tier of every column gives a lower bound of the k-th best final
        score, theta (a song's sum over those tiers never exceeds its score).
        Each column is then read down to a cut, chosen so that a song in none
        of the heads read is bounded (by the first weight left in each
        column) below theta; songs in some head are bounded by what they got
        plus the first weight left in the columns they were not in, and only
        the songs whose bound reaches theta have their scores completed,
        looked up song by song.  When completing them would cost more than
        adding up every posting, every posting is added up instead, and
        theta is raised to what the first look's songs' complete scores give.

        Returns ``(ids, scores)``, ids in no particular order.  Every song not
        returned scores below the k-th best returned one, so the top k is exact.
        """
        lists: list[tuple[np.ndarray, np.ndarray, float, int, int, np.ndarray, np.ndarray]] = []
        for x, (cols, weights) in enumerate(queries):
            ix = self.indexes[x]
            for c, q in zip(np.asarray(cols).tolist(), np.asarray(weights, np.float64).tolist()):
                s, e = int(ix.indptr[c]), int(ix.indptr[c + 1])
                if e > s and q != 0.0:
                    lists.append((ix.indices[s:e], ix.data[s:e], q, x, c, ix.tier_start[c] - s, ix.tier_bound[c]))
        if not lists:
            return np.empty(0, np.int64), np.empty(0, np.float64)
        total = sum(len(ids) for ids, *_ in lists)
        if k >= self.n_docs or total <= 8192 or not all(lst[2] > 0 for lst in lists):
            return self._all(lists, 0.0)
        seeds, partial = self._first_look(lists, allowed)
        if len(seeds) < k:
            return self._all(lists, 0.0)
        factor = lower(seeds) if lower is not None else np.ones(len(seeds))
        # a song's sum over the top tiers never exceeds its score: a lower bound
        # of the k-th best final score
        theta = _kth(partial * factor, k)
        if theta > 0:
            cand = self._heads(lists, theta, total)
            if cand is not None:
                if allowed is not None:
                    cand = cand[allowed[cand]]
                return cand, self.exact(lists, cand)
        return self._all(lists, theta, (seeds, factor, k))

    def _first_look(self, lists: list, allowed: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """The songs in the columns' top tiers (``allowed`` ones) and their sums
        over those tiers alone."""
        acc, seen, _ = self._scratch()
        found = []
        try:
            for ids, vals, q, _, _, start, _ in lists:
                n = int(start[1])
                ids, vals = ids[:n], vals[:n]
                add_column(acc, ids, vals, q)
                new = ids[~seen[ids]]
                seen[new] = True
                found.append(new)
            seeds = np.concatenate(found).astype(np.int64)
            if allowed is not None:
                seeds = seeds[allowed[seeds]]
            partial = acc[seeds]
        finally:
            for arr in found:
                acc[arr] = 0.0
                seen[arr] = False
        return seeds, partial

    def _all(self, lists: list, theta: float,
             seeds: tuple[np.ndarray, np.ndarray, int] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Every posting added up, column by column in query order.

        Given ``seeds`` (songs, their factors' lower bounds, k), theta is
        raised to the k-th best of their final scores' lower bounds, now that
        their scores are complete."""
        acc, *_ = self._scratch()
        total = sum(len(ids) for ids, *_ in lists)
        try:
            for ids, vals, q, *_ in lists:
                add_column(acc, ids, vals, q)
            if seeds is not None:
                ids, factor, k = seeds
                theta = max(theta, _kth(acc[ids] * factor, k))
            cand = self._touched(acc, lists, [len(ids) for ids, *_ in lists], max(theta - _SLACK, 0.0), total)
            return cand, acc[cand]
        finally:
            self._clear(acc, lists, [len(ids) for ids, *_ in lists], total)

    def _heads(self, lists: list, theta: float, total: int) -> np.ndarray | None:
        """Songs in the columns' heads whose bound reaches theta, or None when
        reading every posting costs less than completing them.

        Heads are read shallow to deep (see :func:`_head_plans`) until the
        songs left to complete cost less than reading the next, deeper heads."""
        scan = self.n_docs // 4  # a pass over all songs, in postings
        best, best_cost = None, total + scan
        tried: list[int] = []
        for tiers, tails in _head_plans(lists, [min(s * theta, theta - 2 * _SLACK) for s in _TAIL_SHARES]):
            if tiers == tried:
                continue  # a deeper target this plan met already
            tried = tiers
            cuts = [int(lst[5][j]) for lst, j in zip(lists, tiers)]
            read = sum(cuts)
            # the songs that can pass on one head alone: a guess at how many will
            need = theta - _SLACK - sum(tails)
            guess = sum(int(start[np.count_nonzero(q * bound[:j] - tail >= need)] - start[0])
                        for (_, _, q, _, _, start, bound), j, tail in zip(lists, tiers, tails))
            # each head posting is added, then has its column's tail taken off
            cost = 2 * read + (scan if read * 64 > self.n_docs else 0)
            if cost >= best_cost:
                break
            if cost + _POSTINGS_PER_SONG * guess >= best_cost:
                continue
            cand = self._head_songs(lists, cuts, tails, theta)
            cost += _POSTINGS_PER_SONG * len(cand)
            if cost < best_cost:
                best, best_cost = cand, cost
        return best

    def _head_songs(self, lists: list, cuts: list[int], tails: list[float], theta: float) -> np.ndarray:
        """Songs in the heads cut at ``cuts`` whose bound reaches theta."""
        # A song's bound is what the tails can still give every song, plus,
        # for each head it is in, its weight there less that column's tail bound.
        gain, *_ = self._scratch()
        left = sum(tails)
        read = sum(cuts)
        try:
            for (ids, vals, q, *_), n, tail in zip(lists, cuts, tails):
                if n:
                    add_column(gain, ids[:n], vals[:n], q)
                    if tail > 0:
                        add_column(gain, ids[:n], self._ones(n), -tail)
            # heads hold no song with a gain of 0 that could reach theta, as left < theta
            return self._touched(gain, lists, cuts, max(theta - _SLACK - left, 0.0), read)
        finally:
            self._clear(gain, lists, cuts, read)

    def _ones(self, n: int) -> np.ndarray:
        """n ones (float64), from one shared array grown as needed."""
        ones = self._ones_cache
        if len(ones) < n:
            ones = self._ones_cache = np.ones(max(n, 2 * len(ones)))
        return ones[:n]

    def _touched(self, acc: np.ndarray, lists: list, cuts: list[int], at_least: float, read: int) -> np.ndarray:
        """Songs with ``acc`` > 0 and >= ``at_least``, among the first ``cuts`` postings."""
        # one pass over all songs beats gathering postings past a few percent of them
        if read * 64 > self.n_docs:
            return np.flatnonzero(acc >= at_least) if at_least > 0 else np.flatnonzero(acc)
        parts = [ids[:n] for (ids, *_), n in zip(lists, cuts) if n]
        if not parts:
            return np.empty(0, np.int64)
        # filter first, then drop repeats: the survivors are far fewer than the postings
        ids = np.concatenate(parts)
        v = acc[ids]
        return np.unique(ids[(v >= at_least) & (v > 0)]).astype(np.int64)

    def _clear(self, acc: np.ndarray, lists: list, cuts: list[int], read: int) -> None:
        if read * 32 > self.n_docs:  # a memset beats scattering zeros past 3% of the songs
            acc.fill(0.0)
        else:
            for (ids, *_), n in zip(lists, cuts):
                acc[ids[:n]] = 0.0

    def both(self, x: int, a: int, b: int) -> np.ndarray:
        """The songs having both column ``a`` and column ``b`` of index ``x``, ascending.

        Costs the two columns' lengths (marks in per-thread scratch), never a
        pass over all songs."""
        ix = self.indexes[x]
        ia = ix.indices[ix.indptr[a] : ix.indptr[a + 1]]
        ib = ix.indices[ix.indptr[b] : ix.indptr[b + 1]]
        if len(ia) > len(ib):
            ia, ib = ib, ia
        _, seen, _ = self._scratch()
        seen[ia] = True
        try:
            found = ib[seen[ib]]
        finally:
            seen[ia] = False
        return np.sort(found)

    def exact(self, lists: list, ids: np.ndarray) -> np.ndarray:
        """Exact scores of ``ids``, summed column by column in query order."""
        *_, slot = self._scratch()
        used = sorted({lst[3] for lst in lists})
        for j, (_, _, _, x, c, _, _) in enumerate(lists):
            slot[x][c] = j
        weights = np.array([lst[2] for lst in lists])
        owners, where, values = [], [], []
        try:
            for x in used:
                ix = self.indexes[x]
                starts = ix.row_indptr[ids].astype(np.int64)
                lengths = ix.row_indptr[ids + 1] - starts
                n = int(lengths.sum())
                if n == 0:
                    continue
                ends = np.cumsum(lengths)
                flat = np.arange(n, dtype=np.int64) + np.repeat(starts - (ends - lengths), lengths)
                pos = slot[x][ix.row_indices[flat]]
                hit = pos >= 0
                owners.append(np.repeat(np.arange(len(ids)), lengths)[hit])
                where.append(pos[hit])
                values.append(ix.row_data[flat[hit]].astype(np.float64))
        finally:
            for _, _, _, x, c, _, _ in lists:
                slot[x][c] = -1
        if not owners:
            return np.zeros(len(ids))
        owner = np.concatenate(owners)
        pos = np.concatenate(where)
        contrib = np.concatenate(values) * weights[pos]
        # column order first, so each song's sum runs in query order
        order = np.argsort(pos.astype(np.uint16 if len(lists) < 1 << 16 else np.int64), kind="stable")
        return np.bincount(owner[order], weights=contrib[order], minlength=len(ids))


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

    def candidates(self, word: str, max_distance: int, same_start: bool = False) -> list[tuple[str, int]]:
        """Known words within ``max_distance`` edits of ``word``, nearest first
        (only those starting with its first letter if ``same_start``)."""
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
        for wi in good.tolist():
            cand = self.words[wi]
            if same_start and cand[:1] != word[:1]:
                continue
            d = damerau_levenshtein(word, cand, max_distance)
            if d <= max_distance:
                out.append((cand, d))
        out.sort(key=lambda x: (x[1], x[0]))
        return out
