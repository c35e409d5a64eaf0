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
