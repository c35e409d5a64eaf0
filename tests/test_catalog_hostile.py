"""Hostile catalogs: each one loads with every row, or fails naming rows and columns.

Every case goes through ``Recommender.fit`` (the public boundary); CSV cases
are also checked as a DataFrame where the problem can exist in one.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import moodrec
from moodrec import CatalogError, Recommender
from moodrec._catalog import MAX_CELL_CHARS

H = "title,artist,blurb\n"

#: (name, file bytes or text, expected (row, line, column) of every problem)
FAILING_CSV = [
    ("short row", H + "A,x,rain\nB,y\n", [(1, 3, "blurb")]),
    ("short row after blank lines", "\n" + H + "\nA,x,rain\nB,y\n", [(1, 5, "blurb")]),
    ("long row", H + "A,x,rain,extra\nB,y,sun\n", [(0, 2, "blurb")]),
    ("ragged rows, all reported", H + "A\nB,y,sun\nC,z,sea,more\n", [(0, 2, "artist"), (2, 4, "blurb")]),
    ("ragged row after a quoted newline", H + 'A,x,"rain\nat night"\nB,y\n', [(1, 4, "blurb")]),
    ("not UTF-8", (H + "A,x,rain\nB,caf\xe9,sun\n").encode("latin-1"), [(1, 3, "artist")]),
    ("not UTF-8 in two cells", (H + "\xc9t\xe9,x,rain\nB,y,caf\xe9\n").encode("cp1252"),
     [(0, 2, "title"), (1, 3, "blurb")]),
    ("duplicate ids", "song_id," + H + "a,A,x,rain\nb,B,y,sun\na,C,z,sea\n", [(2, 4, "song_id")]),
    ("missing column", "title,artist\nA,x\n", [(None, None, "blurb")]),
    ("10 MB blurb", H + "A,x,rain\nB,y," + "tears " * 1_750_000 + "\n", [(1, 3, "blurb")]),
    ("10 MB quoted blurb", H + 'A,x,"' + "tears, " * 1_500_000 + '"\n', [(0, 2, "blurb")]),
    ("duplicate header names", "title,artist,blurb,blurb\nA,x,rain,sun\n", [(None, 1, "blurb")]),
    ("duplicate header names up to spaces", "title,artist,blurb, blurb \nA,x,rain,sun\n", [(None, 1, "blurb")]),
    ("whitespace-only cells", H + "A,x,rain\n  ,\t,\u3000 \n",
     [(1, 3, "title"), (1, 3, "artist"), (1, 3, "blurb")]),
    ("whitespace-only id", "song_id," + H + " ,A,x,rain\n", [(0, 2, "song_id")]),
    ("quote never closed", H + 'A,x,rain\nB,y,"sun\nC,z,sea\n', [(1, 3, "blurb")]),
    ("text after a closing quote", H + 'A,"x"y,rain\n', [(0, 2, "artist")]),
    ("bad year", "title,artist,blurb,year\nA,x,rain,1999\nB,y,sun,NaN\nC,z,sea,20O1\n",
     [(1, 3, "year"), (2, 4, "year")]),
]

#: (name, file text, number of songs it must load with)
LOADING_CSV = [
    ("byte-order mark", "\ufeff" + H + "A,x,rain\nB,y,sun\n", 2),
    ("byte-order mark twice", "\ufeff\ufeff" + H + "A,x,rain\n", 1),
    ("quoted newlines", H + 'A,x,"rain\nat night"\nB,"y\r\nz","sun\rrise"\n', 2),
    ("CRLF line ends", (H + "A,x,rain\nB,y,sun\n").replace("\n", "\r\n"), 2),
    ("CR line ends", (H + "A,x,rain\nB,y,sun\n").replace("\n", "\r"), 2),
    ("no final newline", H + "A,x,rain\nB,y,sun", 2),
    ("blank lines", "\n\n" + H + "\nA,x,rain\n\n\nB,y,sun\n\n", 2),
    ("numbers where text is expected", H + "1999,2.5,3\n0,-1,1e5\n", 2),
    ("NaN as text", H + "NaN,nan,NaN\nNone,null,N/A\n", 2),
    ("extra columns", "title,artist,blurb,color,bpm\nA,x,rain,blue,70\nB,y,sun,,\n", 2),
    ("quotes doubled inside a cell", H + 'A,x,"she said ""stay"", I left"\n', 1),
    ("control characters", H + "A\x00,x\x1b[31m,rain\x07\n", 1),
    ("cell just under the limit", H + "A,x," + "a" * MAX_CELL_CHARS + "\n", 1),
]


def _write(tmp_path: Path, content: str | bytes) -> Path:
    path = tmp_path / "songs.csv"
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


def _where(info: pytest.ExceptionInfo[CatalogError]) -> list[tuple[int | None, int | None, str | None]]:
    return [(p.row, p.line, p.column) for p in info.value.problems]


@pytest.mark.parametrize(("content", "expected"), [c[1:] for c in FAILING_CSV], ids=[c[0] for c in FAILING_CSV])
def test_bad_csv_names_rows_and_columns(tmp_path: Path, content: str | bytes, expected: list) -> None:
    path = _write(tmp_path, content)
    with pytest.raises(CatalogError) as info:
        Recommender().fit(path)
    assert _where(info) == expected
    message = str(info.value)
    for row, line, column in expected:
        assert row is None or f"row {row}" in message
        assert line is None or f"line {line}" in message
        assert column is None or repr(column) in message
    assert len(message) < 5_000  # a 10 MB cell is not echoed back


@pytest.mark.parametrize(("content", "n"), [c[1:] for c in LOADING_CSV], ids=[c[0] for c in LOADING_CSV])
def test_odd_but_valid_csv_loads_every_row(tmp_path: Path, content: str, n: int) -> None:
    path = _write(tmp_path, content)
    rec = Recommender().fit(path)
    assert rec.n_songs_ == n
    assert list(rec.catalog_.columns[:4]) == ["song_id", "title", "artist", "blurb"]
    assert rec.catalog_["blurb"].map(lambda b: isinstance(b, str) and b.strip() != "").all()


def test_csv_cells_load_as_written(tmp_path: Path) -> None:
    path = _write(tmp_path, '\ufeff' + H + '1999,NaN,"rain\nat ""night"""\n')
    clean = moodrec.validate_catalog(path)
    assert clean.loc[0, ["title", "artist", "blurb"]].tolist() == ["1999", "NaN", 'rain\nat "night"']


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "empty"),
        ("  \n\r\n\t\n", "empty"),
        (H, "no songs"),
        ("title,artist,blurb", "no songs"),
        (H + "\n\n", "no songs"),
        ("\ufeff", "empty"),
        ("title,artist,blurb\r\n".encode("utf-16"), "UTF-16"),
    ],
    ids=["empty", "whitespace", "header only", "header only, no newline", "header and blank lines",
         "only a byte-order mark", "UTF-16"],
)
def test_csv_without_songs_is_a_catalog_error(tmp_path: Path, content: str | bytes, message: str) -> None:
    with pytest.raises(CatalogError, match=message):
        Recommender().fit(_write(tmp_path, content))


