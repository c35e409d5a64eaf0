"""Draw the README's pictures: the mood map and a score chart.

    python docs/make_pictures.py            # writes docs/mood_map.png and docs/scores.png
    python docs/make_pictures.py --out DIR  # somewhere else

Uses the public API only (``import moodrec``) plus matplotlib and scikit-learn,
so it doubles as an example of drawing moodrec's results yourself.  The layout
is fixed by ``random_state``: rerunning gives the same pictures.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # a script that writes files: never open a window

import matplotlib.patheffects as pe  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402
from sklearn.decomposition import TruncatedSVD  # noqa: E402
from sklearn.manifold import TSNE  # noqa: E402
from sklearn.preprocessing import normalize  # noqa: E402

import moodrec  # noqa: E402

HERE = Path(__file__).resolve().parent

# The catalog gives each song a few moods, strongest first; the map colours a
# song by the family of its first mood, so four colours tell the story instead
# of nineteen.
MOOD_FAMILIES: dict[str, tuple[str, ...]] = {
    "heartache": ("heartbroken", "regretful", "grieving", "sad"),
    "longing & loneliness": ("longing", "lonely", "weary", "anxious", "bittersweet"),
    "warm & comforting": ("comforting", "hopeful", "grateful", "nostalgic", "dreamy"),
    "bright & in love": ("upbeat", "romantic", "playful", "empowering", "happy"),
}
FAMILY_COLOURS = {
    "heartache": "#c0392b",
    "longing & loneliness": "#6a5acd",
    "warm & comforting": "#e69f00",
    "bright & in love": "#009e73",
    "other": "#9e9e9e",
}
REASON_COLOURS = {"word": "#6a5acd", "feeling": "#e69f00", "spelling": "#56b4e9", "mood": "#9e9e9e"}
REASON_NAMES = {
    "word": "a word of the query",
    "feeling": "a feeling the query expresses",
    "spelling": "a corrected spelling",
    "mood": "mood agreement",
}

MAP_QUERIES = ("drinking alone", "first love", "thank you, mom", "graduation with friends")
SCORE_QUERY = "drinking alone"


def mood_family(moods: object) -> str:
    """The family of a song's first mood ("other" when it has none we know)."""
    first = str(moods).split(";")[0].strip() if isinstance(moods, str) else ""
    for family, members in MOOD_FAMILIES.items():
        if first in members:
            return family
    return "other"


def label_of(title: str, song_id: str) -> str:
    # matplotlib's default font has no Hangul or kana: a title in those scripts
    # would be drawn as empty boxes, so such a song is labelled by its id.
    return title if all(ord(c) < 0x2E80 for c in title) else song_id


