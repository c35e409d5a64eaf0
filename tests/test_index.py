"""The inverted index: pruning is exact, top-k selection keeps ties in order."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import moodrec
from moodrec._index import (
    N_TIERS,
    InvertedIndex,
    Scorer,
    SpellIndex,
    _head_plans,
    damerau_levenshtein,
    top_k,
)
from moodrec._recommender import QueryPlan

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from _generate import make_catalog, make_queries  # noqa: E402


@pytest.fixture(scope="module")
def synthetic() -> moodrec.Recommender:
    return moodrec.Recommender().fit(make_catalog(3000, seed=7))


def test_pruned_top_k_equals_the_full_ranking(synthetic: moodrec.Recommender) -> None:
    rec = synthetic
    for q in make_queries(60, seed=3):
        plan = rec.analyze(q)
        full_ids, full_scores = rec._rank(plan, rec.n_songs_)  # no pruning possible
        for k in (1, 5, 20):
            ids, scores = rec._rank(plan, k)
            assert ids.tolist() == full_ids[:k].tolist(), q
            assert scores.tolist() == full_scores[:k].tolist(), q


def test_pruned_top_k_with_filters_equals_filtered_full_ranking(synthetic: moodrec.Recommender) -> None:
    rec = synthetic
    allowed = np.ones(rec.n_songs_, bool)
    allowed[::3] = False
    for q in make_queries(30, seed=5):
        plan = rec.analyze(q)
        full_ids, _ = rec._rank(plan, rec.n_songs_, allowed, [1, 2])
        ids, _ = rec._rank(plan, 7, allowed, [1, 2])
        assert ids.tolist() == full_ids[:7].tolist(), q
        assert not set(ids.tolist()) & {1, 2} and allowed[ids].all()


def _random_index(rng: np.random.Generator, n_docs: int, n_cols: int, density: float, dtype: type) -> tuple:
    import scipy.sparse as sp

    m = sp.random(n_docs, n_cols, density=density, random_state=rng, format="csr", dtype=np.float64)
    # a few exact ties in each column, as songs with the same words give
    m.data = np.round(m.data * 8) / 8 + 0.125
    m = m.astype(dtype)
    return InvertedIndex.from_matrix(m), m.toarray().astype(np.float64)


def test_index_columns_are_in_impact_order_and_rows_match() -> None:
    index, dense = _random_index(np.random.default_rng(0), 20_000, 40, 0.2, np.float32)
    for c in range(index.n_columns):
        s, e = index.indptr[c], index.indptr[c + 1]
        start, bound = index.tier_start[c], index.tier_bound[c]
        assert start[0] == s and start[-1] == e and np.all(np.diff(start) >= 0)
        assert index.max_weight[c] == dense[:, c].max()
        for t in range(N_TIERS):
            tier = slice(start[t], start[t + 1])
            assert np.all(np.diff(index.indices[tier]) > 0)  # song ids ascending within a tier
            assert index.data[start[t]:e].max(initial=0.0) == bound[t]  # the bound from tier t on
        got = np.zeros(index.n_docs)
        got[index.indices[s:e]] = index.data[s:e]
        assert got.tolist() == dense[:, c].tolist()
    rows = np.zeros_like(dense)
    for r in range(index.n_docs):
        s, e = index.row_indptr[r], index.row_indptr[r + 1]
        rows[r, index.row_indices[s:e]] = index.row_data[s:e]
    assert rows.tolist() == dense.tolist()


def _assert_exact_top_k(scorer: Scorer, dense: list[np.ndarray], queries: list, k: int,
                        lower: np.ndarray | None = None, allowed: np.ndarray | None = None) -> None:
    """The candidates hold the true top k (by final score, ties by id), with exact scores."""
    exact = sum(d[:, cols] @ w for d, (cols, w) in zip(dense, queries))
    final = exact * (lower if lower is not None else 1.0)
    ok = np.ones(len(exact), bool) if allowed is None else allowed
    ids, scores = scorer.candidates(queries, k, None if lower is None else (lambda r: lower[r]), allowed)
    assert len(set(ids.tolist())) == len(ids)
    assert np.allclose(scores, exact[ids], rtol=0, atol=1e-12)
    want, _ = top_k(np.flatnonzero(ok & (exact > 0)), final[ok & (exact > 0)], k)
    keep = ok[ids] & (scores > 0)
    got, _ = top_k(ids[keep], scores[keep] * (lower[ids[keep]] if lower is not None else 1.0), k)
    assert got.tolist() == want.tolist()


def test_pruned_candidates_hold_the_exact_top_k_on_random_indexes(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = {"heads": 0, "all": 0}
    for path in calls:
        def counted(self, *args, _path=path, _f=getattr(Scorer, f"_{path}")):  # type: ignore[no-untyped-def]
            calls[_path] += 1
            return _f(self, *args)
        monkeypatch.setattr(Scorer, f"_{path}", counted)
    rng = np.random.default_rng(1)
    for trial in range(16):
        n_docs = int(rng.integers(12_000, 30_000))
        terms, d_terms = _random_index(rng, n_docs, 30, float(rng.uniform(0.05, 0.4)), np.float32)
        feels, d_feels = _random_index(rng, n_docs, 6, float(rng.uniform(0.1, 0.5)), np.float64)
        scorer = Scorer(terms, feels)
        for _ in range(5):
            t = np.unique(rng.integers(0, 30, size=int(rng.integers(1, 12)))).astype(np.int64)
            f = np.unique(rng.integers(0, 6, size=int(rng.integers(0, 4)))).astype(np.int64)
            queries = [(t, rng.random(len(t)) + 0.01), (f, rng.random(len(f)) * 3)]
            k = int(rng.choice([1, 5, 10, 50]))
            _assert_exact_top_k(scorer, [d_terms, d_feels], queries, k)
            lower = rng.uniform(0.2, 1.0, n_docs)
            allowed = rng.random(n_docs) < 0.7
            _assert_exact_top_k(scorer, [d_terms, d_feels], queries, k, lower, allowed)
        # scratch space is left clean for the next query
        acc, seen, slot = scorer._scratch()
        assert not acc.any() and not seen.any()
        assert all((s == -1).all() for s in slot)
    assert calls["heads"] > 10 and calls["all"] > 10  # both paths were taken


def test_head_plans_bound_songs_outside_the_heads_below_each_target() -> None:
    rng = np.random.default_rng(3)
    index, _ = _random_index(rng, 40_000, 8, 0.2, np.float64)
    lists = []
    for c in range(index.n_columns):
        s, e = int(index.indptr[c]), int(index.indptr[c + 1])
        lists.append((index.indices[s:e], index.data[s:e], float(rng.uniform(0.1, 1.0)), 0, c,
                      index.tier_start[c] - s, index.tier_bound[c]))
    ub = sum(q * float(bound[0]) for _, _, q, _, _, _, bound in lists)
    targets = [0.8 * ub, 0.5 * ub, 0.2 * ub, 0.05 * ub]
    plans = _head_plans(lists, targets)
    assert len(plans) == len(targets)
    for (tiers, tails), target in zip(plans, targets):
        for (ids, vals, q, _, _, start, bound), j, tail in zip(lists, tiers, tails):
            # the tail bound holds for every posting left unread
            assert q * vals[start[j]:].max(initial=0.0) <= tail
        assert sum(tails) < target
    for (shallow, _), (deep, _) in zip(plans, plans[1:]):
        assert all(a <= b for a, b in zip(shallow, deep))


def test_theta_raised_from_complete_scores_keeps_the_exact_top_k(monkeypatch: pytest.MonkeyPatch) -> None:
    # Long columns of weights of similar size, as feeling expansions give: the
    # heads do not pay, every posting is added up, and theta is then raised
    # to what the first look's songs' complete scores give.
    import scipy.sparse as sp

    rng = np.random.default_rng(4)
    n_docs = 30_000
    m = sp.random(n_docs, 8, density=0.3, random_state=rng, format="csr", dtype=np.float64)
    m.data = 0.5 + np.round(m.data * 8) / 16  # ties too
    index, dense = InvertedIndex.from_matrix(m), m.toarray()
    scorer = Scorer(index)
    raised = []
    every = Scorer._all

    def counted(self, lists, theta, seeds=None):  # type: ignore[no-untyped-def]
        ids, scores = every(self, lists, theta, seeds)
        if seeds is not None:
            raised.append(len(ids))
        return ids, scores

    monkeypatch.setattr(Scorer, "_all", counted)
    for _ in range(30):
        cols = np.unique(rng.integers(0, 8, size=int(rng.integers(1, 6)))).astype(np.int64)
        queries = [(cols, rng.random(len(cols)) + 0.05)]
        k = int(rng.choice([1, 10, 100]))
        lower = rng.uniform(0.3, 1.0, n_docs)
        _assert_exact_top_k(scorer, [dense], queries, k, lower)
        _assert_exact_top_k(scorer, [dense], queries, k, lower, rng.random(n_docs) < 0.5)
    assert len(raised) > 20 and max(raised) < n_docs // 2  # the path was taken, and it pruned


def test_pruned_and_unpruned_scores_agree_bit_for_bit() -> None:
    # The heads path completes scores song by song, the full path adds up
    # columns: both add in query order, so ties stay ties.
    rng = np.random.default_rng(2)
    terms, _ = _random_index(rng, 20_000, 20, 0.3, np.float32)
    scorer = Scorer(terms)
    for _ in range(20):
        t = np.unique(rng.integers(0, 20, size=6)).astype(np.int64)
        queries = [(t, rng.random(len(t)) + 0.01)]
        ids, scores = scorer.candidates(queries, 5)
        all_ids, all_scores = scorer.candidates(queries, terms.n_docs)
        full = dict(zip(all_ids.tolist(), all_scores.tolist()))
        assert len(ids) < len(all_ids)  # pruning did happen
        assert [full[i] for i in ids.tolist()] == scores.tolist()


def test_top_k_ties_keep_ascending_ids() -> None:
    ids = np.array([2, 5, 7, 9, 11])
    scores = np.array([0.5, 0.7, 0.5, 0.7, 0.5])
    got, s = top_k(ids, scores, 3)
    assert got.tolist() == [5, 9, 2]
    assert top_k(ids, scores, 10)[0].tolist() == [5, 9, 2, 7, 11]


def test_spell_index_finds_near_words() -> None:
    index = SpellIndex.build(["lonely", "heartache", "graduation", "night"])
    assert index.candidates("lonley", 1)[0] == ("lonely", 1)
    assert index.candidates("hartache", 1)[0] == ("heartache", 1)
    assert index.candidates("zzzz", 2) == []
    assert damerau_levenshtein("graduaton", "graduation") == 1
    near = SpellIndex.build(["night", "light", "might", "nights"])
    assert near.candidates("nighs", 2) == [("night", 1), ("nights", 1), ("light", 2), ("might", 2)]
    assert near.candidates("nighs", 2, same_start=True) == [("night", 1), ("nights", 1)]


def _proximity_factors(rec: moodrec.Recommender, plan: QueryPlan, rows: np.ndarray) -> np.ndarray:
    """Every song's exact proximity factor, reading the texts of only the songs
    with both words of some pair (a share of 0 for the others)."""
    if not plan.pairs or rec.proximity == 0:
        return np.ones(len(rows))
    pair_terms, pair_ids = rec._pair_terms(plan)
    out = np.full(len(rows), 1.0 - float(rec.proximity))  # the factor of a share of 0
    for j in np.flatnonzero(rec._pairs_had(plan, rows)).tolist():
        share = rec._pair_share(plan, int(rows[j]), pair_terms, pair_ids)
        out[j] = 1.0 - float(rec.proximity) * (1.0 - share)
    return out


def test_proximity_reads_only_songs_with_a_pair_and_agrees(synthetic: moodrec.Recommender) -> None:
    rec = synthetic
    rows = np.arange(rec.n_songs_)
    checked = 0
    for q in make_queries(40, seed=9) + ["drinking alone tonight", "rainy night walk"]:
        plan = rec.analyze(q)
        if not plan.pairs:
            continue
        fast = _proximity_factors(rec, plan, rows)
        slow = [1.0 - rec.proximity * (1.0 - rec._read_pair_share(plan, r, None, None)) for r in rows.tolist()]
        assert fast.tolist() == slow, q
        checked += int((fast > 1.0 - rec.proximity).sum())
    assert checked > 0  # some songs had a pair side by side


def test_proximity_bounds_hold_and_pruned_proximity_ranking_equals_brute_force(
    synthetic: moodrec.Recommender,
) -> None:
    # Texts are read only for songs whose bound can reach the k-th best: the
    # bound must never be below the exact factor, and the top k must be the
    # one every song's exact factor gives.
    rec = synthetic
    rows = np.arange(rec.n_songs_)
    checked = 0
    for q in make_queries(40, seed=13) + ["drinking alone tonight", "rainy night walk", "tell him i love him"]:
        plan = rec.analyze(q)
        if not plan.pairs or len(plan.terms) == 0:
            continue
        exact = _proximity_factors(rec, plan, rows)
        upper, known = rec._proximity_bounds(rec.analyze(q), rows)
        assert np.all(upper >= exact), q
        assert np.array_equal(known[~np.isnan(known)], exact[~np.isnan(known)]), q
        # the same bounds from the pair words' columns as from the songs' rows
        v = rec.vocabulary_
        pair_songs = [rec._scorer.both(0, v[x], v[y]) for x, y in plan.pairs]
        by_columns = rec._proximity_bounds(rec.analyze(q), rows, pair_songs)
        assert by_columns[0].tolist() == upper.tolist(), q
        assert np.array_equal(by_columns[1], known, equal_nan=True), q
        ids, dots = rec._scorer.candidates(plan.scoring, rec.n_songs_)
        scores = np.clip(dots * rec._factor(plan, ids), 0.0, 1.0)
        ids, scores = ids[scores > 0], scores[scores > 0]
        ranked, ranked_scores = top_k(ids, scores, len(ids))
        want_ids, want_scores = top_k(ranked, ranked_scores * exact[ranked], len(ranked))
        for k in (1, 3, 10, 40):
            got_ids, got_scores = rec._rank(rec.analyze(q), k)
            assert got_ids.tolist() == want_ids[:k].tolist(), (q, k)
            assert got_scores.tolist() == want_scores[:k].tolist(), (q, k)
        checked += 1
    assert checked > 10


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_add_column_sums_like_numpy_bit_for_bit(dtype: type, monkeypatch: pytest.MonkeyPatch) -> None:
    from moodrec import _index

    rng = np.random.default_rng(4)
    n = 5000
    cols = [(np.sort(rng.choice(n, size=int(rng.integers(1, n)), replace=False)).astype(np.int32),
             rng.random(n).astype(dtype), float(rng.random())) for _ in range(6)]
    want = np.zeros(n)
    for ids, vals, q in cols:
        want[ids] += np.multiply(vals[: len(ids)], q, dtype=np.float64)
    for in_c in (True, False):
        monkeypatch.setattr(_index, "_IN_C", in_c and _index._kernel_adds_like_numpy())
        got = np.zeros(n)
        for ids, vals, q in cols:
            _index.add_column(got, ids, vals[: len(ids)], q)
        assert got.tobytes() == want.tobytes()


def test_mood_only_queries_pruned_equal_the_full_ranking(synthetic: moodrec.Recommender) -> None:
    rec = synthetic
    for q in ["not sad", "not happy", "not upbeat", "not bright"]:
        plan = rec.analyze(q)
        assert len(plan.terms) == 0 and plan.valence != 0
        full_ids, full_scores = rec._rank(plan, rec.n_songs_)
        for k in (1, 5, 20):
            ids, scores = rec._rank(plan, k)
            assert ids.tolist() == full_ids[:k].tolist(), (q, k)
            assert scores.tolist() == full_scores[:k].tolist(), (q, k)
            assert len(rec._mood_only(plan, k)[0]) < len(rec._mood_only(plan)[0])  # pruning did happen
