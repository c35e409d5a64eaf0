"""Train moodrec's learned query-to-blurb similarity on the example songs.

    python scripts/train_learned.py            # rewrite src/moodrec/data/learned.npz (about 70 s)
    python scripts/train_learned.py --check    # exit 1 if the shipped model is stale

The model (``moodrec._learned``) is trained on ``data/examples.jsonl``: our
own invented songs, each with a blurb and the queries a listener would type
for it.  It depends on the examples, on moodrec's analyser (its stems and
its word lists) and on how it is trained, so the shipped model records the
examples' SHA-256, the analyser's version, its word lists' SHA-256 and the
training's version; ``--check`` (run by the tests) says when a retrain is
due.  Training is plain numpy with a fixed seed; floating-point sums may
differ in the last bits between machines, so the check compares what the
model was trained on, not its numbers.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "src" / "moodrec" / "data" / "learned.npz"
ANALYZER_DATA = ("language.json", "common_words_en.txt")
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))
from build_associations import EXAMPLES, load_examples  # the one reader of the examples


def examples_sha256(path: Path = EXAMPLES) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def analyzer_data_sha256() -> str:
    """The analyser's word lists (language rules, common English words):
    they decide terms too, as its version does."""
    h = hashlib.sha256()
    for name in ANALYZER_DATA:
        h.update((ROOT / "src" / "moodrec" / "data" / name).read_bytes())
    return h.hexdigest()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--check", action="store_true", help="only check that the shipped model is up to date")
    args = p.parse_args(argv)
    from moodrec._learned import TRAINING_VERSION, shipped, train
    from moodrec._text import ANALYZER_VERSION, Analyzer

    want = {"examples_sha256": examples_sha256(), "analyzer_version": ANALYZER_VERSION,
            "analyzer_data_sha256": analyzer_data_sha256(), "training_version": TRAINING_VERSION}
    if args.check:
        have = shipped().info if MODEL.exists() else {}
        stale = {k: (have.get(k), v) for k, v in want.items() if have.get(k) != v}
        if stale:
            print(f"{MODEL.relative_to(ROOT)} is stale ({stale}): run python scripts/train_learned.py")
            return 1
        print(f"{MODEL.relative_to(ROOT)} is up to date ({have['examples']} examples)")
        return 0
    model = train(load_examples(), Analyzer(), log=print)
    model.info.update(want)
    model.save_npz(MODEL)
    print(f"wrote {MODEL.relative_to(ROOT)}: {len(model)} words x {model.dim}, "
          f"{MODEL.stat().st_size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
