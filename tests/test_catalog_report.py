"""scripts/catalog_report.py: the bundled catalog's validation and its generated README section."""

from __future__ import annotations

import csv
import importlib.util
import shutil
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "catalog_report.py"
DATA = ROOT / "data"


@pytest.fixture(scope="module")
def report() -> ModuleType:
    """The script, imported from its path (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location("catalog_report", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture()
def copies(tmp_path: Path) -> dict[str, Path]:
    """Copies of the catalog, vocabulary and README that a test may change."""
    paths = {}
    for name in ("songs.csv", "vocabulary.json", "README.md"):
        paths[name] = tmp_path / name
        shutil.copyfile(DATA / name, paths[name])
    return paths


def run(report: ModuleType, copies: dict[str, Path], *extra: str) -> int:
    return report.main([
        "--catalog", str(copies["songs.csv"]),
        "--vocabulary", str(copies["vocabulary.json"]),
        "--readme", str(copies["README.md"]),
        *extra,
    ])


def edit_row(path: Path, row: int, **changes: str) -> None:
    """Change cells of one song (0-based row) in a CSV copy."""
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
        header = list(rows[0])
    rows[row].update(changes)
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)


def test_data_readme_is_up_to_date(report: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    status = report.main(["--check"])
    out, err = capsys.readouterr()
    assert status == 0, f"run python scripts/catalog_report.py and commit data/README.md\n{out}{err}"
    assert "up to date" in out


def test_check_reports_a_stale_readme_and_a_run_fixes_it(
    report: ModuleType, copies: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    readme = copies["README.md"]
    text = readme.read_text(encoding="utf-8")
    readme.write_text(text.replace("| `trot` |", "| `trott` |"), encoding="utf-8")
    assert run(report, copies, "--check") == 1
    assert "out of date" in capsys.readouterr().err
    assert run(report, copies) == 0
    assert readme.read_text(encoding="utf-8") == text
    assert run(report, copies, "--check") == 0


def test_the_hand_written_part_is_kept(report: ModuleType, copies: dict[str, Path]) -> None:
    readme = copies["README.md"]
    readme.write_text("# Notes\n\nkept\n\n<!-- coverage:start -->\nSTALE TABLE\n<!-- coverage:end -->\n\nalso kept\n",
                      encoding="utf-8")
    assert run(report, copies) == 0
    text = readme.read_text(encoding="utf-8")
    assert text.startswith("# Notes\n\nkept\n\n<!-- coverage:start -->\n")
    assert text.endswith("<!-- coverage:end -->\n\nalso kept\n")
    assert "STALE TABLE" not in text and "| `trot` |" in text


def test_unknown_theme_is_reported_with_its_row(
    report: ModuleType, copies: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    edit_row(copies["songs.csv"], 5, themes="ballad;sea-shanty")
    before = copies["README.md"].read_text(encoding="utf-8")
    assert run(report, copies) == 1
    err = capsys.readouterr().err
    problems = [line for line in err.splitlines() if line.startswith("  - ")]
    assert len(problems) == 1
    assert "row 5," in problems[0] and "column 'themes'" in problems[0] and "'sea-shanty'" in problems[0]
    assert copies["README.md"].read_text(encoding="utf-8") == before, "an invalid catalog must not rewrite"


def test_short_blurb_is_reported_with_its_row(
    report: ModuleType, copies: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    thirty = " ".join(["word"] * 30)
    edit_row(copies["songs.csv"], 7, blurb=thirty)
    assert run(report, copies, "--check") == 1
    err = capsys.readouterr().err
    assert "row 7, line 9, column 'blurb': blurb has 30 words; it must have 50 to 120" in err


def test_every_problem_is_reported_at_once(
    report: ModuleType, copies: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    edit_row(copies["songs.csv"], 0, moods="sad;elated")
    edit_row(copies["songs.csv"], 1, song_id="Ben Lonely Night", year="20x0")
    edit_row(copies["songs.csv"], 2, song_id="iz-one-destiny", title_ko="Butterfly")
    edit_row(copies["songs.csv"], 3, blurb=" ".join(["long"] * 121))
    assert run(report, copies) == 1
    problems = [line for line in capsys.readouterr().err.splitlines() if line.startswith("  - ")]
    expected = [
        ("row 0,", "'moods'", "'elated'"),
        ("row 1,", "'song_id'", "not a slug"),
        ("row 1,", "'year'", "4-digit"),
        ("row 2,", "'song_id'", "duplicate of row 0"),
        ("row 2,", "'title_ko'", "no Hangul"),
        ("row 3,", "'blurb'", "121 words"),
    ]
    for parts in expected:
        assert any(all(p in line for p in parts) for line in problems), (parts, problems)
    assert len(problems) == len(expected)


def test_missing_markers_are_a_usage_error(
    report: ModuleType, copies: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    copies["README.md"].write_text("# no markers\n", encoding="utf-8")
    assert run(report, copies, "--check") == 2
    assert "coverage:start" in capsys.readouterr().err


def test_one_artist_spelled_two_ways_is_a_warning(
    report: ModuleType, copies: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    edit_row(copies["songs.csv"], 1, artist="B.E.N")
    assert run(report, copies, "--check") == 0, "a warning alone does not fail the check"
    err = capsys.readouterr().err
    warning = next(line for line in err.splitlines() if "'B.E.N'" in line)
    assert warning.startswith("warning: artist spelled more than one way:")
    assert "'B.E.N' (rows 1)" in warning and "'BEN' (rows 63)" in warning
