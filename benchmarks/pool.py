"""Depth-k pooling: the songs any system ranks in its top k that no judge has graded yet.

    python benchmarks/pool.py --depth 10 --out /tmp/pool.csv

The judged set (``benchmarks/data/queries.csv``) was first graded by reading the catalog,
before any engine ranked anything.  A catalog of a few hundred songs holds more songs that
fit a feeling than a judge lists from memory, so a system could rank a fitting song that was
never graded and be counted wrong for it.  Pooling is how shared evaluations (TREC) close that
gap: the top k of every system are pooled, the pairs no judge has seen go to a judge who is
not told which system found them or how it scored them, and the grades are added to the set,
zeros included (``benchmarks/data/pooled.csv``).

The output lists, per query, the unjudged songs in catalog order (not in any system's
order), with the songs already graded for that query so the judge can keep the same scale.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import quality  # noqa: E402


def pool_systems(songs):  # type: ignore[no-untyped-def]
    systems = {
        "moodrec": quality.moodrec_ranker(songs),
        "-associations": quality.moodrec_ranker(songs, association_weight=0.0),
        "-learned": quality.moodrec_ranker(songs, learned_weight=0.0),
        "-expansion": quality.moodrec_ranker(songs, expand=False),
        "analyser only": quality.moodrec_ranker(songs, expand=False, spelling=False, polarity=0.0,
                                                association_weight=0.0, learned_weight=0.0),
        "tfidf-plain": quality.plain_tfidf_ranker(songs),
    }
    bm = quality.bm25s_ranker(songs)
    if bm is not None:
        systems["bm25s"] = bm
    return systems


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--depth", type=int, default=10)
    p.add_argument("--out", required=True)
    args = p.parse_args(argv)

    sys.path.insert(0, str(ROOT / "src"))
    import moodrec

    songs = moodrec.validate_catalog(ROOT / "data" / "songs.csv")
    order = {sid: i for i, sid in enumerate(songs["song_id"])}
    queries = quality.load_queries(with_pooled=True)
    systems = pool_systems(songs)
    n_pairs = 0
    with open(args.out, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["query_id", "query", "song_id", "already_graded"])
        for q in queries:
            pooled: set[str] = set()
            for rank in systems.values():
                pooled.update(rank(q.query, args.depth))
            new = sorted(pooled - set(q.grades), key=order.__getitem__)
            graded = ";".join(f"{s}={g}" for s, g in sorted(q.grades.items()) if g > 0)
            for sid in new:
                w.writerow([q.query_id, q.query, sid, graded])
                n_pairs += 1
    print(f"{n_pairs} unjudged pairs from {len(systems)} systems at depth {args.depth} -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
