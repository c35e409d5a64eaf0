"""Speed and memory benchmark: moodrec beside the plain way and bm25s, in one run.

    python benchmarks/speed.py                       # quick: 10k songs (well under a minute)
    python benchmarks/speed.py --sizes 10k,100k,1m   # the README table (1m takes ~15 minutes)

Catalogs come from a deterministic generator of realistic blurbs (30-80 words, Zipf-like
vocabulary of real blurb words, lexicon words and invented names; ``_generate.py``).  Queries
are varied: feeling words, misspellings, Korean, long sentences, negations.  Every system runs
in its own subprocess so that its peak memory is its own; all systems see the same catalog and
the same queries.

Measured per system and size: fit time and songs per second; peak resident memory during fit
(sampled every 5 ms) above the process's resident memory before fit, and per song; single-query
latency end to end (query analysis included), p50 and p99; batch throughput; for moodrec also
save size, load time and the first query's latency in a fresh process after load.

Systems:
  moodrec      moodrec.Recommender() defaults: lexicon expansion, spelling tolerance, polarity
               and proximity all on
  plain        scikit-learn TfidfVectorizer() + linear_kernel over the whole matrix + full argsort
  bm25s        bm25s (pip install -e ".[bench]"), when installed
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")  # pragma: no cover


class PeakRSS:
    """Samples this process's resident memory in a thread; ``peak`` in MB."""

    def __enter__(self) -> "PeakRSS":
        self.base = _rss_mb()
        self.peak = self.base
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, _rss_mb())

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss_mb())


def _latencies(fn, queries: list[str]) -> np.ndarray:
    out = []
    for q in queries:
        t = time.perf_counter()
        fn(q)
        out.append(time.perf_counter() - t)
    return np.array(out) * 1000.0


def _texts(catalog: str) -> list[str]:
    """The text each baseline indexes: title, artist and blurb of every song."""
    import pandas as pd

    df = pd.read_csv(catalog, dtype=str, keep_default_na=False)
    return [f"{t} {a} {b}" for t, a, b in zip(df["title"], df["artist"], df["blurb"])]


# ----------------------------------------------------------------------- child jobs
def job_moodrec(catalog: str, queries: list[str], batch: list[str], workdir: str) -> dict:
    import pandas as pd

    import moodrec

    df = pd.read_csv(catalog, dtype=str, keep_default_na=False)
    with PeakRSS() as mem:
        t = time.perf_counter()
        rec = moodrec.Recommender().fit(df)
        fit = time.perf_counter() - t
    del df
    lat = _latencies(lambda q: rec.recommend(q, 10), queries)
    t = time.perf_counter()
    rec.recommend_many(batch, 10)
    batch_s = time.perf_counter() - t
    model = Path(workdir) / "model"
    t = time.perf_counter()
    rec.save(model)
    save_s = time.perf_counter() - t
    size = sum(p.stat().st_size for p in model.rglob("*") if p.is_file())
    return {"fit_s": fit, "peak_mb": mem.peak - mem.base, "lat": lat.tolist(),
            "batch_qps": len(batch) / batch_s, "save_s": save_s, "size_mb": size / 2**20}


def job_moodrec_load(model: str, query: str) -> dict:
    import moodrec

    t = time.perf_counter()
    rec = moodrec.Recommender.load(model)
    load = time.perf_counter() - t
    t = time.perf_counter()
    rec.recommend(query, 10)
    first = time.perf_counter() - t
    t = time.perf_counter()
    rec2 = moodrec.Recommender.load(model, verify=False)
    load_nv = time.perf_counter() - t
    del rec2
    return {"load_s": load, "load_noverify_s": load_nv, "first_ms": first * 1000}