def test_header_with_an_empty_name_is_named(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="empty column name") as info:
        Recommender().fit(_write(tmp_path, "title,artist,blurb,\nA,x,rain,\n"))
    assert _where(info) == [(None, 1, None)]


# ------------------------------------------------------------- DataFrames

def _frame(**columns: list) -> pd.DataFrame:
    data: dict[str, list] = {"title": ["A", "B", "C"], "artist": ["x", "y", "z"],
                             "blurb": ["rain at night", "a happy dance", "missing you"]}
    data.update(columns)
    return pd.DataFrame(data)


FAILING_FRAMES = [
    ("NaN in required cells", _frame(title=["A", np.nan, "C"], blurb=["rain", "sun", float("nan")]),
     [(1, "title"), (2, "blurb")]),
    ("None and pd.NA", _frame(artist=[None, "y", pd.NA]), [(0, "artist"), (2, "artist")]),
    ("whitespace-only cells", _frame(title=["  ", "B", "\t\n"], blurb=["rain", "\u3000", "sea"]),
     [(0, "title"), (2, "title"), (1, "blurb")]),
    ("duplicate ids", _frame(song_id=["a", "b", "a"]), [(2, "song_id")]),
    ("duplicate ids up to spaces and type", _frame(song_id=["1", " 1 ", 1.0]), [(1, "song_id"), (2, "song_id")]),
    ("missing columns", _frame().drop(columns=["artist", "blurb"]), [(None, "artist"), (None, "blurb")]),
    ("10 MB blurb", _frame(blurb=["rain", "tears " * 1_750_000, "sea"]), [(1, "blurb")]),
    ("10 MB extra cell", _frame(lyrics=["la " * 3_500_000, None, None]), [(0, "lyrics")]),
    ("bytes and lists", _frame(title=[b"A", "B", "C"], blurb=["rain", ["sun"], "sea"], tags=[("a",), None, {"b": 1}]),
     [(0, "title"), (1, "blurb"), (0, "tags"), (2, "tags")]),
    ("lone surrogates", _frame(title=["A\ud800", "B", "C"], blurb=["rain", "sun", "sea\udcff"]),
     [(0, "title"), (2, "blurb")]),
    ("bad years", _frame(year=[1999, math.inf, "soon"]), [(1, "year"), (2, "year")]),
    ("no rows", _frame().iloc[0:0], [(None, None)]),
]


