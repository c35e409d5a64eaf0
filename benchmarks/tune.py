"""Parameter search on the dev half of the judged queries; the test half is reported, never used.

    python benchmarks/tune.py            # grid search, prints the best settings by dev nDCG@5

Fit-time parameters (field weights) are refitted; query-time parameters are set on the fitted
recommender.  The default parameters of ``moodrec.Recommender`` were chosen with this script.
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from quality import load_queries, ndcg_at  # noqa: E402

import moodrec  # noqa: E402

FIT_GRID = {"title_weight": [1.0], "tag_weight": [1.5], "feeling_weight": [2.0, 6.0, 10.0]}
QUERY_GRID = {
    "expansion_weight": [0.6, 1.0, 2.0, 3.0],
    "context_weight": [0.6, 0.8],
    "polarity": [0.8],
    "proximity": [0.2, 0.4, 0.6],
    "association_weight": [0.35, 0.75, 1.0],
    "learned_weight": [1.0, 1.5, 2.0],
}


def main() -> int:
    songs = moodrec.load_songs()
    queries = load_queries()
    dev = [q for q in queries if q.split == "dev"]
    test = [q for q in queries if q.split == "test"]
    rows = []
    for fit_values in itertools.product(*FIT_GRID.values()):
        fit_params = dict(zip(FIT_GRID, fit_values))
        rec = moodrec.Recommender(**fit_params).fit(songs)
        for q_values in itertools.product(*QUERY_GRID.values()):
            q_params = dict(zip(QUERY_GRID, q_values))
            rec.set_params(**q_params)

            def score(qs: list) -> float:
                return float(np.mean([ndcg_at(rec.recommend(q.query, 5).song_ids, q.grades) for q in qs]))

            rows.append((score(dev), {**fit_params, **q_params}, rec))
    rows.sort(key=lambda r: -r[0])
    print("best settings by dev nDCG@5 (test shown, not used to choose):")
    for dev_score, params, _ in rows[:10]:
        rec = moodrec.Recommender(**params).fit(songs)
        test_score = float(np.mean([ndcg_at(rec.recommend(q.query, 5).song_ids, q.grades) for q in test]))
        print(f"  dev {dev_score:.3f}  test {test_score:.3f}  {params}")
    defaults = moodrec.Recommender().fit(songs)
    d = float(np.mean([ndcg_at(defaults.recommend(q.query, 5).song_ids, q.grades) for q in dev]))
    print(f"current defaults: dev {d:.3f}  {defaults.get_params()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
