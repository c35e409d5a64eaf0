"""The public surface and the module-level functions on the bundled catalog."""

from __future__ import annotations

import json
import threading

import pandas as pd
import pytest

import moodrec
from moodrec import _api


def test_all_is_the_public_surface() -> None:
    public = {name for name in dir(moodrec) if not name.startswith("_")}
    # submodules that Python itself puts on the package are not API
    public -= {"exceptions"}
    assert set(moodrec.__all__) - {"__version__"} == public
    for name in moodrec.__all__:
        assert getattr(moodrec, name) is not None


def test_recommend_drinking_alone_ranks_lonely_night_first() -> None:
    recs = moodrec.recommend("drinking alone")
    assert recs[0].song_id == "ben-lonely-night"
    assert recs[0].title == "Lonely night"
    assert recs[0].artist == "BEN"


@pytest.mark.parametrize(
    ("query", "expected_any"),
    [
        # a breakup song among the top three
        ("breakup", {"tearjerker", "ballad", "blue-mood", "bittersweet"}),
        ("missing someone", {"tearjerker", "ballad", "bittersweet", "moving-lyrics"}),
    ],
)
def test_sad_queries_give_sad_songs(query: str, expected_any: set[str]) -> None:
    recs = moodrec.recommend(query, k=3)
    assert len(recs) == 3
    for m in recs:
        assert set((m.themes or "").split(";")) & expected_any, (m.title, m.themes)


def test_mom_gives_songs_about_a_mother() -> None:
    recs = moodrec.recommend("mom", k=3)
    for m in recs:
        text = (m.blurb + " " + m.title).lower()
        assert "mother" in text or "mom" in text, m.title


def test_results_are_plain_python_and_json_encodable() -> None:
    recs = moodrec.recommend("missing someone", k=5)
    encoded = json.dumps(recs.to_dicts(), ensure_ascii=False)
    back = json.loads(encoded)
    assert [d["song_id"] for d in back] == recs.song_ids
    for m in recs:
        assert type(m.score) is float and 0.0 < m.score <= 1.0
        assert type(m.rank) is int
        for value in m.fields.values():
            assert value is None or type(value) in (str, int, float)
    assert [m.rank for m in recs] == list(range(1, len(recs) + 1))
    assert [m.score for m in recs] == sorted((m.score for m in recs), reverse=True)


def test_load_songs_is_a_fresh_copy() -> None:
    a = moodrec.load_songs()
    a.loc[0, "title"] = "changed"
    b = moodrec.load_songs()
    assert b.loc[0, "title"] != "changed"
    assert len(b) >= 150
    assert {"song_id", "title", "title_ko", "artist", "year", "themes", "moods", "blurb"} <= set(b.columns)


def test_similar_module_function() -> None:
    recs = moodrec.similar("ben-lonely-night", k=3)
    assert len(recs) == 3
    assert "ben-lonely-night" not in recs.song_ids


def test_default_recommender_is_built_once_across_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_api, "_default", None)
    built = []
    real_fit = moodrec.Recommender.fit

    def counting_fit(self: moodrec.Recommender, songs: pd.DataFrame) -> moodrec.Recommender:
        built.append(1)
        return real_fit(self, songs)

    monkeypatch.setattr(moodrec.Recommender, "fit", counting_fit)
    barrier = threading.Barrier(8)
    results: list[list[str]] = []

    def first_call() -> None:
        barrier.wait()
        results.append(moodrec.recommend("rain").song_ids)

    threads = [threading.Thread(target=first_call) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(built) == 1
    assert len(results) == 8 and all(r == results[0] for r in results)


def test_module_functions_validate_arguments() -> None:
    with pytest.raises(ValueError, match="query is empty"):
        moodrec.recommend("   ")
    with pytest.raises(TypeError, match="query must be a str"):
        moodrec.recommend(42)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="k must be a positive integer, got 0"):
        moodrec.recommend("rain", k=0)
    with pytest.raises(moodrec.UnknownSongError, match="no-such-song"):
        moodrec.similar("no-such-song")
