"""Module-level functions: a thin layer over a default Recommender fitted on
the bundled catalog once per process, lazily, and shared by every thread."""

from __future__ import annotations

import threading

from ._catalog import load_songs
from ._recommender import Recommender, check_k, check_query
from ._results import Recommendations

__all__ = ["recommend", "similar", "load_songs", "themes", "default_recommender"]

_lock = threading.Lock()
_default: Recommender | None = None


def default_recommender() -> Recommender:
    """The Recommender fitted on the bundled catalog (built on first use).

    Many threads making their first call together still build it once.
    """
    global _default
    rec = _default
    if rec is None:
        with _lock:
            if _default is None:
                _default = Recommender().fit(load_songs())
            rec = _default
    return rec


def recommend(query: str, k: int = 5) -> Recommendations:
    """Songs of the bundled catalog that fit a feeling, best first.

    >>> import moodrec
    >>> moodrec.recommend("drinking alone", k=1)[0].title
    'Lonely night'
    """
    check_query(query)
    check_k(k)
    return default_recommender().recommend(query, k)


def similar(song_id: str, k: int = 5) -> Recommendations:
    """Songs of the bundled catalog most like ``song_id`` (itself excluded).

    >>> import moodrec
    >>> len(moodrec.similar("ben-lonely-night", k=3))
    3
    """
    check_k(k)
    return default_recommender().similar(song_id, k)


def themes() -> dict[str, int]:
    """The bundled catalog's themes with their number of songs, most first.

    >>> import moodrec
    >>> moodrec.themes()["tearjerker"] > 10
    True
    """
    return default_recommender().themes()
