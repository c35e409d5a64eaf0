"""The inverted index: pruning is exact, top-k selection keeps ties in order."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import moodrec
from moodrec._index import InvertedIndex, SpellIndex, damerau_levenshtein, top_k

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


def test_candidates_against_dense_dot_products() -> None:
    rng = np.random.default_rng(0)
    import scipy.sparse as sp

    m = sp.random(500, 80, density=0.08, random_state=1, format="csr", dtype=np.float64)
    index = InvertedIndex.from_matrix(m)
    dense = m.toarray()
    for _ in range(50):
        terms = np.unique(rng.integers(0, 80, size=6)).astype(np.int64)
        weights = rng.random(len(terms))
        exact = dense[:, terms] @ weights
        ids, scores = index.candidates(terms, weights, 5)
        got = dict(zip(ids.tolist(), scores.tolist()))
        best = np.argsort(-exact, kind="stable")[:5]
        for b in best:
            if exact[b] > 0:
                assert int(b) in got
                assert got[int(b)] == pytest.approx(exact[b])
    # scratch space is left clean for the next query
    acc, seen = index._scratch()
    assert not acc.any() and not seen.any()


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
