"""The Dask batch example of docs/scaling.md (docs/examples/dask_batch.py) gives, row for
row, what Recommender.recommend gives one query at a time, on every local scheduler."""

from __future__ import annotations

import doctest
import importlib
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest

import moodrec

EXAMPLES = Path(__file__).resolve().parents[1] / "docs" / "examples"
K = 5


@pytest.fixture(scope="module")
def example() -> Iterator[ModuleType]:
    # Imported by name from sys.path, as on a real worker, so that the
    # "processes" scheduler's children can import it and keep its model cache.
    sys.path.insert(0, str(EXAMPLES))
    try:
        yield importlib.import_module("dask_batch")
    finally:
        sys.path.remove(str(EXAMPLES))
        sys.modules.pop("dask_batch", None)


@pytest.fixture(scope="module")
def dask_installed() -> None:
    pytest.importorskip("dask")


@pytest.fixture(scope="module")
def fitted(tmp_path_factory: pytest.TempPathFactory) -> tuple[moodrec.Recommender, Path]:
    rec = moodrec.Recommender().fit(moodrec.load_songs())
    folder = tmp_path_factory.mktemp("dask") / "model-v1"
    rec.save(folder)
    return rec, folder


@pytest.fixture(scope="module")
def queries() -> pd.DataFrame:
    """About 200 varied queries, with ids that are neither 0..n-1 nor in order."""
    songs = moodrec.load_songs()
    feelings = [
        "drinking alone", "breakup", "missing someone", "first love", "rainy night",
        "she moved away and I still pour two cups of coffee", "외로운 밤", "brokn heart",
        "not sad at all, happy", "graduation with friends", "thank you mom", "이별",
        "walking home in the rain", "cant sleep", "wedding day", "qqqzzx vvvkk",
    ]
    texts = list(feelings)
    for blurb in songs["blurb"].head(150):
        texts.append(" ".join(str(blurb).split()[2:7]))
    for title, artist in zip(songs["title"].head(30), songs["artist"].head(30)):
        texts.append(f"{title} {artist}")
    texts += feelings[:4]  # repeated texts under new ids
    ids = [10_007 * (i + 1) % 99_991 for i in range(len(texts))]
    return pd.DataFrame({"query_id": ids, "query": texts})


@pytest.fixture(scope="module")
def expected(fitted, queries) -> list[tuple]:
    """What recommend() gives one query at a time, as rows, computed once."""
    return expected_rows(fitted[0], queries)


def expected_rows(rec: moodrec.Recommender, queries: pd.DataFrame, k: int = K) -> list[tuple]:
    rows = []
    for qid, q in zip(queries["query_id"], queries["query"]):
        for m in rec.recommend(q, k):
            rows.append((qid, m.rank, m.song_id, m.score))
    return rows


def rows_of(frame: pd.DataFrame) -> list[tuple]:
    return list(zip(frame["query_id"].tolist(), frame["rank"].tolist(),
                    frame["song_id"].tolist(), frame["score"].tolist()))


@pytest.mark.usefixtures("dask_installed")
@pytest.mark.parametrize("scheduler", ["synchronous", "threads", "processes"])
def test_rows_equal_one_by_one(example, fitted, queries, expected, scheduler):
    _, folder = fitted
    start = time.perf_counter()
    out = example.recommend_partitioned(folder, queries, k=K, npartitions=4, scheduler=scheduler)
    assert time.perf_counter() - start < 20
    assert list(out.columns) == ["query_id", "rank", "song_id", "score"]
    want = expected
    assert rows_of(out) == want  # same ids, ranks, songs and scores (exact floats), same order
    assert 200 <= len(queries) and len(want) > 3 * len(queries)  # the test is not vacuous
    assert set(out["query_id"]) <= set(queries["query_id"])
    assert out["query_id"].dtype == queries["query_id"].dtype
    assert out["rank"].dtype == "int64" and out["score"].dtype == "float64"
    # a query that matches nothing has no row, and only such a query
    unmatched = set(queries["query_id"]) - set(out["query_id"])
    assert unmatched == set(queries["query_id"]) - {row[0] for row in want}
    assert "qqqzzx vvvkk" in queries.set_index("query_id").loc[sorted(unmatched), "query"].tolist()


