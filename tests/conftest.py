from __future__ import annotations

import random
from collections.abc import Callable

import pandas as pd
import pytest

import moodrec


@pytest.fixture(scope="session")
def bundled() -> moodrec.Recommender:
    """A recommender fitted on the bundled catalog (shared, read-only)."""
    return moodrec.Recommender().fit(moodrec.load_songs())


@pytest.fixture()
def tiny_songs() -> pd.DataFrame:
    """A small hand-written catalog with known words in known places."""
    return pd.DataFrame(
        {
            "song_id": ["rain", "party", "goodbye", "mother", "twin-a", "twin-b"],
            "title": ["Rain Walk", "Dance Floor", "Last Train", "Kitchen Light", "Echo", "Echo"],
            "artist": ["A", "B", "C", "D", "E", "E"],
            "blurb": [
                "A slow song for walking home alone in the rain, lonely and quiet.",
                "A bright upbeat dance track for a party with friends, pure joy.",
                "A farewell at the station: the breakup neither of them wanted, tears and regret.",
                "A thank-you to a mother who cooked every night, warm and grateful.",
                "Waves on an empty beach in winter.",
                "Waves on an empty beach in winter.",
            ],
            "year": [2001, 2015, 2010, 1999, 2020, 2021],
            "themes": ["blue-mood", "stories;friendship", "tearjerker", "moving-lyrics", "gentle", "gentle"],
        }
    )


@pytest.fixture()
def tiny(tiny_songs: pd.DataFrame) -> moodrec.Recommender:
    return moodrec.Recommender().fit(tiny_songs)


# Pieces of hostile and varied text for the one-pass analysis (fit's fast path).
_PIECES = [
    "Drinking", "ALONE", "by", "myself", "on", "my", "own", "no", "one", "brokn", "heart", "broken", "j-pop",
    "k_pop", "don't", "'quoted'", "rock''n", "roll'", "'", "’", "it’s", "‘til", "youʼre", "`cause", "nite", "gf",
    "sooo", "thinkin", "이별을", "술", "비", "밤에", "BTS의", "k팝", "ＬＯＮＥＬＹ", "Café", "cafe\u0301", "\u0301start",
    "\u1100", "\u1161", "ß", "ΣΑΣ", "ꭰ", "Ⅻ", "ﬁre", "½", "x\u200by", "٣", "tab\there", "line\nbreak", "\r\n",
    "   ", "\u3000", "...", "!?", ";", "—", "e.g.", "24/7", "'90s", "rock'n'roll", "\x1b[31m", "\x07", "_", "__init__",
]


def _random_texts(seed: int, n: int) -> list[str]:
    rng = random.Random(seed)
    texts = []
    for _ in range(n):
        k = rng.choice([0, 0, 1, 2, 5, 12])
        seps = [" ", " ", "", ", ", "\n", "-"]
        texts.append("".join(rng.choice(_PIECES) + rng.choice(seps) for _ in range(k)))
    return texts


@pytest.fixture()
def varied_texts() -> Callable[[int, int], list[str]]:
    """``varied_texts(seed, n)``: n seeded random texts, ASCII, Hangul, mixed and
    hostile (phrases, informal spellings, apostrophes, combining marks, empty)."""
    return _random_texts
