"""Write docs/cli.md: a real command-line session, captured by running each command.

    python docs/make_cli_md.py

Rerun it whenever the engine or the catalog changes, so the page always shows
what ``moodrec`` really prints.  Commands run in a scratch folder holding the
small ``my_songs.csv`` below.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

import moodrec

HERE = Path(__file__).resolve().parent

MY_SONGS = """\
title,artist,year,themes,blurb
Rain Letter,Paper Boats,2021,ballad,"A quiet song for a rainy walk home after a goodbye you did not want."
Sunday Market,The Lanterns,2019,friendship,"A bright, silly song about friends laughing at a weekend market."
Night Bus Home,Paper Boats,2023,ballad;blue-mood,"Riding the last bus alone after a long shift, lonely and tired, city lights blurring."
"""

SECTIONS: list[tuple[str, list[str]]] = [
    ("A feeling, in your own words", [
        'moodrec "drinking alone"',
        'moodrec "she moved away and I still pour two cups of coffee" -k 3 --explain',
        'moodrec "외로운 밤" -k 3',
        'moodrec "brokn heart" -k 3',
    ]),
    ("Narrow it down, or start from a song", [
        'moodrec "missing someone" --theme trot -k 3',
        "moodrec --similar ben-lonely-night -k 3",
    ]),
    ("Your own catalog, and JSON for other programs", [
        "cat my_songs.csv",
        'moodrec "lonely after work" --catalog my_songs.csv',
        'moodrec "rain" --catalog my_songs.csv -k 1 --json',
    ]),
    ("When nothing matches, or the command is wrong (message on stderr)", [
        'moodrec "xqzzv blorft"',
        'moodrec "rain" -k 0',
        'moodrec "rain" --theme metal',
        "moodrec --similar no-such-song",
    ]),
    ("Help", ["moodrec --help"]),
]


def run(command: str, cwd: Path) -> str:
    argv = shlex.split(command)
    if argv[0] == "moodrec":  # the same main as the installed script, from this interpreter
        argv = [sys.executable, "-m", "moodrec", *argv[1:]]
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "COLUMNS": "112"}
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, encoding="utf-8", env=env, check=False)
    out = proc.stdout + proc.stderr  # only one of them is used by each command here
    status = f"[exit status {proc.returncode}]\n" if proc.returncode else ""
    return f"$ {command}\n{out}{status}"


def main() -> int:
    parts = [
        "# The moodrec command line: a real session\n",
        "Every block below is real output, captured by running the commands with "
        f"moodrec {moodrec.__version__} on the bundled catalog "
        "(`python docs/make_cli_md.py` captures it again; scores move a little as the engine improves).\n",
        "Exit status: 0 songs found, 1 no song matches, 2 bad usage or a bad catalog; "
        "messages go to stderr, results to stdout.\n",
    ]
    with tempfile.TemporaryDirectory() as scratch:
        cwd = Path(scratch)
        (cwd / "my_songs.csv").write_text(MY_SONGS, encoding="utf-8")
        for title, commands in SECTIONS:
            parts.append(f"## {title}\n")
            parts.append("```console\n" + "\n".join(run(c, cwd) for c in commands) + "```\n")
    (HERE / "cli.md").write_text("\n".join(parts), encoding="utf-8")
    print(HERE / "cli.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
