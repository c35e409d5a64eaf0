"""The ``moodrec`` command line."""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
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


def _table(recs: Recommendations, explain: bool) -> str:
    if not recs:
        return ""
    width = max(len(f"{m.title} - {m.artist}") for m in recs)
    width = min(width, 60)
    lines = [f"{'#':>3}  {'score':>5}  {'song':<{width}}  id"]
    for m in recs:
        song = f"{m.title} - {m.artist}"
        if len(song) > width:
            song = song[: width - 1] + "…"
        lines.append(f"{m.rank:>3}  {m.score:5.3f}  {song:<{width}}  {m.song_id}")
        if explain and m.why:
            for line in textwrap.wrap(m.why, 100):
                lines.append(f"{'':>12}{line}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
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
        print(json.dumps({"query": recs.query, "results": recs.to_dicts()}, ensure_ascii=False, indent=2))
    elif recs:
        print(_table(recs, args.explain))
    if not recs:
        print(f"no song matches {recs.query!r}", file=sys.stderr)
        return 1
    return 0