def project(rec: moodrec.Recommender, queries: Sequence[str], random_state: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """2-D positions of the songs and of the queries, laid out together.

    The song vectors (``rec.matrix_``) and the query vectors
    (``rec.transform``) live in the same TF-IDF space; TruncatedSVD keeps its
    10 strongest directions, and t-SNE (cosine distance) lays those out in
    2-D.  The queries join the layout, so each lands among the songs it is
    closest to.  ``method="exact"`` because Barnes-Hut gains nothing on a few
    hundred points and can crawl when OpenMP threads fight for few cores.
    """
    vectors = sp.vstack([rec.matrix_, rec.transform(list(queries))]).tocsr()
    reduced = normalize(TruncatedSVD(10, random_state=random_state).fit_transform(vectors))
    perplexity = min(15.0, (vectors.shape[0] - 1) / 3)
    xy = TSNE(2, perplexity=perplexity, metric="cosine", init="pca", method="exact",
              random_state=random_state).fit_transform(reduced)
    n = rec.matrix_.shape[0]
    return xy[:n], xy[n:]


def _spread_labels(ax: plt.Axes, points: np.ndarray, labels: Sequence[str], gap: tuple[float, float],
                   taken: Sequence[tuple[float, float]] = ()) -> None:
    """Label points in the order given, skipping one that would sit on a label already placed.

    ``gap`` is the (x, y) room a label needs: wide and flat, like the text;
    ``taken`` are places kept free for other labels.
    """
    placed: list[tuple[float, float]] = [tuple(t) for t in taken]
    for (x, y), text in zip(points, labels):
        if any(abs(x - px) < gap[0] and abs(y - py) < gap[1] for px, py in placed):
            continue
        placed.append((x, y))
        ax.annotate(text, (x, y), xytext=(4, 3), textcoords="offset points", fontsize=8, color="#222222",
                    path_effects=[pe.withStroke(linewidth=2.5, foreground="white")])


def _middle(songs: np.ndarray, span: np.ndarray) -> float:
    return float(songs[:, 0].min() + span[0] / 2)


def _query_label_room(where: np.ndarray, songs: np.ndarray, span: np.ndarray) -> list[tuple[float, float]]:
    """Where the queries' labels go (under the star, written towards the middle), kept free of song labels."""
    room = []
    for x, y in where:
        towards = -1 if x > _middle(songs, span) else 1
        room += [(x + towards * step * span[0], y - span[1] * 0.03) for step in (0.0, 0.1, 0.2)]
    return room


def draw_mood_map(rec: moodrec.Recommender, queries: Sequence[str] = MAP_QUERIES, ax: plt.Axes | None = None) -> plt.Axes:
    """The catalog as a map: one dot per song, coloured by mood family, queries as stars."""
    if ax is None:
        _, ax = plt.subplots(figsize=(11, 8))
    songs, where = project(rec, queries)
    catalog = rec.catalog_
    families = catalog["moods"].map(mood_family).to_numpy() if "moods" in catalog else np.full(len(catalog), "other")
    for family, colour in FAMILY_COLOURS.items():
        mask = families == family
        if mask.any():
            ax.scatter(songs[mask, 0], songs[mask, 1], s=28, c=colour, alpha=0.8, edgecolors="white",
                       linewidths=0.5, label=f"{family} ({mask.sum()})")

    # Label the songs each query recommends first, then a few more around the map.
    order: list[int] = []
    for query in queries:
        for song_id in rec.recommend(query, k=3).song_ids:
            row = rec.song_ids_.index(song_id)
            if row not in order:
                order.append(row)
    order += [i for i in np.random.default_rng(0).permutation(len(catalog))[:40] if i not in order]
    span = np.ptp(songs, axis=0)
    _spread_labels(ax, songs[order], [label_of(catalog["title"].iat[i], catalog["song_id"].iat[i]) for i in order],
                   (span[0] * 0.13, span[1] * 0.04),
                   taken=_query_label_room(where, songs, span))

    ax.scatter(where[:, 0], where[:, 1], marker="*", s=320, c="black", edgecolors="white", zorder=3,
               label="a query")
    middle = _middle(songs, span)
    for (x, y), query in zip(where, queries):
        right = x > middle  # write towards the middle, so the label stays inside the frame
        ax.annotate(f'"{query}"', (x, y), xytext=(-8 if right else 8, -14), textcoords="offset points",
                    ha="right" if right else "left", fontsize=11, weight="bold", zorder=4,
                    path_effects=[pe.withStroke(linewidth=3, foreground="white")])
    ax.margins(0.06)
    ax.set_title(f"moodrec's mood map: {len(catalog)} songs by the words of their blurbs\n"
                 "(TF-IDF -> TruncatedSVD(10) -> t-SNE; nearby songs are described alike)", fontsize=12)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.legend(loc="best", title="first mood of the song", fontsize=9, framealpha=0.9)
    return ax


def _short(reason: moodrec.Reason) -> str:
    """The best reason in a few words, for the end of a bar."""
    text = f'mentions "{reason.label}"' if reason.kind == "word" else (
        f"feels like {reason.label}" if reason.kind == "feeling" else reason.label)
    return label_of(text, "")


def draw_scores(recs: moodrec.Recommendations, ax: plt.Axes | None = None) -> plt.Axes:
    """Horizontal bars of the scores, each split by the reasons' shares of the score."""
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 0.5 * len(recs) + 1.5))
    names = [f"{m.rank}. {label_of(m.title, m.song_id)} - {label_of(m.artist, m.song_id)}" for m in recs]
    y = np.arange(len(recs))[::-1]
    seen: set[str] = set()
    for yi, m in zip(y, recs):
        left = 0.0
        for r in m.reasons:
            width = m.score * r.share
            if width <= 0:
                continue
            kind = r.kind if r.kind in REASON_COLOURS else "word"
            ax.barh(yi, width, left=left, color=REASON_COLOURS[kind], edgecolor="white", height=0.7,
                    label=REASON_NAMES[kind] if kind not in seen else None)
            seen.add(kind)
            left += width
        top = next((r for r in m.reasons if r.share > 0 and r.kind != "mood"), None)
        note = f"{m.score:.3f}" + (f"  {_short(top)}" if top is not None else "")
        ax.text(m.score, yi, "  " + note, va="center", fontsize=9)
    ax.set_yticks(y, names, fontsize=10)
    best = max((m.score for m in recs), default=1.0)
    ax.set_xlim(0, best * 1.7)
    ax.set_xlabel("score (cosine similarity of the query and the song's blurb, 0 to 1)")
    ax.set_title(f'moodrec.recommend("{recs.query}"): scores, split by what earned them', fontsize=12)
    ax.legend(loc="lower right", fontsize=9, title="share of the score from")
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=HERE, help="folder for the PNGs (default: docs/)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    rec = moodrec.Recommender().fit(moodrec.load_songs())

    fig, ax = plt.subplots(figsize=(11, 8))
    draw_mood_map(rec, MAP_QUERIES, ax)
    fig.tight_layout()
    fig.savefig(args.out / "mood_map.png", dpi=100)
    plt.close(fig)

    recs = rec.recommend(SCORE_QUERY, k=10)
    fig, ax = plt.subplots(figsize=(10, 0.5 * len(recs) + 1.5))
    draw_scores(recs, ax)
    fig.tight_layout()
    fig.savefig(args.out / "scores.png", dpi=100)
    plt.close(fig)
    for name in ("mood_map.png", "scores.png"):
        print(args.out / name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
