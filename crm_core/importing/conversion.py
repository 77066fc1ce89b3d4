"""The result of converting one column, and the machinery all converters share.

Converters work on the distinct values of a column, not on its rows: a
column of a million cells usually holds far fewer distinct values, and each
is stripped, checked and converted once, then spread back over the rows.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from types import MappingProxyType
from typing import NamedTuple

import numpy as np
import pandas as pd

from .errors import ValueConversionError

_NO_REASONS: Mapping[Hashable, str] = MappingProxyType({})


class Conversion(NamedTuple):
    """A converted column: the values and which cells could not be converted.

    ``values`` has the input's index and object dtype: Python values, with
    ``None`` for empty and for invalid cells. ``invalid`` is a boolean Series
    on the same index. ``noun`` and ``expected`` phrase the error ("a date",
    "YYYY-MM-DD"); ``reasons`` holds a more specific message for some invalid
    cells, keyed by row.
    """

    values: pd.Series
    invalid: pd.Series
    noun: str
    expected: str
    reasons: Mapping[Hashable, str] = _NO_REASONS

    def errors(
        self, raw: pd.Series, column: str, limit: int | None = None
    ) -> list[ValueConversionError]:
        """One error per invalid cell, in row order; ``raw`` is the input."""
        rows = self.invalid.index[self.invalid.to_numpy(dtype=bool)]
        if limit is not None:
            rows = rows[:limit]
        return [
            ValueConversionError(
                int(row),
                column,
                str(raw.loc[row]),
                self.noun,
                self.expected,
                self.reasons.get(row),
            )
            for row in rows
        ]


class Distinct(NamedTuple):
    """A column reduced to its distinct cells, stripped of surrounding space.

    ``codes[i]`` is the position in ``texts`` of row ``i``'s cell, or -1 for a
    missing (NaN) cell; ``blank`` marks the distinct texts that are empty.
    """

    index: pd.Index
    codes: np.ndarray
    texts: pd.Series
    blank: np.ndarray


def distinct(values: pd.Series) -> Distinct:
    """Reduce ``values`` to its distinct cells."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    texts = pd.Series(np.asarray(uniques, dtype=object), dtype=str).str.strip()
    blank = (texts == "").to_numpy(dtype=bool)
    return Distinct(values.index, codes, texts, blank)


def spread(
    cells: Distinct,
    parsed: np.ndarray,
    bad: np.ndarray,
    noun: str,
    expected: str,
    why: Mapping[int, str] | None = None,
    *,
    required: bool = False,
) -> Conversion:
    """Spread per-distinct results back over the rows.

    ``parsed`` and ``bad`` run parallel to ``cells.texts``; ``why`` maps a
    distinct position to a specific message. Blank cells become ``None``
    and are invalid only when ``required``.
    """
    parsed = np.asarray(parsed, dtype=object).copy()
    bad = np.asarray(bad, dtype=bool).copy()
    parsed[cells.blank] = None
    bad[cells.blank] = required
    reasons_by_text = dict(why or {})
    if required:
        for position in np.flatnonzero(cells.blank):
            reasons_by_text[int(position)] = "is empty (a value is required)"
    # Position -1 (a missing cell) picks the appended last entry.
    parsed = np.append(parsed, np.array([None], dtype=object))
    bad = np.append(bad, required)
    values = pd.Series(parsed.take(cells.codes), index=cells.index, dtype=object)
    invalid = pd.Series(bad.take(cells.codes), index=cells.index, dtype=bool)
    reasons = _reasons_by_row(cells, reasons_by_text, required)
    return Conversion(values, invalid, noun, expected, reasons)


def _reasons_by_row(
    cells: Distinct, reasons_by_text: dict[int, str], required: bool
) -> Mapping[Hashable, str]:
    if required:
        reasons_by_text[-1] = "is empty (a value is required)"
    if not reasons_by_text:
        return _NO_REASONS
    explained = np.isin(cells.codes, list(reasons_by_text))
    rows = cells.index[explained]
    codes = cells.codes[explained]
    return {
        row: reasons_by_text[int(code)] for row, code in zip(rows, codes, strict=True)
    }


def object_array(size: int) -> np.ndarray:
    """An object array of ``None``, to fill with converted values."""
    return np.full(size, None, dtype=object)
