"""Quality evaluation: judged queries, nDCG@5, MRR and Recall@10.

One command, from the repository root::

    python benchmarks/quality.py              # moodrec vs. the plain baseline (and bm25s if installed)
    python benchmarks/quality.py --split test # only the held-out half of the queries
    python benchmarks/quality.py --split fresh  # only the queries written after the engine was built
    python benchmarks/quality.py --ablations  # also moodrec with each part of query understanding off
    python benchmarks/quality.py --per-query  # also every query's nDCG@5 for each system
    python benchmarks/quality.py --latent     # also the latent-similarity (SVD) experiment
    python benchmarks/quality.py --initial-judgments  # without the pooled grades
    python benchmarks/quality.py --agreement  # how far a second judge agrees, and what that allows
    python benchmarks/quality.py --feeling-oracle  # the best single feeling per query, chosen by the grades

The judged set is ``benchmarks/data/queries.csv``: each query has a kind (short, paraphrase,
long, korean, typo, situation, contrast), a split (dev: parameters were tuned on it; test:
held out; fresh: written and judged later, by a writer who saw only the catalog, never the
engine or the other queries) and graded judgments (2 = a curator would put it first, 1 = fits
partly), made by reading the catalog, independently of any engine's ranking.  ``benchmarks/data/pooled.csv``
adds the grades, zeros included, that blind judges gave to the songs the systems ranked in
their top 10 and no judge had graded (depth-10 pooling, ``pool.py``); ``judged@5`` reports
how much of each system's top 5 is judged.  ``benchmarks/data/agreement.csv`` holds a second,
independent grading of every judged song for 63 of the queries (nine of each kind), by judges
who saw neither the first grades nor any engine: ``--agreement`` reports how often the two
agree and the nDCG@5 of each grading's own best ranking scored by the other, the most a
system can expect to reach when judges differ as much as these do.

Systems, side by side in the same run, on the same text (blurb, title, artist):

* ``moodrec``: ``moodrec.Recommender()`` with its defaults;
* ``tfidf-plain``: scikit-learn ``TfidfVectorizer()`` with its defaults and cosine similarity;
* ``bm25s``: BM25 from the ``bm25s`` package (``pip install -e ".[bench]"``), when installed.
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
QUERIES = ROOT / "benchmarks" / "data" / "queries.csv"
POOLED = ROOT / "benchmarks" / "data" / "pooled.csv"
AGREEMENT = ROOT / "benchmarks" / "data" / "agreement.csv"
KINDS = ("short", "paraphrase", "long", "korean", "typo", "situation", "contrast")

Ranker = Callable[[str, int], list[str]]


@dataclass(frozen=True)
class Judged:
    query_id: str
    kind: str
    split: str
    query: str
    grades: dict[str, int]


def load_pooled(path: Path = POOLED) -> dict[str, dict[str, int]]:
    """Grades added by pooling (``pool.py``), zeros included: query_id -> song_id -> grade."""
    out: dict[str, dict[str, int]] = {}
    if not path.exists():
        return out
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            out.setdefault(row["query_id"], {})[row["song_id"]] = int(row["grade"])
    return out


def load_second_grades(path: Path = AGREEMENT) -> dict[str, dict[str, int]]:
    """The second, independent grading: query_id -> song_id -> grade."""
    return load_pooled(path)


def load_queries(path: Path = QUERIES, *, with_pooled: bool = True) -> list[Judged]:
    """The judged queries; ``with_pooled`` adds the grades made by pooling.

    A song graded 0 by pooling stays in ``grades`` with 0, so "judged" and
    "relevant" can be told apart (``judged_at``).
    """
    pooled = load_pooled() if with_pooled else {}
    out = []
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            grades = {}
            for pair in row["relevant"].split(";"):
                if pair.strip():
                    sid, grade = pair.strip().rsplit("=", 1)
                    grades[sid.strip()] = int(grade)
            for sid, grade in pooled.get(row["query_id"], {}).items():
                grades.setdefault(sid, grade)
            out.append(Judged(row["query_id"], row["kind"], row["split"], row["query"], grades))
    return out


# ----------------------------------------------------------------------- metrics
def dcg(gains: Sequence[float]) -> float:
    return sum((2.0**g - 1.0) / math.log2(i + 2) for i, g in enumerate(gains))


def ndcg_at(ranked: Sequence[str], grades: dict[str, int], k: int = 5) -> float:
    """Normalised DCG at k, exponential gain (2^grade - 1).

    >>> ndcg_at(["a", "b"], {"a": 2, "b": 1})
    1.0
    >>> round(ndcg_at(["b", "a"], {"a": 2, "b": 1}), 3)
    0.797
    """
    ideal = dcg(sorted(grades.values(), reverse=True)[:k])
    if ideal == 0:
        return 0.0
    return dcg([grades.get(s, 0) for s in ranked[:k]]) / ideal


def ndcg_of_grading(ranking: dict[str, int], grades: dict[str, int], k: int = 5) -> float:
    """Expected nDCG@k, under ``grades``, of the ranking that orders songs by
    the grades in ``ranking`` (songs of one grade in random order: each place
    a group fills gains the group's mean gain).

    >>> ndcg_of_grading({"a": 2, "b": 1}, {"a": 2, "b": 1})
    1.0
    >>> round(ndcg_of_grading({"a": 1, "b": 1}, {"a": 2, "b": 0}, k=1), 3)
    0.5
    """
    ideal = dcg(sorted(grades.values(), reverse=True)[:k])
    if ideal == 0:
        return 0.0
    groups: dict[int, list[float]] = {}
    for song, grade in ranking.items():
        groups.setdefault(grade, []).append(2.0 ** grades.get(song, 0) - 1.0)
    total, place = 0.0, 0
    for grade in sorted(groups, reverse=True):
        gain = sum(groups[grade]) / len(groups[grade])
        for i in range(place, min(k, place + len(groups[grade]))):
            total += gain / math.log2(i + 2)
        place += len(groups[grade])
        if place >= k:
            break
    return total / ideal


def weighted_kappa(a: Sequence[int], b: Sequence[int]) -> float:
    """Cohen's kappa with linear weights: agreement between two gradings of
    the same pairs beyond what their grade frequencies give by chance.

    >>> weighted_kappa([0, 1, 2, 2], [0, 1, 2, 2])
    1.0
    """
    from sklearn.metrics import cohen_kappa_score

    return float(cohen_kappa_score(a, b, weights="linear"))


def reciprocal_rank(ranked: Sequence[str], grades: dict[str, int]) -> float:
    """1 / rank of the first relevant song (grade >= 1), 0 if none.

    >>> reciprocal_rank(["x", "a"], {"a": 1})
    0.5
    """
    for i, s in enumerate(ranked):
        if grades.get(s, 0) > 0:
            return 1.0 / (i + 1)
    return 0.0


def judged_at(ranked: Sequence[str], grades: dict[str, int], k: int = 5) -> float:
    """Share of the top k that a judge has graded (0 included); 1.0 for an empty list.

    An unjudged song counts as not relevant in nDCG, so a low share means the
    figure may understate the system.

    >>> judged_at(["a", "x", "b"], {"a": 2, "b": 0}, k=5)
    0.667
    """
    top = list(ranked[:k])
    if not top:
        return 1.0
    return round(sum(s in grades for s in top) / len(top), 3)


def recall_at(ranked: Sequence[str], grades: dict[str, int], k: int = 10) -> float:
    """Share of the relevant songs found in the top k.

    >>> recall_at(["a", "x"], {"a": 2, "b": 1}, k=10)
    0.5
    """
    relevant = {s for s, g in grades.items() if g > 0}
    if not relevant:
        return 0.0
    return len(relevant.intersection(ranked[:k])) / len(relevant)


# ----------------------------------------------------------------------- systems
def song_texts(songs: pd.DataFrame) -> list[str]:
    return [f"{t} {a} {b}" for t, a, b in zip(songs["title"], songs["artist"], songs["blurb"])]


def moodrec_ranker(songs: pd.DataFrame, **params: object) -> Ranker:
    import moodrec

    rec = moodrec.Recommender(**params).fit(songs)  # type: ignore[arg-type]

    def rank(query: str, k: int) -> list[str]:
        return rec.recommend(query, k).song_ids

    return rank


def latent_blend_ranker(songs: pd.DataFrame, dims: int = 50, alpha: float = 0.2) -> Ranker:
    """moodrec blended with latent similarity (TruncatedSVD of its TF-IDF space).

    An experiment, not moodrec's default: ``(1 - alpha) * moodrec + alpha * cos(latent)``
    over every song.  It scans all songs densely, which the speed targets forbid at scale.
    """
    from sklearn.decomposition import TruncatedSVD

    import moodrec

    rec = moodrec.Recommender().fit(songs)
    svd = TruncatedSVD(dims, random_state=0).fit(rec.matrix_)
    z = svd.transform(rec.matrix_)
    z /= np.linalg.norm(z, axis=1, keepdims=True) + 1e-12
    ids = np.array(rec.song_ids_)

    def rank(query: str, k: int) -> list[str]:
        base = np.zeros(len(ids))
        for m in rec.recommend(query, rec.n_songs_):
            base[rec.row_of_[m.song_id]] = m.score
        zq = svd.transform(rec.transform(query))[0]
        zq /= np.linalg.norm(zq) + 1e-12
        blended = (1 - alpha) * base + alpha * np.maximum(z @ zq, 0.0)
        order = np.argsort(-blended, kind="stable")[:k]
        return [ids[i] for i in order if blended[i] > 0]

    return rank


def plain_tfidf_ranker(songs: pd.DataFrame) -> Ranker:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import linear_kernel

    vec = TfidfVectorizer()
    matrix = vec.fit_transform(song_texts(songs))
    ids = songs["song_id"].tolist()

    def rank(query: str, k: int) -> list[str]:
        scores = linear_kernel(vec.transform([query]), matrix).ravel()
        order = np.argsort(-scores, kind="stable")
        return [ids[i] for i in order[:k] if scores[i] > 0]

    return rank


def bm25s_ranker(songs: pd.DataFrame) -> Ranker | None:
    try:
        import bm25s
    except ImportError:
        return None
    ids = songs["song_id"].tolist()
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(song_texts(songs), stopwords="en", show_progress=False), show_progress=False)

    def rank(query: str, k: int) -> list[str]:
        tokens = bm25s.tokenize([query], stopwords="en", show_progress=False)
        if not tokens.vocab or all(len(t) == 0 for t in tokens.ids):
            return []
        docs, scores = retriever.retrieve(tokens, k=min(k, len(ids)), show_progress=False)
        return [ids[int(d)] for d, s in zip(docs[0], scores[0]) if s > 0]

    return rank


# ----------------------------------------------------------------------- report
def evaluate(rank: Ranker, queries: Sequence[Judged]) -> pd.DataFrame:
    rows = []
    for q in queries:
        ranked = rank(q.query, 10)
        rows.append(
            {
                "query_id": q.query_id, "kind": q.kind, "split": q.split, "query": q.query,
                "ndcg@5": ndcg_at(ranked, q.grades, 5), "mrr": reciprocal_rank(ranked, q.grades),
                "recall@10": recall_at(ranked, q.grades, 10), "judged@5": judged_at(ranked, q.grades, 5),
            }
        )
    return pd.DataFrame(rows)


def summary(results: dict[str, pd.DataFrame], metric: str, by: str) -> pd.DataFrame:
    cols = {}
    for name, df in results.items():
        col = df.groupby(by)[metric].mean()
        col["all"] = df[metric].mean()
        cols[name] = col
    table = pd.DataFrame(cols)
    order = [k for k in (*KINDS, "dev", "test", "fresh") if k in table.index] + ["all"]
    return table.loc[order]


def report_feeling_oracle(songs: pd.DataFrame, queries: Sequence[Judged]) -> None:
    """An upper bound of what finding the right feeling can give: for each
    query, the songs ranked by one feeling's column alone (its expansion
    scored against every song, as moodrec precomputes it), the feeling
    chosen by looking at the grades.  No system could choose this way."""
    import moodrec

    rec = moodrec.Recommender().fit(songs)
    by_feeling = (rec.matrix_ @ rec.expansions_.T).toarray()  # songs x feelings
    ids = rec.song_ids_
    tops = [[ids[i] for i in np.argsort(-by_feeling[:, f], kind="stable")[:10]] for f in range(by_feeling.shape[1])]
    rows = [{"kind": q.kind, "ndcg@5": max(ndcg_at(top, q.grades) for top in tops)} for q in queries]
    df = pd.DataFrame(rows)
    table = df.groupby("kind")["ndcg@5"].mean()
    table["all"] = df["ndcg@5"].mean()
    print(f"ndcg@5 of the best single feeling per query, of {by_feeling.shape[1]}, chosen by the grades")
    print(table.loc[[k for k in KINDS if k in table.index] + ["all"]].round(3).to_string())
    print()


def report_agreement(systems: dict[str, Ranker], queries: Sequence[Judged]) -> None:
    """The second grading beside the first, on the queries graded twice."""
    second = load_second_grades()
    twice = [q for q in queries if q.query_id in second]
    if not twice:
        print("(no query of this split was graded twice)")
        return
    first_grades, second_grades = [], []
    for q in twice:
        for song, grade in second[q.query_id].items():
            first_grades.append(q.grades.get(song, 0))
            second_grades.append(grade)
    same = np.mean(np.array(first_grades) == np.array(second_grades))
    print(f"Agreement: {len(twice)} queries graded twice, {len(first_grades)} pairs; same grade "
          f"{same:.1%}, weighted kappa {weighted_kappa(first_grades, second_grades):.3f}")
    print(pd.crosstab(pd.Series(first_grades, name="first grade"),
                      pd.Series(second_grades, name="second grade")).to_string())
    print()
    rows = []
    for q in twice:
        other = second[q.query_id]
        # both gradings over the same songs: pooling rounds after the second
        # grading added songs only the first one has
        first = {song: grade for song, grade in q.grades.items() if song in other}
        row: dict[str, object] = {"kind": q.kind}
        for name, rank in systems.items():
            ranked = rank(q.query, 10)
            row[(name, "first")] = ndcg_at(ranked, first)
            row[(name, "second")] = ndcg_at(ranked, other)
        row[("second judges' ranking", "first")] = ndcg_of_grading(other, first)
        row[("first judges' ranking", "second")] = ndcg_of_grading(first, other)
        rows.append(row)
    df = pd.DataFrame(rows)
    table = df.groupby("kind").mean()
    table.loc["all"] = df.drop(columns="kind").mean()
    table = table.loc[[k for k in KINDS if k in table.index] + ["all"]]
    table.columns = pd.MultiIndex.from_tuples(table.columns)
    print("ndcg@5 on the queries graded twice, scored by the first and by the second grading, "
          "over the songs both graded")
    print("(a judges' ranking: songs by that grading, ties in random order, scored by the other)")
    print(table.round(3).to_string())
    print()


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--split", choices=["dev", "test", "fresh", "all"], default="all")
    p.add_argument("--ablations", action="store_true", help="also moodrec with parts switched off")
    p.add_argument("--per-query", action="store_true", help="print every query's nDCG@5")
    p.add_argument("--latent", action="store_true",
                   help="also the experiment: moodrec blended with TruncatedSVD latent similarity")
    p.add_argument("--initial-judgments", action="store_true",
                   help="only the judgments made before any engine ranked (no pooled grades)")
    p.add_argument("--agreement", action="store_true",
                   help="also the second judges' grading: agreement, and nDCG@5 under either grading")
    p.add_argument("--feeling-oracle", action="store_true",
                   help="also the best single feeling per query, chosen by the grades (an upper bound)")
    p.add_argument("--catalog", default=str(ROOT / "data" / "songs.csv"))
    args = p.parse_args(argv)

    sys.path.insert(0, str(ROOT / "src"))  # run from a checkout even when not installed
    import moodrec

    songs = moodrec.validate_catalog(args.catalog)
    queries = load_queries(with_pooled=not args.initial_judgments)
    if args.split != "all":
        queries = [q for q in queries if q.split == args.split]

    systems: dict[str, Ranker] = {"moodrec": moodrec_ranker(songs)}
    if args.ablations:
        systems["-expansion"] = moodrec_ranker(songs, expand=False)
        systems["-spelling"] = moodrec_ranker(songs, spelling=False)
        systems["-polarity"] = moodrec_ranker(songs, polarity=0.0)
        systems["-associations"] = moodrec_ranker(songs, association_weight=0.0)
        systems["-learned"] = moodrec_ranker(songs, learned_weight=0.0)
        systems["-all (analyser only)"] = moodrec_ranker(songs, expand=False, spelling=False, polarity=0.0,
                                                        association_weight=0.0, learned_weight=0.0)
    if args.latent:
        systems["+latent (svd50, 0.2)"] = latent_blend_ranker(songs)
    systems["tfidf-plain"] = plain_tfidf_ranker(songs)
    bm = bm25s_ranker(songs)
    if bm is not None:
        systems["bm25s"] = bm
    else:
        print("(bm25s not installed: pip install -e '.[bench]' to compare with it)")

    results = {name: evaluate(rank, queries) for name, rank in systems.items()}
    n_kind = pd.Series([q.kind for q in queries]).value_counts()
    n_pooled = sum(len(v) for v in load_pooled().values()) if not args.initial_judgments else 0
    print(f"{len(queries)} judged queries over {len(songs)} songs (split: {args.split}; "
          f"{'initial judgments only' if not n_pooled else f'with {n_pooled} pooled grades'})\n")
    pd.set_option("display.width", 200)
    for metric in ("ndcg@5", "mrr", "recall@10", "judged@5"):
        table = summary(results, metric, "kind")
        table.insert(0, "n", [int(n_kind.get(i, len(queries))) for i in table.index])
        print(f"{metric} by kind")
        print(table.round(3).to_string())
        print()
    if args.split == "all":
        print("ndcg@5 by split (dev: tuned on; test: held out; fresh: written and judged after the engine was built)")
        print(summary(results, "ndcg@5", "split").round(3).to_string())
        print()
    if args.agreement:
        report_agreement(systems, queries)
    if args.feeling_oracle:
        report_feeling_oracle(songs, queries)
    if args.per_query:
        per = pd.DataFrame({name: df.set_index("query_id")["ndcg@5"] for name, df in results.items()})
        per.insert(0, "query", results["moodrec"].set_index("query_id")["query"])
        per.insert(0, "kind", results["moodrec"].set_index("query_id")["kind"])
        print(per.round(2).to_string())
    return 0


if __name__ == "__main__":
    sys.exit(main())
