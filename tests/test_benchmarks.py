"""The evaluation itself: metrics are right and the judged query set is valid."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import pytest

import moodrec

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import quality  # noqa: E402


def test_ndcg_mrr_recall() -> None:
    grades = {"a": 2, "b": 1, "c": 1}
    assert quality.ndcg_at(["a", "b", "c"], grades) == pytest.approx(1.0)
    assert quality.ndcg_at(["x", "y"], grades) == 0.0
    worse = quality.ndcg_at(["b", "a", "c"], grades)
    assert 0.0 < worse < 1.0
    assert quality.reciprocal_rank(["x", "y", "c"], grades) == pytest.approx(1 / 3)
    assert quality.recall_at(["a", "x"], grades, 10) == pytest.approx(1 / 3)


def test_judged_queries_are_valid() -> None:
    queries = quality.load_queries()
    ids = set(moodrec.load_songs()["song_id"])
    kinds = Counter(q.kind for q in queries)
    assert len(queries) >= 80
    assert set(kinds) == set(quality.KINDS) and min(kinds.values()) >= 10
    assert {"dev", "test"} <= {q.split for q in queries} <= {"dev", "test", "fresh"}
    assert len({q.query for q in queries}) == len(queries)
    for q in queries:
        assert q.grades and set(q.grades.values()) <= {0, 1, 2} and 2 in q.grades.values(), q.query_id
        assert set(q.grades) <= ids, (q.query_id, set(q.grades) - ids)


def test_moodrec_beats_the_plain_baseline() -> None:
    songs = moodrec.load_songs()
    queries = quality.load_queries()
    ours = quality.evaluate(quality.moodrec_ranker(songs), queries)["ndcg@5"].mean()
    plain = quality.evaluate(quality.plain_tfidf_ranker(songs), queries)["ndcg@5"].mean()
    assert ours > plain + 0.1


def test_pooled_grades_are_valid() -> None:
    """Pooled grades name real queries and songs, never regrade an initial judgment, and use 0-2."""
    pooled = quality.load_pooled()
    if not pooled:
        pytest.skip("no pooled grades")
    initial = {q.query_id: q for q in quality.load_queries(with_pooled=False)}
    ids = set(moodrec.load_songs()["song_id"])
    for qid, grades in pooled.items():
        assert qid in initial, qid
        assert set(grades) <= ids, (qid, set(grades) - ids)
        assert set(grades.values()) <= {0, 1, 2}, qid
        assert not set(grades) & set(initial[qid].grades), (qid, set(grades) & set(initial[qid].grades))
    merged = {q.query_id: q.grades for q in quality.load_queries()}
    for qid, grades in pooled.items():
        assert merged[qid].items() >= grades.items()


def test_judged_share_counts_zero_grades_as_judged() -> None:
    assert quality.judged_at(["a", "b", "c", "d"], {"a": 2, "c": 0}, 5) == 0.5
    assert quality.judged_at([], {"a": 2}) == 1.0
    assert quality.ndcg_at(["c", "a"], {"a": 2, "c": 0}) < 1.0


def test_second_grading_regrades_judged_songs_only() -> None:
    """The second grading regrades the songs the first judges graded for a
    query (at the time: later pooling rounds add more), and nothing else."""
    second = quality.load_second_grades()
    queries = {q.query_id: q for q in quality.load_queries()}
    assert len(second) >= 60
    kinds = Counter(queries[qid].kind for qid in second)
    assert set(kinds) == set(quality.KINDS)
    for qid, grades in second.items():
        assert set(grades) <= set(queries[qid].grades), qid
        assert set(grades.values()) <= {0, 1, 2}, qid


def test_a_grading_ranks_its_groups_in_order_and_ties_at_their_mean_gain() -> None:
    grades = {"a": 2, "b": 1, "c": 0, "d": 0}
    assert quality.ndcg_of_grading(grades, grades) == pytest.approx(1.0)
    # reversed, the ranking is the worst one
    worst = quality.ndcg_at(["c", "d", "b", "a"], grades)
    assert quality.ndcg_of_grading({"a": 0, "b": 1, "c": 2, "d": 2}, grades) == pytest.approx(worst)
    # one tie of all four: every place gains the mean gain, (3 + 1 + 0 + 0) / 4 = 1,
    # which is the gain of grade 1
    mean = quality.dcg([1, 1, 1, 1])
    assert quality.ndcg_of_grading(dict.fromkeys(grades, 1), grades) == pytest.approx(
        mean / quality.dcg([2, 1, 0, 0]))
    assert quality.weighted_kappa([0, 1, 2, 0], [0, 1, 2, 0]) == pytest.approx(1.0)
    assert quality.weighted_kappa([0, 0, 2, 2], [2, 2, 0, 0]) < 0


def test_unseen_folds_split_the_examples_and_forms_read_the_query() -> None:
    import unseen

    examples = unseen.load_examples()
    folds = Counter(unseen.fold_of(e["id"]) for e in examples)
    assert set(folds) == set(range(unseen.N_FOLDS))
    assert min(folds.values()) > 0.15 * len(examples)  # a hash, so roughly a fifth each
    # a stable hash (not Python's salted hash()): the same folds in every run
    assert [unseen.fold_of(x) for x in ["s1-001", "s7-050", "s26-100"]] == [0, 4, 3]
    assert [unseen.form_of(q) for q in ["missing grandma", "헤어진 지 한 달", "she only sees me as a buddy",
                                         " ".join(["word"] * 15)]] == ["short", "korean", "other", "long"]
