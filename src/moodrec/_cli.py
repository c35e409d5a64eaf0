"""The ``moodrec`` command line."""

from __future__ import annotations

import argparse
import codecs
import contextlib
import json
import os
import shutil
import sys
import textwrap
import unicodedata
from collections.abc import Sequence

from ._results import Recommendations
from .exceptions import MoodrecError

EXAMPLES = """\
examples:
  moodrec "drinking alone"
  moodrec "she moved away and I still pour two cups of coffee" -k 3 --explain
  moodrec "외로운 밤" --json
  moodrec "upbeat" --theme friendship
  moodrec --similar ben-lonely-night
  moodrec "rainy night" --catalog my_songs.csv

exit status: 0 songs found, 1 no song matches, 2 bad usage or a bad catalog
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse exits 2 on bad usage: keep that
        self.print_usage(sys.stderr)
        self.exit(2, f"moodrec: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="moodrec",
        description="Recommend songs for a feeling, typed in your own words.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("query", nargs="?", help="what you feel, in your own words")
    p.add_argument("-k", type=int, default=5, metavar="N", help="how many songs (default 5)")
    p.add_argument("--theme", action="append", metavar="T",
                   help="only songs of this theme (repeat for several)")
    p.add_argument("--explain", action="store_true", help="show why each song matched")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.add_argument("--catalog", metavar="PATH", help="use your own catalog CSV (title, artist, blurb)")
    p.add_argument("--similar", metavar="SONG_ID", help="songs like this one instead of a query")
    from ._version import __version__

    p.add_argument("--version", action="version", version=f"moodrec {__version__}")
    return p


def _width(text: str) -> int:
    """Columns ``text`` takes in a terminal: Hangul, kana and CJK take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 0 if unicodedata.combining(c) else 1
               for c in text)


def _fit(text: str, width: int) -> str:
    """``text`` cut (with an ellipsis) or padded to exactly ``width`` columns."""
    if _width(text) > width:
        out, used = "", 0
        for c in text:
            if used + _width(c) > width - 1:
                break
            out, used = out + c, used + _width(c)
        text = out + "…"
    return text + " " * (width - _width(text))


def _table(recs: Recommendations, explain: bool) -> str:
    if not recs:
        return ""
    songs = [f"{m.title} - {m.artist}" for m in recs]
    width = min(max(_width(s) for s in songs), 60)
    lines = [f"{'#':>3}  {'score':>5}  {_fit('song', width)}  id"]
    # Explanations wrap to the terminal (or 100 columns when piped), under the song.
    wrap = max(40, min(shutil.get_terminal_size((112, 24)).columns, 120) - 12)
    for m, song in zip(recs, songs):
        lines.append(f"{m.rank:>3}  {m.score:5.3f}  {_fit(song, width)}  {m.song_id}")
        if explain and m.why:
            for line in textwrap.wrap(m.why, wrap):
                lines.append(f"{'':>12}{line}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    # A terminal or pipe that cannot show Hangul gets escapes, not a traceback.
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    try:
        return _run(argv)
    except BrokenPipeError:
        # The reader went away (`moodrec ... | head`): not an error of ours.
        # Point stdout at devnull so the interpreter's final flush stays quiet.
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        return 130


def _run(argv: Sequence[str] | None) -> int:
    args = _parser().parse_args(argv)
    if args.query is None and args.similar is None:
        _parser().error("give a QUERY (what you feel) or --similar SONG_ID")
    if args.query is not None and args.similar is not None:
        _parser().error("give either a QUERY or --similar SONG_ID, not both")
    if args.k < 1:
        _parser().error(f"-k must be a positive integer, got {args.k}")
    if args.query is not None and not args.query.strip():
        _parser().error("the query is empty: describe a feeling, e.g. \"drinking alone\"")
    from ._api import default_recommender
    from ._recommender import Recommender

    try:
        rec = Recommender().fit(args.catalog) if args.catalog else default_recommender()
        filters = {"themes": args.theme} if args.theme else {}
        if args.similar is not None:
            recs = rec.similar(args.similar, args.k, **filters)
        else:
            recs = rec.recommend(args.query, args.k, **filters)
    except (MoodrecError, ValueError, TypeError) as exc:
        print(f"moodrec: error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        # Hangul as is where stdout takes it; \uXXXX escapes (still JSON) where it cannot.
        readable = codecs.lookup(getattr(sys.stdout, "encoding", None) or "ascii").name.startswith("utf")
        print(json.dumps({"query": recs.query, "results": recs.to_dicts()}, ensure_ascii=not readable, indent=2))
    elif recs:
        print(_table(recs, args.explain))
    if not recs:
        where = f" in theme {', '.join(args.theme)}" if args.theme else ""
        print(f"no song matches {recs.query!r}{where}; try other words, e.g. \"missing someone\"",
              file=sys.stderr)
        return 1
    return 0
