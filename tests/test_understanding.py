"""Query understanding and explanations, on the bundled catalog and on small made-up ones."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import moodrec
from moodrec import Recommender


# ------------------------------------------------------------------ lexicon expansion
def test_paraphrase_reaches_a_blurb_without_shared_words() -> None:
    songs = pd.DataFrame({
        "title": ["Platform", "Sunny"],
        "artist": ["A", "B"],
        "blurb": ["A quiet farewell and a parting neither wanted; the goodbye lingers.",
                  "Sunshine, a picnic and a bicycle ride with friends."],
    })
    rec = Recommender().fit(songs)
    recs = rec.recommend("she left me", k=2)
    assert recs and recs[0].title == "Platform"
    engine_words = Recommender(expand=False, learned_weight=0.0, association_weight=0.0).fit(songs)
    assert engine_words.recommend("she left me", k=2).song_ids != recs.song_ids


def test_feelings_found_in_korean_with_particles_and_endings(bundled: Recommender) -> None:
    assert "a breakup" in bundled.analyze("헤어진 날").feelings
    assert "loneliness" in bundled.analyze("외로움을 느껴").feelings
    assert bundled.recommend("이별을", k=5).song_ids == bundled.recommend("이별", k=5).song_ids


def test_one_syllable_korean_words_match(bundled: Recommender) -> None:
    plan = bundled.analyze("술 한잔")
    assert "drinking the night away" in plan.feelings


# ------------------------------------------------------------------------ spelling
@pytest.mark.parametrize(("typed", "meant"), [("lonley", "lonely"), ("hartache", "heartache"),
                                              ("graduaton", "graduation")])
def test_misspellings_are_read_as_known_words(bundled: Recommender, typed: str, meant: str) -> None:
    plan = bundled.analyze(f"{typed} songs")
    assert plan.corrections.get(typed, "").startswith(bundled.analyzer_.stem(meant)[:5])
    assert bundled.recommend(typed, k=3)


def test_real_words_are_not_corrected(bundled: Recommender) -> None:
    plan = bundled.analyze("I'm completely shattered, what the hell")
    assert "shattered" not in plan.corrections and "hell" not in plan.corrections
    # real words no blurb uses, close to one that a blurb does ("bail", "bawl")
    plan = bundled.analyze("I want to bail on this metropolis, my cousin keeps meddling")
    assert plan.corrections == {}


# ------------------------------------------------------------------ long sentences
def test_feeling_words_carry_a_long_sentence(bundled: Recommender) -> None:
    long = ("so yesterday after work I went to the convenience store near my apartment, bought a "
            "bottle and ended up drinking alone on the floor of my room until late")
    assert bundled.recommend(long, k=1)[0].song_id == bundled.recommend("drinking alone", k=1)[0].song_id


# ------------------------------------------------------------ polarity and negation
def _valence(rec: Recommender, recs: moodrec.Recommendations) -> float:
    return float(np.mean([rec.valence_[rec.row_of_[m.song_id]] for m in recs]))


def test_upbeat_love_songs_are_not_tear_jerkers(bundled: Recommender) -> None:
    recs = bundled.recommend("upbeat love songs", k=5)
    assert _valence(bundled, recs) > 0.2
    assert not any("tearjerker" in (m.themes or "") for m in recs)
    flat = Recommender(polarity=0.0).fit(bundled.catalog_).recommend("upbeat love songs", k=5)
    assert _valence(bundled, recs) >= _valence(bundled, flat)


def test_negation_turns_the_direction(bundled: Recommender) -> None:
    sad = bundled.analyze("sad")
    not_sad = bundled.analyze("not sad")
    assert sad.valence < 0 < not_sad.valence
    assert "sadness" not in not_sad.feelings
    recs = bundled.recommend("not sad", k=5)
    assert len(recs) == 5 and _valence(bundled, recs) > 0.3
    assert _valence(bundled, bundled.recommend("sad", k=5)) < 0


@pytest.mark.parametrize("query", ["not a ballad - something with energy", "not a ballad \u2014 something with energy",
                                   "not a ballad (something with energy)"])
def test_a_dash_or_bracket_ends_what_is_negated(bundled: Recommender, query: str) -> None:
    plan = bundled.analyze(query)
    assert "ballad" in plan.negated and "energy" not in plan.negated
    # a hyphen inside a word is no break: "not mid-tempo" negates its words
    assert {"mid", "tempo"} & set(bundled.analyze("not mid-tempo energy").negated)


@pytest.mark.parametrize(("query", "denied", "affirmed"), [
    ("cant sleep thinking about you", {"sleep"}, {"thinking"}),  # can't reaches one word
    ("I can't stop crying", set(), {"crying"}),  # not stopping affirms what follows
    ("trying not to cry on the bus", set(), {"cry"}),  # an attempt: the feeling is there
    ("tried so hard to not cry", set(), {"cry"}),
    ("I tried everything and nothing helps", {"helps"}, set()),  # no attempt at not doing
    ("not sad songs", {"sad"}, set()),
])
def test_how_far_a_negation_reaches(bundled: Recommender, query: str, denied: set[str], affirmed: set[str]) -> None:
    negated = set(bundled.analyze(query).negated)
    assert denied <= negated and not (affirmed & negated), negated


def test_trying_not_to_cry_is_sad(bundled: Recommender) -> None:
    assert bundled.analyze("trying not to cry").valence < 0
    assert bundled.analyze("I can't stop crying").valence < 0


def test_negation_scope_rules_come_from_the_language_data(bundled: Recommender) -> None:
    # a model saved before the rules carries language data without them, and reads as before
    from moodrec._text import Analyzer
    lang = {k: v for k, v in bundled.analyzer_.language.items()
            if k not in ("negators_one_word_en", "negation_undone_en", "negation_attempts_en")}
    old = Recommender().fit(bundled.catalog_.head(20))
    old.analyzer_ = Analyzer(language=lang)
    assert "cry" in old.analyze("trying not to cry").negated
    assert "thinking" in old.analyze("cant sleep thinking about you").negated


def test_korean_negation(bundled: Recommender) -> None:
    assert bundled.analyze("슬프지 않은 노래").valence >= 0 > bundled.analyze("슬픈 노래").valence


# ------------------------------------------------------------------- explanations
def test_every_match_says_why(bundled: Recommender) -> None:
    for q in ["drinking alone", "외로운 밤", "lonley nite", "she left me"]:
        for m in bundled.recommend(q, k=5):
            shares = [r.share for r in m.reasons
                      if r.kind in ("word", "spelling", "translation", "feeling", "association", "learned")]
            assert shares and sum(shares) == pytest.approx(1.0, abs=1e-3), (q, m.reasons)
            assert m.why
            for r in m.reasons:
                for w in r.words:  # readable words, not stems
                    assert (w in (m.blurb + m.title).lower() or w in bundled.lexicon_.display.values()
                            or w in bundled.associations_.display.values()
                            or w in bundled.learned_.display.values()), w


def test_explain_agrees_with_recommend(bundled: Recommender) -> None:
    recs = bundled.recommend("missing someone", k=5)
    for m in recs:
        e = bundled.explain("missing someone", m.song_id)
        assert (e.rank, e.score, e.reasons) == (m.rank, m.score, m.reasons)


def test_explain_a_song_that_does_not_match(tiny_songs: pd.DataFrame) -> None:
    # without associations, which may link "party" to a word of any song
    tiny = Recommender(association_weight=0.0).fit(tiny_songs)
    e = tiny.explain("dance party", "mother")
    assert (e.score, e.rank, e.reasons) == (0.0, 0, ())
    with pytest.raises(moodrec.UnknownSongError):
        tiny.explain("rain", "nope")


def test_explanation_names_the_spelling_and_the_feeling(bundled: Recommender) -> None:
    # a song whose blurb has the word the misspelling stands for
    blurbs = bundled.catalog_.set_index("song_id")["blurb"]
    song = next(s for s, b in blurbs.items() if "heartache" in b.lower())
    m = bundled.explain("hartache", song)
    kinds = {r.kind for r in m.reasons}
    assert {"spelling", "feeling"} <= kinds
    assert '"hartache" read as "heartache"' in m.why


def test_words_side_by_side_are_named_as_typed(bundled: Recommender) -> None:
    # the pair is matched by stems (miss, someon) but said in the query's words
    pairs = [r.label for m in bundled.recommend("missing someone", k=10) for r in m.reasons
             if "side by side" in r.label]
    assert pairs and all('"missing someone"' in label for label in pairs)
    # a misspelt word of the pair is said as it was read
    pairs = [r.label for m in bundled.recommend("lonley nite", k=10) for r in m.reasons
             if "side by side" in r.label]
    assert pairs and all('"lonely night"' in label for label in pairs)


# ------------------------------------------------------------------ sound-alike spellings
@pytest.mark.parametrize(("typed", "meant"), [("motivashun", "motivation"), ("fone", "phone"), ("skool", "school")])
def test_sound_alike_spellings_are_read_as_the_word(bundled: Recommender, typed: str, meant: str) -> None:
    assert bundled.analyze(f"{typed} blues").corrections.get(typed) == meant


def test_a_respelled_function_word_adds_no_term(bundled: Recommender) -> None:
    plan = bundled.analyze("becuz lonely")
    assert plan.corrections == {"becuz": "because"}
    assert [label for kind, label in plan.sources if kind == "word"] == ["lonely"]


# ------------------------------------------------------------------ genres
def _genre_catalog() -> pd.DataFrame:
    sad = "A sad song of tears after a breakup"
    return pd.DataFrame({
        "song_id": ["b1", "b2", "t1", "t2", "j1"],
        "title": ["One", "Two", "Three", "Four", "Five"],
        "artist": ["A", "B", "C", "D", "E"],
        "blurb": [f"{sad}, in the rain.", f"{sad}, at night.", f"{sad}.", f"{sad}, in winter.", f"{sad}, by the sea."],
        "themes": ["ballad", "ballad", "trot", "trot", "jpop"],
    })


@pytest.mark.parametrize("query", ["sad trot", "트로트 슬픈 노래", "sad songs, trot please"])
def test_a_genre_the_query_names_ranks_that_genre_first(query: str) -> None:
    rec = Recommender().fit(_genre_catalog())
    assert rec.analyze(query).genres == ["trot"]
    assert set(rec.recommend(query, 2).song_ids) == {"t1", "t2"}


def test_a_genre_ruled_out_goes_last() -> None:
    rec = Recommender().fit(_genre_catalog())
    plan = rec.analyze("sad songs, no trot")
    assert plan.genres_out == ["trot"] and plan.genres == []
    assert set(rec.recommend("sad songs, no trot", 5).song_ids[-2:]) == {"t1", "t2"}


def test_genres_need_curated_themes() -> None:
    # Without a themes column the genre word is only a word: nothing is penalised.
    songs = _genre_catalog().drop(columns="themes")
    rec = Recommender().fit(songs)
    assert rec.analyze("sad trot").genres == []
    plain = Recommender(expand=False).fit(songs)
    assert rec.recommend("sad trot", 5).song_ids[0] == plain.recommend("sad trot", 5).song_ids[0]


def test_genre_ranking_is_exact_under_pruning(bundled: Recommender) -> None:
    full = bundled.recommend("sadd jpop", bundled.n_songs_)
    top = bundled.recommend("sadd jpop", 5)
    assert top.song_ids == full.song_ids[:5]
    themes = bundled.catalog_.set_index("song_id")["themes"]
    assert all("jpop" in themes[s] for s in top.song_ids)


def test_why_says_how_a_misspelling_was_read_even_when_the_word_did_not_match(bundled: Recommender) -> None:
    plan = bundled.analyze("hartache")
    top = bundled.recommend("hartache", 3)
    for m in top:
        assert m.why.count('"hartache" read as "heartache"') == 1, m.why
    assert plan.corrections == {"hartache": "heartache"}


def test_why_never_prints_a_zero_share_as_a_mention(bundled: Recommender) -> None:
    for q in ["lonley nite", "drinking alone", "hartache", "rainy day"]:
        for m in bundled.recommend(q, 5):
            assert " 0%" not in m.why, (q, m.why)


# ------------------------------------------------------------------ intensifiers in cues
@pytest.mark.parametrize(("query", "feeling"), [
    ("the apartment is so quiet", "loneliness"),
    ("my heart really really hurts", "sadness"),
    ("I feel so very alone", "loneliness"),
])
def test_intensifiers_do_not_hide_a_cue(bundled: Recommender, query: str, feeling: str) -> None:
    assert feeling in bundled.analyze(query).feelings


@pytest.mark.parametrize("query", ["I miss the bus", "I so miss the bus"])
def test_dropping_intensifiers_does_not_make_a_cue_of_function_words(bundled: Recommender, query: str) -> None:
    assert "missing someone" not in bundled.analyze(query).feelings


# ------------------------------------------------------------------ tone words
@pytest.mark.parametrize("query", ["a fun song about getting dumped", "breakup songs that make me feel strong, not weepy",
                                   "신나는 이별 노래"])
def test_a_tone_word_outweighs_the_situation_it_is_about(bundled: Recommender, query: str) -> None:
    # the situation (a breakup) is sad; the tone asked for is not
    assert bundled.analyze(query).valence > 0
    plain = bundled.analyze(query.replace("fun ", "").replace("strong, not weepy", "").replace("신나는 ", ""))
    assert plain.valence < 0


def test_tone_words_carry_their_direction_alone(bundled: Recommender) -> None:
    assert bundled.analyze("upbeat").valence > 0.5
    assert bundled.analyze("weepy").valence < -0.5
    assert bundled.analyze("not weepy").valence > 0


def test_a_feeling_votes_once_however_many_of_its_cues_match(bundled: Recommender) -> None:
    # "she left me" matches three breakup cues (she left me, she left, left me), "breakup" several
    # spellings of one: each is one breakup, and weighs as one against a tone word
    lex = bundled.lexicon_
    matches = lex.match(bundled.analyzer_.tokens("she left me"))
    assert len(matches) > 1 and len({m.feeling for m in matches}) == 1
    breakup = lex.feelings[matches[0].feeling].valence
    for q in ("she left me", "breakup"):
        assert bundled.analyze(q).valence == pytest.approx(breakup)
    assert bundled.analyze("she left me, fun songs").valence == pytest.approx(bundled.analyze("breakup, fun songs").valence)


def test_a_tone_phrase_counts_only_whole(bundled: Recommender) -> None:
    # "feel-good" is the words feel + good: "feel" alone asks for no bright song
    assert bundled.analyze("a feel-good song").valence > 0.5
    assert bundled.analyze("songs that make me feel good").valence > 0.5
    assert bundled.analyze("I feel like a total loser").valence < 0
    assert bundled.analyze("i feel so awkward").valence <= 0
    assert bundled.analyze("light-hearted").valence > 0.5
    assert bundled.analyze("city lights").valence <= 0
    assert bundled.analyze("눈물 나는 노래").valence < -0.5


@pytest.mark.parametrize("query", ["drinking alone", "lonley nite", "sadd jpop", "a fun song about getting dumped"])
def test_explain_gives_every_song_its_place_in_the_full_ranking(bundled: Recommender, query: str) -> None:
    full = bundled.recommend(query, bundled.n_songs_)
    # the top, the middle and the tail of the ranking (explain finds the rank with growing top-k:
    # 20, 160, all, the windows the learned similarity reorders for those k)
    picks = [0, 1, 19, 20, 21, 63, 64, 65, len(full) // 2, len(full) - 1]
    for i in sorted({p for p in picks if p < len(full)}):
        sid = full[i].song_id
        m = bundled.explain(query, sid)
        shown = next(r for r in (bundled.recommend(query, k) for k in (20, 160, bundled.n_songs_))
                     if sid in r.song_ids)
        at = shown.song_ids.index(sid)
        assert (m.rank, m.score) == (at + 1, pytest.approx(shown[at].score, abs=1e-12)), (query, i)
        assert m.score == pytest.approx(full[i].score, abs=1e-12)  # a song's score never depends on k
    unmatched = set(bundled.song_ids_) - set(full.song_ids)
    for sid in sorted(unmatched)[:3]:
        assert bundled.explain(query, sid).rank == 0


def test_a_cue_does_not_match_across_a_korean_word(bundled: Recommender) -> None:
    assert "loneliness" in bundled.analyze("apartment is so quiet").feelings
    assert "loneliness" not in bundled.analyze("apartment is 정말 quiet").feelings


# ----------------------------------------------------------- Korean words in English
def _commute_catalog() -> pd.DataFrame:
    return pd.DataFrame({
        "title": ["Line Two", "Tide"],
        "artist": ["A", "B"],
        "blurb": ["Standing on the subway on the way home, too tired to think.",
                  "Waves and gulls by the sea on a lazy summer afternoon."],
    })


def test_a_korean_word_reaches_an_english_blurb_through_the_glossary() -> None:
    # the engine alone: the learned similarity may bring in a song close in meaning
    rec = Recommender(learned_weight=0.0).fit(_commute_catalog())
    recs = rec.recommend("지하철에서", k=2)  # the word for subway, with a particle
    assert [m.title for m in recs] == ["Line Two"]  # the sea song shares nothing with it
    reason = next(r for r in recs[0].reasons if r.kind == "translation")
    assert reason.share > 0.2 and reason.describe().startswith('"지하철에서" read as "subway"')


def test_glossary_words_match_as_prefixes_one_syllable_words_whole() -> None:
    from moodrec._lexicon import Lexicon
    from moodrec._text import Analyzer

    lex, a = Lexicon(), Analyzer()

    def english(query: str) -> list[str]:
        return [w for _, _, words in lex.translate(a.tokens(query)) for w in words]

    assert "rain" in english("비가 와") and "rain" in english("비")
    assert "rain" not in english("비밀")  # a secret, not rain
    assert "miss" in english("엄마가 보고 싶어")  # a phrase of two words, its ending conjugated
    assert {"miss", "longing"} & set(english("그리워")) & set(english("그리운"))  # one stem, two endings


def test_a_negated_korean_word_is_not_translated(bundled: Recommender) -> None:
    said = {label for kind, label in bundled.analyze("안 슬픈 노래").sources if kind == "translation"}
    assert not any("슬픈" in label for label in said)
    assert any("슬픈" in label for kind, label in bundled.analyze("슬픈 노래").sources if kind == "translation")


def test_a_lexicon_without_a_glossary_translates_nothing() -> None:
    from moodrec._lexicon import Lexicon
    from moodrec._text import Analyzer, load_resource

    data = {k: v for k, v in load_resource("lexicon.json").items() if k != "glossary_ko_en"}
    assert Lexicon(data).translate(Analyzer().tokens("지하철에서 비가 와")) == []


# ------------------------------------------------------- what a blurb says a song is not
def test_a_song_does_not_match_what_its_blurb_says_it_is_not() -> None:
    songs = pd.DataFrame({
        "title": ["Glow", "Goodbye"],
        "artist": ["A", "B"],
        "blurb": ["A warm, glowing love song, sung with a smile rather than tears. There is no heartbreak here.",
                  "A goodbye sung through tears after the heartbreak of a breakup."],
    })
    # the words it is indexed by: the learned similarity and the associations
    # set aside (they may still find a love song near "tears" in meaning, far
    # below: happy tears go with "warm")
    rec = Recommender(learned_weight=0.0, association_weight=0.0).fit(songs)
    assert [m.title for m in rec.recommend("tears", k=2)] == ["Goodbye"]
    assert [m.title for m in rec.recommend("heartbreak", k=2)] == ["Goodbye"]
    assert rec.recommend("smile", k=2)[0].title == "Glow"
    # with associations, Glow is never matched by the word its blurb rules out
    for m in Recommender(learned_weight=0.0).fit(songs).recommend("tears", k=2)[1:]:
        assert 'mentions "tears"' not in m.why and m.score < 0.1
    blended = Recommender().fit(songs)
    for q in ["tears", "heartbreak"]:
        got = blended.recommend(q, k=2)
        assert got[0].title == "Goodbye" and (len(got) == 1 or got[1].score < got[0].score / 4)
    # and its direction comes from what it is: a bright song, not a tearful one
    glow, goodbye = (rec.valence_[rec.row_of_[m]] for m in rec.song_ids_)
    assert glow > 0 > goodbye


@pytest.mark.parametrize("text", [
    "There is no one to pour a second for.",  # "no one" is what the song is about
    "It has no easy answers, only doubt.",
    "Rather",
])
def test_contrast_markers_leave_other_sentences_whole(text: str) -> None:
    from moodrec._text import Analyzer

    assert Analyzer().drop_contrasts(text) == text


def test_contrasts_end_at_punctuation_and_break_words() -> None:
    from moodrec._text import Analyzer

    a = Analyzer()
    assert a.drop_contrasts("Calm rather than loud, and bright.") == "Calm  , and bright."
    assert a.drop_contrasts("It is not a ballad but a march.") == "It is   but a march."
    assert a.drop_contrasts("Sung with a smile instead of tears") == "Sung with a smile  "
    assert a.drop_contrasts("It isn\u2019t a ballad.") == "It  ."  # a curly apostrophe too


@pytest.mark.parametrize(("text", "left"), [
    ("Calm RATHER THAN LOUD, and bright.", "Calm  , and bright."),
    ("Calm Rather Than Loud, and bright.", "Calm  , and bright."),
    ("IT IS NOT A BALLAD.", "IT IS  ."),
    ("THERE IS NO ANGER HERE.", " ."),
])
def test_contrast_markers_are_found_in_any_case(text: str, left: str) -> None:
    from moodrec._text import Analyzer

    assert Analyzer().drop_contrasts(text) == left


def test_words_side_by_side_only_in_what_a_song_is_not_are_not_side_by_side() -> None:
    # "Calm" has "lonely" and "walk" side by side only in what it says it is not;
    # "Apart" has them apart.  Neither is closer to "lonely walk" than the other.
    songs = pd.DataFrame({
        "title": ["Calm", "Apart"],
        "artist": ["A", "B"],
        "blurb": ["A lonely night and a bright walk, rather than a lonely walk.",
                  "A lonely night and a bright walk."],
    })
    rec = Recommender().fit(songs)
    plan = rec.analyze("lonely walk")
    assert plan.pairs == [("lonely", "walk")]
    calm, apart = (rec._read_pair_share(plan, rec.row_of_[s], None, None) for s in rec.song_ids_)
    assert calm == apart == 0.0
    plain = Recommender().fit(songs.assign(blurb=songs.blurb.str.replace(", rather than a lonely walk", ", a lonely walk")))
    assert plain._read_pair_share(plan, 0, None, None) == 1.0


@pytest.mark.parametrize(("query", "found"), [
    ("miss you", [("longing", 0, 2), ("missing", 0, 1)]),  # the longer cue first
    ("i miss", [("missing", 1, 2)]),  # a one-word cue as the last word
    ("miss the bus", [("missing", 0, 1)]),  # a one-word cue before a word no longer cue continues with
    ("you miss me so much", [("longing", 1, 5), ("missing", 1, 2)]),
])
def test_cues_are_found_whatever_follows_their_first_word(query: str, found: list) -> None:
    from moodrec._lexicon import Lexicon
    from moodrec._text import Analyzer

    data = {"feelings": [
        {"name": "missing", "label": "missing", "valence": -0.5, "cues": ["miss"], "related": {}},
        {"name": "longing", "label": "longing", "valence": -0.5, "cues": ["miss you", "miss me so much"], "related": {}},
    ]}
    lex = Lexicon(data)
    got = [(lex.feelings[m.feeling].name, m.start, m.end) for m in lex.match(Analyzer().tokens(query))]
    assert got == found
