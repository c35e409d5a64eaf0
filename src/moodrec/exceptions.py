"""The exceptions moodrec raises.

Every error of the library's own derives from :class:`MoodrecError`, so an
application can catch them all in one place::

    MoodrecError
    ├── CatalogError        a catalog that cannot be used (missing column, empty
    │                       blurb, duplicate song_id, unreadable file ...)
    ├── NotFittedError      a Recommender used before fit()
    ├── UnknownSongError    a song_id that is not in the catalog
    └── ModelFormatError    a saved model that is missing, truncated, tampered
                            with or of an unknown format version

Bad arguments (an empty query, ``k=0``) raise the built-in ``ValueError`` or
``TypeError``, as Python functions do.  The library's own errors also derive
from the matching built-in (``CatalogError`` is a ``ValueError``,
``UnknownSongError`` a ``LookupError``), so existing handlers keep working.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sklearn.exceptions import NotFittedError as _SklearnNotFittedError

__all__ = [
    "MoodrecError",
    "CatalogError",
    "CatalogProblem",
    "NotFittedError",
    "UnknownSongError",
    "ModelFormatError",
]


class MoodrecError(Exception):
    """Base class of every error moodrec raises on its own account."""


@dataclass(frozen=True)
class CatalogProblem:
    """One problem in a catalog: where it is and what is wrong.

    ``row`` is the 0-based position of the song in the catalog (None for a
    problem of the whole catalog, such as a missing column); ``line`` is the
    line of the CSV file when the catalog came from one.
    """

    message: str
    row: int | None = None
    column: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class CatalogError(MoodrecError, ValueError):
    """A catalog that cannot be used; ``problems`` lists every problem found."""

    def __init__(self, message: str, problems: Sequence[CatalogProblem] = ()) -> None:
        self.problems: tuple[CatalogProblem, ...] = tuple(problems)
        if self.problems:
            shown = "\n".join(f"  - {p}" for p in self.problems[:20])
            more = len(self.problems) - 20
            if more > 0:
                shown += f"\n  ... and {more} more"
            message = f"{message}\n{shown}"
        super().__init__(message)


class NotFittedError(MoodrecError, _SklearnNotFittedError):
    """A Recommender was used before ``fit``; also scikit-learn's NotFittedError."""


class UnknownSongError(MoodrecError, LookupError):
    """A song_id that is not in the fitted catalog."""

    def __str__(self) -> str:  # LookupError would show the repr of the message
        return str(self.args[0]) if self.args else ""


class ModelFormatError(MoodrecError):
    """A saved model that cannot be loaded safely."""
