"""Saving and loading fitted recommenders, without pickle.

A saved model is a folder::

    model.json          format name and version, moodrec version, parameters,
                        array shapes, dtypes, sizes and CRC-32 checksums
    resources/          the lexicon, word associations, learned model's words
                        and language data the model was fitted with
    vocabulary.json     the index terms, in column order
    arrays/NAME.npy     every array, loaded with ``allow_pickle=False``,
                        memory-mapped by default

Loading reads JSON and ``.npy`` headers and never runs code from the folder.
Writing goes to a temporary folder beside the target, which then replaces it,
so a crash leaves either the old model or the new one, never half of one.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ._associations import Associations
from ._index import N_TIERS, InvertedIndex, SpellIndex
from ._learned import LearnedModel
from ._lexicon import Lexicon
from ._store import ColumnStore
from ._text import ANALYZER_VERSION, Analyzer
from ._version import __version__
from .exceptions import ModelFormatError

if TYPE_CHECKING:  # pragma: no cover
    from ._recommender import Recommender

FORMAT = "moodrec-model"
#: 2: index columns in impact order; feelings' expansions and their scores per song
#: 3: four impact tiers per column, not six (the last holds the top 1/32's rest)
FORMAT_VERSION = 3
_CHUNK = 1 << 24


def _crc(path: Path) -> int:
    crc = 0
    with path.open("rb") as fh:
        while True:
            block = fh.read(_CHUNK)
            if not block:
                return crc
            crc = zlib.crc32(block, crc)


def _write_json(path: Path, obj: Any) -> None:
    with path.open("w", encoding="utf-8") as fh:
        json.dump(obj, fh, ensure_ascii=False)
        fh.flush()
        os.fsync(fh.fileno())


def save(rec: "Recommender", path: str | os.PathLike[str]) -> Path:
    """Write ``rec`` to the folder ``path`` atomically; returns the path."""
    target = Path(path)
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise FileNotFoundError(f"cannot save the model: folder {str(parent)!r} does not exist")
    if target.exists() and not (target / "model.json").is_file():
        raise FileExistsError(
            f"{str(target)!r} exists and is not a moodrec model; refusing to replace it"
        )
    arrays: dict[str, np.ndarray] = {
        "index_indptr": rec.index_.indptr,
        "index_indices": rec.index_.indices,
        "index_data": rec.index_.data,
        "index_tier_start": rec.index_.tier_start,
        "index_tier_bound": rec.index_.tier_bound,
        "expansions_indptr": rec.expansions_.indptr,
        "expansions_indices": rec.expansions_.indices,
        "expansions_data": rec.expansions_.data,
        "expansion_index_indptr": rec.expansion_index_.indptr,
        "expansion_index_indices": rec.expansion_index_.indices,
        "expansion_index_data": rec.expansion_index_.data,
        "expansion_index_tier_start": rec.expansion_index_.tier_start,
        "expansion_index_tier_bound": rec.expansion_index_.tier_bound,
        "expansion_rows_indptr": rec.expansion_index_.row_indptr,
        "expansion_rows_indices": rec.expansion_index_.row_indices,
        "expansion_rows_data": rec.expansion_index_.row_data,
        "matrix_indptr": rec.matrix_.indptr,
        "matrix_indices": rec.matrix_.indices,
        "matrix_data": rec.matrix_.data,
        "idf": rec.idf_,
        "valence": rec.valence_,
        "spell_indptr": rec.spell_.indptr,
        "spell_postings": rec.spell_.postings,
    }
    if rec.learned_ is not None and rec.song_vectors_ is not None:
        arrays.update({f"learned_{k}": v for k, v in rec.learned_.to_arrays().items()})
        arrays["learned_song_vectors"] = rec.song_vectors_
    store_arrays, kinds = rec._store.to_arrays()
    arrays.update({f"catalog_{k}": v for k, v in store_arrays.items()})

    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=parent))
    try:
        (tmp / "arrays").mkdir()
        (tmp / "resources").mkdir()
        manifest_arrays = {}
        for name, arr in arrays.items():
            arr = np.ascontiguousarray(arr)
            if arr.dtype == object:  # pragma: no cover - a bug, never a user's doing
                raise TypeError(f"array {name} has dtype object and cannot be saved without pickle")
            file = tmp / "arrays" / f"{name}.npy"
            with file.open("wb") as fh:
                np.save(fh, arr, allow_pickle=False)
                fh.flush()
                os.fsync(fh.fileno())
            manifest_arrays[name] = {
                "dtype": arr.dtype.str, "shape": list(arr.shape),
                "bytes": file.stat().st_size, "crc32": _crc(file),
            }
        _write_json(tmp / "vocabulary.json", rec.terms_)
        _write_json(tmp / "resources" / "spell_words.json", rec.spell_.words)
        _write_json(tmp / "resources" / "spell_grams.json", rec.spell_.grams)
        _write_json(tmp / "resources" / "lexicon.json", rec.lexicon_.data)
        _write_json(tmp / "resources" / "associations.json",
                    {"terms": rec.associations_.table, "display": dict(rec.associations_.display)})
        if rec.learned_ is not None and rec.song_vectors_ is not None:
            _write_json(tmp / "resources" / "learned.json", rec.learned_.to_json())
        _write_json(tmp / "resources" / "language.json", rec.analyzer_.language)
        _write_json(tmp / "resources" / "common_words_en.json", sorted(rec.analyzer_.common_words))
        resources = {}
        for file in sorted((tmp / "resources").iterdir()):
            resources[file.name] = {"bytes": file.stat().st_size, "crc32": _crc(file)}
        vocab_file = tmp / "vocabulary.json"
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "moodrec_version": __version__,
            "analyzer_version": ANALYZER_VERSION,
            "params": rec.get_params(),
            "n_songs": int(rec.n_songs_),
            "n_terms": len(rec.terms_),
            "index_max_norm": float(rec.index_.max_norm),
            "expansion_index_max_norm": float(rec.expansion_index_.max_norm),
            "catalog_columns": kinds,
            "arrays": manifest_arrays,
            "files": {"vocabulary.json": {"bytes": vocab_file.stat().st_size, "crc32": _crc(vocab_file)},
                      **{f"resources/{k}": v for k, v in resources.items()}},
        }
        _write_json(tmp / "model.json", manifest)
        # Swap in: the old model (if any) is moved aside first, then removed.
        old = None
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=parent))
            os.rmdir(old)
            os.replace(target, old)
        os.replace(tmp, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        dir_fd = os.open(parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def _bad(path: Path, why: str) -> ModelFormatError:
    return ModelFormatError(f"{str(path)!r} is not a loadable moodrec model: {why}")


def _read_json(path: Path, folder: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _bad(folder, f"{path.name} is missing") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _bad(folder, f"{path.name} is damaged ({exc})") from None


def load(path: str | os.PathLike[str], *, mmap: bool = True, verify: bool = True) -> "Recommender":
    """Load a model saved by :func:`save`.

    ``mmap`` maps the arrays instead of reading them (fast, shared between
    processes); ``verify`` checks every file's CRC-32 against the manifest,
    which catches truncation and changed bytes at the cost of reading the
    files once.
    """
    from ._recommender import Recommender

    folder = Path(path)
    if not folder.exists():
        raise FileNotFoundError(f"no saved model at {str(folder)!r}")
    if not folder.is_dir():
        raise _bad(folder, "a saved model is a folder, this is a file")
    manifest = _read_json(folder / "model.json", folder)
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _bad(folder, "model.json does not describe a moodrec model")
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        raise _bad(
            folder,
            f"format version {version!r} is not supported by moodrec {__version__} "
            f"(it reads version {FORMAT_VERSION}); refit and save with this version",
        )
    if manifest.get("analyzer_version") != ANALYZER_VERSION:
        raise _bad(
            folder,
            f"it was fitted with text analyser version {manifest.get('analyzer_version')!r}, and moodrec "
            f"{__version__} analyses text with version {ANALYZER_VERSION}: its vocabulary would not match "
            "the queries; refit it with this version and save again",
        )
    try:
        files = dict(manifest["files"])
        specs = dict(manifest["arrays"])
        n_songs = int(manifest["n_songs"])
        n_terms = int(manifest["n_terms"])
        params = dict(manifest["params"])
        kinds = dict(manifest["catalog_columns"])
        max_norm = float(manifest["index_max_norm"])
        expansion_max_norm = float(manifest["expansion_index_max_norm"])
    except (KeyError, TypeError, ValueError) as exc:
        raise _bad(folder, f"model.json lacks a field ({exc})") from None

    def check(rel: str, spec: dict[str, Any]) -> Path:
        file = folder / rel
        if not file.is_file():
            raise _bad(folder, f"{rel} is missing")
        if file.stat().st_size != spec.get("bytes"):
            raise _bad(folder, f"{rel} has {file.stat().st_size} bytes, the manifest says {spec.get('bytes')}: "
                               "truncated or changed")
        if verify and _crc(file) != spec.get("crc32"):
            raise _bad(folder, f"{rel} does not match its checksum: changed after it was saved")
        return file

    for rel, spec in files.items():
        check(rel, spec)
    arrays: dict[str, np.ndarray] = {}
    for name, spec in specs.items():
        file = check(f"arrays/{name}.npy", spec)
        try:
            arr = np.load(file, mmap_mode="r" if mmap else None, allow_pickle=False)
        except ValueError as exc:  # object arrays would need pickle: refused
            raise _bad(folder, f"arrays/{name}.npy cannot be read safely ({exc})") from None
        except OSError as exc:
            raise _bad(folder, f"arrays/{name}.npy is damaged ({exc})") from None
        if arr.dtype.str != spec.get("dtype") or list(arr.shape) != spec.get("shape"):
            raise _bad(folder, f"arrays/{name}.npy has dtype {arr.dtype.str} shape {list(arr.shape)}, "
                               f"the manifest says {spec.get('dtype')} {spec.get('shape')}")
        # a plain ndarray view of the mapping: memmap's Python-level indexing
        # is slow, the memory is the same either way
        arrays[name] = np.asarray(arr)

    terms = _read_json(folder / "vocabulary.json", folder)
    res = folder / "resources"
    lexicon_data = _read_json(res / "lexicon.json", folder)
    language = _read_json(res / "language.json", folder)
    common = _read_json(res / "common_words_en.json", folder)
    spell_words = _read_json(res / "spell_words.json", folder)
    spell_grams = _read_json(res / "spell_grams.json", folder)
    # a model saved before moodrec learned associations ranks as it did, without them
    associations_data = (_read_json(res / "associations.json", folder)
                         if "resources/associations.json" in files else {"terms": {}, "display": {}})

    # a model saved before moodrec had a learned similarity ranks as it did, without it
    learned_doc = _read_json(res / "learned.json", folder) if "resources/learned.json" in files else None

    need = ["index_indptr", "index_indices", "index_data", "index_tier_start", "index_tier_bound", "matrix_indptr", "matrix_indices", "matrix_data",
            "expansions_indptr", "expansions_indices", "expansions_data", "expansion_index_indptr",
            "expansion_index_indices", "expansion_index_data", "expansion_index_tier_start",
            "expansion_index_tier_bound", "expansion_rows_indptr", "expansion_rows_indices",
            "expansion_rows_data", "idf", "valence", "spell_indptr", "spell_postings"]
    missing = [n for n in need if n not in arrays]
    if missing:
        raise _bad(folder, f"arrays missing: {', '.join(missing)}")
    if (
        not isinstance(terms, list) or len(terms) != n_terms
        or len(arrays["index_indptr"]) != n_terms + 1 or len(arrays["matrix_indptr"]) != n_songs + 1
        or len(arrays["idf"]) != n_terms or len(arrays["valence"]) != n_songs
        or len(arrays["index_indices"]) != len(arrays["index_data"])
        or len(arrays["index_indices"]) != len(arrays["matrix_indices"])
        or len(arrays["expansions_indptr"]) != len(arrays["expansion_index_indptr"])
        or len(arrays["expansion_rows_indptr"]) != n_songs + 1
        or len(arrays["expansion_index_indices"]) != len(arrays["expansion_rows_indices"])
        or any(arrays[f"{ix}_tier_start"].shape != (len(arrays[f"{ix}_indptr"]) - 1, N_TIERS + 1)
               or arrays[f"{ix}_tier_bound"].shape != (len(arrays[f"{ix}_indptr"]) - 1, N_TIERS)
               for ix in ("index", "expansion_index"))
        or len(arrays["spell_indptr"]) != len(spell_grams) + 1
    ):
        raise _bad(folder, "array sizes do not agree with each other")

    import scipy.sparse as sp

    rec = Recommender()
    try:
        rec.set_params(**params)
        rec._check_params()
    except (ValueError, TypeError) as exc:
        raise _bad(folder, f"parameters are not valid ({exc})") from None
    try:
        analyzer = Analyzer(language=language, common_words=common)
        lexicon = Lexicon(data=lexicon_data, analyzer=analyzer)
        associations = Associations(associations_data["terms"], associations_data["display"])
        learned = song_vectors = None
        if learned_doc is not None:
            learned = LearnedModel.from_parts(learned_doc, {"idf": arrays["learned_idf"],
                                                            "vectors": arrays["learned_vectors"]})
            song_vectors = arrays["learned_song_vectors"]
            if song_vectors.shape != (n_songs, learned.dim):
                raise ValueError(f"learned song vectors have shape {song_vectors.shape}, "
                                 f"not ({n_songs}, {learned.dim})")
        store = ColumnStore.from_arrays(
            kinds, {k[len("catalog_"):]: v for k, v in arrays.items() if k.startswith("catalog_")})
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise _bad(folder, f"resources are damaged ({exc})") from None
    if len(store) != n_songs:
        raise _bad(folder, "the catalog does not have n_songs rows")
    if len(arrays["expansions_indptr"]) != len(lexicon.feelings) + 1:
        raise _bad(folder, "its feelings' expansions do not match its lexicon")
    matrix = sp.csr_matrix(
        (arrays["matrix_data"], arrays["matrix_indices"], arrays["matrix_indptr"]), shape=(n_songs, n_terms)
    )
    n_feelings = len(arrays["expansions_indptr"]) - 1
    expansions = sp.csr_matrix(
        (arrays["expansions_data"], arrays["expansions_indices"], arrays["expansions_indptr"]),
        shape=(n_feelings, n_terms),
    )
    rec._set_fitted(
        analyzer=analyzer,
        lexicon=lexicon,
        associations=associations,
        learned=learned,
        song_vectors=song_vectors,
        store=store,
        vocabulary={t: i for i, t in enumerate(terms)},
        terms=terms,
        idf=np.asarray(arrays["idf"]),
        matrix=matrix,
        index=InvertedIndex(arrays["index_indptr"], arrays["index_indices"], arrays["index_data"],
                            arrays["index_tier_start"], arrays["index_tier_bound"],
                            arrays["matrix_indptr"], arrays["matrix_indices"], arrays["matrix_data"], n_songs,
                            max_norm),
        expansions=expansions,
        expansion_index=InvertedIndex(
            arrays["expansion_index_indptr"], arrays["expansion_index_indices"], arrays["expansion_index_data"],
            arrays["expansion_index_tier_start"], arrays["expansion_index_tier_bound"],
            arrays["expansion_rows_indptr"], arrays["expansion_rows_indices"], arrays["expansion_rows_data"],
            n_songs, expansion_max_norm),
        valence=np.asarray(arrays["valence"]),
        spell=SpellIndex(spell_words, spell_grams, arrays["spell_indptr"], arrays["spell_postings"]),
    )
    return rec
