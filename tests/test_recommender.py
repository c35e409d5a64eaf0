"""The Recommender contract: fit, recommend, similar, explain, filters, add."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError as SklearnNotFittedError

import moodrec
from moodrec import Recommender


# ------------------------------------------------------------------ sklearn style
def test_init_stores_params_and_fit_returns_self(tiny_songs: pd.DataFrame) -> None:
    rec = Recommender(polarity=0.3, expand=False)
    assert rec.get_params()["polarity"] == 0.3
    assert rec.fit(tiny_songs) is rec
    assert rec.n_songs_ == 6
    assert clone(rec).get_params() == rec.get_params()


def test_params_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        Recommender(True)  # type: ignore[misc]


@pytest.mark.parametrize("method", ["recommend", "similar", "explain", "analyze"])
def test_unfitted_use_raises_not_fitted(method: str) -> None:
    rec = Recommender()
    args = {"recommend": ("rain",), "similar": ("x",), "explain": ("rain", "x"), "analyze": ("rain",)}[method]
    with pytest.raises(moodrec.NotFittedError, match="not fitted"):
        getattr(rec, method)(*args)
    with pytest.raises(SklearnNotFittedError):
        getattr(rec, method)(*args)


@pytest.mark.parametrize("bad", [-0.1, float("nan"), "0.5", True])
def test_bad_parameter_is_named(tiny_songs: pd.DataFrame, bad: object) -> None:
    with pytest.raises(ValueError, match="expansion_weight must be"):
        Recommender(expansion_weight=bad).fit(tiny_songs)  # type: ignore[arg-type]


# --------------------------------------------------------------------- bad input
def test_empty_query_is_value_error(tiny: Recommender) -> None:
    for q in ["", "   ", "\n\t"]:
        with pytest.raises(ValueError, match="query is empty"):
            tiny.recommend(q)


def test_non_str_query_is_type_error(tiny: Recommender) -> None:
    for q in [None, 3, b"rain", ["rain"]]:
        with pytest.raises(TypeError, match="query must be a str"):
            tiny.recommend(q)  # type: ignore[arg-type]


@pytest.mark.parametrize("k", [0, -1, 1.5, "3", True, None])
def test_bad_k_names_k_and_value(tiny: Recommender, k: object) -> None:
    with pytest.raises(ValueError, match=rf"k must be a positive integer, got {k!r}"):
        tiny.recommend("rain", k=k)  # type: ignore[arg-type]


def test_numpy_integer_k_is_accepted(tiny: Recommender) -> None:
    assert len(tiny.recommend("rain", k=np.int64(2))) >= 1


def test_k_larger_than_catalog_returns_all_matches(tiny: Recommender) -> None:
    recs = tiny.recommend("waves beach winter rain", k=1000)
    assert 1 <= len(recs) <= 6
    assert {"twin-a", "twin-b", "rain"} <= set(recs.song_ids)


def test_query_with_no_known_word_is_empty(tiny: Recommender) -> None:
    recs = tiny.recommend("zzzxq qqqwv")
    assert len(recs) == 0
    assert list(recs) == []
    assert "no song matches" in repr(recs)


def test_huge_query_is_answered(tiny: Recommender) -> None:
    query = ("rain " * 25_000)[:100_000]
    assert len(query) == 100_000
    recs = tiny.recommend(query)
    assert recs[0].song_id == "rain"


# --------------------------------------------------------------------- ranking
def test_only_positive_scores_best_first_in_unit_range(tiny: Recommender) -> None:
    recs = tiny.recommend("lonely rain at the station", k=6)
    scores = [m.score for m in recs]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 < s <= 1.0 for s in scores)


def test_ties_keep_catalog_order(tiny: Recommender) -> None:
    # the twins have identical text; their scores tie and catalog order decides
    recs = tiny.recommend("waves", k=2)
    assert recs[0].score == recs[1].score
    assert recs.song_ids == ["twin-a", "twin-b"]
    swapped = Recommender().fit(tiny.catalog_.iloc[::-1])
    assert swapped.recommend("waves", k=2).song_ids == ["twin-b", "twin-a"]


def test_same_query_same_list(bundled: Recommender) -> None:
    first = bundled.recommend("she moved away and I still pour two cups of coffee", k=10)
    for _ in range(3):
        assert bundled.recommend("she moved away and I still pour two cups of coffee", k=10) == first


def _brute_force(rec: Recommender, query: str) -> np.ndarray:
    """Cosine similarity of the query vector with every song, densely."""
    plan = rec.analyze(query)
    q = np.zeros(len(rec.terms_))
    q[plan.terms] = plan.weights
    return rec.matrix_.toarray().astype(np.float64) @ q


@pytest.mark.parametrize(
    "query", ["missing someone", "drinking alone", "rainy night", "she left me", "first love confession"]
)
def test_scores_agree_with_brute_force_cosine(bundled: Recommender, query: str) -> None:
    # polarity, proximity and the learned blend off: then a score is exactly the cosine of TF-IDF vectors
    rec = Recommender(polarity=0.0, proximity=0.0, learned_weight=0.0).fit(bundled.catalog_)
    dense = _brute_force(rec, query)
    recs = rec.recommend(query, k=rec.n_songs_)
    expected_ids = [rec.song_ids_[i] for i in np.lexsort((np.arange(len(dense)), -np.round(dense, 9)))
                    if dense[i] > 0]
    assert recs.song_ids == expected_ids
    for m in recs:
        assert m.score == pytest.approx(dense[rec.row_of_[m.song_id]], abs=1e-6)


def test_plain_tfidf_mode_matches_sklearn_cosine(tiny_songs: pd.DataFrame) -> None:
    from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer
    from sklearn.metrics.pairwise import cosine_similarity

    rec = Recommender(expand=False, association_weight=0.0, learned_weight=0.0, spelling=False, polarity=0.0,
                      proximity=0.0, title_weight=0.0, artist_weight=0.0, tag_weight=0.0,
                      feeling_weight=0.0).fit(tiny_songs)
    # moodrec's term weighting: log(1 + count), then scikit-learn's smoothed idf and L2 norm
    counts = CountVectorizer(analyzer=rec.analyzer_.terms)
    tf = counts.fit_transform(tiny_songs["blurb"]).astype(float)
    tf.data = np.log1p(tf.data)
    tfidf = TfidfTransformer().fit(tf)
    docs = tfidf.transform(tf)
    query = "lonely rain, tears at the station"
    q = counts.transform([query]).astype(float)
    expected = cosine_similarity(q.multiply(tfidf.idf_).tocsr(), docs).ravel()
    got = {m.song_id: m.score for m in rec.recommend(query, k=10)}
    for sid, score in zip(tiny_songs["song_id"], expected):
        assert got.get(sid, 0.0) == pytest.approx(score, abs=1e-6)


# ------------------------------------------------------------------ similar
def test_similar_excludes_the_song_and_finds_its_twin(tiny: Recommender) -> None:
    recs = tiny.similar("twin-a", k=3)
    assert "twin-a" not in recs.song_ids
    assert recs[0].song_id == "twin-b"
    assert recs.query == "twin-a"


def test_similar_unknown_id_names_it(tiny: Recommender) -> None:
    with pytest.raises(moodrec.UnknownSongError, match="'nope' is not in the catalog"):
        tiny.similar("nope")
    with pytest.raises(LookupError):
        tiny.similar("nope")


# --------------------------------------------------------------- results
def test_match_carries_other_catalog_fields(tiny: Recommender) -> None:
    m = tiny.recommend("dance party", k=1)[0]
    assert m.song_id == "party"
    assert m.year == 2015 and type(m.year) is int
    assert m.fields["themes"] == "stories;friendship"
    assert "blurb" in m.fields
    with pytest.raises(AttributeError, match="no_such_field"):
        _ = m.no_such_field


def test_recommendations_is_an_immutable_sequence(tiny: Recommender) -> None:
    recs = tiny.recommend("rain lonely", k=3)
    with pytest.raises(TypeError):
        recs[0] = recs[0]  # type: ignore[index]
    with pytest.raises(AttributeError):
        recs[0].score = 1.0  # type: ignore[misc]
    frame = recs.to_frame()
    assert list(frame["song_id"]) == recs.song_ids
    assert {"rank", "title", "artist", "score", "why", "year"} <= set(frame.columns)
    assert "<table>" in recs._repr_html_()
    assert isinstance(recs[:1], moodrec.Recommendations)


def test_fit_accepts_csv_path_and_makes_stable_ids(tmp_path, tiny_songs: pd.DataFrame) -> None:
    path = tmp_path / "songs.csv"
    tiny_songs.drop(columns=["song_id"]).to_csv(path, index=False)
    rec = Recommender().fit(path)
    assert rec.song_ids_[0] == "a-rain-walk"
    assert rec.song_ids_ == Recommender().fit(str(path)).song_ids_


def test_recommender_is_independent_of_input_and_output(tiny_songs: pd.DataFrame) -> None:
    rec = Recommender().fit(tiny_songs)
    before = rec.recommend("lonely rain", k=3)
    tiny_songs.loc[0, "blurb"] = "party party party"
    frame = before.to_frame()
    frame.loc[0, "title"] = "changed"
    assert rec.recommend("lonely rain", k=3) == before
    assert rec.catalog_.loc[0, "blurb"].startswith("A slow song")


# ------------------------------------------------------------------ filters
def test_filters_apply_before_top_k(bundled: Recommender) -> None:
    recs = bundled.recommend("love", k=5, themes="trot")
    assert len(recs) == 5
    assert all("trot" in m.themes.split(";") for m in recs)


def test_filter_leaving_fewer_than_k(tiny: Recommender) -> None:
    recs = tiny.recommend("rain lonely tears dance mother", k=5, themes="blue-mood")
    assert recs.song_ids == ["rain"]


def test_artist_year_and_exclude_filters(bundled: Recommender) -> None:
    recs = bundled.recommend("love", k=20, artist="iu")
    assert recs and all(m.artist == "IU" for m in recs)
    recs = bundled.recommend("love", k=20, year=(2015, 2019))
    assert recs and all(2015 <= m.year <= 2019 for m in recs)
    top = bundled.recommend("drinking alone", k=3)
    excluded = bundled.recommend("drinking alone", k=3, exclude=[top[0].song_id])
    assert top[0].song_id not in excluded.song_ids
    assert excluded.song_ids[:2] == top.song_ids[1:]


def test_bad_filters_are_clear(tiny: Recommender) -> None:
    with pytest.raises(ValueError, match="unknown theme"):
        tiny.recommend("rain", themes="polka")
    with pytest.raises(ValueError, match="year must be"):
        tiny.recommend("rain", year=2001)  # type: ignore[arg-type]
    with pytest.raises(moodrec.UnknownSongError, match="ghost"):
        tiny.recommend("rain", exclude=["ghost"])


def test_themes_and_browse(tiny: Recommender) -> None:
    assert tiny.themes() == {"gentle": 2, "blue-mood": 1, "friendship": 1, "moving-lyrics": 1,
                             "stories": 1, "tearjerker": 1}
    assert tiny.browse("gentle").song_ids == ["twin-a", "twin-b"]
    assert tiny.browse("gentle", query="waves").song_ids[0] in {"twin-a", "twin-b"}


def test_add_returns_a_new_recommender_with_the_songs(tiny: Recommender) -> None:
    new = pd.DataFrame({"song_id": ["snow"], "title": ["First Snow"], "artist": ["F"],
                        "blurb": ["Snow falling on a first date, shy and happy."]})
    bigger = tiny.add(new)
    assert bigger.n_songs_ == 7 and tiny.n_songs_ == 6
    assert bigger.recommend("snow date")[0].song_id == "snow"
    with pytest.raises(moodrec.CatalogError, match="duplicate"):
        tiny.add(new.assign(song_id="rain"))


def _same_sparse(x, y) -> bool:
    return (x.shape == y.shape and x.dtype == y.dtype
            and all(np.array_equal(getattr(x, a), getattr(y, a)) for a in ("data", "indices", "indptr")))


@pytest.mark.parametrize("seed", range(6))
def test_one_pass_counting_equals_text_by_text(seed: int, varied_texts, monkeypatch: pytest.MonkeyPatch) -> None:
    # fit analyses a chunk's ASCII texts in one pass and the others in another;
    # the count matrix and the vocabulary's order must be exactly those of
    # analysing text by text
    from moodrec import _recommender
    from moodrec._text import Analyzer

    a = Analyzer()
    texts = varied_texts(seed, 400)
    if seed == 5:
        texts[7] = "a text\x00with the break character"  # the whole chunk goes text by text
    fast_vocab: dict[str, int] = {}
    fast = _recommender._count_matrix(texts, a, fast_vocab)
    monkeypatch.setattr(_recommender, "_chunk_words", lambda texts: None)
    plain_vocab: dict[str, int] = {}
    plain = _recommender._count_matrix(texts, a, plain_vocab)
    assert list(fast_vocab.items()) == list(plain_vocab.items())
    assert _same_sparse(fast, plain)


@pytest.mark.parametrize("seed", range(4))
def test_phrases_merge_as_the_analyser_merges_them(seed: int, varied_texts) -> None:
    from moodrec import _recommender
    from moodrec._text import Analyzer

    a = Analyzer()
    texts = varied_texts(100 + seed, 400) + ["by myself by myself", "on my own on my own own", "no one one no"]
    codes, doc, uniques = _recommender._chunk_words(texts)
    codes, doc = _recommender._merge_phrases(codes, doc, uniques, a)
    got: list[list[str]] = [[] for _ in texts]
    for c, d in zip(codes.tolist(), doc.tolist()):
        got[d].append(uniques[c])
    assert got == [a.raw_words(t) for t in texts]


def test_fit_fast_path_is_bit_identical(varied_texts, monkeypatch: pytest.MonkeyPatch) -> None:
    from moodrec import _recommender

    texts = varied_texts(7, 300)
    n = len(texts)
    songs = pd.DataFrame({
        "title": [t[:20].strip() or f"t{i}" for i, t in enumerate(texts)],
        "title_ko": [texts[(i * 7) % n][:10] for i in range(n)],
        "artist": [texts[(i * 3) % n][:15].strip() or "someone" for i in range(n)],
        "blurb": [(t + " lonely rain night").strip() for t in texts],
        "moods": ["sad;calm" if i % 3 else "" for i in range(n)],
    })
    fast = Recommender().fit(songs)
    monkeypatch.setattr(_recommender, "_chunk_words", lambda texts: None)
    plain = Recommender().fit(songs)
    assert list(fast.vocabulary_.items()) == list(plain.vocabulary_.items())
    assert fast.terms_ == plain.terms_
    for name in ("matrix_", "expansions_"):
        assert _same_sparse(getattr(fast, name), getattr(plain, name))
    for name in ("idf_", "valence_"):
        assert np.array_equal(getattr(fast, name), getattr(plain, name))
    assert fast.catalog_.equals(plain.catalog_)
