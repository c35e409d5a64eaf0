"""The tour notebook runs top to bottom without errors, and stays small.

Needs the ``notebook`` extra (``pip install -e ".[test,notebook]"``); skipped
without it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "explore.ipynb"


def test_notebook_is_committed_without_outputs() -> None:
    # outputs (and their embedded images) belong to whoever runs it, not to git
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None, "".join(cell["source"])[:80]
    assert NOTEBOOK.stat().st_size < 50_000


def test_notebook_uses_only_the_public_api() -> None:
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    assert "import moodrec" in code
    assert "sys.path" not in code
    assert not re.search(r"moodrec\._[a-z]|from moodrec\.", code)  # no private modules


def test_notebook_executes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("matplotlib")
    pytest.importorskip("ipykernel")

    # A kernel spec of our own, so the notebook runs in this interpreter (the one
    # with moodrec installed), not in whatever "python3" a machine has registered.
    spec = tmp_path / "kernels" / "moodrec-test"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "moodrec test",
        "language": "python",
    }))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    monkeypatch.setenv("MPLBACKEND", "Agg")  # draw, but open no window and embed no image
    # t-SNE's OpenMP threads spin against each other on a small CI machine
    monkeypatch.setenv("OMP_NUM_THREADS", "1")

    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        nb, kernel_name="moodrec-test", timeout=600, allow_errors=False,
        resources={"metadata": {"path": str(tmp_path)}},  # the notebook must not rely on its folder
    )
    start = time.perf_counter()
    client.execute()
    took = time.perf_counter() - start

    for cell in nb.cells:
        for output in cell.get("outputs", []):
            assert output["output_type"] != "error", output
            if output["output_type"] == "stream" and output["name"] == "stderr":
                pytest.fail(f"the notebook wrote to stderr: {output['text'][:500]}")
    assert took < 300, f"the notebook took {took:.0f} s"


def test_pictures_script_draws_both_pngs(tmp_path: Path) -> None:
    # docs/make_pictures.py draws the README's pictures; it must keep working
    pytest.importorskip("matplotlib")
    script = NOTEBOOK.parents[1] / "docs" / "make_pictures.py"
    env = {**os.environ, "MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "error"}
    proc = subprocess.run([sys.executable, str(script), "--out", str(tmp_path)], capture_output=True, text=True,
                          env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    for name in ("mood_map.png", "scores.png"):
        data = (tmp_path / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        assert len(data) > 20_000  # a drawn picture, not an empty canvas
