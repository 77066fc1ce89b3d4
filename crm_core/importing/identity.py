"""Identities for the rows of files that have no key column.

A row's identity is its content plus its occurrence number among identical
rows of the file (1 for the first, 2 for the next exact repeat, ...). Exact
repeats therefore stay separate records, and importing the same file again
yields the same identities, so nothing is created twice.

The identity is a 16-byte BLAKE2b digest of a canonical encoding that uses
only Python string operations, so it does not change between processes,
machines or pandas versions:

* the cells in column order, as UTF-8, separated by U+001F (unit
  separator), followed by U+001E (record separator) and the occurrence
  number in decimal;
* inside a cell, U+001B, U+001F and U+001E are written as U+001B followed by
  ``e``, ``u`` and ``r``, so no two rows share an encoding;
* the digest is personalised with ``strata-row-v1``.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

DIGEST_SIZE = 16
PERSON = b"strata-row-v1"
_ESCAPE, _UNIT, _RECORD = "\x1b", "\x1f", "\x1e"
_SPECIAL = (_ESCAPE, _UNIT, _RECORD)


_BASE = hashlib.blake2b(digest_size=DIGEST_SIZE, person=PERSON)


def canonical_rows(frame: pd.DataFrame) -> np.ndarray:
    """Each row's cells joined into one string (without the occurrence)."""
    if frame.shape[1] == 0:
        return np.full(len(frame), "", dtype=object)
    columns = [_cells(frame.iloc[:, position]) for position in range(frame.shape[1])]
    return np.array(list(map(_UNIT.join, zip(*columns, strict=True))), dtype=object)


def _cells(column: pd.Series) -> np.ndarray:
    if not pd.api.types.is_string_dtype(column) or column.hasnans:
        column = column.fillna("").astype(str)
    cells = column.to_numpy(dtype=object)
    # One pass over the whole column decides whether any cell needs escaping.
    everything = "".join(cells)
    if not any(special in everything for special in _SPECIAL):
        return cells
    escaped = (
        pd.Series(cells, dtype=object)
        .str.replace(_ESCAPE, _ESCAPE + "e", regex=False)
        .str.replace(_UNIT, _ESCAPE + "u", regex=False)
        .str.replace(_RECORD, _ESCAPE + "r", regex=False)
    )
    return escaped.to_numpy(dtype=object)


def _digest(content: str, occurrence: int) -> bytes:
    hasher = _BASE.copy()
    hasher.update(f"{content}{_RECORD}{occurrence}".encode())
    return hasher.digest()


def _first_digests(contents: np.ndarray) -> list[bytes]:
    """``_digest(content, 1)`` for each content, without a call per row."""
    suffix, base = _RECORD + "1", _BASE
    digests = []
    for content in contents:
        hasher = base.copy()
        hasher.update((content + suffix).encode())
        digests.append(hasher.digest())
    return digests


def row_digests(frame: pd.DataFrame, occurrences: dict[bytes, int]) -> pd.Series:
    """The 16-byte identity of every row of ``frame``, in a Series on its index.

    ``occurrences`` carries counts between batches: pass the same dict, empty
    at first, with every batch of a file in order. It is updated in place and
    maps the digest of a content's first occurrence to how often the content
    has been seen so far.
    """
    contents = canonical_rows(frame)
    codes, uniques = pd.factorize(contents)
    firsts = _first_digests(uniques)
    before = np.fromiter(
        (occurrences.get(first, 0) for first in firsts),
        dtype=np.int64,
        count=len(firsts),
    )
    within = pd.Series(codes).groupby(codes).cumcount().to_numpy()
    occurrence = before[codes] + within + 1
    digests = np.asarray([*firsts, b""], dtype=object)[codes]
    for row in np.flatnonzero(occurrence > 1):
        digests[row] = _digest(uniques[codes[row]], int(occurrence[row]))
    seen = np.bincount(codes, minlength=len(uniques))
    for first, earlier, count in zip(firsts, before, seen, strict=True):
        occurrences[first] = int(earlier + count)
    return pd.Series(digests, index=frame.index, dtype=object)
