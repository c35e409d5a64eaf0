"""Catalog columns kept by a fitted Recommender, in memory or memory-mapped.

A fitted model answers queries with a few rows of its catalog; it should not
need a million-row DataFrame in memory to do so, nor spend seconds building one
when it is loaded.  A :class:`ColumnStore` reads single rows cheaply from either
a DataFrame (after ``fit``) or flat arrays (after ``load``): text as one UTF-8
byte array plus offsets, integers as int64 plus a missing-value mask.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["ColumnStore", "plain"]


def plain(value: Any) -> Any:
    """A catalog cell as a plain Python value (numpy -> int/float, NA -> None)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


class TextColumn:
    """Strings stored as one UTF-8 byte array and int64 offsets; None via a mask."""

    def __init__(self, blob: np.ndarray, offsets: np.ndarray, missing: np.ndarray) -> None:
        self.blob, self.offsets, self.missing = blob, offsets, missing

    @classmethod
    def encode(cls, values: Sequence[Any]) -> "TextColumn":
        missing = np.array([v is None for v in values], dtype=bool)
        parts = [b"" if v is None else str(v).encode("utf-8", "surrogatepass") for v in values]
        lengths = np.fromiter(map(len, parts), dtype=np.int64, count=len(parts))
        offsets = np.zeros(len(parts) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        blob = np.frombuffer(b"".join(parts), dtype=np.uint8)
        return cls(blob, offsets, missing)

    def __len__(self) -> int:
        return len(self.missing)

    def __getitem__(self, i: int) -> str | None:
        if self.missing[i]:
            return None
        return bytes(self.blob[self.offsets[i] : self.offsets[i + 1]]).decode("utf-8", "surrogatepass")

    def tolist(self) -> list[str | None]:
        data = bytes(self.blob)
        offs = self.offsets.tolist()
        miss = self.missing.tolist()
        return [None if m else data[offs[i] : offs[i + 1]].decode("utf-8", "surrogatepass")
                for i, m in enumerate(miss)]


class IntColumn:
    """Whole numbers (e.g. years) as int64 with a missing-value mask."""

    def __init__(self, values: np.ndarray, missing: np.ndarray) -> None:
        self.values, self.missing = values, missing

    def __len__(self) -> int:
        return len(self.missing)

    def __getitem__(self, i: int) -> int | None:
        return None if self.missing[i] else int(self.values[i])

    def tolist(self) -> list[int | None]:
        return [None if m else int(v) for v, m in zip(self.values.tolist(), self.missing.tolist())]


class ColumnStore:
    """Rows of a catalog by position, from a DataFrame or from flat arrays."""

    def __init__(self, columns: dict[str, Any], frame: pd.DataFrame | None = None) -> None:
        self.columns = columns
        self._frame = frame

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> "ColumnStore":
        # numpy object arrays: one row is a cheap index, no per-row conversion now
        cols: dict[str, Any] = {}
        for c in frame.columns:
            s = frame[c]
            cols[str(c)] = s.to_numpy(dtype=object, na_value=None) if s.dtype != object else s.to_numpy()
        return cls(cols, frame)

    @property
    def names(self) -> list[str]:
        return list(self.columns)

    def __len__(self) -> int:
        first = next(iter(self.columns.values()), None)
        return 0 if first is None else len(first)

    def row(self, i: int) -> dict[str, Any]:
        return {name: plain(col[i]) for name, col in self.columns.items()}

    def column(self, name: str) -> list[Any]:
        col = self.columns[name]
        return [plain(v) for v in col.tolist()]

    def frame(self) -> pd.DataFrame:
        """The catalog as a DataFrame (built once from arrays when loaded)."""
        if self._frame is None:
            data: dict[str, Any] = {}
            for name, col in self.columns.items():
                if isinstance(col, IntColumn):
                    data[name] = pd.array(col.tolist(), dtype="Int64")
                else:
                    data[name] = pd.Series(col.tolist(), dtype=object)
            self._frame = pd.DataFrame(data)
        return self._frame

    def to_arrays(self) -> tuple[dict[str, np.ndarray], dict[str, str]]:
        """Flat arrays for saving, and each column's kind ("text" or "int")."""
        arrays: dict[str, np.ndarray] = {}
        kinds: dict[str, str] = {}
        for i, (name, col) in enumerate(self.columns.items()):
            values = [plain(v) for v in col.tolist()] if not isinstance(col, (TextColumn, IntColumn)) else None
            if isinstance(col, IntColumn) or (
                values is not None and any(v is not None for v in values)
                and all(v is None or (isinstance(v, int) and not isinstance(v, bool)) for v in values)
            ):
                ic = col if isinstance(col, IntColumn) else IntColumn(
                    np.array([0 if v is None else v for v in values], dtype=np.int64),
                    np.array([v is None for v in values], dtype=bool),
                )
                arrays[f"col{i}_values"], arrays[f"col{i}_missing"] = ic.values, ic.missing
                kinds[name] = "int"
            else:
                tc = col if isinstance(col, TextColumn) else TextColumn.encode(
                    [None if v is None else str(v) for v in values]  # type: ignore[union-attr]
                )
                arrays[f"col{i}_blob"], arrays[f"col{i}_offsets"], arrays[f"col{i}_missing"] = (
                    tc.blob, tc.offsets, tc.missing)
                kinds[name] = "text"
        return arrays, kinds

    @classmethod
    def from_arrays(cls, kinds: dict[str, str], arrays: dict[str, np.ndarray]) -> "ColumnStore":
        cols: dict[str, Any] = {}
        for i, (name, kind) in enumerate(kinds.items()):
            if kind == "int":
                cols[name] = IntColumn(arrays[f"col{i}_values"], arrays[f"col{i}_missing"])
            else:
                cols[name] = TextColumn(arrays[f"col{i}_blob"], arrays[f"col{i}_offsets"], arrays[f"col{i}_missing"])
        return cls(cols)
