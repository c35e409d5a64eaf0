"""Reading and validating catalogs: every problem named, nothing dropped."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import moodrec
from moodrec import CatalogError, validate_catalog

ROOT = Path(__file__).resolve().parents[1]


def _songs(**overrides: list) -> pd.DataFrame:
    data = {"title": ["A", "B", "C"], "artist": ["x", "y", "z"],
            "blurb": ["rain at night", "a happy dance", "missing you"]}
    data.update(overrides)
    return pd.DataFrame(data)


def test_missing_required_column_is_named() -> None:
    with pytest.raises(CatalogError, match="'blurb'") as info:
        validate_catalog(_songs().drop(columns=["blurb"]))
    assert info.value.problems[0].column == "blurb"


def test_empty_and_missing_blurbs_name_every_row() -> None:
    df = _songs(blurb=["rain", "  ", None])
    with pytest.raises(CatalogError) as info:
        moodrec.Recommender().fit(df)
    rows = [p.row for p in info.value.problems]
    assert rows == [1, 2]
    assert all(p.column == "blurb" for p in info.value.problems)
    assert "row 1" in str(info.value) and "row 2" in str(info.value)


def test_duplicate_song_id_names_both_rows() -> None:
    df = _songs(song_id=["a", "b", "a"])
    with pytest.raises(CatalogError, match="duplicate of row 0") as info:
        validate_catalog(df)
    assert info.value.problems[0].row == 2


def test_every_problem_reported_at_once() -> None:
    df = _songs(song_id=["a", "a", None], blurb=["x", "", "y"], year=["2001", "soon", ""])
    with pytest.raises(CatalogError) as info:
        validate_catalog(df)
    kinds = {(p.row, p.column) for p in info.value.problems}
    assert {(1, "blurb"), (2, "song_id"), (1, "song_id"), (1, "year")} <= kinds


def test_input_is_not_modified_and_extra_columns_are_kept() -> None:
    df = _songs(mood_color=["blue", "red", "grey"])
    before = df.copy()
    clean = validate_catalog(df)
    pd.testing.assert_frame_equal(df, before)
    assert list(clean["mood_color"]) == ["blue", "red", "grey"]
    assert clean.columns[0] == "song_id"


def test_numbers_in_text_columns_load_as_text() -> None:
    clean = validate_catalog(_songs(title=[1999, 2.0, "C"]))
    assert list(clean["title"]) == ["1999", "2", "C"]


def test_made_ids_are_unique_and_stable() -> None:
    df = pd.DataFrame({"title": ["Rain", "Rain", "Rain"], "artist": ["A", "A", "B"], "blurb": ["x", "y", "z"]})
    ids = list(validate_catalog(df)["song_id"])
    assert ids == ["a-rain", "a-rain-2", "b-rain"]
    assert ids == list(validate_catalog(df)["song_id"])


def test_csv_problems(tmp_path: Path) -> None:
    p = tmp_path / "c.csv"
    p.write_text("title,artist,blurb\nA,x,rain\nB,y\n", encoding="utf-8")
    with pytest.raises(CatalogError, match="line 3") as info:
        validate_catalog(p)
    assert info.value.problems[0].line == 3
    p.write_bytes(b"title,artist,blurb\nA,x,caf\xe9\n")
    with pytest.raises(CatalogError, match="not valid UTF-8"):
        validate_catalog(p)
    p.write_text("", encoding="utf-8")
    with pytest.raises(CatalogError, match="empty"):
        validate_catalog(p)
    with pytest.raises(CatalogError, match="not found"):
        validate_catalog(tmp_path / "missing.csv")


def test_csv_with_bom_and_quoted_newlines_loads(tmp_path: Path) -> None:
    p = tmp_path / "c.csv"
    p.write_text('\ufefftitle,artist,blurb\nA,x,"rain\nat night"\n', encoding="utf-8")
    clean = validate_catalog(p)
    assert list(clean.columns) == ["song_id", "title", "artist", "blurb"]
    assert clean.loc[0, "blurb"] == "rain\nat night"


def test_bundled_catalog_passes_validation_with_its_vocabulary() -> None:
    vocab = json.loads((ROOT / "data" / "vocabulary.json").read_text(encoding="utf-8"))
    clean = validate_catalog(ROOT / "data" / "songs.csv", vocabulary=vocab)
    assert len(clean) >= 150
    words = clean["blurb"].str.split().str.len()
    assert words.between(50, 120).all(), clean.loc[~words.between(50, 120), "song_id"].tolist()
    assert clean["song_id"].str.fullmatch(r"[a-z0-9][a-z0-9-]*").all()


def test_source_article_songs_are_in_the_catalog() -> None:
    songs = moodrec.load_songs().set_index("song_id")
    for sid in ["iz-one-destiny", "ben-lonely-night", "bts-butterfly", "x1-im-here-for-you",
                "cha-ga-eul-jang-sae-byeok-make-me-cry", "jin-abyss", "dalsooobin-eyes-like-snow"]:
        assert sid in songs.index
    assert songs.loc["iz-one-destiny", "title_ko"] == "우연이 아니야"
    assert songs.loc["dalsooobin-eyes-like-snow", "title_ko"] == "눈 닮은 눈"
