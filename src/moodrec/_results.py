"""Results: :class:`Match`, :class:`Reason` and :class:`Recommendations`.

Everything here holds plain Python values (str, int, float, None, tuples), so
an application can JSON-encode a result with ``to_dicts()``; a notebook gets a
table from the same object (``to_frame()`` and an HTML display).
"""

from __future__ import annotations

import html
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, overload

import pandas as pd

__all__ = ["Reason", "Match", "Recommendations"]


@dataclass(frozen=True)
class Reason:
    """One reason a song matched a query, with its share of the score.

    ``kind`` is ``"word"`` (a word of the query found in the song's text),
    ``"spelling"`` (a query word read as a known word), ``"translation"`` (a
    Korean query word read as English words the song has), ``"feeling"`` (a
    feeling the query expresses, found through words the curator used),
    ``"association"`` (words that songs for a query word are often described
    with: "pal" goes with "friend"; ``label`` is the query word),
    ``"learned"`` (the whole query and the blurb are close in meaning, by a
    model trained on example songs we wrote; ``words`` are the blurb's words
    that bring it closest),
    ``"mood"`` (the song's emotional direction set against the query's) or
    ``"similar"`` (for :meth:`Recommender.similar`: the songs share words).
    ``words`` are the words of the song's text that carried it.
    """

    kind: str
    label: str
    words: tuple[str, ...]
    share: float

    def describe(self) -> str:
        """The reason in words a listener understands.

        >>> Reason("feeling", "a breakup", ("parting", "farewell"), 0.6).describe()
        'feels like a breakup (parting, farewell) 60%'
        >>> Reason("association", "pal", ("friend",), 0.2).describe()
        '"pal" goes with friend 20%'
        >>> Reason("feeling", "a breakup", (), 0.004).describe()
        'feels like a breakup <1%'
        >>> Reason("learned", "close in meaning to the query", ("friend", "hiding"), 0.3).describe()
        'close in meaning to the query (friend, hiding) 30%'
        """
        # a share too small to round to 1% still counts: "<1%", never "0%"
        pct = f"{round(self.share * 100)}%" if round(self.share * 100) >= 1 else "<1%"
        words = ", ".join(self.words)
        if self.kind == "word":
            # share 0: a note on how the words stand (side by side), not a word of its own
            return f'mentions "{self.label}" {pct}' if self.share > 0 else self.label
        if self.kind in ("spelling", "translation"):
            # a misspelling read as a word the song does not have still says how the query was read
            return f"{self.label} {pct}" if self.share > 0 else self.label
        if self.kind in ("mood", "similar"):
            return self.label
        if self.kind == "learned":
            return f"{self.label} ({words}) {pct}" if words else f"{self.label} {pct}"
        if self.kind == "association":
            return f'"{self.label}" goes with {words} {pct}' if words else f'goes with "{self.label}" {pct}'
        return f"feels like {self.label} ({words}) {pct}" if words else f"feels like {self.label} {pct}"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "label": self.label, "words": list(self.words), "share": self.share}


_CORE = ("song_id", "title", "artist", "score", "rank")


