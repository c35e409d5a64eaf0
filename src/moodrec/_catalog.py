"""Reading and validating catalogs (CSV files and DataFrames).

A catalog is a table of songs with at least ``title``, ``artist`` and
``blurb``.  Every other column is kept.  Validation reports every problem at
once, with rows and columns, and never drops a row silently.
"""

from __future__ import annotations

import csv
import io
import math
import numbers
import os
import re
import unicodedata
from collections.abc import Collection, Mapping
from importlib import resources
from itertools import filterfalse
from pathlib import Path
from typing import Any, Union

import numpy as np
import pandas as pd

from .exceptions import CatalogError, CatalogProblem

__all__ = [
    "REQUIRED_COLUMNS",
    "LIST_COLUMNS",
    "MAX_CELL_CHARS",
    "read_catalog",
    "validate_catalog",
    "bundled_catalog_path",
    "load_songs",
    "split_list",
    "make_song_id",
]

REQUIRED_COLUMNS = ("title", "artist", "blurb")
#: Columns that hold ``;``-separated lists.
LIST_COLUMNS = ("themes", "moods")
#: Columns that are text whenever present.
TEXT_COLUMNS = ("song_id", "title", "title_ko", "artist", "artist_ko", "album", "blurb")
#: The longest cell a catalog may hold, in characters: the csv module's own
#: default field limit, far above any blurb, and a bound on what one cell of an
#: untrusted catalog can cost to fit.
MAX_CELL_CHARS = 131_072
_SONG_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")

CatalogLike = Union[pd.DataFrame, str, os.PathLike]


def bundled_catalog_path() -> Path:
    """Path of the bundled ``songs.csv``.

    In an installed wheel it is package data (``moodrec/data/songs.csv``); in
    a source checkout installed in editable mode it is the repository's
    ``data/songs.csv``, the catalog's source of truth.
    """
    packaged = resources.files("moodrec").joinpath("data").joinpath("songs.csv")
    if packaged.is_file():
        return Path(str(packaged))
    checkout = Path(__file__).resolve().parents[2] / "data" / "songs.csv"
    if checkout.is_file():
        return checkout
    raise CatalogError(  # pragma: no cover - only a broken install gets here
        "the bundled catalog songs.csv is missing from this installation of moodrec"
    )


def load_songs() -> pd.DataFrame:
    """A fresh copy of the bundled catalog, as a DataFrame.

    >>> songs = load_songs()
    >>> {"song_id", "title", "artist", "blurb"} <= set(songs.columns)
    True
    """
    return validate_catalog(read_catalog(bundled_catalog_path()))


