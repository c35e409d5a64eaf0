"""The Recommender: fit a catalog, then recommend songs for a feeling.

How a query is understood, in order:

1. **Analysis** (``_text``): normalised words, Korean particles split off,
   English stemmed, stop words (function words only) set aside.
2. **Spelling**: a word the catalog and the lexicon do not know is read as the
   nearest known word (character trigrams, then edit distance), so "lonley"
   and "hartache" still land.
3. **Negation**: "not sad", "안 슬픈", "슬프지 않은" mark the words they govern.
4. **Feelings** (``_lexicon``): cues such as "she left me" or "헤어진" say which
   feelings the query expresses; their related words (what curators write:
   parting, farewell ...) are added with weights below the user's own words.
   Words outside any cue count less once a feeling is found, so the feeling
   carries a long sentence, not its filler.
5. **Scoring**: cosine similarity between the query's TF-IDF vector and every
   song it touches in a term-major index, then a polarity factor that lowers
   songs whose emotional direction opposes the query's ("upbeat love songs"
   do not get tear-jerkers), and a partial top-k selection.
"""

from __future__ import annotations

import heapq
import math
import numbers
import os
import re
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.feature_extraction.text import TfidfTransformer

from ._associations import Associations
from ._catalog import CatalogLike, split_list, validate_catalog
from ._index import _DECIMALS, _SLACK, InvertedIndex, Scorer, SpellIndex, _kth, top_k
from ._learned import LearnedModel, query_terms
from ._learned import shipped as shipped_learned
from ._lexicon import Lexicon
from ._results import Match, Reason, Recommendations
from ._store import ColumnStore, plain
from ._text import TEXT_BREAK, Analyzer, Token, joined_words
from .exceptions import NotFittedError, UnknownSongError

__all__ = ["Recommender", "QueryPlan", "check_query", "check_k"]

#: Queries are analysed up to this many characters: a feeling fits in far
#: fewer, and the cap bounds the work a single request can cost a server.
MAX_QUERY_CHARS = 20_000
#: At most this many query words are spell-corrected per query.
MAX_CORRECTIONS = 16
#: Weight of a feeling's own term in its expansion (its words weigh 0.15 to 0.8).
_FEELING_TERM_WEIGHT = 2.0
# Share of its score a song loses when it is not of the genre a query asks for.
_GENRE_PENALTY = 0.8
# How much more a tone word ("fun", "upbeat", "not weepy") weighs in a query's
# direction than the situation it names.
_TONE_WEIGHT = 3.0
#: Up to this many distinct words of its own, a query gets its full expansion.
_LITERAL_WORDS_AT_FULL_EXPANSION = 4
#: a Korean word's English translation against a word the user typed, and a
#: translation's alternatives (after the first) against the first
_TRANSLATION_WEIGHT = 0.8
_TRANSLATION_ALTERNATIVE = 0.6
#: A query is expanded by at most this many feelings ...
MAX_FEELINGS = 4
#: ... each with at most this many of its words (its strongest, by weight x idf).
MAX_EXPANSION = 24
#: A query's learned associations (``Associations``) add at most this many words.
MAX_ASSOCIATIONS = 8
#: ...and only those at least this share of its strongest: the weak tail
#: moves few songs and costs a column read each at scale.
_ASSOCIATION_FLOOR = 0.2
#: ...and whose columns hold at most this many postings together: at a
#: million songs a word in a large share of them costs a long read and says
#: little (p50 +5% instead of +21% over no associations, paired; 25,000
#: gave +11%); a catalog of fewer songs than this / MAX_ASSOCIATIONS (1,250)
#: is never limited by it.
_ASSOCIATION_POSTINGS = 10_000
#: The learned similarity (``LearnedModel``) reorders the engine's best
#: this many songs (or k, when more) in catalogs of up to ``_WIDE_LIMIT``
#: songs, and its best ``_RERANK_DEPTH_LARGE`` (or k) in larger ones: at a
#: million songs asking the engine for its best 20 instead of 10 costs 16%
#: more per query (paired).  On the judged queries the best 10 keep nearly
#: all of the gain (nDCG@5 0.676 against 0.678 for the best 20); on one fold
#: of unseen catalogs most of it (MRR@10 0.454 against 0.463).  The window
#: does not depend on k up to its size, so the first songs for k=5 and k=10
#: are the same.  A query of more than four words (``_LEARNED_REF_WORDS``)
#: has its window grow with its words, up to ``_RERANK_DEPTH_MAX``: the
#: learned similarity weighs more there and finds fitting songs further
#: down the engine's ranking (dev nDCG@5 0.698 against 0.693, long queries
#: 0.728 against 0.709 over all splits).
_RERANK_DEPTH = 20
_RERANK_DEPTH_MAX = 100
_RERANK_DEPTH_LARGE = 10
_WIDE_LIMIT = 200_000
#: When the engine finds fewer songs than that in a catalog of at most this
#: many, the learned model's best of the others (above ``_LEARNED_FLOOR``)
#: join: a dense pass over every song's vector costs well under a
#: millisecond there, and a query in words no blurb uses still finds songs.
_DENSE_LIMIT = 20_000
#: The learned similarity counts from this cosine up (below it, against): a
#: query and an unrelated blurb score about 0 (0.17 at the 90th percentile
#: over the judged queries and the bundled songs), so a song the engine does
#: not find comes back only when it is clearly close in meaning.  Ranking
#: does not depend on it, only which songs score above 0.
_LEARNED_FLOOR = 0.15
#: ``learned_weight`` is the weight for a query of this many words (stop
#: words aside); a query's weight grows with its words: one word is matched
#: mostly as typed, a long message is read mostly as a whole.  Against one
#: weight for every query: dev nDCG@5 0.693 against 0.686, and all judged
#: queries higher for each of four training seeds (+0.003 to +0.009); on two
#: folds of unseen catalogs MRR@10 about the same (0.399 and 0.404 against
#: 0.397 and 0.405).
_LEARNED_REF_WORDS = 4
_CORE_COLUMNS = ("song_id", "title", "artist")
_CLAUSE_SPLIT = re.compile(r"[.,;:!?\n]+")
# Looking a word up in a song's row costs about as much as this many postings
# of a word's column (a gather and a binary search against a mark and a test).
_ROW_COST = 4


def check_query(query: Any) -> str:
    """Validate a query: a non-blank str (TypeError / ValueError otherwise)."""
    if not isinstance(query, str):
        raise TypeError(f"query must be a str, got {type(query).__name__}")
    if not query.strip():
        raise ValueError("query is empty: describe a feeling, e.g. 'drinking alone'")
    return query


def check_k(k: Any) -> int:
    """Validate k: a positive int (bool is not an int here)."""
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    return int(k)


@dataclass
class QueryPlan:
    """A query as the engine understood it (see ``Recommender.analyze``)."""

    query: str
    terms: np.ndarray  # term ids in the index
    weights: np.ndarray  # L2-normalised query weights (TF-IDF)
    sources: list[tuple[str, str]]  # per term: (kind, label) that gave it its weight
    feelings: list[str] = field(default_factory=list)  # labels of the feelings found
    negated: list[str] = field(default_factory=list)  # feelings or words negated
    corrections: dict[str, str] = field(default_factory=dict)  # typed -> read as
    valence: float = 0.0  # -1 (sad) .. +1 (bright); 0 when the query says nothing
    pairs: list[tuple[str, str]] = field(default_factory=list)  # adjacent query words, for proximity
    genres: list[str] = field(default_factory=list)  # genres asked for (terms songs carry)
    genres_out: list[str] = field(default_factory=list)  # genres ruled out ("no trot")
    #: The same vector as it is scored: the query's own words ``(term ids,
    #: weights)`` and each feeling's expansion as one precomputed column
    #: ``(feeling ids, weights)``; None scores ``terms`` and ``weights`` as they are.
    scoring: tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]] | None = None
    #: proximity shares already computed for this query, by row (ranking and
    #: explaining the results read a song's text once)
    shares: dict[int, float] = field(default_factory=dict, repr=False, compare=False)
    #: the query's unit vector in the learned model (None: no known word, or none in use)
    learned: np.ndarray | None = field(default=None, repr=False, compare=False)
    #: the learned similarity's weight for this query (see ``_LEARNED_REF_WORDS``)
    learned_weight: float = 0.0
    #: the query's distinct words, stop words aside (a Korean word and its
    #: stem are one word): they set the learned weight and the re-ranking window
    words: int = 0
    #: by row: (engine part, learned part) of the final score, for explanations
    parts: dict[int, tuple[float, float]] = field(default_factory=dict, repr=False, compare=False)


