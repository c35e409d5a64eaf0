"""Build moodrec's word associations from the example songs.

    python scripts/build_associations.py            # rewrite src/moodrec/data/associations.json
    python scripts/build_associations.py --check    # exit 1 if the shipped table is stale

``data/examples.jsonl`` holds invented songs we wrote, one JSON object per
line: ``id``, ``title``, ``artist``, ``genre``, ``blurb`` (a curator's
description) and ``queries`` (what a listener would type when the song is
the best pick).  No catalog song and no judged query is among them.  The
table depends on the examples and on moodrec's analyser (its stems), so a
change to either calls for a rebuild; ``--check`` (run by the tests) says
when one is due.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "data" / "examples.jsonl"
TABLE = ROOT / "src" / "moodrec" / "data" / "associations.json"


def load_examples(path: Path = EXAMPLES) -> list[dict]:
    out = []
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                e = json.loads(line)
            except json.JSONDecodeError as exc:
                raise SystemExit(f"{path}:{n}: not JSON: {exc}") from None
            if not isinstance(e.get("blurb"), str) or not isinstance(e.get("queries"), list):
                raise SystemExit(f"{path}:{n}: needs a 'blurb' string and a 'queries' list")
            out.append(e)
    return out


def build_text(examples: list[dict]) -> str:
    sys.path.insert(0, str(ROOT / "src"))
    from moodrec._associations import build_table, dump_table
    from moodrec._text import Analyzer

    table, display = build_table(examples, Analyzer())
    return dump_table(table, display, len(examples))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--check", action="store_true", help="only check that the shipped table is up to date")
    args = p.parse_args(argv)
    examples = load_examples()
    text = build_text(examples)
    if args.check:
        if not TABLE.exists() or TABLE.read_text(encoding="utf-8") != text:
            print(f"{TABLE.relative_to(ROOT)} is stale: run python scripts/build_associations.py")
            return 1
        print(f"{TABLE.relative_to(ROOT)} is up to date ({len(examples)} examples)")
        return 0
    TABLE.write_text(text, encoding="utf-8")
    n = len(json.loads(text)["terms"])
    print(f"wrote {TABLE.relative_to(ROOT)}: {n} query words from {len(examples)} examples")
    return 0


if __name__ == "__main__":
    sys.exit(main())
