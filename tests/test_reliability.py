"""Reliability: hostile queries, independence of inputs and outputs, threads.

Hostile catalogs are in ``test_catalog_hostile.py``.
"""

from __future__ import annotations

import json
import random
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import moodrec
from moodrec import Recommendations, Recommender, _api
from moodrec._recommender import MAX_QUERY_CHARS

# --------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def songs() -> pd.DataFrame:
    return moodrec.load_songs()


@pytest.fixture(scope="module")
def rec(songs: pd.DataFrame) -> Recommender:
    """Fitted once for the module; the tests here only read it."""
    return Recommender().fit(songs)


# ---------------------------------------------------------------- queries

#: Words that reach the scoring, expansion, negation and spelling paths.
_WORDS = [
    "drinking", "alone", "missing", "someone", "breakup", "she", "left", "me", "not", "sad",
    "happy", "rain", "lonley", "hartache", "brokn", "heart", "mom", "first", "love", "never",
    "외로운", "밤", "이별", "슬프지", "않은", "안", "엄마", "비", "😭", "💔", "🎶",
    "עצוב", "حزين", "وحيد", "e\u0301\u0301", "\u0628\u0651", "ｆｕｌｌｗｉｄｔｈ", "ŞİŞLİ", "ß", "ﬁne",
    "\u202eevil\u202c", "\u200b", "\ufeff", "\x00", "\x1b[31m", "'", "-", "...", "!!",
]
_SEPARATORS = [" ", "  ", "\t", "\n", "\r\n", "\x0b", "\x1c", "\u2028", "\u3000", "\u00a0", ",", ""]

#: Any str Python can hold: all of Unicode, control characters and lone
#: surrogates (valid in a str, though no UTF-8 encoder accepts them).
_any_char = st.one_of(st.characters(), st.characters(categories=["Cs"]))
_noise = st.text(_any_char, max_size=40)
_wordy = st.lists(
    st.tuples(st.one_of(st.sampled_from(_WORDS), _noise), st.sampled_from(_SEPARATORS)),
    max_size=25,
).map(lambda parts: "".join(w + s for w, s in parts))
queries = st.one_of(_noise, _wordy, st.text(_any_char, max_size=2_000))
ks = st.one_of(st.integers(1, 12), st.sampled_from([50, 201, 202, 10_000]))


def _check_valid(recs: Recommendations, query: str, k: int, n_songs: int) -> None:
    assert isinstance(recs, Recommendations)
    assert recs.query == query
    assert len(recs) <= min(k, n_songs)
    assert [m.rank for m in recs] == list(range(1, len(recs) + 1))
    scores = [m.score for m in recs]
    assert all(type(s) is float and 0.0 < s <= 1.0 for s in scores), scores
    assert scores == sorted(scores, reverse=True)
    assert len(set(recs.song_ids)) == len(recs)
    json.dumps(recs.to_dicts())  # encodable, whatever the query held


def _recommend_or_blank(rec: Recommender, query: str, k: int) -> Recommendations | None:
    """The results, or None when the query is blank (and ValueError was raised)."""
    if not query.strip():
        with pytest.raises(ValueError, match="query is empty"):
            rec.recommend(query, k)
        return None
    return rec.recommend(query, k)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(query=queries, k=ks)
def test_any_query_gives_valid_deterministic_results(rec: Recommender, query: str, k: int) -> None:
    recs = _recommend_or_blank(rec, query, k)
    if recs is None:
        return
    _check_valid(recs, query, k, rec.n_songs_)
    assert rec.recommend(query, k) == recs


@settings(max_examples=100, deadline=None)
@given(query=queries, song=st.integers(0, 200))
def test_any_query_can_be_explained(rec: Recommender, query: str, song: int) -> None:
    song_id = rec.song_ids_[song % rec.n_songs_]
    if not query.strip():
        with pytest.raises(ValueError, match="query is empty"):
            rec.explain(query, song_id)
        return
    m = rec.explain(query, song_id)
    assert m.song_id == song_id
    assert 0.0 <= m.score <= 1.0 and (m.rank == 0) == (m.score == 0.0)
    assert rec.explain(query, song_id) == m


