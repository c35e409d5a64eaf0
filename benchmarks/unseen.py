"""Catalogs and queries moodrec has never seen: known-item search over invented songs.

One command, from the repository root::

    python benchmarks/unseen.py            # 5 folds: every example song is searched for once
    python benchmarks/unseen.py --folds 2  # quicker: the first two folds only

``data/examples.jsonl`` holds invented songs we wrote, each with a blurb and
the queries a listener would type when it is the best pick.  The examples are
split in five folds by a hash of their id.  For each fold, the word
associations and the learned similarity are learned from the other four folds
only (as ``scripts/build_associations.py`` and ``scripts/train_learned.py`` do
from all of them), the fold's songs
become the catalog (about 1,000 songs no part of moodrec was built on), and each
of their queries is asked: the song it was written for should come first.

The table gives MRR@10 and the share of queries whose song is in the top 1
and top 5, overall and by the query's form (short: at most four words; long:
fifteen or more; korean: any Hangul; other: the rest, mostly paraphrases and
informal spellings), for:

* ``moodrec``: ``moodrec.Recommender()`` with its defaults;
* ``-learned``: the same, ``learned_weight=0``;
* ``-associations``: the same, ``association_weight=0``;
* ``tfidf-plain``: scikit-learn ``TfidfVectorizer()`` with its defaults and cosine similarity;
* ``bm25s``: BM25 from the ``bm25s`` package, when installed.

A known-item figure counts only the song a query was written for; another
invented song may fit it as well, so the figures are for comparing systems,
not absolute quality.
"""

from __future__ import annotations

import argparse
import re
import sys
import zlib
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
N_FOLDS = 5
FORMS = ("short", "other", "long", "korean")

sys.path.insert(0, str(ROOT / "src"))  # run from a checkout even when not installed
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "scripts"))
import quality
from build_associations import (
    load_examples,  # the one reader of data/examples.jsonl, with its checks
)


def fold_of(example_id: str, n_folds: int = N_FOLDS) -> int:
    """The fold of an example: a stable hash of its id."""
    return zlib.crc32(example_id.encode("utf-8")) % n_folds


def form_of(query: str) -> str:
    """short (<= 4 words), long (>= 15), korean (any Hangul) or other.

    >>> [form_of(q) for q in ["missing grandma", "헤어진 지 한 달", "she only sees me as a buddy"]]
    ['short', 'korean', 'other']
    """
    if re.search("[\uac00-\ud7a3\u3131-\u318e]", query):
        return "korean"
    n = len(query.split())
    return "short" if n <= 4 else "long" if n >= 15 else "other"


def run_fold(examples: list[dict], fold: int) -> pd.DataFrame:
    import moodrec._recommender as engine
    from moodrec._associations import Associations, build_table
    from moodrec._learned import train
    from moodrec._text import Analyzer

    held = [e for e in examples if fold_of(e["id"]) == fold]
    learned_from = [e for e in examples if fold_of(e["id"]) != fold]
    table, display = build_table(learned_from, Analyzer())
    learned = train(learned_from, Analyzer())
    catalog = pd.DataFrame({
        "song_id": [e["id"] for e in held], "title": [e["title"] for e in held],
        "artist": [e["artist"] for e in held], "blurb": [e["blurb"] for e in held],
    })
    # this fold's table and learned model, not the shipped ones
    shipped = engine.Associations, engine.shipped_learned
    engine.Associations = lambda: Associations(table, display)
    engine.shipped_learned = lambda: learned
    try:
        systems = {
            "moodrec": quality.moodrec_ranker(catalog),
            "-learned": quality.moodrec_ranker(catalog, learned_weight=0.0),
            "-associations": quality.moodrec_ranker(catalog, association_weight=0.0),
        }
    finally:
        engine.Associations, engine.shipped_learned = shipped
    systems["tfidf-plain"] = quality.plain_tfidf_ranker(catalog)
    bm = quality.bm25s_ranker(catalog)
    if bm is not None:
        systems["bm25s"] = bm
    rows = []
    for e in held:
        for q in e["queries"]:
            row: dict[str, object] = {"fold": fold, "form": form_of(q)}
            for name, rank in systems.items():
                ids = rank(q, 10)
                at = ids.index(e["id"]) + 1 if e["id"] in ids else 0
                row[(name, "mrr@10")] = 1.0 / at if at else 0.0
                row[(name, "top1")] = float(at == 1)
                row[(name, "top5")] = float(0 < at <= 5)
            rows.append(row)
    return pd.DataFrame(rows)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--folds", type=int, default=N_FOLDS, help=f"how many of the {N_FOLDS} folds to run")
    args = p.parse_args(argv)
    if not 1 <= args.folds <= N_FOLDS:
        p.error(f"--folds must be between 1 and {N_FOLDS}")
    examples = load_examples()
    results = pd.concat([run_fold(examples, f) for f in range(args.folds)], ignore_index=True)
    n_songs = sum(1 for e in examples if fold_of(e["id"]) < args.folds)
    print(f"{len(results)} queries for {n_songs} invented songs, in {args.folds} folds "
          f"(catalogs of {n_songs // args.folds} songs on average; associations and learned model from the other folds)\n")
    metrics = [c for c in results.columns if isinstance(c, tuple)]
    table = results.groupby("form")[metrics].mean()
    table.loc["all"] = results[metrics].mean()
    table = table.loc[[f for f in FORMS if f in table.index] + ["all"]]
    table.insert(0, "n", [int((results["form"] == f).sum()) if f != "all" else len(results) for f in table.index])
    table.columns = pd.MultiIndex.from_tuples([("", "n"), *metrics])
    pd.set_option("display.width", 200)
    print(table.round(3).to_string())
    return 0


if __name__ == "__main__":
    sys.exit(main())
