from __future__ import annotations

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
