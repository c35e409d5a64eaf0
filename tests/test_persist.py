"""Saving and loading: the golden model, round trips, bad files, atomic writes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import moodrec
from moodrec import ModelFormatError, Recommender

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture()
def saved(tmp_path: Path, tiny: Recommender) -> Path:
    return tiny.save(tmp_path / "model")


def test_golden_model_loads_and_gives_known_results() -> None:
    expected = json.loads((FIXTURES / "golden_expected.json").read_text(encoding="utf-8"))
    rec = Recommender.load(FIXTURES / "golden_model")
    for query, answer in expected.items():
        if query.startswith("similar:"):
            got = rec.similar(query.split(":", 1)[1], k=3)
        else:
            got = rec.recommend(query, k=5)
        assert [[m.song_id, m.score] for m in got] == answer, query


@pytest.mark.parametrize("mmap", [True, False])
def test_round_trip_gives_identical_results(bundled: Recommender, tmp_path: Path, mmap: bool) -> None:
    bundled.save(tmp_path / "m")
    loaded = Recommender.load(tmp_path / "m", mmap=mmap)
    assert loaded.get_params() == bundled.get_params()
    for q in ["drinking alone", "외로운 밤", "lonley nite", "not sad, cheer me up", "rain"]:
        assert loaded.recommend(q, k=10) == bundled.recommend(q, k=10)
        assert loaded.explain(q, "ben-lonely-night") == bundled.explain(q, "ben-lonely-night")
    assert loaded.similar("bts-butterfly", k=5) == bundled.similar("bts-butterfly", k=5)
    assert loaded.recommend("love", k=5, themes="trot", year=(2000, None)) == bundled.recommend(
        "love", k=5, themes="trot", year=(2000, None))
    pd_loaded, pd_fitted = loaded.catalog_, bundled.catalog_
    assert pd_loaded["song_id"].tolist() == pd_fitted["song_id"].tolist()
    assert pd_loaded["year"].tolist() == pd_fitted["year"].tolist()


def test_saved_folder_holds_no_pickle(saved: Path) -> None:
    for file in (saved / "arrays").iterdir():
        arr = np.load(file, allow_pickle=False)  # raises if a file needed pickle
        assert arr.dtype != object
    manifest = json.loads((saved / "model.json").read_text(encoding="utf-8"))
    assert manifest["format"] == "moodrec-model" and manifest["format_version"] == 3
    assert manifest["moodrec_version"] == moodrec.__version__


def test_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no saved model"):
        Recommender.load(tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        Recommender().fit(moodrec.load_songs().head(5)).save(tmp_path / "no" / "such" / "dir")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [("format_version", 99, "format version 99"), ("analyzer_version", 1, "text analyser version 1")],
)
def test_unknown_format_or_analyzer_version(saved: Path, field: str, value: int, message: str) -> None:
    manifest = json.loads((saved / "model.json").read_text(encoding="utf-8"))
    manifest[field] = value
    (saved / "model.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(ModelFormatError, match=message):
        Recommender.load(saved)


def test_foreign_folder(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "model.json").write_text('{"format": "something-else"}', encoding="utf-8")
    with pytest.raises(ModelFormatError, match="does not describe a moodrec model"):
        Recommender.load(tmp_path / "x")
    (tmp_path / "y").mkdir()
    with pytest.raises(ModelFormatError, match="model.json is missing"):
        Recommender.load(tmp_path / "y")
    (tmp_path / "y" / "model.json").write_bytes(b"\x80\x04garbage")
    with pytest.raises(ModelFormatError, match="damaged"):
        Recommender.load(tmp_path / "y")


def test_truncated_array(saved: Path) -> None:
    file = saved / "arrays" / "index_data.npy"
    file.write_bytes(file.read_bytes()[:-8])
    with pytest.raises(ModelFormatError, match="truncated"):
        Recommender.load(saved)


def test_tampered_array_same_size(saved: Path) -> None:
    file = saved / "arrays" / "valence.npy"
    raw = bytearray(file.read_bytes())
    raw[-3] ^= 0xFF
    file.write_bytes(bytes(raw))
    with pytest.raises(ModelFormatError, match="checksum"):
        Recommender.load(saved)


def test_tampered_resource(saved: Path) -> None:
    file = saved / "resources" / "lexicon.json"
    text = file.read_text(encoding="utf-8")
    file.write_text(text.replace('"valence"', '"valenze"', 1), encoding="utf-8")
    with pytest.raises(ModelFormatError):
        Recommender.load(saved)


def test_pickled_array_is_refused_even_unverified(saved: Path) -> None:
    file = saved / "arrays" / "idf.npy"
    np.save(file, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    manifest = json.loads((saved / "model.json").read_text(encoding="utf-8"))
    manifest["arrays"]["idf"]["bytes"] = file.stat().st_size
    (saved / "model.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(ModelFormatError, match="cannot be read safely"):
        Recommender.load(saved, verify=False)


def test_write_is_atomic(tiny: Recommender, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tiny.save(tmp_path / "model")
    before = {p.relative_to(target): p.read_bytes() for p in target.rglob("*") if p.is_file()}
    bigger = tiny.add(moodrec.load_songs().head(3))
    real_save = np.save
    calls = {"n": 0}

    def crash_midway(*args: object, **kwargs: object) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk full")
        real_save(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(np, "save", crash_midway)
    with pytest.raises(OSError, match="disk full"):
        bigger.save(target)
    monkeypatch.setattr(np, "save", real_save)
    after = {p.relative_to(target): p.read_bytes() for p in target.rglob("*") if p.is_file()}
    assert after == before
    assert Recommender.load(target).n_songs_ == tiny.n_songs_
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]  # no temporary folder left behind
    bigger.save(target)
    assert Recommender.load(target).n_songs_ == tiny.n_songs_ + 3


def test_refuses_to_replace_something_else(tiny: Recommender, tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(FileExistsError, match="not a moodrec model"):
        tiny.save(tmp_path / "docs")
    assert (tmp_path / "docs" / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_unfitted_save_raises(tmp_path: Path) -> None:
    with pytest.raises(moodrec.NotFittedError):
        Recommender().save(tmp_path / "m")


def test_golden_fixture_is_not_modified_by_tests() -> None:
    # the committed manifest still matches the committed arrays
    Recommender.load(FIXTURES / "golden_model", verify=True)
    assert not any(p.name.endswith((".tmp", ".old")) for p in FIXTURES.iterdir())
