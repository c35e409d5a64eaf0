"""The ``moodrec`` command line, run as users run it: a real subprocess.

Every test starts ``python -m moodrec`` (the same ``main`` as the ``moodrec``
script) and checks its stdout, stderr and exit status: 0 songs found, 1 no
song matches, 2 bad usage or a bad catalog.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import pandas as pd
import pytest

import moodrec

TIMEOUT = 120


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONIOENCODING"] = "utf-8"  # the same bytes whatever the test machine's locale
    env["PYTHONWARNINGS"] = "error"  # a warning the CLI lets through is a failure, as in pytest
    env.pop("COLUMNS", None)
    return env


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "moodrec", *args],
        capture_output=True, text=True, encoding="utf-8", env=_env(), cwd=cwd, timeout=TIMEOUT,
    )


def table_rows(stdout: str) -> list[str]:
    """The song rows of the table (a rank first), without the header and explanations."""
    return [line for line in stdout.splitlines() if line[:3].strip().isdigit()]


def columns(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


@pytest.fixture()
def my_catalog(tmp_path: Path) -> Path:
    """A user's own catalog CSV, with a Korean title to test the table's alignment."""
    path = tmp_path / "my_songs.csv"
    pd.DataFrame(
        {
            "title": ["Rain Letter", "Sunday Market", "비 오는 날"],
            "artist": ["Paper Boats", "The Lanterns", "민지"],
            "themes": ["ballad", "friendship", "ballad"],
            "blurb": [
                "A quiet song for a rainy walk home after a goodbye you did not want.",
                "A bright, silly song about friends laughing at a weekend market.",
                "비 오는 날 혼자 걷는 노래. Walking alone in the rain, missing someone.",
            ],
        }
    ).to_csv(path, index=False)
    return path


# -- success: exit 0 -------------------------------------------------------


def test_table_by_default() -> None:
    proc = run("drinking alone", "-k", "3")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    lines = proc.stdout.splitlines()
    assert lines[0].split() == ["#", "score", "song", "id"]
    rows = table_rows(proc.stdout)
    expected = moodrec.recommend("drinking alone", k=3)
    assert len(rows) == 3
    for row, m in zip(rows, expected):
        assert row.split()[0] == str(m.rank)
        assert row.split()[1] == f"{m.score:.3f}"
        assert f"{m.title} - {m.artist}" in row
        assert row.endswith(m.song_id)


def test_json_is_the_same_as_the_library() -> None:
    proc = run("missing someone", "-k", "4", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    recs = moodrec.recommend("missing someone", k=4)
    assert out["query"] == "missing someone"
    assert out["results"] == json.loads(json.dumps(recs.to_dicts()))
    assert [r["song_id"] for r in out["results"]] == recs.song_ids


def test_json_keeps_hangul_readable() -> None:
    proc = run("외로운 밤", "-k", "2", "--json")
    assert proc.returncode == 0, proc.stderr
    assert '"query": "외로운 밤"' in proc.stdout  # not \uc678... escapes
    assert json.loads(proc.stdout)["results"]


def test_json_survives_a_terminal_without_hangul() -> None:
    env = _env()
    env["PYTHONIOENCODING"] = "ascii"
    proc = subprocess.run([sys.executable, "-m", "moodrec", "외로운 밤", "-k", "2", "--json"],
                          capture_output=True, env=env, timeout=TIMEOUT)
    assert proc.returncode == 0, proc.stderr
    # \uXXXX escapes are valid JSON: a program reading it gets the Hangul back
    assert json.loads(proc.stdout.decode("ascii"))["query"] == "외로운 밤"


def test_explain_shows_the_reasons() -> None:
    plain = run("drinking alone", "-k", "2")
    proc = run("drinking alone", "-k", "2", "--explain")
    assert proc.returncode == 0, proc.stderr
    top = moodrec.recommend("drinking alone", k=1)[0]
    assert table_rows(proc.stdout) == table_rows(plain.stdout)
    explanation = " ".join(line.strip() for line in proc.stdout.splitlines()[2:] if not line[:3].strip())
    assert explanation.startswith(" ".join(top.why.split())[:40])
    assert 'mentions "drinking"' in proc.stdout
    assert len(proc.stdout.splitlines()) > len(plain.stdout.splitlines())


@pytest.mark.parametrize("theme", ["trot", "jpop"])
def test_theme_filters(theme: str) -> None:
    proc = run("missing someone", "-k", "5", "--theme", theme, "--json")
    assert proc.returncode == 0, proc.stderr
    results = json.loads(proc.stdout)["results"]
    assert results
    for r in results:
        assert theme in r["themes"].split(";"), (r["title"], r["themes"])


def test_similar() -> None:
    proc = run("--similar", "ben-lonely-night", "-k", "3")
    assert proc.returncode == 0, proc.stderr
    expected = moodrec.similar("ben-lonely-night", k=3)
    assert [row.split()[-1] for row in table_rows(proc.stdout)] == expected.song_ids
    assert "ben-lonely-night" not in proc.stdout


def test_catalog_reads_the_users_csv(my_catalog: Path) -> None:
    proc = run("friends laughing at the market", "--catalog", str(my_catalog), "--json")
    assert proc.returncode == 0, proc.stderr
    results = json.loads(proc.stdout)["results"]
    assert results[0]["title"] == "Sunday Market"
    assert {r["title"] for r in results} <= {"Rain Letter", "Sunday Market", "비 오는 날"}


def test_catalog_table_lines_up_with_hangul(my_catalog: Path) -> None:
    proc = run("rain", "--catalog", str(my_catalog))
    assert proc.returncode == 0, proc.stderr
    rows = table_rows(proc.stdout)
    assert any("비 오는 날" in row for row in rows)
    # the id column starts at the same screen column on every row, Hangul taking two
    starts = {columns(row[: row.rindex("  ") + 2]) for row in rows}
    assert len(starts) == 1, proc.stdout


def test_catalog_with_similar_and_theme(my_catalog: Path) -> None:
    proc = run("--similar", "paper-boats-rain-letter", "--catalog", str(my_catalog), "--theme", "ballad")
    assert proc.returncode == 0, proc.stderr
    assert [row.split()[-1] for row in table_rows(proc.stdout)] == ["민지-비-오는-날"]


def test_k_larger_than_the_catalog_gives_what_there_is(my_catalog: Path) -> None:
    proc = run("rain", "--catalog", str(my_catalog), "-k", "50", "--json")
    assert proc.returncode == 0, proc.stderr
    assert 1 <= len(json.loads(proc.stdout)["results"]) <= 3


def test_a_closed_pipe_is_not_an_error() -> None:
    # `moodrec ... --json | head -1`: far more output than a pipe buffer holds
    proc = subprocess.Popen([sys.executable, "-m", "moodrec", "night", "-k", "200", "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env())
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline().strip() == b"{"
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(timeout=TIMEOUT) == 0, err
    assert "Traceback" not in err and "BrokenPipe" not in err


# -- no song matches: exit 1 -----------------------------------------------


@pytest.mark.parametrize("query", ["xqzzv blorft", "the and of"])
def test_no_match_exits_1(query: str) -> None:
    proc = run(query)
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert "no song matches" in proc.stderr and query in proc.stderr


def test_no_match_with_json_still_prints_valid_json() -> None:
    proc = run("xqzzv blorft", "--json")
    assert proc.returncode == 1
    assert json.loads(proc.stdout) == {"query": "xqzzv blorft", "results": []}
    assert "no song matches" in proc.stderr


# -- bad usage or a bad catalog: exit 2 ------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "give a QUERY"),
        (("",), "the query is empty"),
        (("   ",), "the query is empty"),
        (("rain", "-k", "0"), "-k must be a positive integer, got 0"),
        (("rain", "-k", "-3"), "-k must be a positive integer, got -3"),
        (("rain", "-k", "many"), "invalid int value: 'many'"),
        (("rain", "--similar", "ben-lonely-night"), "not both"),
        (("rain", "--no-such-option"), "unrecognized arguments"),
    ],
)
def test_bad_usage_exits_2(args: tuple[str, ...], message: str) -> None:
    proc = run(*args)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert message in proc.stderr
    assert proc.stderr.startswith("usage: moodrec")
    assert "Traceback" not in proc.stderr


def test_unknown_theme_exits_2_and_lists_the_themes() -> None:
    proc = run("rain", "--theme", "nosuch")
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "nosuch" in proc.stderr
    assert "trot" in proc.stderr  # the themes one could use instead


def test_unknown_song_id_exits_2() -> None:
    proc = run("--similar", "no-such-song")
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "no-such-song" in proc.stderr and "not in the catalog" in proc.stderr


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "not found"),
        ("title,artist\nRain,Me\n", "blurb"),
        ("", "empty"),
        (b"\xff\xfe\x00garbage", "UTF-8"),
    ],
    ids=["missing-file", "missing-column", "empty-file", "not-utf8"],
)
def test_bad_catalog_exits_2(tmp_path: Path, content: str | bytes | None, message: str) -> None:
    path = tmp_path / "songs.csv"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    proc = run("rain", "--catalog", str(path))
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.startswith("moodrec: error:")
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr


def test_catalog_that_is_a_directory_exits_2(tmp_path: Path) -> None:
    proc = run("rain", "--catalog", str(tmp_path))
    assert proc.returncode == 2
    assert "directory" in proc.stderr


# -- help and version ------------------------------------------------------


def test_help_shows_options_and_examples() -> None:
    proc = run("--help")
    assert proc.returncode == 0
    for option in ("-k N", "--theme T", "--explain", "--json", "--catalog PATH", "--similar SONG_ID"):
        assert option in proc.stdout
    assert "examples:" in proc.stdout
    assert 'moodrec "drinking alone"' in proc.stdout
    assert "moodrec --similar ben-lonely-night" in proc.stdout
    assert "exit status" in proc.stdout


def test_version() -> None:
    proc = run("--version")
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"moodrec {moodrec.__version__}"