def _megabyte(piece: str) -> str:
    return (piece * (1_000_000 // len(piece) + 1))[:1_000_000]


_rng = random.Random(7)
_MEGABYTE_QUERIES = {
    "feeling words": _megabyte("missing someone, drinking alone in the rain "),
    "misspellings": _megabyte("lonley hartache brokn "),
    "distinct made-up words": " ".join(
        "".join(_rng.choices("abcdefghijklmnopqrstuvwxyz", k=_rng.randint(4, 11))) for _ in range(130_000)
    )[:1_000_000],
    "hangul": _megabyte("헤어진 그 사람이 보고 싶은 외로운 밤 "),
    "negations": _megabyte("not sad not happy 안 슬픈 "),
    "one long word": "a" * 1_000_000,
    "combining marks": "e" + "\u0301" * 999_999,
    "emoji": _megabyte("😭💔🎶"),
    "right-to-left": _megabyte("\u202eעצוב حزين sad "),
    "control characters": _megabyte("".join(map(chr, range(32))) + "rain "),
    "any code point": "".join(chr(_rng.randrange(0x110000)) for _ in range(1_000_000)),
}


@pytest.mark.parametrize("name", list(_MEGABYTE_QUERIES))
def test_megabyte_query_is_answered(rec: Recommender, name: str) -> None:
    query = _MEGABYTE_QUERIES[name]
    assert len(query) == 1_000_000
    recs = rec.recommend(query, k=5)
    _check_valid(recs, query, 5, rec.n_songs_)


def test_query_is_analysed_up_to_the_documented_cap(rec: Recommender) -> None:
    head = "rain " * (MAX_QUERY_CHARS // 5)
    assert len(head) == MAX_QUERY_CHARS == 20_000
    tail = _megabyte(" party dance joy birthday mother breakup tears")
    capped = rec.recommend(head, k=10)
    long = rec.recommend(head + tail, k=10)
    # Nothing after the cap is read: the long query ranks exactly as its head.
    assert [(m.song_id, m.score) for m in long] == [(m.song_id, m.score) for m in capped]
    assert long.query == head + tail
    assert list(rec.analyze(head + tail).terms) == list(rec.analyze(head).terms)
    # ... and the words inside the cap are read: the tail alone ranks otherwise.
    assert rec.recommend(tail, k=10).song_ids != capped.song_ids


def test_module_level_recommend_handles_hostile_queries() -> None:
    for query in ["\ud800\udfff", "\x00" * 10, "😭" * 5000, _MEGABYTE_QUERIES["hangul"]]:
        recs = moodrec.recommend(query, k=3)
        _check_valid(recs, query, 3, 10_000)
    with pytest.raises(ValueError, match="query is empty"):
        moodrec.recommend("\n\t\u3000\x1c")


# ----------------------------------------------------------- independence


def _snapshot(rec: Recommender) -> list[list[dict]]:
    return [rec.recommend(q, k=8).to_dicts() for q in ("rain", "drinking alone", "외로운 밤", "first love")]


def test_changing_the_input_dataframe_after_fit_changes_nothing() -> None:
    df = moodrec.load_songs()
    rec = Recommender().fit(df)
    before = _snapshot(rec)
    df.loc[:, "blurb"] = "party"
    df.loc[0, "title"] = "changed"
    df["themes"] = None
    del df["moods"]
    df.columns = [f"x{i}" for i in range(len(df.columns))]
    assert _snapshot(rec) == before


def test_changing_a_csv_file_after_fit_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "songs.csv"
    moodrec.load_songs().to_csv(path, index=False)
    rec = Recommender().fit(path)
    before = _snapshot(rec)
    path.write_text("title,artist,blurb\nA,B,rain\n", encoding="utf-8")
    assert _snapshot(rec) == before


def test_changing_returned_frames_and_dicts_changes_nothing(rec: Recommender) -> None:
    before = _snapshot(rec)
    recs = rec.recommend("rain", k=8)
    frame = recs.to_frame()
    frame.loc[:, "title"] = "changed"
    frame.loc[:, "score"] = -1.0
    for d in recs.to_dicts():
        d["title"] = "changed"
        d["reasons"].clear()
    songs = moodrec.load_songs()
    songs.loc[:, "blurb"] = "changed"
    assert _snapshot(rec) == before
    assert rec.recommend("rain", k=8) == recs


def test_module_level_results_survive_changes_to_load_songs() -> None:
    before = moodrec.recommend("rain", k=8)
    songs = moodrec.load_songs()
    songs.loc[:, "blurb"] = "changed"
    songs.loc[:, "song_id"] = "changed"
    assert moodrec.recommend("rain", k=8) == before


def test_a_match_cannot_be_changed(rec: Recommender) -> None:
    before = _snapshot(rec)
    m = rec.recommend("rain", k=1)[0]
    with pytest.raises(TypeError):
        m.fields["blurb"] = "changed"  # type: ignore[index]
    with pytest.raises(AttributeError):
        m.score = 0.0  # type: ignore[misc]
    for value in m.fields.values():  # plain immutable values: nothing to change in place
        assert value is None or type(value) in (str, int, float)
    assert _snapshot(rec) == before


def test_add_leaves_the_original_unchanged(rec: Recommender) -> None:
    before = _snapshot(rec)
    new = pd.DataFrame({"title": ["Rain Rain Rain"], "artist": ["Nobody"], "blurb": ["rain rain rain in the rain"]})
    bigger = rec.add(new)
    assert bigger.n_songs_ == rec.n_songs_ + 1
    assert _snapshot(rec) == before


# ------------------------------------------------------------ concurrency

_THREAD_QUERIES = [
    "drinking alone", "missing someone", "she left me", "not sad", "외로운 밤", "헤어진 사람",
    "brokn heart", "lonley hartache", "rain", "first love", "mom", "graduation with friends",
    "upbeat love songs", "슬프지 않은 노래", "😭", "x", "she moved away and I still pour two cups of coffee",
]


def _calls() -> list[tuple[str, int, dict]]:
    rng = random.Random(11)
    calls = []
    for i in range(500):
        q = rng.choice(_THREAD_QUERIES)
        if i % 7 == 0:
            q = f"{q} {rng.choice(_THREAD_QUERIES)}"
        k = rng.choice([1, 2, 3, 5, 10])
        kwargs: dict = {}
        if i % 5 == 0:
            kwargs["themes"] = rng.choice(["ballad", "trot", "tearjerker"])
        if i % 9 == 0:
            kwargs["year"] = (2010, None)
        calls.append((q, k, kwargs))
    return calls


@pytest.fixture()
def fast_switching() -> Iterator[None]:
    """Switch threads often, so that unsafe interleavings get their chance."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-4)
    try:
        yield
    finally:
        sys.setswitchinterval(old)


def test_threads_give_the_results_of_serial_calls(songs: pd.DataFrame, fast_switching: None) -> None:
    calls = _calls()
    serial = Recommender().fit(songs)
    expected = [serial.recommend(q, k, **kw) for q, k, kw in calls]
    # A fresh recommender, so its lazily built parts are built under contention.
    shared = Recommender().fit(songs)
    barrier = threading.Barrier(8)

    def run(worker: int) -> list[tuple[int, Recommendations]]:
        order = list(range(len(calls)))
        random.Random(worker).shuffle(order)
        barrier.wait()
        return [(i, shared.recommend(calls[i][0], calls[i][1], **calls[i][2])) for i in order]

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(run, range(8)))
    assert len(outcomes) == 8
    for outcome in outcomes:
        assert len(outcome) == 500
        for i, got in outcome:
            assert got == expected[i], calls[i]


def test_default_recommender_is_one_object_across_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_api, "_default", None)
    barrier = threading.Barrier(16)

    def first_use(_: int) -> int:
        barrier.wait()
        return id(_api.default_recommender())

    with ThreadPoolExecutor(max_workers=16) as pool:
        ids = set(pool.map(first_use, range(16)))
    assert len(ids) == 1


def test_a_failed_first_build_is_not_cached(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_api, "_default", None)
    real_fit = Recommender.fit
    failures = [MemoryError("simulated")]

    def flaky_fit(self: Recommender, songs: pd.DataFrame) -> Recommender:
        if failures:
            raise failures.pop()
        return real_fit(self, songs)

    monkeypatch.setattr(Recommender, "fit", flaky_fit)
    with pytest.raises(MemoryError, match="simulated"):
        moodrec.recommend("rain")
    assert moodrec.recommend("drinking alone")[0].song_id == "ben-lonely-night"