@dataclass(frozen=True)
class Match:
    """One recommended song.

    The song's other catalog columns are in ``fields`` and readable as
    attributes (``match.year``, ``match.blurb``); ``reasons`` says why it came
    up, best reason first, and ``why`` says it in one line.

    >>> m = Match("ben-lonely-night", "Lonely night", "BEN", 0.8, 1, {"year": 2020})
    >>> m.year, m.to_dict()["score"]
    (2020, 0.8)
    """

    song_id: str
    title: str
    artist: str
    score: float
    rank: int
    fields: Mapping[str, Any] = field(default_factory=dict)
    reasons: tuple[Reason, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "fields", MappingProxyType(dict(self.fields)))

    def __getattr__(self, name: str) -> Any:
        # Only called when normal lookup fails: expose catalog columns.
        fields = self.__dict__.get("fields")
        if fields is not None and name in fields:
            return fields[name]
        raise AttributeError(f"{type(self).__name__} has no attribute or catalog field {name!r}")

    @property
    def why(self) -> str:
        """The reasons in one line, e.g. ``mentions "lonely" 55%; feels like ...``."""
        return "; ".join(r.describe() for r in self.reasons)

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python dict (JSON-encodable) of the match."""
        out: dict[str, Any] = {k: getattr(self, k) for k in _CORE}
        out.update(self.fields)
        out["why"] = self.why
        out["reasons"] = [r.to_dict() for r in self.reasons]
        return out

    def __reduce__(self) -> Any:  # the mapping proxy cannot be pickled as is
        return (Match, (self.song_id, self.title, self.artist, self.score, self.rank, dict(self.fields), self.reasons))


class Recommendations(Sequence[Match]):
    """Ranked matches for a query: an immutable sequence of :class:`Match`.

    Best first; ``len()`` may be below the k asked for, when fewer songs
    match.  ``to_frame()`` gives a DataFrame and notebooks show a table.

    >>> recs = Recommendations("rain", [])
    >>> len(recs), recs.to_frame().columns[:3].tolist()
    (0, ['rank', 'song_id', 'title'])
    """

    __slots__ = ("_matches", "_query")

    def __init__(self, query: str, matches: Sequence[Match]) -> None:
        self._query = query
        self._matches: tuple[Match, ...] = tuple(matches)

    @property
    def query(self) -> str:
        """The query (or song id, for ``similar``) these results answer."""
        return self._query

    @overload
    def __getitem__(self, i: int) -> Match: ...
    @overload
    def __getitem__(self, i: slice) -> "Recommendations": ...
    def __getitem__(self, i: int | slice) -> Match | Recommendations:
        if isinstance(i, slice):
            return Recommendations(self._query, self._matches[i])
        return self._matches[i]

    def __len__(self) -> int:
        return len(self._matches)

    def __iter__(self) -> Iterator[Match]:
        return iter(self._matches)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Recommendations):
            return NotImplemented
        return self._query == other._query and self._matches == other._matches

    def __hash__(self) -> int:
        return hash((self._query, self._matches))

    @property
    def song_ids(self) -> list[str]:
        """The song ids, best first."""
        return [m.song_id for m in self._matches]

    def to_dicts(self) -> list[dict[str, Any]]:
        """The matches as plain dicts, ready for ``json.dumps``."""
        return [m.to_dict() for m in self._matches]

    def to_frame(self) -> pd.DataFrame:
        """A DataFrame with one row per match (rank, song_id, title, artist, score, why, fields)."""
        columns = ["rank", "song_id", "title", "artist", "score", "why"]
        rows = []
        extra: list[str] = []
        for m in self._matches:
            for k in m.fields:
                if k not in extra:
                    extra.append(k)
        for m in self._matches:
            row = {"rank": m.rank, "song_id": m.song_id, "title": m.title, "artist": m.artist,
                   "score": m.score, "why": m.why}
            row.update({k: m.fields.get(k) for k in extra})
            rows.append(row)
        frame = pd.DataFrame(rows, columns=columns + extra)
        for col in extra:
            values = [v for v in frame[col].tolist() if v is not None]
            # whole numbers with gaps stay whole numbers (2017, not 2017.0)
            if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
                frame[col] = pd.array([r.get(col) for r in rows], dtype="Int64")
        return frame

    def __repr__(self) -> str:
        if not self._matches:
            return f"Recommendations({self._query!r}: no song matches)"
        lines = [f"Recommendations for {self._query!r}:"]
        for m in self._matches:
            lines.append(f"  {m.rank:>2}. {m.score:.3f}  {m.title} - {m.artist}  [{m.song_id}]")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        esc = html.escape
        if not self._matches:
            return f"<p><b>moodrec</b>: no song matches {esc(repr(self._query))}</p>"
        rows = []
        # Scores of a good match are often 0.1 to 0.3, which would draw every bar
        # as a sliver: bars are scaled to the best score, the number stays exact.
        best = max(m.score for m in self._matches)
        for m in self._matches:
            width = max(0.0, min(1.0, m.score / best)) * 100 if best > 0 else 0.0
            bar = (
                f'<div title="score {m.score:.3f}" style="background:#e8e8f0;width:120px;height:10px;'
                f'display:inline-block;vertical-align:middle"><div style="background:#6a5acd;height:10px;'
                f'width:{width:.0f}%"></div></div> <code>{m.score:.3f}</code>'
            )
            title_ko = m.fields.get("title_ko")
            title = esc(m.title) + (f" <small>({esc(str(title_ko))})</small>" if title_ko else "")
            rows.append(
                f"<tr><td>{m.rank}</td><td>{title}</td><td>{esc(m.artist)}</td>"
                f"<td style='white-space:nowrap'>{bar}</td><td><small>{esc(m.why)}</small></td></tr>"
            )
        head = "<tr><th>#</th><th>title</th><th>artist</th><th>score</th><th>why</th></tr>"
        return (
            f"<div><b>moodrec</b> for <i>{esc(self._query)}</i> "
            f"<small>(bars: score relative to the best match)</small>"
            f"<table>{head}{''.join(rows)}</table></div>"
        )