@pytest.mark.parametrize(("df", "expected"), [c[1:] for c in FAILING_FRAMES], ids=[c[0] for c in FAILING_FRAMES])
def test_bad_dataframe_names_rows_and_columns(df: pd.DataFrame, expected: list) -> None:
    before = df.copy()
    with pytest.raises(CatalogError) as info:
        Recommender().fit(df)
    assert sorted([(p.row, p.column) for p in info.value.problems], key=str) == sorted(expected, key=str)
    assert all(p.line is None for p in info.value.problems)
    pd.testing.assert_frame_equal(df, before)


def test_duplicate_column_names_in_a_dataframe_are_named() -> None:
    for columns in (["title", "artist", "blurb", "blurb"], ["title", "artist", "blurb", " blurb"]):
        df = pd.DataFrame([["A", "x", "rain", "sun"]], columns=columns)
        with pytest.raises(CatalogError, match="more than once") as info:
            Recommender().fit(df)
        assert [(p.row, p.column) for p in info.value.problems] == [(None, "blurb")]


LOADING_FRAMES = [
    ("numbers where text is expected", _frame(title=[1999, 2.0, 3.5], artist=[np.int64(1), True, -1]), 3),
    ("NaN in optional columns", _frame(year=[2001, np.nan, None], themes=[np.nan, "ballad", None],
                                       album=[None, np.nan, pd.NA]), 3),
    ("extra columns of any scalar", _frame(bpm=[70, 80.5, None], when=pd.to_datetime(["2001-01-01"] * 3)), 3),
    ("byte-order mark in a column name", _frame().rename(columns={"title": "\ufefftitle"}), 3),
    ("a non-default index", _frame().set_axis([7, 7, -1]), 3),
    ("nullable string dtype", _frame().astype("string"), 3),
    ("categorical columns", _frame().astype("category"), 3),
    ("cells with spaces around", _frame(title=["  A  ", "\tB", "C\n"]), 3),
]


@pytest.mark.parametrize(("df", "n"), [c[1:] for c in LOADING_FRAMES], ids=[c[0] for c in LOADING_FRAMES])
def test_odd_but_valid_dataframe_loads_every_row(df: pd.DataFrame, n: int) -> None:
    before = df.copy()
    rec = Recommender().fit(df)
    assert rec.n_songs_ == n
    assert rec.catalog_["title"].map(lambda t: isinstance(t, str) and t == t.strip() and t != "").all()
    pd.testing.assert_frame_equal(df, before)
    recs = rec.recommend("rain", k=3)
    assert len(recs) >= 1


def test_problems_are_reported_together(tmp_path: Path) -> None:
    """Many bad rows: every one is in problems (the message shows the first 20)."""
    rows = "".join(f"T{i},A{i},\n" for i in range(30))
    with pytest.raises(CatalogError) as info:
        Recommender().fit(_write(tmp_path, H + rows))
    assert [(p.row, p.line, p.column) for p in info.value.problems] == [(i, i + 2, "blurb") for i in range(30)]
    assert "... and 10 more" in str(info.value)
