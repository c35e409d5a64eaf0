"""The learned query-to-blurb similarity: training, ranking, explanations, saving."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import moodrec
import moodrec._recommender as engine
from moodrec._learned import LearnedModel, shipped, train
from moodrec._text import Analyzer
from moodrec.exceptions import ModelFormatError

ROOT = Path(__file__).resolve().parents[1]

# Invented examples: people type about harbors and chalets; curators write
# about sailing and skiing.  No query word appears in any blurb.
SEA = ["sailing over blue ocean waves with salt in the air",
       "a sailor on the ocean, waves against the hull",
       "waves and sails and the open ocean at noon"]
SNOW = ["skiing down a white mountain slope at dawn",
        "a skier on the mountain, fresh powder everywhere",
        "the mountain lodge after a day of skiing"]
EXAMPLES = (
    [{"blurb": b, "queries": ["harbor seagull", "seagull over the harbor", "harbor"]} for b in SEA]
    + [{"blurb": b, "queries": ["chalet sled", "a sled by the chalet", "chalet"]} for b in SNOW]
)
# the engine's own understanding (feelings, associations, spelling) set
# aside, so that what the learned model adds is all there is to see
ENGINE_ONLY_WORDS = {"expand": False, "spelling": False, "association_weight": 0.0, "polarity": 0.0}
CATALOG = pd.DataFrame({
    "song_id": ["sea", "snow", "city"],
    "title": ["Blue", "White", "Grey"],
    "artist": ["A", "B", "C"],
    "blurb": ["A song about sailing the ocean while the waves roll in.",
              "A song about skiing down the mountain in fresh powder.",
              "A song about a crowded subway at rush hour."],
})


@pytest.fixture(scope="module")
def toy_model() -> LearnedModel:
    return train(EXAMPLES, Analyzer(), dim=16, epochs=60, batch=8, lr=0.05, seed=0)


@pytest.fixture
def toy_rec(toy_model, monkeypatch) -> moodrec.Recommender:
    monkeypatch.setattr(engine, "shipped_learned", lambda: toy_model)
    return moodrec.Recommender(**ENGINE_ONLY_WORDS).fit(CATALOG)


def test_shipped_model_is_up_to_date():
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "train_learned.py"), "--check"],
                         check=False, capture_output=True, text=True, env={"PYTHONPATH": str(ROOT / "src")})
    assert out.returncode == 0, out.stdout + out.stderr


def test_shipped_model_has_one_vector_per_word():
    m = shipped()
    assert len(m) > 1000 and m.vectors.shape == (len(m), m.dim) and m.idf.shape == (len(m),)
    assert np.isfinite(m.vectors).all()


def test_training_brings_typed_and_written_words_together(toy_model):
    sea = toy_model.embed_terms(["harbor"])
    snow = toy_model.embed_terms(["chalet"])
    ocean = toy_model.embed(toy_model.features_of_terms([["ocean", "wave"]]))[0]
    assert sea @ ocean > snow @ ocean + 0.5


def test_query_with_no_word_of_the_blurb_finds_it_by_meaning(toy_rec):
    res = toy_rec.recommend("harbor seagull", k=3)
    assert res.song_ids[0] == "sea"
    top = res[0]
    assert [r.kind for r in top.reasons] == ["learned"] and top.reasons[0].share == 1.0
    assert toy_rec.recommend("chalet sled", k=1).song_ids == ["snow"]


def test_learned_weight_zero_is_the_engine_alone(toy_model, monkeypatch):
    monkeypatch.setattr(engine, "shipped_learned", lambda: toy_model)
    off = moodrec.Recommender(learned_weight=0, **ENGINE_ONLY_WORDS).fit(CATALOG)
    assert len(off.recommend("harbor seagull")) == 0  # no shared word: the engine finds nothing
    monkeypatch.setattr(engine, "shipped_learned", lambda: None)
    none = moodrec.Recommender(**ENGINE_ONLY_WORDS).fit(CATALOG)
    for q in ["sailing", "skiing mountain", "rush hour subway"]:
        a, b = off.recommend(q, k=3), none.recommend(q, k=3)
        assert a.song_ids == b.song_ids and [m.score for m in a] == [m.score for m in b]


def test_blend_follows_the_documented_formula(toy_rec):
    res = toy_rec.recommend("sailing by the harbor", k=3)
    engine_only = toy_rec._rank(toy_rec.analyze("sailing by the harbor"), 3)
    best = float(engine_only[1].max())
    plan = toy_rec.analyze("sailing by the harbor")
    for m in res:
        row = toy_rec.song_ids_.index(m.song_id)
        e = dict(zip(engine_only[0].tolist(), engine_only[1].tolist())).get(row, 0.0) / best
        s = float(np.asarray(toy_rec.song_vectors_[row], np.float32) @ plan.learned)
        w = toy_rec.learned_weight * 2 / 4  # two words ("by" and "the" are stop words), learned_weight for four
        assert m.score == pytest.approx((e + w * (s - engine._LEARNED_FLOOR)) / (1 + w), abs=1e-6)


@pytest.mark.parametrize(("query", "words"), [
    ("harbor", 1), ("harbor seagull", 2), ("harbor harbor seagull", 2), ("the harbor", 1),
    ("a seagull over the harbor by the chalet with a sled", 5), ("지하철에서", 1), ("외로운 밤", 2),
])
def test_learned_weight_grows_with_the_querys_words(toy_model, monkeypatch, query, words):
    monkeypatch.setattr(engine, "shipped_learned", lambda: toy_model)
    for lw in (1.0, 2.0):
        rec = moodrec.Recommender(learned_weight=lw, **ENGINE_ONLY_WORDS).fit(CATALOG)
        plan = rec.analyze(query)
        if plan.learned is None:  # no word the toy model knows: not in use at all
            assert plan.learned_weight == 0.0
        else:
            assert plan.learned_weight == pytest.approx(lw * words / 4)
    assert rec.analyze("harbor").learned_weight == pytest.approx(0.5)


def test_explain_agrees_with_recommend(toy_rec):
    res = toy_rec.recommend("harbor seagull", k=3)
    for m in res:
        ex = toy_rec.explain("harbor seagull", m.song_id)
        assert ex.rank == m.rank and ex.score == pytest.approx(m.score)
        assert sum(r.share for r in ex.reasons) == pytest.approx(1.0, abs=1e-3)


def test_large_catalog_only_reorders_what_the_engine_found(toy_model, monkeypatch):
    monkeypatch.setattr(engine, "shipped_learned", lambda: toy_model)
    monkeypatch.setattr(engine, "_DENSE_LIMIT", 1)
    rec = moodrec.Recommender(**ENGINE_ONLY_WORDS).fit(CATALOG)
    assert len(rec.recommend("harbor seagull")) == 0
    ex = rec.explain("harbor seagull", "sea")
    assert ex.rank == 0 and ex.score > 0  # scored, but not found by the engine
    assert rec.recommend("ocean", k=3).song_ids == ["sea"]  # what the engine finds still comes back


def test_save_and_load_keep_the_learned_model(toy_rec, tmp_path):
    path = toy_rec.save(tmp_path / "m")
    back = moodrec.Recommender.load(path)
    assert np.array_equal(np.asarray(back.song_vectors_), toy_rec.song_vectors_)
    for q in ["harbor seagull", "chalet sled", "sailing"]:
        a, b = toy_rec.recommend(q, k=3), back.recommend(q, k=3)
        assert a.song_ids == b.song_ids
        assert [m.score for m in a] == [m.score for m in b]
        assert [m.reasons for m in a] == [m.reasons for m in b]


def test_model_saved_before_learned_loads_without_it(toy_rec, tmp_path):
    path = toy_rec.save(tmp_path / "m")
    manifest = json.loads((path / "model.json").read_text())
    (path / "resources" / "learned.json").unlink()
    del manifest["files"]["resources/learned.json"]
    for name in [n for n in manifest["arrays"] if n.startswith("learned_")]:
        (path / "arrays" / f"{name}.npy").unlink()
        del manifest["arrays"][name]
    (path / "model.json").write_text(json.dumps(manifest))
    old = moodrec.Recommender.load(path)
    assert old.learned_ is None and old.song_vectors_ is None
    off = toy_rec.set_params(learned_weight=0.0)
    assert old.recommend("sailing", k=3).song_ids == off.recommend("sailing", k=3).song_ids


def test_damaged_learned_vectors_are_refused(toy_rec, tmp_path):
    path = toy_rec.save(tmp_path / "m")
    manifest = json.loads((path / "model.json").read_text())
    np.save(path / "arrays" / "learned_song_vectors.npy", np.zeros((2, 16), np.float16))
    spec = manifest["arrays"]["learned_song_vectors"]
    file = path / "arrays" / "learned_song_vectors.npy"
    spec.update(shape=[2, 16], bytes=file.stat().st_size)
    (path / "model.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelFormatError, match="learned song vectors"):
        moodrec.Recommender.load(path, verify=False)


@pytest.mark.parametrize("bad", [-0.5, float("nan"), True, "1"])
def test_learned_weight_is_checked(bad):
    with pytest.raises(ValueError, match="learned_weight"):
        moodrec.Recommender(learned_weight=bad).fit(CATALOG)


def test_model_rejects_mismatched_or_non_finite_numbers():
    with pytest.raises(ValueError, match="one vector and one idf per term"):
        LearnedModel(["a", "b"], np.ones(2), np.ones((3, 4)))
    with pytest.raises(ValueError, match="finite"):
        LearnedModel(["a"], np.ones(1), np.full((1, 4), np.nan))


def test_training_needs_queries():
    with pytest.raises(ValueError, match="no example queries"):
        train([{"blurb": "a song", "queries": []}], Analyzer(), dim=4, epochs=1)


@pytest.mark.parametrize(("query", "words"), [
    ("missing someone", 2),
    ("she tells me about her dates and I just nod along", 4),  # tells, dates, nod, along
    ("my boyfriend moved abroad and we ended it at the airport", 5),
    ("외로운 밤", 2),
    # nine words: a window of 45
    ("after the funeral I sat in my grandmother's empty kitchen and could not stop thinking about her hands", 9),
])
def test_blend_on_the_bundled_catalog_agrees_with_the_documented_rule(query, words):
    """The engine's best 20, or 5 per word past four (every other song when
    it finds fewer, if close enough in meaning), each scored by the formula,
    computed song by song."""
    songs = moodrec.load_songs()
    rec = moodrec.Recommender().fit(songs)
    engine_alone = moodrec.Recommender(learned_weight=0.0).fit(songs)
    n = rec.n_songs_
    e = np.zeros(n)
    # the window: 20, or 5 per word past four
    window = max(engine._RERANK_DEPTH, 5 * words)
    found = engine_alone.recommend(query, k=window)
    for m in found:
        e[rec.row_of_[m.song_id]] = m.score
    best = engine_alone.recommend(query, k=1)[0].score
    s = np.asarray(rec.song_vectors_, np.float32) @ rec.analyze(query).learned
    cand = e > 0
    if len(found) < window:
        cand |= s > engine._LEARNED_FLOOR
    w = rec.analyze(query).learned_weight
    assert w == pytest.approx(rec.learned_weight * words / 4)  # its words, stop words aside
    final = np.where(cand, (e / best + w * (s - engine._LEARNED_FLOOR)) / (1.0 + w), -np.inf)
    order = [i for i in np.lexsort((np.arange(n), -np.round(final, 9))) if final[i] > 0]
    got = rec.recommend(query, k=5)
    assert got.song_ids == [rec.song_ids_[i] for i in order[:5]]
    assert [m.score for m in got] == pytest.approx(final[order[:5]].tolist(), abs=1e-6)


def test_the_window_follows_the_query_words_not_the_weight():
    """The re-ranking window is 5 per word past four, whatever learned_weight
    is, including one set after the query was analysed."""
    rec = moodrec.Recommender().fit(moodrec.load_songs())
    plan = rec.analyze("after the funeral I sat in my grandmother's empty kitchen and could not stop thinking about her hands")
    assert plan.words == 9 and rec._window(plan) == 45
    rec.set_params(learned_weight=0.5)
    assert rec._window(plan) == 45 and rec._window(rec.analyze(plan.query)) == 45


def test_very_large_catalogs_reorder_only_the_engines_best(toy_model, monkeypatch):
    monkeypatch.setattr(engine, "shipped_learned", lambda: toy_model)
    monkeypatch.setattr(engine, "_DENSE_LIMIT", 1)
    monkeypatch.setattr(engine, "_WIDE_LIMIT", 1)
    monkeypatch.setattr(engine, "_RERANK_DEPTH_LARGE", 1)  # the window: the engine's top k
    rec = moodrec.Recommender(**ENGINE_ONLY_WORDS).fit(CATALOG)
    off = moodrec.Recommender(learned_weight=0.0, **ENGINE_ONLY_WORDS).fit(CATALOG)
    for q in ["ocean mountain", "song about skiing and sailing", "a crowded song"]:
        for k in (1, 2):
            assert set(rec.recommend(q, k=k).song_ids) <= set(off.recommend(q, k=k).song_ids)


def test_filters_never_reorder_the_songs_they_let_through():
    rec = moodrec.Recommender().fit(moodrec.load_songs())
    for q in ["drinking alone", "missing someone", "she left me"]:
        top = rec.recommend(q, k=6)
        rest = rec.recommend(q, k=5, exclude=[top[0].song_id])
        # the window of candidates moves by one song, which may join; the others keep order and scores
        both = [m.song_id for m in rest if m.song_id in top.song_ids]
        assert len(both) >= 4 and both == [sid for sid in top.song_ids if sid in both]
        scores = {m.song_id: m.score for m in top}
        assert all(m.score == scores[m.song_id] for m in rest if m.song_id in scores)


def test_the_first_songs_do_not_depend_on_k():
    rec = moodrec.Recommender().fit(moodrec.load_songs())
    for q in ["missing someone", "my boyfriend moved abroad and we ended it at the airport", "hartache",
              "after the funeral I sat in my grandmother's empty kitchen and could not stop thinking about her hands"]:
        five, ten = rec.recommend(q, k=5), rec.recommend(q, k=10)
        assert five.song_ids == ten.song_ids[:5] and [m.score for m in five] == [m.score for m in ten][:5]


def test_the_learned_reason_takes_its_place_by_share():
    rec = moodrec.Recommender().fit(moodrec.load_songs())
    for q in ["hartache", "drinking alone", "lonley nite", "외로운 밤"]:
        for m in rec.recommend(q, k=5):
            kinds = [r.kind for r in m.reasons]
            shares = [r.share for r in m.reasons if r.share > 0]
            assert shares == sorted(shares, reverse=True)
            # notes on how the query was read come first, as without the learned similarity
            notes = [r for r in m.reasons if r.kind == "spelling" and r.share == 0]
            assert m.reasons[:len(notes)] == tuple(notes), kinds


def test_the_learned_reason_never_names_the_songs_own_artist(toy_model, monkeypatch):
    monkeypatch.setattr(engine, "shipped_learned", lambda: toy_model)
    catalog = pd.DataFrame({"song_id": ["a", "b"], "title": ["Blue", "Deep"], "artist": ["Ocean Waves", "Sailor"],
                            "blurb": ["Ocean Waves sing about sailing the ocean while the waves roll in.",
                                      "A song about sailing the ocean while the waves roll in."]})
    rec = moodrec.Recommender(**ENGINE_ONLY_WORDS).fit(catalog)
    words = {m.song_id: next(r.words for r in m.reasons if r.kind == "learned")
             for m in rec.recommend("harbor seagull", k=2)}
    assert words["a"] and not {"ocean", "waves", "wave"} & set(words["a"])
    assert {"ocean", "waves", "wave"} & set(words["b"])  # the same words, from a song not by them


def test_a_korean_particle_never_changes_the_learned_query():
    # a word with its particle (이별을) stands for the bare word (이별) when
    # the model knows the bare word, even if it knows the whole form too
    from moodrec._learned import query_terms

    analyzer = Analyzer()
    both = {"이별을", "이별", "외로움을", "외로움", "느껴"}
    model = shipped()
    cases = [("이별을", "이별"), ("외로움을 느껴", "외로움 느껴"), ("짝사랑을", "짝사랑"), ("사랑이 아파", "사랑 아파")]
    for with_particle, bare in cases:
        synthetic = (both,) if with_particle in ("이별을", "외로움을 느껴") else ()
        for known in (*synthetic, model.vocabulary):
            for read_pairs in (False, True):  # with its word pairs too
                a = query_terms(analyzer.tokens(with_particle), known, analyzer, pairs=read_pairs)
                b = query_terms(analyzer.tokens(bare), known, analyzer, pairs=read_pairs)
                assert a == b, (with_particle, a, b)
        assert np.array_equal(model.embed_terms(a), model.embed_terms(b))
    assert query_terms(analyzer.tokens("이별을"), both, analyzer) == ["이별"]
    # without a vocabulary every term of the word is read
    assert query_terms(analyzer.tokens("이별을")) == ["이별을", "이별"]
    # a stem the model does not know leaves the word as it is
    assert query_terms(analyzer.tokens("이별을"), {"이별을"}, analyzer) == ["이별을", "이별"]
    # English words are never touched
    assert query_terms(analyzer.tokens("crying alone"), model.vocabulary, analyzer) == \
        query_terms(analyzer.tokens("crying alone"))


def test_training_reads_a_korean_particle_as_queries_are_read():
    # 이별을 is in two example queries, 이별 (its stem) in three: training reads
    # 이별을 as 이별, as a query is read, so no vector is spent on the whole form
    examples = [{"blurb": "a farewell at the station", "queries": ["이별을 했어", "이별 노래"]},
                {"blurb": "parting on a rainy night", "queries": ["이별을 견디는 밤", "비 오는 밤"]}]
    model = train(examples, Analyzer(), dim=4, epochs=1)
    assert "이별" in model.vocabulary and "밤" in model.vocabulary
    assert "이별을" not in model.vocabulary
    assert model.info["training_version"] >= 2


def test_pairs_of_neighbouring_words_give_the_model_word_order(monkeypatch):
    # the same three words in two orders: only pairs tell the queries apart
    import moodrec._learned as learned
    from moodrec._learned import query_terms

    monkeypatch.setattr(learned, "MIN_PAIR_TEXTS", 2)
    bites = ["a postman limps home after the neighbour's hound attacks him",
             "the mail carrier is bitten on his round and needs stitches"]
    bitten = ["a hound yelps after a postman in a rage kicks it",
              "the dog runs off whimpering from the angry mail carrier"]
    examples = ([{"blurb": b, "queries": ["dog bites man", "the dog bites a man"]} for b in bites]
                + [{"blurb": b, "queries": ["man bites dog", "a man bites the dog"]} for b in bitten])
    analyzer = Analyzer()
    model = train(examples, analyzer, dim=8, epochs=80, batch=4, lr=0.05, seed=0)
    assert model.reads_pairs and "dog bite" in model.vocabulary
    counts, terms = learned.blurb_counts([e["blurb"] for e in examples], analyzer)
    songs = model.embed(model.features_of_counts(counts, terms))

    def best(query: str, pairs: bool = True) -> int:
        q = model.embed_terms(query_terms(analyzer.tokens(query), model.vocabulary, analyzer, pairs=pairs))
        return int(np.argmax(songs @ q))

    assert best("dog bites man") in (0, 1)
    assert best("man bites dog") in (2, 3)
    # read without its pairs, the model cannot tell the two apart
    a, b = (query_terms(analyzer.tokens(q), model.vocabulary, analyzer) for q in ("dog bites man", "man bites dog"))
    assert sorted(a) == sorted(b)


def test_a_model_trained_before_pairs_reads_queries_without_them():
    # a saved model keeps its learned model; one trained before pairs has no
    # "min_pair_texts" in its info and must read a query's words alone
    from moodrec._learned import LearnedModel, query_terms

    model = shipped()
    old = LearnedModel(model.terms, model.idf, model.vectors, model.display,
                       {k: v for k, v in model.info.items() if k != "min_pair_texts"})
    rec = moodrec.Recommender().fit(moodrec.load_songs().head(30))
    query = "not sad, just got dumped"
    tokens = rec.analyzer_.tokens(query)
    with_pairs = query_terms(tokens, model.vocabulary, rec.analyzer_, pairs=True)
    words_only = query_terms(tokens, model.vocabulary, rec.analyzer_)
    assert len(with_pairs) > len(words_only)  # the shipped model knows some of its pairs
    rec.learned_ = old
    assert np.allclose(rec.analyze(query).learned, old.embed_terms(words_only))
    rec.learned_ = model
    assert np.allclose(rec.analyze(query).learned, model.embed_terms(with_pairs))


def test_word_dropout_leaves_words_out_but_never_a_whole_query():
    import scipy.sparse as sp

    from moodrec._learned import _drop_words

    rng = np.random.default_rng(0)
    x = sp.random(400, 50, density=0.06, format="csr", random_state=1, dtype=np.float32)
    x.data += 0.1  # no stored zeros
    out = _drop_words(x, 0.5, np.random.default_rng(0))
    rows_before, rows_after = np.diff(x.indptr) > 0, np.asarray((out != 0).sum(axis=1)).ravel() > 0
    assert np.array_equal(rows_before, rows_after)  # every query keeps at least one word
    dropped = 1 - (out != 0).sum() / x.nnz
    assert 0.4 < dropped < 0.6  # about half left out at p = 0.5
    left = out.data != 0
    assert np.array_equal(out.indices, x.indices) and np.array_equal(out.data[left], x.data[left])  # kept as it was
    assert _drop_words(x, 0.0, rng) is x
    one_word = sp.csr_matrix(np.eye(5, dtype=np.float32))
    assert (_drop_words(one_word, 0.99, rng) != 0).sum() == 5