def split_list(value: Any) -> list[str]:
    """Split a ``;``-separated cell into its items (blank items dropped).

    >>> split_list("tearjerker; ballad;")
    ['tearjerker', 'ballad']
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    return [item.strip() for item in str(value).split(";") if item.strip()]


def make_song_id(artist: str, title: str) -> str:
    """A readable, stable slug for a song without an id.

    >>> make_song_id("BEN", "Lonely night")
    'ben-lonely-night'
    """
    text = unicodedata.normalize("NFKC", f"{artist} {title}").casefold()
    slug = re.sub(r"[^\w]+", "-", text).strip("-_").replace("_", "-")
    return slug or "song"


def read_catalog(source: CatalogLike) -> pd.DataFrame:
    """Read a catalog from a CSV path or copy a DataFrame, without validating.

    CSV files are read strictly: UTF-8 (a byte-order mark is allowed), every
    row with as many fields as the header, quotes closed, header names unique,
    no cell longer than :data:`MAX_CELL_CHARS`.  Anything else is a
    :class:`CatalogError` whose problems name the rows, lines and columns.
    """
    if isinstance(source, pd.DataFrame):
        return source.copy(deep=True)
    if not isinstance(source, (str, os.PathLike)):
        raise TypeError(
            f"songs must be a pandas DataFrame or a path to a CSV file, got {type(source).__name__}"
        )
    path = Path(source)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise CatalogError(f"catalog file not found: {str(path)!r}") from None
    except IsADirectoryError:
        raise CatalogError(f"catalog path is a directory, not a CSV file: {str(path)!r}") from None
    except OSError as exc:
        raise CatalogError(f"cannot read catalog file {str(path)!r}: {exc}") from None
    name = str(path)
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise CatalogError(f"catalog file {name!r} is UTF-16; save it as UTF-8")
    undecodable = False
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Parse anyway, each undecodable byte kept as a lone surrogate (which
        # valid UTF-8 never yields), so every bad cell is named, not just the first.
        text = raw.decode("utf-8-sig", errors="surrogateescape")
        undecodable = True
    return _parse_csv(text, name, undecodable=undecodable)


class _Lines:
    """The lines of a text as ``csv.reader`` reads them, counting offset and line."""

    def __init__(self, text: str) -> None:
        self._file = io.StringIO(text, newline="")
        self.offset = 0
        self.count = 0

    def __iter__(self) -> "_Lines":
        return self

    def __next__(self) -> str:
        line = self._file.readline()
        if not line:
            raise StopIteration
        self.offset += len(line)
        self.count += 1
        return line


_NEWLINE_RE = re.compile(r"\r\n|\r|\n")
_DELIMITER_RE = re.compile(r"[,\r\n]")
_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def _line_at(text: str, pos: int) -> int:
    return len(_NEWLINE_RE.findall(text, 0, pos)) + 1


def _locate(text: str, start: int, limit: int) -> tuple[int | None, int, str]:
    """Where a record the csv module rejected goes wrong.

    Walks the record from ``start`` as the default dialect does and returns
    (field index, offset of that field, what is wrong); the csv module itself
    only says which line it had reached.
    """
    field, pos, n = 0, start, len(text)
    while pos < n:
        begin = pos
        if text[pos] == '"':
            pos += 1
            while True:
                q = text.find('"', pos)
                if q < 0:
                    return field, begin, "a quoted cell starts here and its closing quote is missing"
                if text.startswith('""', q):
                    pos = q + 2
                    continue
                pos = q + 1
                break
            if pos - begin - 2 > limit:
                return field, begin, f"the cell is longer than the limit of {limit:,} characters"
            if pos < n and text[pos] not in ",\r\n":
                return field, begin, "text follows the closing quote of a quoted cell (quote the whole cell and double the quotes inside)"
        else:
            m = _DELIMITER_RE.search(text, pos)
            pos = m.start() if m else n
            if pos - begin > limit:
                return field, begin, f"the cell is longer than the limit of {limit:,} characters"
        if pos >= n or text[pos] != ",":
            break
        pos += 1
        field += 1
    return None, start, "malformed CSV"


def _parse_csv(text: str, name: str, *, undecodable: bool = False) -> pd.DataFrame:
    if not text.strip():
        raise CatalogError(
            f"catalog file {name!r} cannot be used",
            [CatalogProblem("the file is empty: a catalog needs a header line and at least one song")],
        )
    lines = _Lines(text)
    reader = csv.reader(lines, strict=True)
    problems: list[CatalogProblem] = []
    header: list[str] = []
    header_line = 1
    rows: list[list[str]] = []
    starts: list[int] = []
    while True:
        offset, line = lines.offset, lines.count + 1
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            index, pos, what = _locate(text, offset, csv.field_size_limit())
            if what == "malformed CSV":
                what = f"malformed CSV: {exc}"
            at = header[index] if (header and index is not None and index < len(header)) else None
            problems.append(
                CatalogProblem(what, row=len(rows) if header else None, column=at, line=_line_at(text, pos))
            )
            break
        if not fields:
            continue  # a blank line is neither a header nor a song
        if not header:
            header = [_clean_name(h) for h in fields]
            header_line = line
            continue
        if len(fields) != len(header):
            if len(fields) < len(header):
                missing = header[len(fields):]
                what = (
                    f"has {len(fields)} fields, the header has {len(header)}: "
                    f"no value for {', '.join(map(repr, missing))}"
                )
                column = missing[0]
            else:
                what = (
                    f"has {len(fields)} fields, the header has {len(header)}: "
                    f"{len(fields) - len(header)} field(s) after {header[-1]!r} have no column "
                    "(an unquoted comma inside a cell?)"
                )
                column = header[-1]
            problems.append(CatalogProblem(what, row=len(rows), line=line, column=column))
        rows.append(fields)
        starts.append(line)
    seen: set[str] = set()
    in_header: list[CatalogProblem] = []
    for h in header:
        if not h:
            in_header.append(CatalogProblem("the header has an empty column name", line=header_line))
        elif h in seen:
            in_header.append(CatalogProblem("the header names this column twice", column=h, line=header_line))
        seen.add(h)
    problems[:0] = in_header
    if undecodable:
        for h in header:
            if _SURROGATE_RE.search(h):
                problems.append(CatalogProblem(_not_utf8(h, "column name"), line=header_line))
        for i, fields in enumerate(rows):
            for j, v in enumerate(fields):
                if _SURROGATE_RE.search(v):
                    col = header[j] if j < len(header) else None
                    problems.append(CatalogProblem(_not_utf8(v, "cell"), row=i, line=starts[i], column=col))
        problems.sort(key=lambda p: (p.line or 0))
        raise CatalogError(f"catalog file {name!r} is not valid UTF-8; save it as UTF-8", problems)
    if problems:
        raise CatalogError(f"catalog file {name!r} cannot be read", problems)
    if not rows:
        raise CatalogError(
            f"catalog file {name!r} cannot be used",
            [CatalogProblem("the file has a header but no songs", line=header_line + 1)],
        )
    df = pd.DataFrame(rows, columns=header, dtype=object)
    df.attrs["source_lines"] = starts
    return df


def _not_utf8(value: str, what: str) -> str:
    bad = sorted({ord(c) - 0xDC00 for c in _SURROGATE_RE.findall(value) if 0xDC80 <= ord(c) <= 0xDCFF})
    shown = " ".join(f"0x{b:02x}" for b in bad[:5])
    return f"the {what} has bytes that are not UTF-8 ({shown})"


def _clean_name(name: Any) -> str:
    """A column name as matched: surrounding spaces and stray byte-order marks removed."""
    return str(name).strip().strip("\ufeff").strip()


def _no_surrogate(values: list[str]) -> bool:
    """True when no cell holds a lone surrogate (checked on all of them at once)."""
    try:
        # strict UTF-8 cannot encode a lone surrogate; ASCII cells cannot hold one
        "".join(filterfalse(str.isascii, values)).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, str) and not value.strip()


def _as_text(value: Any) -> str | None:
    """Text of a cell: strings stripped, numbers written out, missing -> None.

    Raises ValueError for a cell that is not text or a number (bytes, a list
    ...): written out with ``str`` it would become text nobody typed.
    """
    if _is_missing(value):
        return None
    if isinstance(value, (np.generic,)):
        value = value.item()
    if not isinstance(value, (str, numbers.Number)):
        raise ValueError(f"must be text or a number, got {type(value).__name__}")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def validate_catalog(songs: CatalogLike, *, vocabulary: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Check a catalog and return a clean copy, or raise with every problem.

    Parameters
    ----------
    songs : DataFrame or path
        The catalog: at least ``title``, ``artist`` and ``blurb``; ``song_id``
        is optional (stable ids are made from artist and title when absent).
    vocabulary : mapping, optional
        ``{"themes": [...], "moods": [...]}``: when given, every theme and mood
        must come from it (the bundled catalog is checked this way).

    Returns
    -------
    DataFrame
        A copy with text columns as ``str`` (missing optional cells as None),
        ``year`` as nullable integers and a ``song_id`` column first.  The
        input is never modified.

    Raises
    ------
    CatalogError
        With ``problems``: every missing column, empty blurb, duplicate id,
        bad year, unknown theme, cell that is not text or a number and cell
        longer than :data:`MAX_CELL_CHARS` at once, each naming its row and
        column (and its line, for a CSV file).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"title": ["A"], "artist": ["B"], "blurb": ["rainy night"]})
    >>> validate_catalog(df)["song_id"].tolist()
    ['b-a']
    """
    df = read_catalog(songs)
    lines = df.attrs.get("source_lines")
    df.attrs = {}
    problems: list[CatalogProblem] = []

    def problem(msg: str, row: int | None = None, column: str | None = None) -> None:
        line = lines[row] if (lines is not None and row is not None) else None
        problems.append(CatalogProblem(msg, row=row, column=column, line=line))

    df.columns = [_clean_name(c) for c in df.columns]
    dup_cols = sorted({c for c in df.columns if list(df.columns).count(c) > 1})
    for c in dup_cols:
        problem("the catalog has this column more than once", column=c)
    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    for c in missing:
        problem(f"required column is missing (a catalog needs {', '.join(REQUIRED_COLUMNS)})", column=c)
    if len(df) == 0 and not missing:
        problem("the catalog has no songs")
    if problems:
        raise CatalogError("the catalog cannot be used", problems)

    df = df.reset_index(drop=True)
    n = len(df)
    not_text: set[tuple[int, str]] = set()
    # Columns of plain str cells (most catalogs: every column of a CSV file)
    # skip the per-cell checks below when, as a whole, they cannot fail them.
    all_str: set[str] = set()
    for col in df.columns:
        values = df[col].tolist()
        if all(type(v) is str for v in values):
            all_str.add(col)
            if max(map(len, values), default=0) <= MAX_CELL_CHARS and _no_surrogate(values):
                continue
        for i, v in enumerate(values):
            if isinstance(v, str):
                if len(v) > MAX_CELL_CHARS:
                    problem(f"the cell has {len(v):,} characters, more than the limit of {MAX_CELL_CHARS:,}",
                            row=i, column=col)
                elif _SURROGATE_RE.search(v):
                    problem("the cell holds a lone surrogate (\\ud800-\\udfff): not valid Unicode text",
                            row=i, column=col)
            elif isinstance(v, (bytes, bytearray, memoryview, Collection)):
                # Results hold plain values; a list or dict would also be shared
                # with the caller, who could change the fitted catalog through it.
                problem(f"{col} must be text or a number, got {type(v).__name__}", row=i, column=col)
                not_text.add((i, col))

    def text_of(value: Any, row: int, column: str) -> str | None:
        if (row, column) in not_text:
            return None
        try:
            return _as_text(value)
        except ValueError as exc:
            problem(f"{column} {exc}", row=row, column=column)
            not_text.add((row, column))
            return None

    for col in [c for c in TEXT_COLUMNS if c in df.columns]:
        if col in all_str:
            # what text_of gives a str cell: stripped, or None when blank
            cells = list(map(str.strip, df[col].tolist()))
            if "" in cells:
                cells = [v or None for v in cells]
        else:
            cells = [text_of(v, i, col) for i, v in enumerate(df[col].tolist())]
        df[col] = pd.Series(cells, index=df.index, dtype=object)
    for col in REQUIRED_COLUMNS:
        values = df[col].tolist()
        if None not in values:
            continue  # text cells are None or non-blank str by now
        for i, v in enumerate(values):
            if _is_missing(v) and (i, col) not in not_text:
                what = "blurb is empty: every song needs the text it is matched on" if col == "blurb" else f"{col} is empty"
                problem(what, row=i, column=col)

    if "song_id" in df.columns:
        ids = df["song_id"].tolist()
        for i, v in enumerate(ids if None in ids else ()):
            if _is_missing(v) and (i, "song_id") not in not_text:
                problem("song_id is empty (leave the whole column out to have ids made)", row=i, column="song_id")
    else:
        ids = []
        used: dict[str, int] = {}
        for a, t in zip(df["artist"].tolist(), df["title"].tolist()):
            base = make_song_id(a or "", t or "")
            used[base] = used.get(base, 0) + 1
            ids.append(base if used[base] == 1 else f"{base}-{used[base]}")
        # A made id may collide with another made id's suffix form; resolve in order.
        seen_ids: set[str] = set()
        for i, sid in enumerate(ids):
            while sid in seen_ids:
                sid = f"{sid}-x"
            ids[i] = sid
            seen_ids.add(sid)
        df.insert(0, "song_id", pd.Series(ids, index=df.index, dtype=object))
    first: dict[str, int] = {}
    ids = df["song_id"].tolist()
    if None not in ids and len(set(ids)) == len(ids):
        ids = []  # none missing, none repeated: nothing to report
    for i, sid in enumerate(ids):
        if _is_missing(sid):
            continue
        if sid in first:
            problem(f"song_id {sid!r} is a duplicate of row {first[sid]}", row=i, column="song_id")
        else:
            first[sid] = i

    if "year" in df.columns:
        years: list[Any] = []
        for i, v in enumerate(df["year"].tolist()):
            text = text_of(v, i, "year")
            if text is None:
                years.append(pd.NA)
            elif re.fullmatch(r"\d{4}", text):
                years.append(int(text))
            else:
                problem(f"year must be a 4-digit year or empty, got {text!r}", row=i, column="year")
                years.append(pd.NA)
        df["year"] = pd.array(years, dtype="Int64")

    for col in LIST_COLUMNS:
        if col not in df.columns:
            continue
        cleaned = []
        allowed = set(vocabulary[col]) if vocabulary is not None and col in vocabulary else None
        for i, v in enumerate(df[col].tolist()):
            items = split_list(text_of(v, i, col))
            if allowed is not None:
                for item in items:
                    if item not in allowed:
                        problem(f"{item!r} is not in the {col} vocabulary", row=i, column=col)
            cleaned.append(";".join(items) if items else None)
        df[col] = pd.Series(cleaned, index=df.index, dtype=object)

    if problems:
        raise CatalogError(f"the catalog has {len(problems)} problem(s)", problems)
    cols = ["song_id"] + [c for c in df.columns if c != "song_id"]
    df = df[cols]
    df.index = pd.RangeIndex(n)
    return df
