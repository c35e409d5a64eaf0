"""Validate the bundled catalog and regenerate its coverage section in data/README.md.

    python scripts/catalog_report.py            # validate, then rewrite the coverage section
    python scripts/catalog_report.py --check    # validate; exit 1 if data/README.md is stale

The catalog is checked with ``moodrec.validate_catalog`` against
``data/vocabulary.json`` (every theme and mood from the vocabularies, unique
song ids, years empty or four digits) and with the rules that hold only for
the bundled catalog: every schema column present, ``song_id`` an ASCII slug,
at least one theme and one mood per song, Korean fields in Hangul, and blurbs
of 50 to 120 words.  Every problem is printed with its row (0-based, as in
``CatalogProblem``), its line in the CSV file and its column.

Names spelled more than one way (``BIG BANG`` and ``BIGBANG``) are printed as
warnings: they may be right, but ``recommend(artist=...)`` matches whole names.
So are themes below the target of 10 songs.

Only the text between ``<!-- coverage:start -->`` and ``<!-- coverage:end -->``
is generated; the rest of the README is written by hand.  The generated text
depends on the catalog alone (no dates), so ``--check`` is stable.

Exit status: 0 when the catalog is valid (and, with ``--check``, the README is
up to date); 1 when the catalog has problems or the README is out of date;
2 for a usage error (a missing file, markers missing from the README).
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import re
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]

if importlib.util.find_spec("moodrec") is None:  # pragma: no cover - only in a checkout without an install
    # Not installed (not even in editable mode): use the checkout's own source.
    sys.path.insert(0, str(ROOT / "src"))

import moodrec  # noqa: E402
from moodrec import CatalogError, CatalogProblem  # noqa: E402

START = "<!-- coverage:start -->"
END = "<!-- coverage:end -->"

#: Columns every row of the bundled catalog has (cells of optional ones may be empty).
SCHEMA_COLUMNS = (
    "song_id", "title", "title_ko", "artist", "artist_ko", "year", "album", "themes", "moods", "blurb",
)
#: Columns that, when filled, must hold Hangul.
HANGUL_COLUMNS = ("title_ko", "artist_ko")
MIN_BLURB_WORDS = 50
MAX_BLURB_WORDS = 120
#: Every theme should reach this many songs (issue #4).
THEME_TARGET = 10

_SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_HANGUL_RE = re.compile("[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3]")


class UsageError(Exception):
    """A file the report needs is missing or unusable (exit status 2)."""


def load_vocabulary(path: Path) -> dict[str, dict[str, str]]:
    """The vocabularies: ``{"themes": {name: meaning}, "moods": {name: meaning}}``."""
    try:
        vocab = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"vocabulary file not found: {path}") from None
    except json.JSONDecodeError as exc:
        raise UsageError(f"vocabulary file {path} is not valid JSON: {exc}") from None
    for key in ("themes", "moods"):
        if not isinstance(vocab.get(key), dict) or not vocab[key]:
            raise UsageError(f"vocabulary file {path} needs a non-empty object {key!r} (name -> meaning)")
    return vocab


def word_count(text: str) -> int:
    """Words as the blurb rule counts them: runs of characters between whitespace."""
    return len(text.split())


def _raw_rows(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]]] | None:
    """Header and (start line, row) pairs, read the way the library reads them.

    None when the file cannot be parsed; ``validate_catalog`` reports why.
    """
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            reader = csv.reader(f, strict=True)
            header: list[str] = []
            rows: list[tuple[int, dict[str, str]]] = []
            last = 0
            for fields in reader:
                start, last = last + 1, reader.line_num
                if not fields:
                    continue  # blank lines are skipped by the library too
                if not header:
                    header = [h.strip().strip("\ufeff").strip() for h in fields]
                    continue
                rows.append((start, dict(zip(header, fields))))
    except (OSError, UnicodeDecodeError, csv.Error):
        return None
    return header, rows


def house_rules(path: Path) -> list[CatalogProblem]:
    """Problems with the rules that hold for the bundled catalog only."""
    parsed = _raw_rows(path)
    if parsed is None:
        return []
    header, rows = parsed
    problems = [
        CatalogProblem("column of the catalog schema is missing (see data/README.md)", column=c)
        for c in SCHEMA_COLUMNS
        if c not in header
    ]
    for i, (line, row) in enumerate(rows):
        def add(message: str, column: str) -> None:
            problems.append(CatalogProblem(message, row=i, column=column, line=line))

        sid = row.get("song_id", "").strip()
        if sid and not _SLUG_RE.match(sid):
            add(f"song_id {sid!r} is not a slug: lowercase ASCII letters and digits joined by single hyphens",
                "song_id")
        for col in ("themes", "moods"):
            if col in header and not any(x.strip() for x in row.get(col, "").split(";")):
                add(f"{col} is empty: every song needs at least one", col)
        for col in HANGUL_COLUMNS:
            value = row.get(col, "").strip()
            if value and not _HANGUL_RE.search(value):
                add(f"{col} {value!r} has no Hangul: leave it empty when there is no Korean name", col)
        blurb = row.get("blurb", "").strip()
        if blurb:  # an empty blurb is the library's problem, reported once
            n = word_count(blurb)
            if not MIN_BLURB_WORDS <= n <= MAX_BLURB_WORDS:
                add(f"blurb has {n} words; it must have {MIN_BLURB_WORDS} to {MAX_BLURB_WORDS}", "blurb")
    return problems


def validate(catalog: Path, vocab: Mapping[str, Any]) -> tuple[Any, list[CatalogProblem]]:
    """The clean catalog (None when it has problems) and every problem found."""
    if not catalog.is_file():
        raise UsageError(f"catalog file not found: {catalog}")
    clean = None
    problems: list[CatalogProblem] = []
    try:
        clean = moodrec.validate_catalog(catalog, vocabulary=vocab)
    except CatalogError as exc:
        problems.extend(exc.problems or [CatalogProblem(str(exc))])
    problems.extend(house_rules(catalog))
    problems.sort(key=lambda p: (p.line or 0, p.row if p.row is not None else -1, p.column or ""))
    return (None if problems else clean), problems


def spelling_warnings(clean: Any) -> list[str]:
    """Names spelled more than one way (``BIG BANG`` and ``BIGBANG``).

    Warnings, not problems: the spellings may be right (two different albums
    called ``LILAC`` and ``Lilac``), but ``recommend(artist=...)`` matches
    whole names, so one artist spelled two ways is half missed.
    """
    warnings = []
    for column in ("artist", "album"):
        if column not in clean.columns:
            continue
        spellings: dict[str, dict[str, list[int]]] = {}
        for row, value in enumerate(clean[column]):
            if value:
                key = re.sub(r"[\W_]+", "", value.casefold())
                spellings.setdefault(key, {}).setdefault(value, []).append(row)
        for variants in spellings.values():
            if len(variants) > 1:
                shown = "; ".join(f"{v!r} (rows {', '.join(map(str, rows))})" for v, rows in variants.items())
                warnings.append(f"{column} spelled more than one way: {shown}")
    return warnings


def _cell(text: str) -> str:
    """Text that is safe inside a Markdown table cell."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]], align: str) -> list[str]:
    marks = {"l": "---", "r": "--:"}
    out = ["| " + " | ".join(header) + " |", "|" + "|".join(marks[a] for a in align) + "|"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return out


def _items(cell: Any) -> list[str]:
    """Items of a ``;``-separated cell of a validated catalog (None: no items)."""
    return [x for x in (cell or "").split(";") if x]


def count_items(clean: Any, column: str) -> Counter[str]:
    """How many songs carry each theme (or mood)."""
    return Counter(item for cell in clean[column] for item in _items(cell))


def coverage_markdown(clean: Any, vocab: Mapping[str, Mapping[str, str]]) -> str:
    """The generated section (without the markers), from a validated catalog."""
    n = len(clean)
    themes, moods = count_items(clean, "themes"), count_items(clean, "moods")

    below = [t for t in vocab["themes"] if themes[t] < THEME_TARGET]
    lines = [
        "<!-- Generated by scripts/catalog_report.py from data/songs.csv; edit the catalog and rerun. -->",
        "",
        "## Coverage",
        "",
        f"**{n} songs.** A song usually has several themes and moods, so the columns add up to more than {n}.",
        "",
        "The meanings come from `data/vocabulary.json`, the one place to change them.",
        "",
        f"### Themes (target: at least {THEME_TARGET} songs each)",
        "",
    ]
    lines += _table(
        ["theme", "meaning", "songs", "target"],
        [[f"`{t}`", _cell(meaning), themes[t],
          "met" if themes[t] >= THEME_TARGET else f"**{THEME_TARGET - themes[t]} short**"]
         for t, meaning in vocab["themes"].items()],
        "llrl",
    )
    lines += ["", ("Every theme meets the target." if not below
                   else f"Below target: {', '.join(f'`{t}`' for t in below)}."), ""]

    lines += ["### Moods", ""]
    lines += _table(["mood", "meaning", "songs"],
                    [[f"`{m}`", _cell(meaning), moods[m]] for m, meaning in vocab["moods"].items()],
                    "llr")

    decades: Counter[str] = Counter()
    for y in clean["year"]:
        decades["unknown year" if pd.isna(y) else f"{int(y) // 10 * 10}s"] += 1
    order = sorted(d for d in decades if d != "unknown year") + (["unknown year"] if "unknown year" in decades else [])
    lines += ["", "### Songs per decade", ""]
    lines += _table(["decade", "songs"], [[d, decades[d]] for d in order], "lr")

    has_ko = sum(1 for v in clean["title_ko"] if v)
    lines += ["", "### Songs per language of title", ""]
    lines += _table(
        ["title", "songs"],
        [["with a Korean title (`title_ko` filled)", has_ko], ["no Korean title (`title_ko` empty)", n - has_ko]],
        "lr",
    )
    return "\n".join(lines) + "\n"


def render_readme(current: str, section: str, readme: Path) -> str:
    """``current`` with the text between the markers replaced by ``section``."""
    if current.count(START) != 1 or current.count(END) != 1 or current.index(START) > current.index(END):
        raise UsageError(f"{readme} must hold {START} and then {END}, once each")
    head, rest = current.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{section}{END}{tail}"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the report; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="catalog_report.py",
        description="Validate data/songs.csv and regenerate the coverage section of data/README.md.",
    )
    parser.add_argument("--catalog", type=Path, default=ROOT / "data" / "songs.csv", help="catalog CSV to check")
    parser.add_argument("--vocabulary", type=Path, default=ROOT / "data" / "vocabulary.json",
                        help="JSON with the theme and mood vocabularies")
    parser.add_argument("--readme", type=Path, default=ROOT / "data" / "README.md",
                        help="README whose coverage section is generated")
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 if the README's coverage section is out of date")
    args = parser.parse_args(argv)

    try:
        vocab = load_vocabulary(args.vocabulary)
        clean, problems = validate(args.catalog, vocab)
        if problems:
            print(f"{args.catalog}: {len(problems)} problem(s)", file=sys.stderr)
            for p in problems:
                print(f"  - {p}", file=sys.stderr)
            print("Fix them and run the report again; data/README.md was not changed.", file=sys.stderr)
            return 1
        print(f"{args.catalog}: {len(clean)} songs, valid")
        section = coverage_markdown(clean, vocab)
        try:
            current = args.readme.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise UsageError(f"README not found: {args.readme}") from None
        wanted = render_readme(current, section, args.readme)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    for warning in spelling_warnings(clean):
        print(f"warning: {warning}", file=sys.stderr)
    themes = count_items(clean, "themes")
    for t in vocab["themes"]:
        if themes[t] < THEME_TARGET:
            print(f"warning: theme {t!r} has {themes[t]} songs, below the target of {THEME_TARGET}", file=sys.stderr)

    if wanted == current:
        print(f"{args.readme}: coverage section up to date")
        return 0
    if args.check:
        print(f"{args.readme}: coverage section is out of date; run python scripts/catalog_report.py",
              file=sys.stderr)
        return 1
    args.readme.write_text(wanted, encoding="utf-8", newline="\n")
    print(f"{args.readme}: coverage section rewritten")
    return 0


if __name__ == "__main__":
    sys.exit(main())