@pytest.mark.usefixtures("dask_installed")
def test_partitioning_does_not_change_results(example, fitted, queries):
    _, folder = fitted
    one = example.recommend_partitioned(folder, queries, k=3, npartitions=1, scheduler="synchronous")
    many = example.recommend_partitioned(folder, queries, k=3, npartitions=13, scheduler="threads")
    pd.testing.assert_frame_equal(one, many)


@pytest.mark.usefixtures("dask_installed")
def test_string_ids_and_more_partitions_than_queries(example, fitted):
    rec, folder = fitted
    queries = pd.DataFrame({"query_id": ["b", "a"], "query": ["rain", "first love"]})
    out = example.recommend_partitioned(folder, queries, k=2, npartitions=8, scheduler="threads")
    assert rows_of(out) == expected_rows(rec, queries, k=2)
    assert out["query_id"].tolist() == ["b", "b", "a", "a"]


@pytest.mark.usefixtures("dask_installed")
def test_empty_input_gives_empty_frame(example, fitted):
    _, folder = fitted
    queries = pd.DataFrame({"query_id": pd.Series([], dtype="int64"), "query": pd.Series([], dtype=str)})
    out = example.recommend_partitioned(folder, queries, scheduler="synchronous")
    assert list(out.columns) == ["query_id", "rank", "song_id", "score"] and len(out) == 0


@pytest.mark.usefixtures("dask_installed")
def test_bad_query_names_its_query_id(example, fitted):
    _, folder = fitted
    queries = pd.DataFrame({"query_id": [1, 2, 3], "query": ["rain", "   ", "first love"]})
    with pytest.raises(ValueError, match=r"^query_id 2: query is empty"):
        example.recommend_partitioned(folder, queries, scheduler="synchronous")
    queries = pd.DataFrame({"query_id": [1, 2], "query": ["rain", None]})
    with pytest.raises(TypeError, match=r"^query_id 2: query must be a str"):
        example.recommend_partitioned(folder, queries, scheduler="threads")


@pytest.mark.usefixtures("dask_installed")
@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"k": 0}, ValueError, "k must be a positive integer, got 0"),
        ({"npartitions": 0}, ValueError, "npartitions must be a positive integer, got 0"),
        ({"scheduler": "distributed"}, ValueError, "scheduler must be one of synchronous, threads, processes"),
    ],
)
def test_bad_arguments(example, fitted, kwargs, error, message):
    _, folder = fitted
    queries = pd.DataFrame({"query_id": [1], "query": ["rain"]})
    with pytest.raises(error, match=message):
        example.recommend_partitioned(folder, queries, **kwargs)


@pytest.mark.usefixtures("dask_installed")
def test_bad_query_frames_and_paths(example, fitted, tmp_path):
    _, folder = fitted
    with pytest.raises(ValueError, match=r"query_id must be unique, got 1 repeated, e\.g\. \[1\]"):
        example.recommend_partitioned(folder, pd.DataFrame({"query_id": [1, 1], "query": ["a", "b"]}))
    with pytest.raises(ValueError, match=r"missing \['query_id'\]"):
        example.recommend_partitioned(folder, pd.DataFrame({"id": [1], "query": ["rain"]}))
    with pytest.raises(TypeError, match="queries must be a pandas DataFrame, got list"):
        example.recommend_partitioned(folder, ["rain"])
    with pytest.raises(FileNotFoundError, match="no saved model"):
        example.recommend_partitioned(tmp_path / "nowhere", pd.DataFrame({"query_id": [1], "query": ["rain"]}))


def test_cache_loads_once_per_path_and_reloads_a_replaced_model(example, fitted, tmp_path):
    rec, _ = fitted
    folder = tmp_path / "model"
    rec.save(folder)
    first = example.get_model(folder)
    assert example.get_model(str(folder)) is first
    rec.save(folder)  # atomic replace: a new folder under the same path
    second = example.get_model(folder)
    assert second is not first
    assert second.recommend("rain", 3) == rec.recommend("rain", 3)


def test_without_dask_the_error_names_the_extra(example, fitted, monkeypatch):
    _, folder = fitted
    for name in [m for m in sys.modules if m == "dask" or m.startswith("dask.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "dask", None)  # makes `import dask...` raise ImportError
    with pytest.raises(ImportError, match=r'pip install "moodrec\[dask\]"'):
        example.recommend_partitioned(folder, pd.DataFrame({"query_id": [1], "query": ["rain"]}))


@pytest.mark.usefixtures("dask_installed")
def test_module_docstring_example_runs(example):
    result = doctest.testmod(example, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted >= 5