class Recommender(BaseEstimator):
    """Recommends songs for a feeling typed in free text.

    Parameters
    ----------
    expand : bool, default True
        Expand queries with the mood lexicon's related words.
    expansion_weight : float, default 2.0
        Mass of the feelings' expansions in the query vector relative to the
        words the user typed (1.0); it shrinks past four words of the user's
        own, so a long query is carried by its own words.
    context_weight : float, default 0.8
        Weight of query words outside any feeling cue, once a feeling is found.
    spelling : bool, default True
        Read unknown query words as the nearest known word.
    polarity : float, default 0.8
        How strongly a clash of emotional direction (bright query, sad song)
        lowers a song's score; 0 turns it off.
    proximity : float, default 0.4
        How much lower a song ranks when the query's adjacent words ("drinking
        alone") stand apart in its text rather than side by side; 0 turns it off.
    title_weight, artist_weight, tag_weight : float
        Weight of title, artist and curated tags (themes, moods) relative to
        the blurb when building each song's text vector.
    feeling_weight : float, default 6.0
        Weight of the feeling features: how strongly each song expresses each
        feeling of the lexicon, judged from its blurb.  Queries that express a
        feeling meet songs through them even when no word is shared.
    association_weight : float, default 1.0
        Mass of the words the query's words are associated with (learned
        from example songs: "pal" goes with "friend") relative to the query's
        own words; 0 turns associations off.
    learned_weight : float, default 1.5
        Weight of the learned similarity between the whole query and each
        blurb (``moodrec._learned``, trained on example songs we wrote)
        against the engine's score, which counts 1, for a query of four
        words; a query's weight grows with its words (a fourth of this for
        one word, three times it for twelve): it finds songs that fit a
        query's meaning when few of its words do.  It reorders the engine's
        best 20 songs (5 per word for a query of more than four, at most
        100; or k, when more; 10 in catalogs of over 200,000 songs, for
        speed), and in catalogs of up to 20,000 songs brings in songs the
        engine does not find when it finds fewer.  0 turns it off.

    Examples
    --------
    >>> import moodrec
    >>> rec = moodrec.Recommender().fit(moodrec.load_songs())
    >>> rec.recommend("drinking alone", k=1)[0].title
    'Lonely night'
    """

    def __init__(
        self,
        *,
        expand: bool = True,
        expansion_weight: float = 2.0,
        context_weight: float = 0.8,
        spelling: bool = True,
        polarity: float = 0.8,
        proximity: float = 0.4,
        title_weight: float = 1.0,
        artist_weight: float = 1.0,
        tag_weight: float = 1.5,
        feeling_weight: float = 6.0,
        association_weight: float = 1.0,
        learned_weight: float = 1.5,
    ) -> None:
        self.expand = expand
        self.expansion_weight = expansion_weight
        self.context_weight = context_weight
        self.spelling = spelling
        self.polarity = polarity
        self.proximity = proximity
        self.title_weight = title_weight
        self.artist_weight = artist_weight
        self.tag_weight = tag_weight
        self.feeling_weight = feeling_weight
        self.association_weight = association_weight
        self.learned_weight = learned_weight

    # ------------------------------------------------------------------- fit
    def fit(self, songs: CatalogLike) -> "Recommender":
        """Fit on a catalog: a DataFrame or a CSV path.

        The catalog needs ``title``, ``artist`` and ``blurb``; ``song_id`` is
        optional and every other column comes back in results.  The catalog is
        copied: changing it afterwards does not change the recommender.

        Returns
        -------
        self
        """
        self._check_params()
        catalog = validate_catalog(songs)
        analyzer = Analyzer()
        lexicon = Lexicon(analyzer=analyzer)
        self._fit_catalog(catalog, analyzer, lexicon, Associations(), shipped_learned())
        return self

    def _check_params(self) -> None:
        for name in ("expansion_weight", "context_weight", "polarity", "proximity", "title_weight", "artist_weight",
                     "tag_weight", "feeling_weight", "association_weight", "learned_weight"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(v) or v < 0:
                raise ValueError(f"{name} must be a finite number >= 0, got {v!r}")
        for name in ("polarity", "proximity"):
            v = getattr(self, name)
            if v > 1:
                raise ValueError(f"{name} must be between 0 and 1, got {v!r}")

    def _song_fields(self, catalog: pd.DataFrame, analyzer: Analyzer) -> dict[str, list[str]]:
        """The text of each field of every song (missing cells as ""), blurbs
        without what they say a song is not (``Analyzer.drop_contrasts``)."""

        def col(name: str) -> list[str]:
            if name not in catalog.columns:
                return [""] * len(catalog)
            return [v if type(v) is str else "" if v is None or v is pd.NA else str(v)
                    for v in catalog[name].tolist()]

        def joined(first: str, second: str) -> list[str]:
            if second not in catalog.columns:
                return [v + " " for v in col(first)]  # " ".join((v, "")), without the tuples
            return [" ".join(parts) for parts in zip(col(first), col(second))]

        return {
            "blurb": [analyzer.drop_contrasts(b) if b else b for b in col("blurb")],
            "title": joined("title", "title_ko"),
            "artist": joined("artist", "artist_ko"),
            "themes": [t.replace(";", " ").replace("-", " ") if t else t for t in col("themes")],
            "moods": [t.replace(";", " ").replace("-", " ") if t else t for t in col("moods")],
        }

    def _fit_catalog(self, catalog: pd.DataFrame, analyzer: Analyzer, lexicon: Lexicon,
                     associations: Associations, learned: LearnedModel | None = None) -> None:
        n = len(catalog)
        vocab: dict[str, int] = {}
        fields = self._song_fields(catalog, analyzer)
        counts = {name: _count_matrix(texts, analyzer, vocab) for name, texts in fields.items()}
        n_words = len(vocab)
        for name in counts:
            counts[name].resize((n, n_words))
        weights = {
            "blurb": 1.0,
            "title": float(self.title_weight),
            "artist": float(self.artist_weight),
            "themes": float(self.tag_weight),
            "moods": float(self.tag_weight),
        }
        words = None
        for f, w in weights.items():
            if w > 0:
                # the first field as it is (0 + x == x): one sum of a whole catalog less
                words = counts[f] * np.float32(w) if words is None else words + counts[f] * np.float32(w)
        if words is None:
            words = sp.csr_matrix((n, n_words), dtype=np.float32)

        # Emotional direction of each song: mean valence of its emotional words
        # (title and blurb; curated moods count double), shrunk towards 0 when
        # it has few.
        val = np.zeros(n_words)
        has = np.zeros(n_words)
        for t, v in lexicon.valence.items():
            j = vocab.get(t)
            if j is not None:
                val[j] = v
                has[j] = 1.0
        text = (counts["blurb"] + counts["title"]).tocsr()
        total = text @ val + 2.0 * (counts["moods"] @ val)
        count = text @ has + 2.0 * (counts["moods"] @ has)
        valence = np.where(count > 0, total / (count + 2.0), 0.0)

        # Feeling features: each feeling of the lexicon is also a term ("~name"),
        # present in a song as strongly as its blurb uses the feeling's words.
        # A query that expresses the feeling in words no blurb uses still meets
        # every song that expresses it in any of the lexicon's words.
        terms = [""] * n_words
        for t, j in vocab.items():
            terms[j] = t
        # built from a dict, not a lil_matrix, whose Python list per term
        # costs seconds at a million songs' vocabulary
        feeling_cells: dict[tuple[int, int], float] = {}
        for fi, f in enumerate(lexicon.feelings):
            for term, w, _word in f.related:
                j = vocab.get(term)
                if j is not None:
                    feeling_cells[j, fi] = max(feeling_cells.get((j, fi), 0.0), w)
            for term, _word in f.cue_terms:
                j = vocab.get(term)
                if j is not None:
                    feeling_cells[j, fi] = 1.0
        cells = [(j, fi, w) for (j, fi), w in feeling_cells.items() if w != 0]
        feeling_map = sp.csr_matrix(
            (np.array([w for _, _, w in cells], dtype=np.float32),
             (np.array([j for j, _, _ in cells], dtype=np.int64), np.array([fi for _, fi, _ in cells], dtype=np.int64))),
            shape=(n_words, len(lexicon.feelings)),
        )
        # each blurb's vector in the learned model, from the counts just made
        song_vectors = None
        if learned is not None:
            song_vectors = _learned_vectors(learned, counts["blurb"], terms)
        text = text + counts["moods"]
        del counts
        text.data = np.minimum(text.data, 1.0)  # a word counts once per song
        feelings = (text @ feeling_map).tocsr()
        del text
        feelings.data *= np.float32(self.feeling_weight)
        feelings.eliminate_zeros()
        terms += [f"~{f.name}" for f in lexicon.feelings]
        for fi, f in enumerate(lexicon.feelings):
            vocab[f"~{f.name}"] = n_words + fi
        # both float32 already: asking hstack for float32 would copy the result once more
        combined = sp.hstack([words, feelings], format="csr")
        if combined.dtype != np.float32:
            combined = combined.astype(np.float32)
        del words, feelings
        combined.sum_duplicates()
        # log1p keeps fractional field weights positive (1 + log tf would not).
        np.log1p(combined.data, out=combined.data)
        tfidf = TfidfTransformer(norm="l2", use_idf=True, smooth_idf=True, sublinear_tf=False)
        matrix = tfidf.fit_transform(combined).tocsr()
        del combined
        matrix.sort_indices()
        known = sorted(
            {t for t in terms[:n_words] if len(t) >= 3 and t.isascii() and t.isalpha()} | set(lexicon.known_keys)
        )

        # Scale so the catalog's clearly sad and clearly bright songs sit near
        # -1 and +1: blurbs differ in how many emotional words they use.
        spread = float(np.percentile(np.abs(valence), 90)) if n else 0.0
        if spread > 0:
            valence = np.clip(valence / spread, -1.0, 1.0)
        matrix = matrix if matrix.dtype == np.float32 else matrix.astype(np.float32)
        expansions = _expansion_matrix(lexicon, vocab, tfidf.idf_.astype(np.float64))
        # Each feeling's expansion scored once per song, here: a query then reads
        # one column per feeling instead of the postings of its two dozen words.
        expanded = (matrix @ expansions.T.tocsc()).tocsr()
        self._set_fitted(
            analyzer=analyzer,
            lexicon=lexicon,
            associations=associations,
            learned=learned,
            song_vectors=song_vectors,
            store=ColumnStore.from_frame(catalog),
            vocabulary=vocab,
            terms=terms,
            idf=tfidf.idf_.astype(np.float64),
            matrix=matrix,
            index=InvertedIndex.from_matrix(matrix),
            expansions=expansions,
            expansion_index=InvertedIndex.from_matrix(expanded),
            valence=valence,
            spell=SpellIndex.build(known),
        )

    def _set_fitted(self, *, analyzer: Analyzer, lexicon: Lexicon, associations: Associations,
                    learned: LearnedModel | None, song_vectors: np.ndarray | None, store: ColumnStore,
                    vocabulary: dict[str, int], terms: list[str], idf: np.ndarray,
                    matrix: sp.csr_matrix, index: InvertedIndex, expansions: sp.csr_matrix,
                    expansion_index: InvertedIndex, valence: np.ndarray, spell: SpellIndex) -> None:
        """Install fitted state (from fit or from a saved model), replacing any."""
        for cached in ("_frame_cache", "_ids_cache", "_rows_cache", "_theme_cache", "_blocks_cache",
                       "_dense_cache", "_columns_cache"):
            self.__dict__.pop(cached, None)
        self._lazy_lock = threading.Lock()
        self.analyzer_ = analyzer
        self.lexicon_ = lexicon
        self.associations_ = associations
        #: the learned query-to-blurb model and each song's unit vector in it
        #: (float16, songs x dim); None in a model saved before it existed
        self.learned_ = learned
        self.song_vectors_ = song_vectors
        self._store = store
        self.vocabulary_: dict[str, int] = vocabulary
        self.terms_: list[str] = terms
        self.idf_: np.ndarray = idf
        self.matrix_: sp.csr_matrix = matrix
        self.index_ = index
        #: feelings x terms: each feeling's expansion (unit vector, its words in the
        #: order they were chosen); ``expansion_index_`` holds it scored for every song
        self.expansions_: sp.csr_matrix = expansions
        self.expansion_index_ = expansion_index
        self._scorer = Scorer(index, expansion_index)
        self.valence_: np.ndarray = valence
        self.spell_ = spell
        self.n_songs_ = len(store)

    # ----------------------------------------------------------- persistence
    def save(self, path: str | os.PathLike[str]) -> Path:
        """Save the fitted model to the folder ``path``, atomically.

        The folder holds numpy arrays and JSON (never pickle): see
        :func:`Recommender.load`.  An existing model at ``path`` is replaced
        only once the new one is completely written.

        >>> import moodrec, tempfile, os
        >>> rec = moodrec.Recommender().fit(moodrec.load_songs())
        >>> folder = os.path.join(tempfile.mkdtemp(), "model")
        >>> _ = rec.save(folder)
        >>> moodrec.Recommender.load(folder).recommend("drinking alone", k=1)[0].title
        'Lonely night'
        """
        self._check_fitted()
        from ._persist import save

        return save(self, path)

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, mmap: bool = True, verify: bool = True) -> "Recommender":
        """Load a model saved with :meth:`save`.

        Arrays are memory-mapped unless ``mmap=False``; ``verify`` checks every
        file against the checksums in the manifest.  Nothing in the folder is
        ever executed or unpickled.  A missing folder raises
        ``FileNotFoundError``; a truncated, changed, foreign or
        unknown-version model raises :class:`ModelFormatError`.
        """
        from ._persist import load

        return load(path, mmap=mmap, verify=verify)

    # --------------------------------------------------------------- helpers
    def _check_fitted(self) -> None:
        if not hasattr(self, "index_"):
            raise NotFittedError(
                "this Recommender is not fitted yet: call fit(songs) first, "
                "or use moodrec.recommend() for the bundled catalog"
            )

    def _record(self, row: int) -> dict[str, Any]:
        return self._store.row(row)

    def _lazy(self, name: str, build: Any) -> Any:
        """A value derived from the fitted state, built once (thread-safe)."""
        value = self.__dict__.get(name)
        if value is None:
            with self._lazy_lock:
                value = self.__dict__.get(name)
                if value is None:
                    value = build()
                    self.__dict__[name] = value
        return value

    @property
    def catalog_(self) -> pd.DataFrame:
        """A copy of the fitted catalog (validated, ``song_id`` first)."""
        self._check_fitted()
        return self._frame().copy()

    def _frame(self) -> pd.DataFrame:
        return self._lazy("_frame_cache", self._store.frame)

    @property
    def song_ids_(self) -> list[str]:
        """Song ids in catalog order."""
        self._check_fitted()
        return list(self._lazy("_ids_cache", lambda: self._store.column("song_id")))

    @property
    def row_of_(self) -> dict[str, int]:
        """Position of each song id in the catalog."""
        self._check_fitted()
        return self._row_index()

    def _row_index(self) -> dict[str, int]:
        return self._lazy("_rows_cache", lambda: {s: i for i, s in enumerate(self._store.column("song_id"))})

    # ------------------------------------------------------- query analysis
    def analyze(self, query: str) -> QueryPlan:
        """How the engine reads ``query``: terms, weights, feelings, spelling.

        >>> import moodrec
        >>> plan = moodrec.Recommender().fit(moodrec.load_songs()).analyze("she left me")
        >>> "a breakup" in plan.feelings
        True
        """
        self._check_fitted()
        check_query(query)
        a = self.analyzer_
        lex = self.lexicon_
        tokens = a.tokens(query[:MAX_QUERY_CHARS])
        corrections: dict[str, str] = {}
        if self.spelling:
            tokens = self._correct(tokens, corrections)
        negated = self._negation(tokens)
        # each token's key in the genre and tone tables
        keys = [_match_key(a, tok) for tok in tokens]
        matches = lex.match(tokens) if self.expand else []
        live = [m for m in matches if not negated[m.start]]
        dead = [m for m in matches if negated[m.start]]
        in_cue = np.zeros(len(tokens), bool)
        for m in matches:
            in_cue[m.start : m.end] = True

        # The query vector is a mixture: the user's own words, normalised, and
        # each feeling's expansion, normalised, sharing ``expansion_weight`` of
        # the mass.  No single feeling can swamp the words the user typed, and
        # a long list of related words cannot outweigh a short one.
        ctx = float(self.context_weight) if live else 1.0
        literal: dict[str, float] = {}
        literal_src: dict[str, tuple[str, str]] = {}
        for i, tok in enumerate(tokens):
            if tok.stop or negated[i] or self._is_negator(tok):
                continue
            base = 1.0 if in_cue[i] else ctx
            if tok.surface in corrections:
                kind, label = "spelling", f'"{tok.surface}" read as "{corrections[tok.surface]}"'
                base *= 0.8
            else:
                kind, label = "word", tok.surface
            for t in tok.terms:
                if t in self.vocabulary_ and base > literal.get(t, 0.0):
                    literal[t] = base
                    literal_src[t] = (kind, label)

        # Korean words in English, for English blurbs: a translation weighs a
        # little less than a word the user typed, its alternatives less again.
        translations = lex.translate(tokens)
        for start, end, english in translations:
            if any(negated[start:end]) or all(tokens[i].stop for i in range(start, end)):
                continue
            said = " ".join(tok.surface for tok in tokens[start:end])
            base = (1.0 if in_cue[start] else ctx) * _TRANSLATION_WEIGHT
            for n, word in enumerate(english):
                for t in a.terms(word):
                    x = base * (1.0 if n == 0 else _TRANSLATION_ALTERNATIVE)
                    if t in self.vocabulary_ and x > literal.get(t, 0.0):
                        literal[t] = x
                        literal_src[t] = ("translation", f'"{said}" read as "{english[0]}"')

        associated = self._associated(tokens, negated, in_cue, ctx, corrections, translations)

        genres, genres_out = self._genres(keys, negated)
        for g in genres:
            # a genre said in any form (트로트, j pop) is also asked for by its own term
            if g in self.vocabulary_ and literal.get(g, 0.0) < 1.0:
                literal[g] = 1.0
                literal_src[g] = ("word", g)

        feelings: list[str] = []
        blocks: list[tuple[str, dict[str, float]]] = []
        if self.expand:
            # The feelings said most specifically (longest cue) first; a query
            # is expanded by at most MAX_FEELINGS of them, each by its
            # MAX_EXPANSION strongest words, which bounds the work a long
            # rambling query can cost and keeps its focus.
            ranked = sorted(live, key=lambda m: (-(m.end - m.start), m.start))
            expansion = self._expansion_blocks()
            for fi in list(dict.fromkeys(m.feeling for m in ranked))[:MAX_FEELINGS]:
                feelings.append(lex.feelings[fi].label)
                if expansion[fi]:
                    blocks.append((lex.feelings[fi].label, fi, expansion[fi]))

        def unit(weights: dict[str, float]) -> dict[str, float]:
            v = {t: w * self.idf_[self.vocabulary_[t]] for t, w in weights.items()}
            n = math.sqrt(sum(x * x for x in v.values()))
            return {t: x / n for t, x in v.items()} if n > 0 else {}

        # A long query carries its meaning in its own words: past a few of
        # them, the expansions' share of the vector shrinks.
        ew = float(self.expansion_weight) * min(1.0, _LITERAL_WORDS_AT_FULL_EXPANSION / max(1, len(literal)))
        share = ew / (1.0 + ew)
        parts: list[tuple[float, dict[str, float], dict[str, tuple[str, str]]]] = []
        own_mass = 1.0 - share if blocks else 1.0
        if literal:
            parts.append((own_mass, unit(literal), literal_src))
        if associated:
            weights_of, said_by = associated
            n = math.sqrt(sum(x * x for x in weights_of.values()))
            parts.append((own_mass * float(self.association_weight), {t: x / n for t, x in weights_of.items()},
                          {t: ("association", said_by[t]) for t in weights_of}))
        n_own = len(parts)
        for label, _fi, block in blocks:
            mass = (share if n_own else 1.0) / len(blocks)
            parts.append((mass, block, {t: ("feeling", label) for t in block}))
        total: dict[str, float] = {}
        source: dict[str, tuple[float, tuple[str, str]]] = {}
        for mass, vec, src in parts:
            for t, x in vec.items():
                total[t] = total.get(t, 0.0) + mass * x
                if mass * x > source.get(t, (0.0, ("", "")))[0]:
                    source[t] = (mass * x, src[t])
        # a word the user typed (or its translation) is said as such, even
        # where the associations of other words weigh more on it
        for t, said in literal_src.items():
            if source[t][1][0] == "association":
                source[t] = (source[t][0], said)

        valence = self._query_valence(tokens, keys, negated, live, dead)
        # words, not terms: a Korean word and its stem are one word
        n_words = len({tuple(tok.terms) for tok in tokens if tok.terms})
        learned, learned_w = self._learned_query(tokens, n_words)
        content = [
            tok.terms[-1] for i, tok in enumerate(tokens)
            if tok.terms and not tok.stop and not negated[i] and not self._is_negator(tok)
        ]
        pairs = list(dict.fromkeys(
            (x, y) for x, y in zip(content, content[1:])
            if x != y and x in self.vocabulary_ and y in self.vocabulary_
        ))
        negated_words = [lex.feelings[m.feeling].label for m in dead] + [
            t.surface for i, t in enumerate(tokens) if negated[i] and not t.stop
        ]
        terms = list(total)
        ids = np.array([self.vocabulary_[t] for t in terms], dtype=np.int64)
        w = np.array([total[t] for t in terms], dtype=np.float64)
        norm = float(np.sqrt((w * w).sum())) if len(w) else 0.0
        if norm > 0:
            w = w / norm
        # the query's own words and their associations as postings, each
        # feeling as its precomputed column
        own: dict[str, float] = {}
        for mass, vec, _src in parts[:n_own]:
            for t, x in vec.items():
                own[t] = own.get(t, 0.0) + mass * x
        scale = 1.0 / norm if norm > 0 else 0.0
        scoring = (
            (np.array([self.vocabulary_[t] for t in own], dtype=np.int64),
             np.array([x * scale for x in own.values()], dtype=np.float64)),
            (np.array([fi for _, fi, _ in blocks], dtype=np.int64),
             np.array([mass * scale for mass, _, _ in parts[n_own:]], dtype=np.float64)),
        )
        return QueryPlan(
            query=query,
            terms=ids,
            weights=w,
            sources=[source[t][1] for t in terms],
            feelings=feelings,
            negated=list(dict.fromkeys(negated_words)),
            corrections=corrections,
            valence=valence,
            pairs=pairs,
            genres=genres,
            genres_out=genres_out,
            scoring=scoring,
            learned=learned,
            learned_weight=learned_w,
            words=n_words,
        )

    def _learned_query(self, tokens: Sequence[Token], words: int) -> tuple[np.ndarray | None, float]:
        """The query's unit vector in the learned model (None when it is not
        in use or knows no word of the query) and its weight for this query:
        ``learned_weight`` times its distinct ``words`` (stop words aside)
        over ``_LEARNED_REF_WORDS``."""
        if self.learned_ is None or self.song_vectors_ is None or not self.learned_weight > 0:
            return None, 0.0
        model = self.learned_
        q = model.embed_terms(query_terms(tokens, model.vocabulary, self.analyzer_, pairs=model.reads_pairs))
        if q is None:
            return None, 0.0
        return q, float(self.learned_weight) * words / _LEARNED_REF_WORDS

    def _dense_vectors(self) -> np.ndarray:
        """Every song's learned vector as float32 (small catalogs: built once)."""
        return self._lazy("_dense_cache", lambda: np.asarray(self.song_vectors_, dtype=np.float32))

    def _ranked(self, plan: QueryPlan, k: int, allowed: np.ndarray | None = None,
                exclude_rows: Iterable[int] = ()) -> tuple[np.ndarray, np.ndarray]:
        """The final top k: the engine's ranking, with the learned similarity when in use.

        A song's final score is ``(e + w * (s - _LEARNED_FLOOR)) / (1 + w)``:
        ``e`` its engine score as a share of the best engine score, ``s`` the
        cosine of its blurb's and the query's learned vectors, ``w`` the
        query's learned weight (``learned_weight`` times its distinct words
        over ``_LEARNED_REF_WORDS``); songs scoring above 0 come back.
        Candidates are the engine's best ``_window(plan)`` songs (or k, when
        more); when the engine finds fewer in a catalog of at most ``_DENSE_LIMIT``
        songs, the learned model's best of the rest join (their engine score
        is 0).
        """
        q = plan.learned
        if q is None:
            return self._rank(plan, k, allowed, exclude_rows)
        allowed = self._without(allowed, exclude_rows)
        n = self.n_songs_
        depth = max(k, self._window(plan))
        ids, scores = self._rank(plan, depth, allowed)
        if len(ids) < depth and n <= _DENSE_LIMIT:
            # the engine found fewer songs than asked: every other song scores
            # 0 with it, so the learned model's best of them join exactly
            sims = self._dense_vectors() @ q
            open_rows = np.ones(n, bool) if allowed is None else allowed.copy()
            open_rows[ids] = False
            extra = np.flatnonzero(open_rows & (sims > _LEARNED_FLOOR))
            if len(extra) > depth:
                extra = extra[np.argpartition(-sims[extra], depth - 1)[:depth]]
            ids = np.concatenate([ids, extra])
            scores = np.concatenate([scores, np.zeros(len(extra))])
            cand_sims = sims[ids]
        else:
            cand_sims = np.asarray(self.song_vectors_[ids], dtype=np.float32) @ q
        # the best engine score of the whole catalog, so that a filter never
        # reorders the songs it lets through
        overall = scores if allowed is None else self._rank(plan, 1)[1]
        best = float(overall.max()) if len(overall) else 0.0
        engine_part = scores / best if best > 0 else np.zeros(len(ids))
        learned_part, final = self._blend(engine_part, cand_sims, plan.learned_weight)
        keep = final > 0
        ids, final = ids[keep], final[keep]
        engine_part, learned_part = engine_part[keep], learned_part[keep]
        rows, top = top_k(ids, final, k)
        where = {r: i for i, r in enumerate(ids.tolist())}
        for r in rows.tolist():
            plan.parts[r] = (float(engine_part[where[r]]), float(learned_part[where[r]]))
        return rows, top

    def _window(self, plan: QueryPlan) -> int:
        """How many of the engine's best songs the learned similarity reorders
        (see ``_RERANK_DEPTH``): 20, or 5 per word for a query of more than
        four, at most 100; 10 above ``_WIDE_LIMIT`` songs.  Never depends on k."""
        if self.n_songs_ > _WIDE_LIMIT:
            return _RERANK_DEPTH_LARGE
        grown = _RERANK_DEPTH * plan.words / _LEARNED_REF_WORDS
        return int(min(max(_RERANK_DEPTH, round(grown)), _RERANK_DEPTH_MAX))

    @staticmethod
    def _blend(engine_part: np.ndarray, sims: np.ndarray, w: float) -> tuple[np.ndarray, np.ndarray]:
        """The learned part of each score and the final scores (see ``_ranked``)."""
        learned_part = w * (np.asarray(sims, dtype=np.float64) - _LEARNED_FLOOR)
        return learned_part, (engine_part + learned_part) / (1.0 + w)

    def _associated(self, tokens: Sequence[Token], negated: Sequence[bool], in_cue: np.ndarray, ctx: float,
                    corrections: dict[str, str], translations: Sequence[tuple[int, int, tuple[str, ...]]],
                    ) -> tuple[dict[str, float], dict[str, str]] | None:
        """The words the query's words are associated with ({term: weight}:
        the strongest MAX_ASSOCIATIONS of those the catalog has, down to
        _ASSOCIATION_FLOOR of the strongest, within _ASSOCIATION_POSTINGS)
        and, per term, the query word that gave it most; None when there
        are none."""
        if not self.association_weight > 0 or not len(self.associations_):
            return None
        a = self.analyzer_
        weights: dict[str, float] = {}
        best: dict[str, tuple[float, str]] = {}

        def add(term: str, base: float, said: str) -> None:
            for t, x in self.associations_.of(term):
                if t in self.vocabulary_:
                    weights[t] = weights.get(t, 0.0) + base * x
                    if base * x > best.get(t, (0.0, ""))[0]:
                        best[t] = (base * x, said)

        seen: set[str] = set()
        for i, tok in enumerate(tokens):
            if tok.stop or negated[i] or self._is_negator(tok):
                continue
            base = (1.0 if in_cue[i] else ctx) * (0.8 if tok.surface in corrections else 1.0)
            for t in tok.terms:
                if t not in seen:
                    seen.add(t)
                    add(t, base, corrections.get(tok.surface, tok.surface))
        for start, end, english in translations:
            if any(negated[start:end]) or all(tokens[i].stop for i in range(start, end)):
                continue
            said = " ".join(tok.surface for tok in tokens[start:end])
            for t in a.terms(english[0]):
                if t not in seen:
                    seen.add(t)
                    add(t, (1.0 if in_cue[start] else ctx) * _TRANSLATION_WEIGHT, said)
        if not weights:
            return None
        keep = sorted(weights, key=lambda t: (-weights[t], t))[:MAX_ASSOCIATIONS]
        floor = _ASSOCIATION_FLOOR * weights[keep[0]]
        # strongest first, each as long as its column fits what is left of the budget
        budget = _ASSOCIATION_POSTINGS
        indptr = self.index_.indptr
        kept = []
        for t in keep:
            j = self.vocabulary_[t]
            n = int(indptr[j + 1] - indptr[j])
            if weights[t] >= floor and n <= budget:
                kept.append(t)
                budget -= n
        keep = kept
        if not keep:
            return None
        return {t: weights[t] for t in keep}, {t: best[t][1] for t in keep}

    def _expansion_blocks(self) -> list[dict[str, float]]:
        """Each feeling's expansion as {term: weight}, from ``expansions_``."""

        def build() -> list[dict[str, float]]:
            e = self.expansions_
            return [
                {self.terms_[int(t)]: float(x) for t, x in zip(e.indices[e.indptr[i]:e.indptr[i + 1]],
                                                             e.data[e.indptr[i]:e.indptr[i + 1]])}
                for i in range(e.shape[0])
            ]

        return self._lazy("_blocks_cache", build)

    def _correct(self, tokens: list[Token], corrections: dict[str, str]) -> list[Token]:
        known = self.lexicon_.known_keys
        out = []
        for tok in tokens:
            key = tok.key
            if (
                self.analyzer_.is_common_word(tok.surface)
                or tok.stop
                or tok.hangul
                or len(corrections) >= MAX_CORRECTIONS
                or len(key) < 3
                or not key.isascii()
                or not key.isalpha()
                or key in self.vocabulary_
                or key in known
            ):
                out.append(tok)
                continue
            # A sound-alike spelling (motivashun, fone, skool) is read as the
            # word it sounds like, before any edit-distance guess.
            respelled = self._respell(tok)
            if respelled is not None:
                corrections[tok.surface] = respelled.surface
                out.append(Token(tok.surface, respelled.key, respelled.terms, False, respelled.stop, tok.clause))
                continue
            if len(key) < 4:
                out.append(tok)
                continue
            limit = 1 if len(key) <= 5 else 2
            cands = self.spell_.candidates(key, limit, same_start=True)
            if not cands:
                out.append(tok)
                continue
            dmin = cands[0][1]
            nearest = [c for c, d in cands if d == dmin]
            indptr = self.index_.indptr

            def rank(c: str) -> tuple[int, int, str]:
                j = self.vocabulary_.get(c)
                df = int(indptr[j + 1] - indptr[j]) if j is not None else 0
                return (0 if c in known else 1, -df, c)

            fix = min(nearest, key=rank)
            corrections[tok.surface] = self.lexicon_.display.get(fix, fix)
            out.append(Token(tok.surface, fix, (fix,), False, False, tok.clause))
        return out

    def _genres(self, keys: Sequence[str], negated: Sequence[bool]) -> tuple[list[str], list[str]]:
        """Genres the query names that are themes of the catalog, asked for and
        ruled out; ``keys``: each token's ``_match_key``."""
        table = self.analyzer_.genres
        if not table or "themes" not in self._store.names:
            return [], []
        asked: list[str] = []
        out: list[str] = []
        longest = max(len(k) for k in table)
        for i in range(len(keys)):
            for _n, genre in _entries_at(table, keys, i, longest):
                if genre in self._theme_masks():
                    (out if negated[i] else asked).append(genre)
                    break
        return list(dict.fromkeys(asked)), list(dict.fromkeys(g for g in out if g not in asked))

    def _respell(self, tok: Token) -> Token | None:
        a = self.analyzer_
        known = self.lexicon_.known_keys
        for word in a.respellings(tok.surface):
            key = a.key(word)
            if a.is_common_word(word) or key in self.vocabulary_ or key in known:
                all_terms = a.word_terms(word)
                terms = tuple(t for t in all_terms if t in self.vocabulary_)
                return Token(word, key, terms, False, not all_terms, tok.clause)
        return None

    def _is_negator(self, tok: Token) -> bool:
        a = self.analyzer_
        if tok.hangul:
            return tok.surface in a.negators_ko_before or tok.surface.startswith(a.negators_ko_after)
        return tok.surface in a.negators_en

    def _negation(self, tokens: Sequence[Token]) -> list[bool]:
        a = self.analyzer_
        neg = [False] * len(tokens)
        for i, tok in enumerate(tokens):
            if tok.hangul:
                if tok.surface in a.negators_ko_before and i + 1 < len(tokens):
                    neg[i + 1] = True
                elif tok.surface.startswith(a.negators_ko_after):
                    j = i - 1
                    while j >= 0 and tokens[j].stop and tokens[j].clause == tok.clause:
                        j -= 1
                    if j >= 0 and tokens[j].clause == tok.clause:
                        neg[j] = True
                continue
            if tok.surface in a.negators_en:
                # "trying (hard) not to cry", "tried to not cry": the feeling is
                # there, not denied
                if self._attempted(tokens, i):
                    continue
                reach = 1 if tok.surface in a.negators_one_word_en else 2
                content = 0
                for j in range(i + 1, len(tokens)):
                    nxt = tokens[j]
                    if nxt.clause != tok.clause or nxt.surface in a.negation_breaks_en:
                        break
                    neg[j] = True
                    if not nxt.stop:
                        content += 1
                        # "can't stop crying": what follows is affirmed
                        if content >= reach or nxt.surface in a.negation_undone_en:
                            break
        return neg

    def _attempted(self, tokens: Sequence[Token], i: int) -> bool:
        """Whether the negator at ``i`` is part of an attempt ("trying not to",
        "tried so hard to not"): next to "to", within four words after an
        attempt word of its clause, with no break word between."""
        a = self.analyzer_
        if not a.negation_attempts_en:
            return False
        before = tokens[i - 1].surface if i > 0 else ""
        after = tokens[i + 1].surface if i + 1 < len(tokens) else ""
        if "to" not in (before, after):
            return False
        for j in range(i - 1, max(-1, i - 5), -1):
            t = tokens[j]
            if t.clause != tokens[i].clause or t.surface in a.negation_breaks_en:
                return False
            if t.surface in a.negation_attempts_en:
                return True
        return False

    def _query_valence(self, tokens: Sequence[Token], keys: Sequence[str], negated: Sequence[bool],
                       live: list, dead: list) -> float:
        """The direction a query asks for, -1 (sad) .. +1 (bright).

        A weighted mean of votes: each feeling found, once however many of
        its cues match (half, reversed, when negated), each emotional word
        outside a feeling's cue, and, weighing ``_TONE_WEIGHT`` times more,
        each tone word or whole tone phrase ("fun", "upbeat", "feel-good",
        "not weepy"): how a song should sound outranks the situation it is
        about.  ``keys``: each token's ``_match_key``.
        """
        lex = self.lexicon_
        tone = self.analyzer_.tone
        votes: list[float] = []
        weights: list[float] = []
        covered = np.zeros(len(tokens), bool)
        # one vote per feeling, however many of its cues the words match
        # ("she left me", "left me" and "she left" are one breakup)
        for found, sign in ((live, 1.0), (dead, -0.5)):
            for fi in dict.fromkeys(m.feeling for m in found):
                votes.append(sign * lex.feelings[fi].valence)
                weights.append(1.0)
            for m in found:
                covered[m.start : m.end] = True
        longest = max(map(len, tone), default=0)
        toned = np.zeros(len(tokens), bool)
        for i in range(len(tokens)):
            if toned[i]:
                continue
            for n, v in _entries_at(tone, keys, i, longest):
                votes.append(-0.5 * v if negated[i] else v)
                weights.append(_TONE_WEIGHT)
                toned[i : i + n] = True
                break
        for i, tok in enumerate(tokens):
            if toned[i] or covered[i] or tok.stop:
                continue
            for t in tok.terms:
                v = lex.valence.get(t)
                if v is not None:
                    votes.append(-0.5 * v if negated[i] else v)
                    weights.append(1.0)
        if not votes:
            return 0.0
        return float(np.clip(np.average(votes, weights=weights), -1.0, 1.0))

    # --------------------------------------------------------------- ranking
    def _polarity_factor(self, valence: float, rows: np.ndarray) -> np.ndarray:
        if self.polarity == 0 or valence == 0:
            return np.ones(len(rows))
        # agreement in [-1, 1]: 1 when song and query lean the same way, -1
        # when opposed; a neutral song sits between, so a clearly bright query
        # prefers bright songs to neutral ones and neutral ones to sad ones.
        agreement = np.sign(valence) * self.valence_[rows]
        return 1.0 - float(self.polarity) * abs(valence) * (1.0 - agreement) / 2.0

    def _factor(self, plan: QueryPlan, rows: np.ndarray) -> np.ndarray:
        """Everything that scales a song's similarity: mood direction and genre.

        A song outside every genre the query asks for, or inside one it rules
        out, keeps ``1 - _GENRE_PENALTY`` of its score.  Genres are the
        catalog's curated themes; a catalog without them is never penalised."""
        factor = self._polarity_factor(plan.valence, rows)
        if plan.genres or plan.genres_out:
            masks = self._theme_masks()
            if plan.genres:
                inside = np.zeros(len(rows), bool)
                for g in plan.genres:
                    inside |= masks[g][rows]
                factor = np.where(inside, factor, factor * (1.0 - _GENRE_PENALTY))
            for g in plan.genres_out:
                factor = np.where(masks[g][rows], factor * (1.0 - _GENRE_PENALTY), factor)
        return factor

    def _without(self, allowed: np.ndarray | None, exclude_rows: Iterable[int]) -> np.ndarray | None:
        """``allowed`` (None: every song) with ``exclude_rows`` ruled out, as a new mask."""
        ex = np.fromiter(exclude_rows, np.int64)
        if len(ex):
            allowed = np.ones(self.n_songs_, bool) if allowed is None else allowed.copy()
            allowed[ex] = False
        return allowed

    def _rank(self, plan: QueryPlan, k: int, allowed: np.ndarray | None = None,
              exclude_rows: Iterable[int] = ()) -> tuple[np.ndarray, np.ndarray]:
        allowed = self._without(allowed, exclude_rows)
        if len(plan.terms) == 0:
            ids, scores = self._mood_only(plan, k, allowed)
        else:
            floor = 1.0 - float(self.proximity) if plan.pairs else 1.0

            def lower(rows: np.ndarray) -> np.ndarray:
                return self._factor(plan, rows) * floor

            scoring = plan.scoring or ((plan.terms, plan.weights), (np.empty(0, np.int64), np.empty(0)))
            ids, scores = self._scorer.candidates(scoring, k, lower, allowed)
        if allowed is not None and len(ids):
            keep = allowed[ids]
            ids, scores = ids[keep], scores[keep]
        scores = np.clip(scores * self._factor(plan, ids), 0.0, 1.0)
        positive = scores > 0
        ids, scores = ids[positive], scores[positive]
        if not plan.pairs or self.proximity == 0 or len(ids) == 0:
            return top_k(ids, scores, k)
        # Proximity can only lower a score, so it is applied to the best
        # candidates; if a song outside them could still beat the k-th, the
        # candidate set grows.  The result is exact, not an approximation.
        # Candidates are ranked once (best first, ties by id); the window of
        # them considered grows until nothing below it can still win, and the
        # ranking is widened only if the window outgrows it.  Within the
        # window, a song's text is read only if its bound (its word pairs
        # present, as if all stood together) can still reach the k-th best.
        n_cand = k + 8
        rounded = np.round(scores, _DECIMALS)  # as top_k ranks them
        if len(ids) >= k:
            # Every song keeps at least 1 - proximity of its score, so the k-th
            # final score is at least that share of the k-th score: the window
            # starts with every song that can reach it, and texts are read in
            # the order of their bounds over all of them (reading within a
            # smaller window first would read songs a wider one rules out).
            kth_score = _kth(rounded, k)
            at_least = kth_score * (1.0 - float(self.proximity)) - _SLACK
            n_cand = max(n_cand, int(np.count_nonzero(rounded >= at_least)))
        # one more than the window, to know the best score outside it
        ranked, ranked_scores = top_k(ids, scores, min(len(ids), n_cand + 1))
        upper = np.empty(0)  # upper bound of each ranked song's factor, as far as looked
        exact = np.empty(0)  # its exact factor, NaN where not read yet
        # Which pairs a song has both words of: from its row, or, once looking
        # through the rows costs more than through the pair words' columns, from those.
        vocab, ix = self.vocabulary_, self.index_
        column_cost = sum(int(ix.indptr[vocab[t] + 1] - ix.indptr[vocab[t]]) for pair in plan.pairs for t in pair)
        pair_songs: list[np.ndarray] | None = None
        while True:
            if n_cand > len(ranked) and len(ranked) < len(ids):
                depth = min(len(ids), 4 * n_cand)
                ranked, ranked_scores = top_k(ids, scores, depth)
            window = min(n_cand, len(ranked))
            if len(upper) < window:
                new_rows = ranked[len(upper):window]
                if pair_songs is None and column_cost < _ROW_COST * int((ix.row_indptr[new_rows + 1] - ix.row_indptr[new_rows]).sum()):
                    pair_songs = [self._scorer.both(0, vocab[x], vocab[y]) for x, y in plan.pairs]
                more_upper, more_exact = self._proximity_bounds(plan, new_rows, pair_songs)
                upper = np.concatenate([upper, more_upper])
                exact = np.concatenate([exact, more_exact])
            best, best_scores = self._proximity_top(plan, ranked[:window], ranked_scores[:window],
                                                    upper[:window], exact[:window], k)
            if window < len(ranked):
                outside = float(ranked_scores[window])
            elif len(ranked) < len(ids):
                outside = float(top_k(ids, scores, len(ranked) + 1)[1][-1])
            else:
                outside = -1.0
            if outside < 0 or (len(best) == k and best_scores[-1] > outside):
                return best, best_scores
            # every song scoring at least the k-th final score so far must be
            # in the window (the k-th only rises as it grows): go there at once
            reach = int(np.count_nonzero(rounded >= best_scores[-1])) if len(best) == k else 0
            n_cand = max(4 * n_cand, reach + 1)

    def _proximity_bounds(self, plan: QueryPlan, rows: np.ndarray,
                          pair_songs: list[np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Each song's proximity factor bounded from above without reading its
        text (as if every pair it has both words of stood together), and
        exactly where no pair applies (NaN elsewhere).  ``pair_songs``: for
        each pair, the songs having both its words (ascending), if known."""
        p = float(self.proximity)
        applicable = self._pairs_had(plan, rows, pair_songs)
        # the same arithmetic as the exact factor: hits <= applicable gives factor <= upper
        upper = 1.0 - p * (1.0 - applicable / len(plan.pairs))
        exact = np.where(applicable == 0, 1.0 - p * (1.0 - 0.0), np.nan)
        if plan.shares:  # none yet on a query's first ranking: no pass over the rows
            for j, row in enumerate(rows.tolist()):
                got = plan.shares.get(row)
                if got is not None:
                    exact[j] = 1.0 - p * (1.0 - got)
        return upper, exact

    def _proximity_top(self, plan: QueryPlan, rows: np.ndarray, scores: np.ndarray, upper: np.ndarray,
                       exact: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The top k of ``rows`` by score x proximity factor, reading the texts
        of only the songs whose bound reaches the k-th best known final score.
        ``exact`` is filled in place."""
        p = float(self.proximity)
        bound = scores * upper
        pair_terms, pair_ids = self._pair_terms(plan)
        # The k best final scores known so far (a min-heap): songs are read
        # best bound first, one at a time, until the next bound falls below
        # the k-th, so no text is read that a better-ordered reading would skip.
        known = ~np.isnan(exact)
        best = scores[known] * exact[known]
        if len(best) > k:
            best = np.partition(best, len(best) - k)[len(best) - k:]
        heap = best.tolist()
        heapq.heapify(heap)
        unread = np.flatnonzero(~known)
        for j in unread[np.argsort(-bound[unread], kind="stable")].tolist():
            # a song bounded this far below the k-th cannot even round to a tie
            if len(heap) >= k and bound[j] < heap[0] - _SLACK:
                break
            share = self._pair_share(plan, int(rows[j]), pair_terms, pair_ids)
            exact[j] = 1.0 - p * (1.0 - share)
            final = float(scores[j] * exact[j])
            if len(heap) < k:
                heapq.heappush(heap, final)
            elif final > heap[0]:
                heapq.heapreplace(heap, final)
        known = ~np.isnan(exact)
        best, best_scores = top_k(rows[known], scores[known] * exact[known], k)
        # a song placed without its text read has no pair's two words: its share
        # is 0, and explaining it need not look again
        for row in best.tolist():
            plan.shares.setdefault(row, 0.0)
        return best, best_scores

    def _pair_terms(self, plan: QueryPlan) -> tuple[list[str], np.ndarray]:
        """The words of the query's adjacent pairs, sorted, and their term ids."""
        pair_terms = sorted({t for pair in plan.pairs for t in pair})
        return pair_terms, np.array([self.vocabulary_[t] for t in pair_terms], dtype=np.int64)

    def _pairs_had(self, plan: QueryPlan, rows: np.ndarray,
                   pair_songs: list[np.ndarray] | None = None) -> np.ndarray:
        """How many of the query's adjacent pairs each song has both words of:
        from ``pair_songs`` (per pair, the songs having both, ascending) when
        given, else from the songs' rows, all looked up at once."""
        had = np.zeros(len(rows), np.int64)
        if pair_songs is not None:
            for both in pair_songs:
                if len(both):
                    at = np.minimum(np.searchsorted(both, rows), len(both) - 1)
                    had += both[at] == rows
            return had
        pair_terms, pair_ids = self._pair_terms(plan)
        has = self._weights_of(rows, pair_ids) > 0
        col = {t: j for j, t in enumerate(pair_terms)}
        for x, y in plan.pairs:
            had += has[:, col[x]] & has[:, col[y]]
        return had

    def _pair_share(self, plan: QueryPlan, row: int, pair_terms: list[str] | None = None,
                    pair_ids: np.ndarray | None = None) -> float:
        """Share of the query's adjacent word pairs that stand within two
        words of each other, in one clause, in the song's title or blurb.

        Only a song that has both words of some pair is read; for any other
        the share is 0 at the cost of one lookup in its vector."""
        got = plan.shares.get(row)
        if got is None:
            got = plan.shares[row] = self._read_pair_share(plan, row, pair_terms, pair_ids)
        return got

    def _read_pair_share(self, plan: QueryPlan, row: int, pair_terms: list[str] | None,
                         pair_ids: np.ndarray | None) -> float:
        if pair_terms is None or pair_ids is None:
            pair_terms, pair_ids = self._pair_terms(plan)
        present = {t for t, w in zip(pair_terms, self._row_weights(row, pair_ids)) if w > 0}
        applicable = [(x, y) for x, y in plan.pairs if x in present and y in present]
        if not applicable:
            return 0.0
        # only the two fields read, not the whole record
        cols = self._store.columns
        title, blurb = (plain(cols[c][row]) if c in cols else None for c in ("title", "blurb"))
        # the blurb as it was indexed: without what it says the song is not
        text = f"{title or ''}. {self.analyzer_.drop_contrasts(str(blurb)) if blurb else ''}"
        a = self.analyzer_
        wanted = {t for pair in applicable for t in pair}
        positions: dict[str, list[tuple[int, int]]] = {}
        pos = 0
        for clause, words in enumerate(a.clause_words(text, _CLAUSE_SPLIT)):
            for w in words:
                for t in a.word_terms(w):
                    if t in wanted:
                        positions.setdefault(t, []).append((pos, clause))
                pos += 1
        hits = 0
        for x, y in applicable:
            px, py = positions.get(x), positions.get(y)
            if px and py and any(abs(p - q) <= 2 and cx == cy for p, cx in px for q, cy in py):
                hits += 1
        return hits / len(plan.pairs)

    def _mood_only(self, plan: QueryPlan, k: int | None = None,
                   allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Scores for a query that says only a direction ("not sad"): the
        songs leaning the same way, by how far they lean.

        Given ``k``, only songs that can still reach the top k come back: a
        song's final score never exceeds this one (its factors are <= 1), so
        the k-th best final score among the most leaning songs bounds the rest."""
        scores = np.maximum(0.0, plan.valence * self.valence_)
        n = len(scores)
        m = max(16 * (k or 0), 256)
        if k is not None and allowed is None and 4 * m < n:
            top = np.argpartition(scores, n - m)[n - m:]
            final = np.round(np.clip(scores[top] * self._factor(plan, top), 0.0, 1.0), _DECIMALS)
            kth = _kth(final, k)
            if kth > 0:
                ids = np.flatnonzero(scores >= kth - _SLACK)
                return ids, scores[ids]
        ids = np.flatnonzero(scores > 0)
        return ids, scores[ids]

    def _row_weights(self, row: int, terms: np.ndarray) -> np.ndarray:
        """The song's TF-IDF weight for each of ``terms`` (0 where absent)."""
        start, end = self.matrix_.indptr[row], self.matrix_.indptr[row + 1]
        have = self.matrix_.indices[start:end]
        out = np.zeros(len(terms), np.float64)
        if len(have) == 0 or len(terms) == 0:
            return out
        pos = np.searchsorted(have, terms)
        pos[pos >= len(have)] = 0
        hit = have[pos] == terms
        out[hit] = self.matrix_.data[start:end][pos[hit]]
        return out

    def _weights_of(self, rows: np.ndarray, terms: np.ndarray) -> np.ndarray:
        """rows x terms: each song's TF-IDF weight for each of ``terms``
        (distinct; 0 where absent), found for all rows in one pass."""
        m = self.matrix_
        out = np.zeros((len(rows), len(terms)), np.float64)
        owner, flat = self._entries(rows)
        if len(flat) == 0 or len(terms) == 0:
            return out
        order = np.argsort(terms)
        ordered = terms[order]
        cols = m.indices[flat]
        pos = np.minimum(np.searchsorted(ordered, cols), len(terms) - 1)
        hit = ordered[pos] == cols
        out[owner[hit], order[pos[hit]]] = m.data[flat[hit]]
        return out

    def _entries(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every stored entry of ``rows`` in ``matrix_``: its place in ``rows``
        and its position in ``matrix_.indices`` / ``.data``, row after row."""
        starts = self.matrix_.indptr[rows].astype(np.int64)
        lengths = (self.matrix_.indptr[rows + 1] - starts).astype(np.int64)
        ends = np.cumsum(lengths)
        flat = np.arange(int(lengths.sum()), dtype=np.int64) + np.repeat(starts - (ends - lengths), lengths)
        return np.repeat(np.arange(len(rows)), lengths), flat

    def _explain_rows(self, plan: QueryPlan, rows: np.ndarray) -> list[tuple[Reason, ...]]:
        """The reasons of each of ``rows``, their weights looked up together."""
        weights = self._weights_of(rows, plan.terms)
        factors = self._polarity_factor(plan.valence, rows).tolist()
        # how the query typed each of its words, for pairs said side by side (read once)
        typed = self._typed_words(plan.query) if plan.pairs and self.proximity > 0 else {}
        out = [self._explain_row(plan, row, w, f, typed) for row, w, f in zip(rows.tolist(), weights, factors)]
        if plan.learned is None:
            return out
        added = [r for r in rows.tolist() if plan.parts.get(r, (1.0, 0.0))[1] > 0]
        words = dict(zip(added, self._learned_words(plan.learned, np.array(added, dtype=np.int64))))
        return [self._with_learned(plan, row, why, words.get(row, ())) for row, why in zip(rows.tolist(), out)]

    def _with_learned(self, plan: QueryPlan, row: int, why: tuple[Reason, ...],
                      words: tuple[str, ...]) -> tuple[Reason, ...]:
        """``why`` with the learned similarity's share, when it added to the score:
        the engine's reasons keep their proportions within the rest."""
        engine, learned = plan.parts.get(row, (1.0, 0.0))
        if not learned > 0:
            return why
        keep = engine / (engine + learned)
        scaled = [Reason(r.kind, r.label, r.words, round(r.share * keep, 4)) if r.share > 0 else r for r in why]
        reason = Reason("learned", "close in meaning to the query", words, round(learned / (engine + learned), 4))
        # among the reasons with a share, by share; notes (share 0) keep their places
        shared = [i for i, r in enumerate(scaled) if r.share > 0]
        lead = next((i for i, r in enumerate(scaled) if r.share > 0 or r.kind != "spelling"), len(scaled))
        at = next((i for i in shared if scaled[i].share < reason.share), shared[-1] + 1 if shared else lead)
        return tuple(scaled[:at] + [reason] + scaled[at:])

    def _learned_words(self, q: np.ndarray, rows: np.ndarray, n: int = 3) -> list[tuple[str, ...]]:
        """For each of ``rows``, the blurb words that bring it closest to the
        query vector ``q`` (all rows' words looked up in one product)."""
        model = self.learned_
        assert model is not None
        m = self.matrix_
        owner, flat = self._entries(rows)
        cols = m.indices[flat]
        words = self._learned_columns()[cols]
        shown = words >= 0
        owner, cols, words = owner[shown], cols[shown], words[shown]
        contrib = m.data[flat[shown]] * (model.vectors[words] @ q)
        keep = contrib > 0
        owner, cols, words, contrib = owner[keep], cols[keep], words[keep], contrib[keep]
        # never a part of the song's own artist's name ("shin" of Park Hyo-shin)
        artists = self._store.columns["artist"]
        a, vocab = self.analyzer_, model.vocabulary
        own = [i * len(model) + vocab[t] for i, r in enumerate(rows.tolist())
               for w in a.raw_words(str(artists[r] or "")) for t in a.word_terms(w) if t in vocab]
        if own:
            mine = ~np.isin(owner * len(model) + words, own)
            owner, cols, words, contrib = owner[mine], cols[mine], words[mine], contrib[mine]
        order = np.lexsort((cols, -contrib, owner))
        owner, words = owner[order], words[order]
        # each row's first n: its entries sit together, best first
        first = np.searchsorted(owner, owner)
        top = np.arange(len(owner)) - first < n
        out: list[list[str]] = [[] for _ in range(len(rows))]
        for r, j in zip(owner[top].tolist(), words[top].tolist()):
            t = model.terms[j]
            out[r].append(model.display.get(t, t))
        return [tuple(w) for w in out]

    def _learned_columns(self) -> np.ndarray:
        """Each index term's row in the learned model, built once: -1 where it
        has none, or where it is two ASCII letters (a name's part more often
        than a word: "ji"), never shown as a reason."""
        def build() -> np.ndarray:
            assert self.learned_ is not None
            vocab = self.learned_.vocabulary
            return np.array([vocab.get(t, -1) if len(t) > 2 or not t.isascii() else -1 for t in self.terms_],
                            dtype=np.int64)
        return self._lazy("_columns_cache", build)

    def _explain_row(self, plan: QueryPlan, row: int, weights: np.ndarray, factor: float,
                     typed: dict[str, str]) -> tuple[Reason, ...]:
        """Why ``row`` fits ``plan``, given its weights for ``plan.terms``, its
        polarity factor and how the query typed its words (``_typed_words``)."""
        if len(plan.terms) == 0 and plan.valence != 0:
            mood = "bright" if plan.valence > 0 else "sad"
            return (Reason("mood", f"its mood is {mood}, as the query asks", (), 1.0),)
        contrib = plan.weights * weights
        total = float(contrib.sum())
        if total <= 0:
            return ()
        groups: dict[tuple[str, str], list[tuple[float, str]]] = {}
        # a song has few of a query's (often hundreds of) expansion words: visit only those
        for j in np.flatnonzero(contrib > 0).tolist():
            groups.setdefault(plan.sources[j], []).append((float(contrib[j]), self._display(int(plan.terms[j]))))
        reasons = []
        for (kind, label), items in groups.items():
            items.sort(key=lambda x: -x[0])
            share = sum(c for c, _ in items) / total
            words = tuple(dict.fromkeys(w for _, w in items if not w.startswith("~")))
            reasons.append(Reason(kind, label, words if kind in ("feeling", "association") else (), round(share, 4)))
        reasons.sort(key=lambda r: -r.share)
        said = {r.label for r in reasons if r.kind == "spelling"}
        unsaid = [f'"{typed}" read as "{meant}"' for typed, meant in plan.corrections.items()]
        reasons[:0] = [Reason("spelling", label, (), 0.0) for label in unsaid if label not in said]
        if plan.pairs and self.proximity > 0:
            share = self._pair_share(plan, row)
            if share > 0:
                said = [(typed.get(x) or self._say(x), typed.get(y) or self._say(y)) for x, y in plan.pairs]
                together = ", ".join(f'"{x} {y}"' for x, y in said)
                reasons.append(Reason("word", f"has the query's words side by side ({together})", (), 0.0))
        if factor < 0.9:
            mood = "bright" if plan.valence > 0 else "sad"
            reasons.append(Reason("mood", f"ranked lower: the song's mood is not as {mood} as the query", (), 0.0))
        return tuple(reasons)

    def _typed_words(self, query: str) -> dict[str, str]:
        """Each term of ``query`` as the query typed it ("missing", not the
        stem "miss"); a term the query did not type (a misspelling read as a
        word) is said as curators write it (``_say``)."""
        typed: dict[str, str] = {}
        for tok in self.analyzer_.tokens(query[:MAX_QUERY_CHARS]):
            if tok.terms and not tok.stop:
                typed.setdefault(tok.terms[-1], tok.surface)
        return typed

    def _display(self, term: int) -> str:
        return self._say(self.terms_[term])

    def _say(self, t: str) -> str:
        """A term in words: as the lexicon or the associations write it."""
        return self.lexicon_.display.get(t) or self.associations_.display.get(t, t)

    def _matches(self, plan: QueryPlan, rows: np.ndarray, scores: np.ndarray) -> list[Match]:
        out = []
        reasons = self._explain_rows(plan, rows)
        for rank, (row, score, why) in enumerate(zip(rows.tolist(), scores.tolist(), reasons), start=1):
            rec = self._record(row)
            fields = {k: v for k, v in rec.items() if k not in _CORE_COLUMNS}
            out.append(Match(rec["song_id"], rec["title"], rec["artist"], float(score), rank, fields, why))
        return out

    # ---------------------------------------------------------------- public
    def recommend(
        self,
        query: str,
        k: int = 5,
        *,
        themes: str | Iterable[str] | None = None,
        artist: str | Iterable[str] | None = None,
        year: tuple[int | None, int | None] | None = None,
        exclude: Iterable[str] | None = None,
    ) -> Recommendations:
        """The k songs that best fit ``query``, best first.

        Only songs with a positive score come back, so fewer than k can; a
        query with no known word gives empty Recommendations.  Ties keep
        catalog order, so the same query always gives the same list.

        Filters are applied before the top k is chosen, so k songs come back
        whenever k songs pass them: ``themes`` (a song with any of them),
        ``artist`` (case-insensitive, English or Hangul name), ``year``
        (``(start, end)``, inclusive, either end None for open) and
        ``exclude`` (song ids).

        >>> import moodrec
        >>> rec = moodrec.Recommender().fit(moodrec.load_songs())
        >>> [m.rank for m in rec.recommend("missing someone", k=3)]
        [1, 2, 3]
        """
        self._check_fitted()
        check_query(query)
        k = check_k(k)
        allowed, ex_rows = self._filters(themes, artist, year, exclude)
        plan = self.analyze(query)
        rows, scores = self._ranked(plan, k, allowed, ex_rows)
        return Recommendations(query, self._matches(plan, rows, scores))

    def recommend_many(self, queries: Iterable[str], k: int = 5) -> list[Recommendations]:
        """:meth:`recommend` for many queries at once, in order.

        Every query is validated first, so a bad one fails the batch before any
        work is done.  Query analysis is shared between repeated queries.

        >>> import moodrec
        >>> rec = moodrec.Recommender().fit(moodrec.load_songs())
        >>> [len(r) for r in rec.recommend_many(["rain", "first love"], k=2)]
        [2, 2]
        """
        self._check_fitted()
        if isinstance(queries, str):
            raise TypeError("queries must be an iterable of str, not a single str: use recommend()")
        queries = list(queries)
        for i, q in enumerate(queries):
            try:
                check_query(q)
            except (TypeError, ValueError) as exc:
                raise type(exc)(f"queries[{i}]: {exc}") from None
        k = check_k(k)
        plans: dict[str, QueryPlan] = {}
        out = []
        for q in queries:
            plan = plans.get(q)
            if plan is None:
                plan = plans[q] = self.analyze(q)
            rows, scores = self._ranked(plan, k)
            out.append(Recommendations(q, self._matches(plan, rows, scores)))
        return out

    def transform(self, queries: str | Iterable[str]) -> sp.csr_matrix:
        """Queries as vectors in the songs' TF-IDF space (rows L2-normalised).

        Row i is the vector the engine scores query i with (expansions and
        spelling included), so ``transform(q) @ matrix_.T`` gives the cosine part
        of the scores.  Useful to place a query on a map of the songs.

        >>> import moodrec
        >>> rec = moodrec.Recommender().fit(moodrec.load_songs())
        >>> rec.transform(["rain", "first love"]).shape == (2, len(rec.terms_))
        True
        """
        self._check_fitted()
        if isinstance(queries, str):
            queries = [queries]
        plans = [self.analyze(q) for q in queries]
        indptr = np.cumsum([0] + [len(p.terms) for p in plans])
        indices = np.concatenate([p.terms for p in plans]) if plans else np.empty(0, np.int64)
        data = np.concatenate([p.weights for p in plans]) if plans else np.empty(0)
        return sp.csr_matrix((data, indices, indptr), shape=(len(plans), len(self.terms_)))

    def similar(
        self,
        song_id: str,
        k: int = 5,
        *,
        themes: str | Iterable[str] | None = None,
        artist: str | Iterable[str] | None = None,
        year: tuple[int | None, int | None] | None = None,
        exclude: Iterable[str] | None = None,
    ) -> Recommendations:
        """Songs most like ``song_id`` (the song itself excluded), best first.

        >>> import moodrec
        >>> rec = moodrec.Recommender().fit(moodrec.load_songs())
        >>> "ben-lonely-night" in rec.similar("ben-lonely-night").song_ids
        False
        """
        self._check_fitted()
        k = check_k(k)
        row = self._row(song_id)
        start, end = self.matrix_.indptr[row], self.matrix_.indptr[row + 1]
        terms = self.matrix_.indices[start:end].astype(np.int64)
        weights = self.matrix_.data[start:end].astype(np.float64)
        title = self._record(row)["title"]
        plan = QueryPlan(
            query=song_id, terms=terms, weights=weights,
            sources=[("word", self.terms_[t]) for t in terms.tolist()],
            valence=float(self.valence_[row]),
        )
        allowed, ex_rows = self._filters(themes, artist, year, exclude)
        rows, scores = self._rank(plan, k, allowed, [row, *ex_rows])
        matches = self._matches(plan, rows, scores)
        matches = [
            Match(m.song_id, m.title, m.artist, m.score, m.rank, m.fields,
                  (Reason("similar", f"shares words with {title}", (), 1.0),)
                  + tuple(Reason("word", r.label, (), r.share) for r in m.reasons[:3] if r.kind == "word"))
            for m in matches
        ]
        return Recommendations(song_id, matches)

    def explain(self, query: str, song_id: str) -> Match:
        """Why ``song_id`` fits ``query`` (or does not): its score and reasons.

        Works for any song of the catalog, ranked or not; ``rank`` is the
        song's place in the full ranking (0 when it does not match at all).

        >>> import moodrec
        >>> rec = moodrec.Recommender().fit(moodrec.load_songs())
        >>> m = rec.explain("drinking alone", "ben-lonely-night")
        >>> m.rank, m.reasons[0].share > 0
        (1, True)
        """
        self._check_fitted()
        check_query(query)
        row = self._row(song_id)
        plan = self.analyze(query)
        score, rank = self._place(plan, row)
        rec = self._record(row)
        fields = {k: v for k, v in rec.items() if k not in _CORE_COLUMNS}
        return Match(rec["song_id"], rec["title"], rec["artist"], score, rank, fields,
                     self._explain_rows(plan, np.array([row]))[0] if score > 0 else ())

    def _place(self, plan: QueryPlan, row: int) -> tuple[float, int]:
        """``row``'s final score and its rank in the full ranking (0 if it does not match).

        The song's own score comes from ranking it alone; its rank from the
        exact top k for growing k, so explaining a song near the top of a
        million-song catalog costs a few pruned rankings, not a full sort.
        """
        alone = np.zeros(self.n_songs_, bool)
        alone[row] = True
        ids, scores = self._rank(plan, 1, alone)
        score = float(scores[0]) if len(ids) else 0.0
        if plan.learned is not None:
            # as ``_ranked`` scores it: against the catalog's best engine score
            best = self._rank(plan, 1)[1]
            engine = np.array([score / float(best[0]) if len(best) and best[0] > 0 else 0.0])
            sims = np.asarray(self.song_vectors_[row : row + 1], dtype=np.float32) @ plan.learned
            learned, final = self._blend(engine, sims, plan.learned_weight)
            score = float(final[0])
            plan.parts[row] = (float(engine[0]), float(learned[0]))
        if score <= 0:
            return 0.0, 0
        # the first k: what recommend(query, k) ranks the learned similarity
        # over (its window), so a song it returns is placed where it showed it
        k = 64 if plan.learned is None else self._window(plan)
        while True:
            k = min(k, self.n_songs_)
            ranked, ranked_scores = self._ranked(plan, k)
            where = np.flatnonzero(ranked == row)
            if len(where):
                return float(ranked_scores[where[0]]), int(where[0]) + 1
            # fewer than k songs: the whole ranking; with the learned similarity,
            # whose window grows with k, once the engine itself finds fewer
            exhausted = len(ranked) < k and (plan.learned is None or len(self._rank(plan, k)[0]) < k)
            if k >= self.n_songs_ or exhausted:
                # a song the engine does not find, in a catalog too large for
                # the learned model to bring songs in, is scored but not ranked
                return score, 0
            k *= 8

    def browse(self, theme: str, query: str | None = None, k: int = 10) -> Recommendations:
        """Songs of one theme: ranked by fit to ``query``, or in catalog order.

        >>> import moodrec
        >>> rec = moodrec.Recommender().fit(moodrec.load_songs())
        >>> all("trot" in m.themes for m in rec.browse("trot", k=3))
        True
        """
        self._check_fitted()
        k = check_k(k)
        allowed, _ = self._filters(theme, None, None, None)
        assert allowed is not None
        if query is not None:
            return self.recommend(query, k, themes=theme)
        rows = np.flatnonzero(allowed)[:k]
        plan = QueryPlan(query="", terms=np.empty(0, np.int64), weights=np.empty(0), sources=[])
        matches = self._matches(plan, rows, np.ones(len(rows)))
        return Recommendations(f"theme:{theme}", matches)

    def themes(self) -> dict[str, int]:
        """Each theme of the catalog with its number of songs, most first.

        >>> import moodrec
        >>> counts = moodrec.Recommender().fit(moodrec.load_songs()).themes()
        >>> counts["trot"] >= 10
        True
        """
        self._check_fitted()
        return {t: int(mask.sum()) for t, mask in sorted(
            self._theme_masks().items(), key=lambda kv: (-int(kv[1].sum()), kv[0]))}

    def add(self, songs: CatalogLike) -> "Recommender":
        """A new Recommender with ``songs`` appended to the catalog.

        New releases get ids, validation and vectors like the rest; this
        recommender is left unchanged.  A song id already in the catalog is a
        :class:`CatalogError`.

        >>> import moodrec, pandas as pd
        >>> rec = moodrec.Recommender().fit(moodrec.load_songs())
        >>> new = pd.DataFrame({"title": ["Rain Letter"], "artist": ["Nobody Yet"],
        ...                     "blurb": ["A quiet song for a rainy walk home after a long goodbye."]})
        >>> rec.add(new).n_songs_ == rec.n_songs_ + 1
        True
        """
        self._check_fitted()
        new = validate_catalog(songs)
        combined = pd.concat([self._frame(), new], ignore_index=True, sort=False)
        if "source_lines" in combined.attrs:
            del combined.attrs["source_lines"]
        return type(self)(**self.get_params()).fit(combined)

    def _theme_masks(self) -> dict[str, np.ndarray]:
        """theme -> which songs have it; built once, from the distinct theme cells
        (a catalog repeats a few combinations), so a million songs cost numpy's time."""

        def build() -> dict[str, np.ndarray]:
            if "themes" not in self._store.names:
                return {}
            codes, cells = pd.factorize(pd.Series(self._store.column("themes"), dtype=object))
            holders: dict[str, list[int]] = {}
            for c, cell in enumerate(cells):
                for t in split_list(cell):
                    holders.setdefault(t, []).append(c)
            return {t: np.isin(codes, cs) for t, cs in holders.items()}

        return self._lazy("_theme_cache", build)

    def _filters(self, themes: Any, artist: Any, year: Any, exclude: Any) -> tuple[np.ndarray | None, list[int]]:
        """The mask of songs that pass the filters (None: all) and excluded rows."""
        allowed: np.ndarray | None = None

        def narrow(mask: np.ndarray) -> None:
            nonlocal allowed
            allowed = mask if allowed is None else (allowed & mask)

        if themes is not None:
            names = [themes] if isinstance(themes, str) else list(themes)
            if not names or not all(isinstance(t, str) for t in names):
                raise ValueError(f"themes must be a theme name or a list of them, got {themes!r}")
            masks = self._theme_masks()
            if not masks:
                raise ValueError("themes= needs a catalog with a 'themes' column; this one has none")
            unknown = [t for t in names if t not in masks]
            if unknown:
                raise ValueError(
                    f"unknown theme(s) {unknown}; the catalog's themes are: {', '.join(sorted(masks))}"
                )
            m = np.zeros(self.n_songs_, bool)
            for t in names:
                m |= masks[t]
            narrow(m)
        if artist is not None:
            names = [artist] if isinstance(artist, str) else list(artist)
            if not names or not all(isinstance(a, str) and a.strip() for a in names):
                raise ValueError(f"artist must be an artist name or a list of them, got {artist!r}")
            wanted = {a.strip().casefold() for a in names}
            cols = [c for c in ("artist", "artist_ko") if c in self._store.names]
            m = np.zeros(self.n_songs_, bool)
            for c in cols:
                m |= np.array([isinstance(v, str) and v.casefold() in wanted for v in self._store.column(c)])
            narrow(m)
        if year is not None:
            if (
                not isinstance(year, tuple) or len(year) != 2
                or not all(y is None or (isinstance(y, numbers.Integral) and not isinstance(y, bool)) for y in year)
            ):
                raise ValueError(f"year must be a (start, end) tuple of ints or None, got {year!r}")
            if "year" not in self._store.names:
                raise ValueError("year= needs a catalog with a 'year' column; this one has none")
            ys = np.array([np.nan if y is None else float(y) for y in self._store.column("year")])
            m = ~np.isnan(ys)
            if year[0] is not None:
                m &= ys >= year[0]
            if year[1] is not None:
                m &= ys <= year[1]
            narrow(m)
        ex_rows: list[int] = []
        if exclude is not None:
            ids = [exclude] if isinstance(exclude, str) else list(exclude)
            ex_rows = [self._row(s) for s in ids]
        return allowed, ex_rows

    def _row(self, song_id: Any) -> int:
        if not isinstance(song_id, str):
            raise TypeError(f"song_id must be a str, got {type(song_id).__name__}")
        try:
            return self._row_index()[song_id]
        except KeyError:
            raise UnknownSongError(f"song_id {song_id!r} is not in the catalog") from None


def _expansion_matrix(lexicon: Lexicon, vocab: dict[str, int], idf: np.ndarray) -> sp.csr_matrix:
    """Feelings x terms: the words each feeling expands a query with, as a unit
    vector of weight x idf.  A row keeps its words in the order chosen (the
    feeling's own term, its cues, its related words), which is the order a
    query adds them in.
    """
    indptr = [0]
    indices: list[int] = []
    data: list[float] = []
    for f in lexicon.feelings:
        block: dict[str, float] = {}
        if f"~{f.name}" in vocab:
            # the feeling itself outweighs any one of its words (dev
            # nDCG@5 is flat for weights 1.5 to 5, lower at 1)
            block[f"~{f.name}"] = _FEELING_TERM_WEIGHT
        for term, _word in f.cue_terms:
            if term in vocab:
                block[term] = max(block.get(term, 0.0), 0.8)
        for term, w, _word in f.related:
            if term in vocab:
                block[term] = max(block.get(term, 0.0), w)
        if len(block) > MAX_EXPANSION:
            strength = {t: w * idf[vocab[t]] for t, w in block.items()}
            keep = sorted(block, key=lambda t: (-strength[t], t))[:MAX_EXPANSION]
            block = {t: block[t] for t in keep}
        v = {t: w * idf[vocab[t]] for t, w in block.items()}
        n = math.sqrt(sum(x * x for x in v.values()))
        if n > 0:
            indices.extend(vocab[t] for t in v)
            data.extend(x / n for x in v.values())
        indptr.append(len(indices))
    # built from arrays, not (row, col) pairs: scipy keeps each row's order
    return sp.csr_matrix(
        (np.array(data, np.float64), np.array(indices, np.int32), np.array(indptr, np.int64)),
        shape=(len(lexicon.feelings), max(len(vocab), 1)),
    )


_CHUNK = 100_000


def _entries_at(table: Mapping[tuple[str, ...], Any], keys: Sequence[str], i: int,
                longest: int) -> Iterator[tuple[int, Any]]:
    """The entries of a table keyed by word-key tuples (genres, tone words)
    that the query's ``keys`` have starting at ``i``, longest first: (length,
    value); ``longest`` is the table's longest key.

    >>> list(_entries_at({("j", "pop"): "jpop", ("pop",): "pop"}, ["j", "pop"], 0, 2))
    [(2, 'jpop')]
    """
    for n in range(min(longest, len(keys) - i), 0, -1):
        value = table.get(tuple(keys[i : i + n]))
        if value is not None:
            yield n, value


def _match_key(analyzer: Analyzer, tok: Token) -> str:
    """A query token's key in the genre and tone tables (a corrected Latin
    word by the word it was read as)."""
    return analyzer.strip_particle(tok.surface) if tok.hangul else tok.key


def _learned_vectors(learned: LearnedModel, blurb_counts: sp.csr_matrix, terms: Sequence[str]) -> np.ndarray:
    """Each blurb's unit vector in the learned model (float16, songs x dim), in
    chunks so that a million songs never hold more than a chunk in float32."""
    out = np.zeros((blurb_counts.shape[0], learned.dim), dtype=np.float16)
    step = 1 << 16
    for start in range(0, blurb_counts.shape[0], step):
        part = blurb_counts[start : start + step]
        out[start : start + part.shape[0]] = learned.embed(learned.features_of_counts(part, terms))
    return out


def _count_matrix(texts: Sequence[str], analyzer: Analyzer, vocab: dict[str, int]) -> sp.csr_matrix:
    """Term counts of ``texts`` (one row each); new terms are added to ``vocab``.

    Texts are counted in chunks, so the temporary word arrays stay small
    whatever the catalog's size.
    """
    if len(texts) <= _CHUNK:
        return _count_chunk(texts, analyzer, vocab)
    known: dict[str, tuple[int, ...]] = {}
    parts = [_count_chunk(texts[i : i + _CHUNK], analyzer, vocab, known) for i in range(0, len(texts), _CHUNK)]
    width = max(len(vocab), 1)
    for part in parts:
        part.resize((part.shape[0], width))
    return sp.vstack(parts, format="csr")


def _count_chunk(texts: Sequence[str], analyzer: Analyzer, vocab: dict[str, int],
                 known: dict[str, tuple[int, ...]] | None = None) -> sp.csr_matrix:
    """Counts for one chunk: its words are factorised at once (a C hash
    table), so each distinct word is analysed once in Python and the
    per-word work is numpy's.  ``known`` holds the term ids of words that
    earlier chunks met (ids never change once given).
    """
    known = {} if known is None else known
    found = _chunk_words(texts)
    if found is None:
        found = _chunk_words_per_text(texts, analyzer)
    codes, doc_of_word, uniques = found
    if len(codes) == 0:
        return sp.csr_matrix((len(texts), max(len(vocab), 1)))
    codes, doc_of_word = _merge_phrases(codes, doc_of_word, uniques, analyzer)
    # terms of each distinct word, as a CSR table word -> term ids
    word_ptr = [0]
    word_terms: list[int] = []
    for w in uniques:
        ids = known.get(w)
        if ids is None:
            ids = known[w] = tuple([vocab.setdefault(t, len(vocab)) for t in analyzer.word_terms(w)])
        word_terms.extend(ids)
        word_ptr.append(len(word_terms))
    ptr = np.asarray(word_ptr, dtype=np.int64)
    table = np.asarray(word_terms, dtype=np.int64)
    per_word = np.diff(ptr)[codes]
    rows = np.repeat(doc_of_word, per_word)
    # position of each emitted term inside its word's slice of the table
    starts = np.repeat(ptr[codes], per_word)
    offset = np.arange(len(rows), dtype=np.int64) - np.repeat(np.cumsum(per_word) - per_word, per_word)
    cols = table[starts + offset]
    matrix = sp.csr_matrix(
        (np.ones(len(rows), dtype=np.float32), (rows.astype(np.int32), cols.astype(np.int32))),
        shape=(len(texts), max(len(vocab), 1)),
    )
    matrix.sum_duplicates()
    return matrix


_Words = tuple[np.ndarray, np.ndarray, list[str]]


def _chunk_words_per_text(texts: Sequence[str], analyzer: Analyzer) -> _Words:
    """(word codes, text of each word, distinct words in order of first use),
    analysing one text at a time: the plain path, and the reference the fast
    path (:func:`_chunk_words`) must equal."""
    per_text = [analyzer.raw_words(t, merge=False) if t else [] for t in texts]
    lengths = np.fromiter(map(len, per_text), dtype=np.int64, count=len(per_text))
    flat = list(chain.from_iterable(per_text))
    del per_text
    if not flat:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), []
    codes, uniques_index = pd.factorize(pd.Series(flat, dtype=object), sort=False)
    doc_of_word = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
    return codes.astype(np.int64, copy=False), doc_of_word, list(uniques_index)


def _chunk_words(texts: Sequence[str]) -> _Words | None:
    """What :func:`_chunk_words_per_text` gives, from one pass over all the
    ASCII texts and one over the others (None if a text holds TEXT_BREAK).

    Words come grouped by part, each text's words together and in order;
    codes number the distinct words in order of first use in the catalog's
    order, as the plain path does, since that order makes the vocabulary.
    """
    is_ascii = np.fromiter(map(str.isascii, texts), dtype=bool, count=len(texts))
    parts = []
    for rows in (np.flatnonzero(is_ascii), np.flatnonzero(~is_ascii)):
        if len(rows) == 0:
            continue
        words = joined_words([texts[i] for i in rows])
        if words is None:
            return None
        # a break first, so that it is word 0: no renumbering after dropping breaks
        stream = np.empty(len(words) + 1, dtype=object)
        stream[0] = TEXT_BREAK
        stream[1:] = words
        del words
        codes, uniques_index = pd.factorize(stream, sort=False)
        del stream
        is_word = codes != 0
        # breaks before a word, less the leading one: the text it belongs to
        doc = rows[np.cumsum(~is_word)[is_word] - 1]
        codes = codes[is_word].astype(np.int64, copy=False)
        codes -= 1
        uniques = list(uniques_index[1:])
        if len(codes) == 0:
            continue
        # codes count up in order of first use: a new running maximum is a
        # word's first use
        top = np.maximum.accumulate(codes)
        first = np.flatnonzero(np.r_[True, top[1:] > top[:-1]])
        parts.append((codes, doc, uniques, doc[first], first))
    if not parts:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), []
    if len(parts) == 1:
        codes, doc, uniques, _, _ = parts[0]
        return codes, doc, uniques
    (codes_a, doc_a, words_a, first_doc_a, first_at_a), (codes_b, doc_b, words_b, first_doc_b, first_at_b) = parts
    # one numbering for both parts, ordered by (text, place in the text) of first use
    index = {w: i for i, w in enumerate(words_a)}
    words = list(words_a)
    to_union = np.empty(len(words_b), dtype=np.int64)
    for j, w in enumerate(words_b):
        i = index.get(w)
        if i is None:
            i = len(words)
            words.append(w)
        to_union[j] = i
    first_doc = np.concatenate([first_doc_a, np.zeros(len(words) - len(words_a), np.int64)])
    first_at = np.concatenate([first_at_a, np.zeros(len(words) - len(words_a), np.int64)])
    only_b = to_union >= len(words_a)
    earlier = only_b | (first_doc_b < first_doc[to_union])
    first_doc[to_union[earlier]] = first_doc_b[earlier]
    first_at[to_union[earlier]] = first_at_b[earlier]
    order = np.lexsort((first_at, first_doc))
    renumber = np.empty(len(words), dtype=np.int64)
    renumber[order] = np.arange(len(words), dtype=np.int64)
    codes = np.concatenate([renumber[codes_a], renumber[to_union[codes_b]]])
    doc = np.concatenate([doc_a, doc_b])
    return codes, doc, [words[i] for i in order]


def _merge_phrases(
    codes: np.ndarray, doc: np.ndarray, uniques: list[str], analyzer: Analyzer
) -> tuple[np.ndarray, np.ndarray]:
    """Join multi-word synonyms in a factorised word stream, vectorised.

    The same result as :meth:`Analyzer.merge_phrases` on each text: longest
    phrases first, never across two texts.  ``uniques`` grows with the joined
    words it needs.
    """
    index = {w: i for i, w in enumerate(uniques)}
    keep = np.ones(len(codes), dtype=bool)
    codes = codes.astype(np.int64, copy=True)
    table = analyzer.phrase_table()
    # Only a word that begins a phrase can begin one: look at those places
    # alone, not at the whole stream once per phrase.  A place that a longer
    # phrase has rewritten was such a place already.
    is_first = np.zeros(len(uniques), dtype=bool)
    is_first[[index[parts[0]] for parts, _ in table if parts[0] in index]] = True
    candidates = np.flatnonzero(is_first[codes])
    if len(candidates) == 0:
        return codes, doc
    for parts, joined in table:
        ids = [index.get(w) for w in parts]
        if any(i is None for i in ids):
            continue
        n = len(parts)
        if len(codes) < n:
            continue
        starts = candidates[codes[candidates] == ids[0]]
        starts = starts[starts <= len(codes) - n]
        for j in range(1, n):
            if len(starts) == 0:
                break
            starts = starts[(codes[starts + j] == ids[j]) & (doc[starts + j] == doc[starts])]
        if len(starts) == 0:
            continue
        span = starts[:, None] + np.arange(n)
        starts = starts[keep[span].all(axis=1)]
        if len(starts) == 0:
            continue
        target = index.get(joined)
        if target is None:
            target = index[joined] = len(uniques)
            uniques.append(joined)
        codes[starts] = target
        keep[(starts[:, None] + np.arange(1, n)).ravel()] = False
    return codes[keep], doc[keep]
