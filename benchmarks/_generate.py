"""Deterministic generator of realistic synthetic catalogs and queries.

Blurbs are 30 to 80 words drawn from a Zipf-like distribution over a vocabulary
that mixes the words real blurbs use (taken from the bundled catalog), the
mood lexicon's words, and invented names and places, so term statistics look
like a large real catalog: a few very common words, a long tail of rare ones.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
_SYLLABLES = ["ka", "mi", "ro", "sen", "ta", "lu", "ne", "jin", "so", "ha", "yu", "ri", "bo", "dan", "el", "mor"]


def _vocabulary(rng: np.random.Generator, n_invented: int = 60_000) -> list[str]:
    songs = pd.read_csv(ROOT / "data" / "songs.csv", dtype=str, keep_default_na=False)
    counts: dict[str, int] = {}
    for blurb in songs["blurb"]:
        for w in re.findall(r"[a-z']+", blurb.lower()):
            counts[w] = counts.get(w, 0) + 1
    lex = json.loads((ROOT / "src" / "moodrec" / "data" / "lexicon.json").read_text(encoding="utf-8"))
    for f in lex["feelings"]:
        for w in list(f["related"]) + [c for c in f["cues"] if c.isascii()]:
            for part in w.lower().split():
                counts.setdefault(part, 1)
    real = sorted(counts, key=lambda w: (-counts[w], w))
    invented = set()
    while len(invented) < n_invented:
        k = int(rng.integers(2, 5))
        invented.add("".join(rng.choice(_SYLLABLES, size=k)))
    return real + sorted(invented)


def make_catalog(n: int, seed: int = 0) -> pd.DataFrame:
    """A catalog of ``n`` synthetic songs (song_id, title, artist, blurb)."""
    rng = np.random.default_rng(seed)
    vocab = np.array(_vocabulary(rng), dtype=object)
    ranks = np.arange(1, len(vocab) + 1, dtype=np.float64)
    p = 1.0 / ranks**1.05
    p /= p.sum()
    lengths = rng.integers(30, 81, size=n)
    cdf = np.cumsum(p)
    words = np.minimum(np.searchsorted(cdf, rng.random(int(lengths.sum()))), len(vocab) - 1)
    tokens = vocab[words].tolist()
    blurbs = []
    pos = 0
    for length in lengths.tolist():
        blurbs.append(" ".join(tokens[pos : pos + length]))
        pos += length
    tw = vocab[np.minimum(np.searchsorted(cdf, rng.random(2 * n)), len(vocab) - 1)].tolist()
    titles = [f"{tw[2 * i]} {tw[2 * i + 1]}".title() for i in range(n)]
    artists = [f"Artist {int(a)}" for a in rng.integers(0, max(1, n // 8), size=n)]
    return pd.DataFrame(
        {"song_id": [f"s{i}" for i in range(n)], "title": titles, "artist": artists, "blurb": blurbs}
    )


def make_queries(n: int, seed: int = 1) -> list[str]:
    """Varied queries: short feelings, typos, Korean, long sentences."""
    rng = np.random.default_rng(seed)
    lex = json.loads((ROOT / "src" / "moodrec" / "data" / "lexicon.json").read_text(encoding="utf-8"))
    en = [c for f in lex["feelings"] for c in f["cues"] if c.isascii()]
    ko = [c for f in lex["feelings"] for c in f["cues"] if not c.isascii()]
    fillers = ["i feel like", "tonight", "after work", "my friend said", "since last week", "and honestly",
               "at the station", "in the rain", "again", "so much"]
    out = []
    for i in range(n):
        kind = i % 5
        if kind == 0:
            out.append(str(rng.choice(en)))
        elif kind == 1:
            w = list(str(rng.choice([c for c in en if len(c) > 5])))
            j = int(rng.integers(1, len(w) - 1))
            w[j], w[j + 1] = w[j + 1], w[j]
            out.append("".join(w))
        elif kind == 2:
            out.append(f"{rng.choice(ko)} {rng.choice(['밤', '노래', '날', ''])}".strip())
        elif kind == 3:
            parts = [str(rng.choice(fillers)) if j % 2 else str(rng.choice(en)) for j in range(6)]
            out.append(" ".join(parts))
        else:
            out.append(f"not {rng.choice(en)}, {rng.choice(en)}")
    return out
