"""The analyser: Hangul words and particles, stemming, stop words."""

from __future__ import annotations

import pytest

from moodrec._text import Analyzer, normalize


@pytest.fixture(scope="module")
def a() -> Analyzer:
    return Analyzer()


@pytest.mark.parametrize("word", ["술", "비", "밤", "잔"])
def test_one_syllable_korean_words_are_kept(a: Analyzer, word: str) -> None:
    assert word in a.terms(f"{word} 한 잔")


@pytest.mark.parametrize("word", ["이별을", "이별이", "이별은", "이별에서"])
def test_particles_are_split_off(a: Analyzer, word: str) -> None:
    assert "이별" in a.terms(word)


@pytest.mark.parametrize(("word", "stem"), [("사랑", "사랑"), ("사랑을", "사랑"), ("가을에", "가을"), ("위로가", "위로"),
                                          ("첫사랑이", "첫사랑"), ("아이", "아이")])
def test_a_word_that_ends_like_a_particle_stays_whole(a: Analyzer, word: str, stem: str) -> None:
    assert a.terms(word)[-1] == stem
    assert a.strip_particle(stem) == stem


def test_language_data_without_whole_words_analyses_as_before(a: Analyzer) -> None:
    # a model saved before the list existed carries language data without it
    old = Analyzer(language={k: v for k, v in a.language.items() if k != "whole_words_ko"})
    assert old.terms("사랑") == ["사랑", "사"] and a.terms("사랑") == ["사랑"]
    assert old.terms("이별을") == a.terms("이별을") == ["이별을", "이별"]


def test_particle_glued_to_latin_word_is_dropped(a: Analyzer) -> None:
    assert a.terms("BTS의") == ["bts"]


@pytest.mark.parametrize(
    ("words", "same"),
    [(("love", "loved", "loving", "loves"), "love"), (("cry", "cried", "crying", "cries"), "cry"),
     (("memory", "memories"), "memory"), (("lonely", "loneliness"), "lonely"),
     (("dance", "dancing", "danced"), "dance"), (("leave", "leaving"), "leave"),
     (("propose", "proposing", "proposed", "proposes"), "propos"), (("blue", "blues"), "blue"),
     (("smile", "smiles", "smiling", "smiled"), "smile")],
)
def test_inflections_meet(a: Analyzer, words: tuple[str, ...], same: str) -> None:
    assert {a.stem(w) for w in words} == {same}


def test_distinct_words_stay_distinct(a: Analyzer) -> None:
    assert a.stem("wine") != a.stem("win")
    assert a.stem("note") != "not"
    assert a.stem("longing") != a.stem("long")


def test_feeling_words_are_not_stop_words(a: Analyzer) -> None:
    words = ["alone", "again", "never", "together", "empty"]
    assert a.terms(", ".join(words)) == [a.stem(w) for w in words]


def test_normalize_folds_width_case_and_apostrophes() -> None:
    assert normalize("ＤＯＮ’Ｔ") == "don't"


def test_informal_spellings(a: Analyzer) -> None:
    assert a.terms("lonley nite with my gf") == ["lonley", "night", "girlfriend"]


def test_bulk_counting_equals_per_text_analysis(a: Analyzer) -> None:
    # fit counts words with one vectorised pass (phrases merged on codes); it must
    # agree with the analyser text by text, phrases and informal spellings included
    from collections import Counter

    from moodrec._recommender import _count_matrix

    texts = [
        "Drinking by myself on my own, no one calls; a brokn heart and a broken heart.",
        "by", "on my", "j-pop and k-pop, heart broken", "", "이별을 했다, 술 한 잔",
        "no one no one by yourself", "Lonely nite with my gf, by myself",
    ]
    vocab: dict[str, int] = {}
    counts = _count_matrix(texts, a, vocab)
    terms = {i: t for t, i in vocab.items()}
    for row, text in enumerate(texts):
        got = {terms[j]: int(v) for j, v in zip(counts[row].indices, counts[row].data)}
        assert got == dict(Counter(a.terms(text))), text


def test_bulk_counting_in_chunks_equals_one_pass(a: Analyzer, monkeypatch: pytest.MonkeyPatch) -> None:
    from moodrec import _recommender

    texts = [f"song {i} about being by myself in the rain, no one {i % 3}" for i in range(10)] + ["", "비 오는 밤"]
    whole_vocab: dict[str, int] = {}
    whole = _recommender._count_matrix(texts, a, whole_vocab)
    monkeypatch.setattr(_recommender, "_CHUNK", 3)
    chunk_vocab: dict[str, int] = {}
    chunked = _recommender._count_matrix(texts, a, chunk_vocab)
    # term ids may be assigned in another order; the counts per term may not differ
    assert set(chunk_vocab) == set(whole_vocab) and whole.shape == chunked.shape

    def rows(matrix, vocab: dict[str, int]) -> list[dict[str, float]]:
        name = {i: t for t, i in vocab.items()}
        return [{name[j]: v for j, v in zip(matrix[r].indices, matrix[r].data)} for r in range(matrix.shape[0])]

    assert rows(chunked, chunk_vocab) == rows(whole, whole_vocab)


@pytest.mark.parametrize(
    ("informal", "written"),
    [("thinkin", "thinking"), ("waitin", "waiting"), ("sleeeep", "sleep"), ("sooooo", "so"), ("saaad", "sad")],
)
def test_spoken_spellings_are_read_as_written(a: Analyzer, informal: str, written: str) -> None:
    assert a.expand_informal(informal) == (written,)


@pytest.mark.parametrize("word", ["cabin", "begin", "robin", "coffee", "committee", "zzz"])
def test_real_words_are_not_rewritten_by_spelling_rules(a: Analyzer, word: str) -> None:
    assert a.expand_informal(word) == (word,)


def test_resources_without_the_rules_analyse_as_before(a: Analyzer) -> None:
    # A model saved before the spelling rules existed carries
    # language data without them; it must analyse exactly as it was fitted.
    old = dict(a.language)
    old.pop("informal_rules_en")
    before = Analyzer(language=old)
    assert before.terms("waitin sleeeep") == ["waitin", "sleeeep"]
    assert a.terms("waitin sleeeep") == ["wait", "sleep"]


@pytest.mark.parametrize("seed", range(8))
def test_joined_words_are_raw_words_text_by_text(a: Analyzer, varied_texts, seed: int) -> None:
    from moodrec._text import TEXT_BREAK, joined_words

    texts = varied_texts(seed, 300)
    for part in (texts, [t for t in texts if t.isascii()], [t for t in texts if not t.isascii()], texts[:1]):
        expected: list[str] = []
        for i, t in enumerate(part):
            expected += ([TEXT_BREAK] if i else []) + a.raw_words(t, merge=False)
        assert joined_words(part) == expected


def test_joined_words_give_up_on_a_text_holding_the_break() -> None:
    from moodrec._text import joined_words

    assert joined_words(["rain", "A\x00B"]) is None
    assert joined_words(["비", "A\x00B"]) is None
    assert joined_words([]) == []
