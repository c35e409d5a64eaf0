"""moodrec: songs for a feeling, typed in your own words.

>>> import moodrec
>>> moodrec.recommend("drinking alone", k=1)[0].title
'Lonely night'
"""

from ._api import load_songs, recommend, similar, themes
from ._catalog import validate_catalog
from ._recommender import Recommender
from ._results import Match, Reason, Recommendations
from ._version import __version__
from .exceptions import (
    CatalogError,
    CatalogProblem,
    ModelFormatError,
    MoodrecError,
    NotFittedError,
    UnknownSongError,
)

__all__ = [
    "__version__",
    "recommend",
    "similar",
    "themes",
    "load_songs",
    "validate_catalog",
    "Recommender",
    "Recommendations",
    "Match",
    "Reason",
    "MoodrecError",
    "CatalogError",
    "CatalogProblem",
    "NotFittedError",
    "UnknownSongError",
    "ModelFormatError",
]
