"""The built wheel carries the bundled catalog and works outside the checkout."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)],
        capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stderr
    (built,) = out.glob("moodrec-*.whl")
    return built


def test_wheel_contains_catalog_and_resources(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in ["moodrec/data/songs.csv", "moodrec/data/lexicon.json", "moodrec/data/language.json",
                 "moodrec/data/associations.json",
                 "moodrec/py.typed", "moodrec/__init__.py"]:
        assert name in names
    packaged = zipfile.ZipFile(wheel).read("moodrec/data/songs.csv")
    assert packaged == (ROOT / "data" / "songs.csv").read_bytes()


def test_non_editable_install_runs_from_another_directory(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code = (
        "import moodrec, pathlib;"
        "from moodrec._catalog import bundled_catalog_path as p;"
        "assert pathlib.Path(moodrec.__file__).is_relative_to(pathlib.Path(r'%s'));"
        "assert pathlib.Path(p()).is_relative_to(pathlib.Path(r'%s'));"
        "print(len(moodrec.load_songs()), moodrec.recommend('drinking alone')[0].song_id)"
    ) % (target, target)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(target)
    proc = subprocess.run([sys.executable, "-c", code], cwd=elsewhere, env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    count, first = proc.stdout.split()
    assert int(count) >= 150 and first == "ben-lonely-night"