def job_plain(catalog: str, queries: list[str], batch: list[str], workdir: str) -> dict:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import linear_kernel

    texts = _texts(catalog)
    with PeakRSS() as mem:
        t = time.perf_counter()
        vec = TfidfVectorizer()
        matrix = vec.fit_transform(texts)
        fit = time.perf_counter() - t
    del texts

    def query(q: str) -> list[int]:
        scores = linear_kernel(vec.transform([q]), matrix).ravel()
        return np.argsort(-scores)[:10].tolist()

    lat = _latencies(query, queries)
    # the plain way has no batch path cheaper than a dense block of scores: do it in blocks of
    # queries that fit in memory (a block x songs float64 matrix), timing a bounded number
    batch = batch[: max(50, min(len(batch), 20_000_000 // matrix.shape[0] * 10))]
    t = time.perf_counter()
    step = max(1, 20_000_000 // matrix.shape[0])
    for i in range(0, len(batch), step):
        scores = linear_kernel(vec.transform(batch[i : i + step]), matrix)
        np.argsort(-scores, axis=1)[:, :10]
    batch_s = time.perf_counter() - t
    return {"fit_s": fit, "peak_mb": mem.peak - mem.base, "lat": lat.tolist(), "batch_qps": len(batch) / batch_s}


def job_bm25s(catalog: str, queries: list[str], batch: list[str], workdir: str) -> dict:
    import bm25s

    texts = _texts(catalog)
    with PeakRSS() as mem:
        t = time.perf_counter()
        retriever = bm25s.BM25()
        retriever.index(bm25s.tokenize(texts, stopwords="en", show_progress=False), show_progress=False)
        fit = time.perf_counter() - t
    n_docs = len(texts)
    del texts

    def query(q: str) -> None:
        tokens = bm25s.tokenize([q], stopwords="en", show_progress=False)
        if tokens.vocab:
            retriever.retrieve(tokens, k=10, show_progress=False)

    lat = _latencies(query, queries)
    if n_docs > 500_000:
        batch = batch[:200]  # ~0.15 s a query at 1M: a bounded batch still gives queries/s
    t = time.perf_counter()
    retriever.retrieve(bm25s.tokenize(batch, stopwords="en", show_progress=False), k=10, show_progress=False,
                       n_threads=1)
    batch_s = time.perf_counter() - t
    return {"fit_s": fit, "peak_mb": mem.peak - mem.base, "lat": lat.tolist(), "batch_qps": len(batch) / batch_s}


JOBS = {"moodrec": job_moodrec, "plain": job_plain, "bm25s": job_bm25s}


def _child(spec_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    if spec["job"] == "moodrec_load":
        out = job_moodrec_load(spec["model"], spec["query"])
    else:
        out = JOBS[spec["job"]](spec["catalog"], spec["queries"], spec["batch"], spec["workdir"])
    Path(spec["out"]).write_text(json.dumps(out), encoding="utf-8")


def _run_child(spec: dict, workdir: Path) -> dict:
    spec_path = workdir / f"spec-{spec['job']}.json"
    spec["out"] = str(workdir / f"out-{spec['job']}.json")
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")])
    proc = subprocess.run([sys.executable, __file__, "--child", str(spec_path)], env=env,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{spec['job']} failed:\n{proc.stderr[-3000:]}")
    return json.loads(Path(spec["out"]).read_text(encoding="utf-8"))


def _size(text: str) -> int:
    text = text.strip().lower()
    mult = {"k": 1_000, "m": 1_000_000}.get(text[-1], 1)
    return int(float(text[:-1] if text[-1] in "km" else text) * mult)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="10k", help="comma-separated catalog sizes, e.g. 10k,100k,1m")
    p.add_argument("--queries", type=int, default=300, help="single queries timed per system")
    p.add_argument("--batch", type=int, default=2000, help="queries in the batch measurement")
    p.add_argument("--child", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        _child(args.child)
        return 0

    from _generate import make_catalog, make_queries

    try:
        import bm25s  # noqa: F401

        systems = ["moodrec", "plain", "bm25s"]
    except ImportError:
        systems = ["moodrec", "plain"]
        print("(bm25s not installed: pip install -e '.[bench]' to compare with it)")
    queries = make_queries(args.queries, seed=11)
    batch = make_queries(args.batch, seed=12)
    rows = []
    for size in [_size(s) for s in args.sizes.split(",")]:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            catalog = work / "catalog.csv"
            make_catalog(size, seed=0).to_csv(catalog, index=False)
            for system in systems:
                # the plain way costs ~0.3 s a query at 1M: time fewer of them there
                n = args.queries if system != "plain" or size < 500_000 else max(30, args.queries // 6)
                spec = {"job": system, "catalog": str(catalog), "queries": queries[:n], "batch": batch,
                        "workdir": str(work)}
                r = _run_child(spec, work)
                lat = np.array(r["lat"])
                row = {
                    "songs": size, "system": system, "fit s": r["fit_s"], "songs/s": size / r["fit_s"],
                    "peak MB": r["peak_mb"], "KB/song": r["peak_mb"] * 1024 / size,
                    "p50 ms": float(np.median(lat)), "p99 ms": float(np.percentile(lat, 99)),
                    "batch q/s": r["batch_qps"],
                }
                if system == "moodrec":
                    loaded = _run_child({"job": "moodrec_load", "model": str(work / "model"),
                                         "query": queries[0]}, work)
                    row.update({"save MB": r["size_mb"], "load s": loaded["load_s"],
                                "load s (no verify)": loaded["load_noverify_s"],
                                "1st query ms": loaded["first_ms"]})
                rows.append(row)
                print(f"  measured {system} at {size:,} songs", file=sys.stderr, flush=True)

    import pandas as pd

    table = pd.DataFrame(rows)
    pd.set_option("display.width", 250)
    pd.set_option("display.max_columns", 30)
    print(table.to_string(index=False, float_format=lambda x: f"{x:,.2f}", na_rep="-"))
    print()
    for size in table["songs"].unique():
        sub = table[table["songs"] == size].set_index("system")
        if "moodrec" in sub.index:
            m = sub.loc["moodrec", "p50 ms"]
            ratios = ", ".join(f"{s} {sub.loc[s, 'p50 ms'] / m:,.1f}x" for s in sub.index if s != "moodrec")
            print(f"{size:,} songs: moodrec p50 is faster than {ratios} (ratio of p50 latencies)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
