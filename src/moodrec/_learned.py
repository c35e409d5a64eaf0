"""A query-to-blurb similarity learned from example songs we wrote.

The lexicon and the word associations link a query to blurbs word by word.
Some queries only make sense as a whole: "she tells me about her dates and I
just nod along" is about loving a friend who does not love you back, though
no word of it says so.  This model reads a whole query and a whole blurb:
every word of its vocabulary has a vector of ``DIM`` numbers, and a text's
vector is the sum of its words' vectors weighted by TF-IDF, scaled to length
1.  A query's pairs of neighbouring words ("not sad", "got dumped") that
enough example queries have are terms with vectors of their own, so that the
model reads some of a query's word order.  A query and a blurb are as
similar as the cosine of their vectors.

The vectors are trained on ``data/examples.jsonl`` in the repository:
invented songs, each with a curator-style blurb and the queries a listener
would type when it is the best pick (never a catalog song, never a judged
query).  Training asks every example query to pick its own blurb out of all
the example blurbs (softmax over cosines times ``SCALE``, plain numpy and
Adam), so words that people type and words that curators write for the same
songs end up close.  ``python scripts/train_learned.py`` writes the shipped
model ``moodrec/data/learned.npz``; no model is downloaded.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Container, Iterable, Mapping, Sequence
from functools import lru_cache
from importlib import resources
from itertools import pairwise
from typing import Any

import numpy as np
import scipy.sparse as sp

from ._text import Analyzer

__all__ = ["LearnedModel", "blurb_counts", "query_terms", "train", "word_pairs"]

#: numbers per word vector
DIM = 128
#: cosines are multiplied by this in training's softmax (its temperature)
SCALE = 7.0
#: passes over the example queries
EPOCHS = 10
#: a word must appear in this many example texts (queries and blurbs) to get a vector
MIN_TEXTS = 2
#: a pair of neighbouring words (``word_pairs``), in this many example queries
MIN_PAIR_TEXTS = 20
#: in training, the chance that a query's term is left out each time it is read
WORD_DROPOUT = 0.15
#: how the model is trained; a model trained an earlier way is stale
#: (``scripts/train_learned.py --check``).  2: a Korean word's particle
#: is split off in training as it is in a query (``query_terms``); 3: the
#: step size falls to 0 over training; 4: pairs of neighbouring words, and
#: words left out of queries at random while training; 5: a softer softmax
#: (``SCALE`` 7, not 10).
TRAINING_VERSION = 5


def blurb_counts(blurbs: Sequence[str], analyzer: Analyzer) -> tuple[sp.csr_matrix, list[str]]:
    """Term counts of blurbs as a fitted Recommender counts them (without what
    they say a song is not), and the terms of the columns."""
    from ._recommender import _count_matrix

    vocab: dict[str, int] = {}
    counts = _count_matrix([analyzer.drop_contrasts(b) for b in blurbs], analyzer, vocab)
    counts.resize((len(blurbs), max(len(vocab), 1)))
    terms = [""] * len(vocab)
    for t, j in vocab.items():
        terms[j] = t
    return counts.tocsr(), terms


def query_terms(tokens: Iterable[Any], known: Container[str] | None = None,
                analyzer: Analyzer | None = None, pairs: bool = False) -> list[str]:
    """A query's terms as the model reads them: of its tokens (informal
    spellings written out, misspellings as corrected), stop words left out.

    With ``pairs``, each two neighbouring words of a clause (not both stop
    words) are a term too ("nothing more", "got dump"), so that the model
    reads some of a query's word order; with ``known``, only the pairs it
    knows, each Korean word in them read as its stem as below.

    With the model's vocabulary (``known``) and the ``analyzer``, a Korean
    word read with its particle split off (이별을: 이별을 and 이별) stands for
    its stem alone: the shortest the model knows of the stems the analyser
    splits off one after another, so that a particle never changes what the
    query means (이별을 and 이별 give the same terms).  Training reads the
    example queries the same way.

    >>> from moodrec._text import Analyzer
    >>> a, model = Analyzer(), shipped()
    >>> query_terms(a.tokens("이별을")), query_terms(a.tokens("이별을"), model.vocabulary, a)
    (['이별을', '이별'], ['이별'])
    """
    tokens = list(tokens)
    out: list[str] = []
    words: list[str] = []  # each token as one word, for its pairs
    for tok in tokens:
        terms = tok.terms
        if known is not None and analyzer is not None and tok.hangul and len(terms) > 1:
            # the shortest stem the model knows, of those the analyser splits
            # off one after another (each shorter than the last)
            stem, best = terms[-1], None
            while True:
                if stem in known:
                    best = stem
                shorter = analyzer.word_terms(stem)
                if len(shorter) > 1 and len(shorter[-1]) < len(stem):
                    stem = shorter[-1]
                else:
                    break
            if best is not None:
                terms = (best,)
        out.extend(terms)
        words.append(terms[-1] if terms else tok.key)
    if pairs:
        out.extend(p for p in word_pairs(tokens, words) if known is None or p in known)
    return out


def word_pairs(tokens: Sequence[Any], words: Sequence[str] | None = None) -> list[str]:
    """Neighbouring words of a clause as "first second", leaving out pairs
    of two stop words.  A token's word is its stem (a stop word as itself),
    or ``words`` (one per token) when given.

    >>> from moodrec._text import Analyzer
    >>> word_pairs(Analyzer().tokens("a pal and nothing more, not weepy"))
    ['a pal', 'pal and', 'and nothing', 'nothing more', 'not weepy']
    """
    if words is None:
        words = [tok.terms[-1] if tok.terms else tok.key for tok in tokens]
    return [f"{words[i]} {words[i + 1]}" for i, (a, b) in enumerate(pairwise(tokens))
            if a.clause == b.clause and not (a.stop and b.stop)]


def _drop_words(x: sp.csr_matrix, p: float, rng: np.random.Generator) -> sp.csr_matrix:
    """``x`` with each entry left out with probability ``p``; a row that
    would lose all its entries keeps its largest."""
    if not p > 0:
        return x
    x = x.copy()
    keep = rng.random(len(x.data)) >= p
    sizes = np.diff(x.indptr)
    kept = np.bincount(np.repeat(np.arange(x.shape[0]), sizes)[keep], minlength=x.shape[0])
    for r in np.flatnonzero((kept == 0) & (sizes > 0)).tolist():
        a, b = x.indptr[r], x.indptr[r + 1]
        keep[a + int(np.argmax(x.data[a:b]))] = True
    x.data = x.data * keep
    return x


def _l2_rows(x: sp.csr_matrix) -> sp.csr_matrix:
    """Rows scaled to length 1 (empty rows stay empty)."""
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return (sp.diags(1.0 / norms).astype(np.float32) @ x).tocsr()


def _unit_rows(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    norms = np.linalg.norm(z, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return z / norms, norms


class LearnedModel:
    """Word vectors (``terms`` x ``DIM``), the words' idf and their display forms."""

    def __init__(self, terms: Sequence[str], idf: np.ndarray, vectors: np.ndarray,
                 display: Mapping[str, str] | None = None, info: Mapping[str, Any] | None = None) -> None:
        terms = [str(t) for t in terms]
        idf = np.asarray(idf, dtype=np.float32)
        vectors = np.asarray(vectors)
        if vectors.ndim != 2 or vectors.shape[0] != len(terms) or idf.shape != (len(terms),):
            raise ValueError(f"a learned model needs one vector and one idf per term: {len(terms)} terms, "
                             f"vectors {vectors.shape}, idf {idf.shape}")
        if not (np.isfinite(idf).all() and np.isfinite(vectors).all()):
            raise ValueError("a learned model's numbers must be finite")
        self.terms = terms
        self.vocabulary = {t: i for i, t in enumerate(terms)}
        self.idf = idf
        #: float32 for computing, at the float16 precision they are stored in
        self.vectors = vectors.astype(np.float16).astype(np.float32)
        self.display = dict(display or {})
        self.info = dict(info or {})

    @property
    def reads_pairs(self) -> bool:
        """Whether queries are read with pairs of neighbouring words
        (``query_terms(pairs=True)``): models trained before pairs were not.

        >>> model = shipped()
        >>> model.reads_pairs
        True
        >>> info = {k: v for k, v in model.info.items() if k != "min_pair_texts"}
        >>> LearnedModel(model.terms, model.idf, model.vectors, info=info).reads_pairs
        False
        """
        return bool(self.info.get("min_pair_texts"))

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    def __len__(self) -> int:
        return len(self.terms)

    # ------------------------------------------------------------ features
    def _tfidf(self, rows: list[np.ndarray], tfs: list[np.ndarray]) -> sp.csr_matrix:
        indptr = np.cumsum([0] + [len(r) for r in rows])
        idx = np.concatenate(rows) if rows else np.empty(0, np.int64)
        tf = np.concatenate(tfs).astype(np.float32) if tfs else np.empty(0, np.float32)
        data = (1.0 + np.log(tf)) * self.idf[idx] if len(idx) else tf
        return _l2_rows(sp.csr_matrix((data, idx, indptr), shape=(len(rows), len(self.terms))))

    def features_of_terms(self, term_lists: Iterable[Sequence[str]]) -> sp.csr_matrix:
        """TF-IDF rows (sublinear tf, L2) of texts given as lists of terms; unknown terms are skipped."""
        rows, tfs = [], []
        for ts in term_lists:
            c = Counter(self.vocabulary[t] for t in ts if t in self.vocabulary)
            rows.append(np.fromiter(c.keys(), np.int64, len(c)))
            tfs.append(np.fromiter(c.values(), np.float32, len(c)))
        return self._tfidf(rows, tfs)

    def features_of_counts(self, counts: sp.csr_matrix, terms: Sequence[str]) -> sp.csr_matrix:
        """TF-IDF rows of a count matrix whose columns are ``terms``."""
        known = np.array([self.vocabulary.get(t, -1) for t in terms], dtype=np.int64)
        counts = counts.tocsr()
        cols = known[counts.indices] if len(counts.indices) else np.empty(0, np.int64)
        keep = cols >= 0
        row_of = np.repeat(np.arange(counts.shape[0]), np.diff(counts.indptr))
        x = sp.csr_matrix((counts.data[keep].astype(np.float32), (row_of[keep], cols[keep])),
                          shape=(counts.shape[0], len(self.terms)))
        x.sum_duplicates()
        x.data = (1.0 + np.log(x.data)) * self.idf[x.indices]
        return _l2_rows(x)

    def embed(self, features: sp.csr_matrix) -> np.ndarray:
        """Unit vectors of TF-IDF rows (a row with no known word stays 0)."""
        return _unit_rows(np.asarray(features @ self.vectors, dtype=np.float32))[0]

    def embed_terms(self, terms: Sequence[str]) -> np.ndarray | None:
        """A query's unit vector from its terms, or None when it has no known word."""
        counts = Counter(j for j in map(self.vocabulary.get, terms) if j is not None)
        if not counts:
            return None
        idx = np.fromiter(counts.keys(), np.int64, len(counts))
        x = (1.0 + np.log(np.fromiter(counts.values(), np.float32, len(counts)))) * self.idf[idx]
        v = x @ self.vectors[idx]  # the TF-IDF row's L2 norm cancels in the unit vector
        norm = float(np.linalg.norm(v))
        return v / norm if norm > 0 else None

    # --------------------------------------------------------- persistence
    def to_arrays(self) -> dict[str, np.ndarray]:
        return {"idf": self.idf, "vectors": self.vectors.astype(np.float16)}

    def to_json(self) -> dict[str, Any]:
        return {"terms": self.terms, "display": self.display, "info": self.info}

    @classmethod
    def from_parts(cls, doc: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> LearnedModel:
        return cls(doc["terms"], arrays["idf"], arrays["vectors"], doc.get("display"), doc.get("info"))

    def save_npz(self, path: Any) -> None:
        """The shipped form: one ``.npz`` of plain arrays (no pickle)."""
        np.savez_compressed(path, idf=self.idf, vectors=self.vectors.astype(np.float16),
                            doc=np.array(json.dumps(self.to_json(), ensure_ascii=False, sort_keys=True)))


@lru_cache(maxsize=1)
def shipped() -> LearnedModel:
    """The model in ``moodrec/data/learned.npz``, read once per process."""
    with resources.files("moodrec").joinpath("data", "learned.npz").open("rb") as fh, \
            np.load(fh, allow_pickle=False) as z:
        doc = json.loads(str(z["doc"]))
        return LearnedModel.from_parts(doc, {"idf": z["idf"], "vectors": z["vectors"]})


def train(examples: Sequence[Mapping[str, Any]], analyzer: Analyzer, *, dim: int = DIM, epochs: int = EPOCHS,
          scale: float = SCALE, batch: int = 512, lr: float = 3e-3, word_dropout: float = WORD_DROPOUT,
          seed: int = 0, log: Any = None) -> LearnedModel:
    """Train word vectors on examples (each with a ``blurb`` and ``queries``).

    Every example query scores every example blurb (cosine x ``scale``) and
    the cross-entropy of its own blurb is minimised with Adam, its step size
    falling linearly from ``lr`` to 0.  Each time a query is read, each of
    its terms is left out with probability ``word_dropout`` (never all of
    them), so that no one word has to carry a query.  Deterministic for a
    given seed on a given machine.
    """
    blurbs = [str(e["blurb"]) for e in examples]
    counts, count_terms = blurb_counts(blurbs, analyzer)
    tokens = [[analyzer.tokens(str(q)) for q in e["queries"]] for e in examples]
    owner = np.array([i for i, qs in enumerate(tokens) for _ in qs], dtype=np.int64)
    if len(owner) == 0:
        raise ValueError("no example queries to learn from")

    # vocabulary and idf over every text (queries and blurbs): a word people
    # only type, or only curators write, still gets a vector
    binary = counts.copy()
    binary.data[:] = 1
    blurb_df = Counter(dict(zip(count_terms, np.asarray(binary.sum(axis=0)).ravel().tolist())))

    def read(known: Container[str] | None) -> tuple[list[list[str]], Counter[str]]:
        flat = [query_terms(ts, known, analyzer, pairs=True) for qs in tokens for ts in qs]
        df = Counter(blurb_df)
        for ts in flat:
            df.update(set(ts))
        return flat, df

    # queries are read as at query time: with the vocabulary a first reading
    # gives, a Korean word stands for its stem alone when that is a word too
    _, df = read(None)
    flat_queries, df = read({t for t, n in df.items() if n >= MIN_TEXTS})
    n_texts = len(blurbs) + len(flat_queries)
    terms = sorted(t for t, n in df.items() if t and n >= (MIN_PAIR_TEXTS if " " in t else MIN_TEXTS))
    idf = np.array([np.log((1 + n_texts) / (1 + df[t])) + 1.0 for t in terms], dtype=np.float32)
    # display forms: the word curators and listeners write most for each term
    forms: dict[str, Counter[str]] = {}
    for text in blurbs + [str(q) for e in examples for q in e["queries"]]:
        for word in analyzer.raw_words(text):
            for t in analyzer.word_terms(word):
                forms.setdefault(t, Counter())[word.lower()] += 1
    display = {t: min(forms[t].items(), key=lambda kv: (-kv[1], kv[0]))[0] for t in terms if t in forms}

    rng = np.random.default_rng(seed)
    model = LearnedModel(terms, idf, (rng.standard_normal((len(terms), dim)) / np.sqrt(dim)).astype(np.float32),
                         display)
    xb = model.features_of_counts(counts, count_terms)
    xq = model.features_of_terms(flat_queries)
    xb_t = xb.T.tocsr()
    w = model.vectors
    m1 = np.zeros_like(w)
    m2 = np.zeros_like(w)
    step = 0
    steps = epochs * -(-len(owner) // batch)
    for epoch in range(epochs):
        order = rng.permutation(len(owner))
        loss = 0.0
        for start in range(0, len(order), batch):
            idx = order[start:start + batch]
            xq_b = _drop_words(xq[idx], word_dropout, rng)
            q, nq = _unit_rows(np.asarray(xq_b @ w))
            b, nb = _unit_rows(np.asarray(xb @ w))
            logits = scale * (q @ b.T)
            logits -= logits.max(axis=1, keepdims=True)
            p = np.exp(logits)
            p /= p.sum(axis=1, keepdims=True)
            rows = np.arange(len(idx))
            loss += float(-np.log(p[rows, owner[idx]] + 1e-12).sum())
            p[rows, owner[idx]] -= 1.0
            p /= len(idx)
            d_q = scale * (p @ b)
            d_b = scale * (p.T @ q)
            d_zq = (d_q - q * (d_q * q).sum(axis=1, keepdims=True)) / nq
            d_zb = (d_b - b * (d_b * b).sum(axis=1, keepdims=True)) / nb
            grad = np.asarray(xq_b.T @ d_zq) + np.asarray(xb_t @ d_zb)
            step += 1
            m1 = 0.9 * m1 + 0.1 * grad
            m2 = 0.999 * m2 + 0.001 * grad * grad
            # the step size falls linearly to 0 over training (settles the vectors)
            rate = lr * (1.0 - (step - 1) / steps)
            w -= rate * (m1 / (1 - 0.9 ** step)) / (np.sqrt(m2 / (1 - 0.999 ** step)) + 1e-8)
        if log is not None:
            log(f"epoch {epoch + 1}/{epochs}: loss {loss / len(owner):.3f}")
    model = LearnedModel(terms, idf, w, display)
    model.info = {"examples": len(examples), "queries": len(owner), "dim": dim, "epochs": epochs,
                  "scale": scale, "seed": seed, "min_texts": MIN_TEXTS, "min_pair_texts": MIN_PAIR_TEXTS,
                  "word_dropout": word_dropout, "training_version": TRAINING_VERSION}
    return model
