"""Batch recommendations with Dask: partitions of queries mapped over a saved model.

The runnable companion of ``docs/scaling.md``.  The model travels as a folder
path, never as a pickled object: each worker process loads the folder once
(memory-mapped, so processes on one machine share its pages) and keeps it in a
per-process cache, then maps every partition of queries through
``Recommender.recommend_many``.  Results come back as rows
``(query_id, rank, song_id, score)``.

Dask is optional: this module imports without it, and
:func:`recommend_partitioned` says which extra to install when it is missing.
Only ``dask.bag`` is used, so the plain ``dask`` package is enough (no pandas
or pyarrow extras of Dask).

Keep this file importable on the workers (installed, on ``PYTHONPATH``, or sent
with ``Client.upload_file``): the model cache is a global of this module, and a
function pickled *by value* from ``__main__`` or a notebook cell would carry a
fresh copy of that global into every task.

>>> import moodrec, tempfile, os, pandas as pd
>>> folder = os.path.join(tempfile.mkdtemp(), "model-v1")
>>> _ = moodrec.Recommender().fit(moodrec.load_songs()).save(folder)
>>> queries = pd.DataFrame({"query_id": [7, 8], "query": ["rain", "first love"]})
>>> recommend_partitioned(folder, queries, k=2).columns.tolist()
['query_id', 'rank', 'song_id', 'score']
"""

from __future__ import annotations

import numbers
import os
import threading
from typing import Any

import numpy as np
import pandas as pd

import moodrec

__all__ = ["COLUMNS", "SCHEDULERS", "get_model", "recommend_frame", "recommend_partitioned"]

COLUMNS = ("query_id", "rank", "song_id", "score")
SCHEDULERS = ("synchronous", "threads", "processes")

# One loaded model per folder per process.  The stamp (inode and mtime of the
# folder) changes when Recommender.save replaces the folder, so a long-lived
# worker never keeps answering from a model that was swapped out under it.
_models: dict[str, tuple[tuple[int, int], moodrec.Recommender]] = {}
_models_lock = threading.Lock()


def _stamp(folder: str) -> tuple[int, int]:
    st = os.stat(folder)
    return (st.st_ino, st.st_mtime_ns)


def get_model(model_path: str | os.PathLike[str]) -> moodrec.Recommender:
    """The model saved at ``model_path``, loaded once per process and cached.

    Thread-safe: threads of one process that ask at the same time share one
    load.  Loading memory-maps the arrays, so it is cheap and the page cache
    is shared by every process on the machine.
    """
    key = os.path.abspath(os.fspath(model_path))
    stamp = _stamp(key)
    hit = _models.get(key)
    if hit is not None and hit[0] == stamp:
        return hit[1]
    with _models_lock:
        hit = _models.get(key)
        if hit is None or hit[0] != stamp:
            hit = _models[key] = (stamp, moodrec.Recommender.load(key, mmap=True))
        return hit[1]


def recommend_frame(rec: moodrec.Recommender, queries: pd.DataFrame, k: int = 5) -> pd.DataFrame:
    """Recommendations for one partition, as rows ``(query_id, rank, song_id, score)``.

    Rows follow the partition's order, then rank.  A query that matches no
    song has no row.  A bad query (not a str, or blank) raises the library's
    ``TypeError``/``ValueError`` with its ``query_id`` in front, so the failing
    input can be found in a batch of millions.
    """
    ids = queries["query_id"]
    texts = queries["query"].tolist()
    bad = next((i for i, q in enumerate(texts) if not isinstance(q, str) or not q.strip()), None)
    if bad is not None:
        try:
            rec.recommend(texts[bad], k)  # for the library's own message
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"query_id {ids.iloc[bad:bad + 1].tolist()[0]!r}: {exc}") from None
    results = rec.recommend_many(texts, k)

    which: list[int] = []
    ranks: list[int] = []
    song_ids: list[str] = []
    scores: list[float] = []
    for i, recs in enumerate(results):
        for m in recs:
            which.append(i)
            ranks.append(m.rank)
            song_ids.append(m.song_id)
            scores.append(m.score)
    return pd.DataFrame(
        {
            "query_id": ids.take(which).reset_index(drop=True),  # keeps the caller's dtype
            "rank": np.asarray(ranks, dtype=np.int64),
            "song_id": pd.Series(song_ids, dtype=str),
            "score": np.asarray(scores, dtype=np.float64),
        }
    )


def _partition(chunk: pd.DataFrame, model_path: str, k: int) -> pd.DataFrame:
    return recommend_frame(get_model(model_path), chunk, k)


def _check_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def recommend_partitioned(
    model_path: str | os.PathLike[str],
    queries: pd.DataFrame,
    k: int = 5,
    npartitions: int = 4,
    scheduler: str = "threads",
) -> pd.DataFrame:
    """Recommend for every row of ``queries`` with Dask, partition by partition.

    ``queries`` has the columns ``query_id`` (unique) and ``query``.  The
    model is the folder written by ``Recommender.save``; each worker process
    loads it once.  ``scheduler`` is one of Dask's local schedulers:
    ``"synchronous"``, ``"threads"`` or ``"processes"``.

    Returns a DataFrame with the columns ``query_id, rank, song_id, score``:
    one row per recommended song, in the order of ``queries`` then rank, and
    exactly what ``Recommender.load(model_path).recommend(query, k)`` gives
    for each query.  Queries that match no song have no row.
    """
    try:
        import dask.bag as db
    except ImportError as exc:
        raise ImportError(
            'recommend_partitioned needs Dask: pip install "moodrec[dask]"'
        ) from exc

    if not isinstance(queries, pd.DataFrame):
        raise TypeError(f"queries must be a pandas DataFrame, got {type(queries).__name__}")
    missing = [c for c in ("query_id", "query") if c not in queries.columns]
    if missing:
        raise ValueError(
            f"queries must have the columns 'query_id' and 'query'; missing {missing}, "
            f"got {list(queries.columns)}"
        )
    dup = queries["query_id"][queries["query_id"].duplicated()]
    if len(dup):
        raise ValueError(
            f"query_id must be unique, got {len(dup)} repeated, e.g. {dup.unique()[:5].tolist()}"
        )
    k = _check_int("k", k)
    npartitions = _check_int("npartitions", npartitions)
    if scheduler not in SCHEDULERS:
        raise ValueError(f"scheduler must be one of {', '.join(SCHEDULERS)}, got {scheduler!r}")
    path = os.path.abspath(os.fspath(model_path))
    if not os.path.isdir(path):
        raise FileNotFoundError(f"no saved model at {path!r}: write one with Recommender.save(path)")

    queries = queries[["query_id", "query"]]
    n_parts = max(1, min(npartitions, len(queries)))  # an empty input still runs one (empty) partition
    bounds = np.linspace(0, len(queries), n_parts + 1).astype(int)
    chunks = [queries.iloc[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
    bag = db.from_sequence(chunks, npartitions=len(chunks)).map(_partition, path, k)
    frames = bag.compute(scheduler=scheduler)
    return pd.concat([f for f in frames if len(f)] or frames[:1], ignore_index=True)
