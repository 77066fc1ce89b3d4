"""Inferring a field type for each column, for ``--create-fields``.

Types are inferred from the whole file, not a sample: a
:class:`ColumnProfile` is fed every batch in turn and keeps only what the
decision needs (a flag per candidate type, the words seen if the column may
be boolean, and up to 21 distinct values with their counts), so memory stays
small however long the file is.

The rules, in order, over the non-empty cells (surrounding spaces ignored):

1. only 1/0, only yes/no or only true/false, in any case: boolean;
2. every value a date in the declared format: date;
3. whole numbers without leading zeros that fit in 64 bits: integer;
4. other numbers without leading zeros: decimal;
5. every value a date and time in the declared format (ISO 8601 by
   default): datetime;
6. at most 20 distinct values (ignoring case) in a file of at least 1,000
   rows: choice, with the choices sorted;
7. anything else, and a column with no values at all: text.

Leading zeros ("00001") make a column text, so codes keep their zeros.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import attrs
import numpy as np
import pandas as pd

from ..contributions import FieldType
from .conversion import Conversion
from .dates import ISO_DATE, convert_date, convert_datetime
from .reading import Batch
from .values import BOOLEANS, ColumnFormat, convert_decimal, convert_integer

MAX_CHOICES = 20
DISTINCT_CAP = MAX_CHOICES + 1
MIN_ROWS_FOR_CHOICE = 1_000
# More distinct spellings than this cannot be two words in assorted cases.
MAX_BOOLEAN_SPELLINGS = 64
BOOLEAN_PAIRS = (
    frozenset({"1", "0"}),
    frozenset({"yes", "no"}),
    frozenset({"true", "false"}),
)


@attrs.frozen
class InferredField:
    """The type inferred for one column, and its choices for a choice field."""

    column: str
    type: FieldType
    choices: tuple[str, ...] = ()

    def column_format(self, **options: Any) -> ColumnFormat:
        """A :class:`ColumnFormat` converting this column; ``options`` add to it."""
        return ColumnFormat(kind=self.type.value, choices=self.choices, **options)


@attrs.define
class ColumnProfile:
    """What has been seen of one column so far; feed it with :meth:`add`.

    ``date_format``, ``datetime_format``, ``decimal_mark`` and ``thousands``
    are the formats the import declares, so a column counts as dates or
    numbers exactly when the converters would accept it. The other
    attributes are the state gathered so far: ``rows`` seen, ``filled``
    (non-empty) cells, ``counts`` of up to 21 distinct values (``None`` once
    there are more), the lower-cased ``boolean_words`` (``None`` once the
    column cannot be boolean) and a ``maybe_*`` flag per candidate type.
    """

    column: str
    date_format: str = ISO_DATE
    decimal_mark: str = "."
    thousands: str | None = None
    datetime_format: str | None = None
    rows: int = attrs.field(default=0, init=False)
    filled: int = attrs.field(default=0, init=False)
    counts: Counter[str] | None = attrs.field(factory=Counter, init=False)
    boolean_words: set[str] | None = attrs.field(factory=set, init=False)
    maybe_date: bool = attrs.field(default=True, init=False)
    maybe_integer: bool = attrs.field(default=True, init=False)
    maybe_decimal: bool = attrs.field(default=True, init=False)
    maybe_datetime: bool = attrs.field(default=True, init=False)

    def add(self, cells: pd.Series) -> None:
        """Take in one batch of the column's cells (strings)."""
        self.rows += len(cells)
        codes, uniques = pd.factorize(cells, use_na_sentinel=True)
        tally = np.bincount(codes[codes >= 0], minlength=len(uniques))
        texts = pd.Series(np.asarray(uniques, dtype=object), dtype=str).str.strip()
        keep = (texts != "").to_numpy(dtype=bool)
        texts, tally = texts[keep].reset_index(drop=True), tally[keep]
        self.filled += int(tally.sum())
        if texts.empty:
            return
        self._count(texts, tally)
        self._check_booleans(texts)
        self._check_types(texts)

    def _count(self, texts: pd.Series, tally: np.ndarray) -> None:
        counts = self.counts
        if counts is None:
            return
        for text, count in zip(texts.to_numpy(dtype=object), tally, strict=True):
            counts[text] += int(count)
            if len(counts) > DISTINCT_CAP:
                self.counts = None
                return

    def _check_booleans(self, texts: pd.Series) -> None:
        if self.boolean_words is None:
            return
        if len(texts) > MAX_BOOLEAN_SPELLINGS:
            self.boolean_words = None
            return
        words = set(texts.str.lower().to_numpy(dtype=object)) | self.boolean_words
        if len(words) > 2 or not words <= BOOLEANS.keys():
            self.boolean_words = None
        else:
            self.boolean_words = words

    def _check_types(self, texts: pd.Series) -> None:
        if self.maybe_date:
            self.maybe_date = _all_valid(
                convert_date(texts, date_format=self.date_format)
            )
        if self.maybe_integer:
            self.maybe_integer = _all_valid(
                convert_integer(texts, thousands=self.thousands)
            )
        if self.maybe_decimal:
            converted = convert_decimal(
                texts, decimal_mark=self.decimal_mark, thousands=self.thousands
            )
            self.maybe_decimal = _all_valid(converted)
        if self.maybe_datetime:
            moments = convert_datetime(texts, datetime_format=self.datetime_format)
            self.maybe_datetime = _all_valid(moments)

    def infer(self) -> InferredField:
        """The column's type by the rules in the module notes."""
        if self.filled == 0:
            return InferredField(self.column, FieldType.TEXT)
        words = self.boolean_words
        if words is not None and any(words <= pair for pair in BOOLEAN_PAIRS):
            return InferredField(self.column, FieldType.BOOLEAN)
        for candidate, kind in (
            (self.maybe_date, FieldType.DATE),
            (self.maybe_integer, FieldType.INTEGER),
            (self.maybe_decimal, FieldType.DECIMAL),
            (self.maybe_datetime, FieldType.DATETIME),
        ):
            if candidate:
                return InferredField(self.column, kind)
        choices = self.choices()
        if choices is not None and self.rows >= MIN_ROWS_FOR_CHOICE:
            return InferredField(self.column, FieldType.CHOICE, choices)
        return InferredField(self.column, FieldType.TEXT)

    def choices(self) -> tuple[str, ...] | None:
        """The distinct values, merged ignoring case, or ``None`` if too many.

        Where values differ only in case the most frequent spelling wins.
        """
        if self.counts is None:
            return None
        spellings: dict[str, Counter[str]] = {}
        for text, count in self.counts.items():
            spellings.setdefault(text.casefold(), Counter())[text] += count
        if len(spellings) > MAX_CHOICES:
            return None
        chosen = [_most_common(counter) for counter in spellings.values()]
        return tuple(sorted(chosen, key=lambda text: (text.casefold(), text)))


def _most_common(counter: Counter[str]) -> str:
    return min(counter, key=lambda text: (-counter[text], text))


def _all_valid(conversion: Conversion) -> bool:
    return not bool(conversion.invalid.any())


class TableProfile:
    """Column profiles for a whole table, fed batch by batch."""

    def __init__(
        self,
        columns: Sequence[str],
        *,
        date_format: str = ISO_DATE,
        decimal_mark: str = ".",
        thousands: str | None = None,
        datetime_format: str | None = None,
    ) -> None:
        self.profiles = {
            column: ColumnProfile(
                column, date_format, decimal_mark, thousands, datetime_format
            )
            for column in columns
        }

    def add(self, frame: pd.DataFrame) -> None:
        """Take in one batch; the frame must have every profiled column."""
        for column, profile in self.profiles.items():
            profile.add(frame[column])

    def infer(self) -> dict[str, InferredField]:
        """The inferred field of every column, in column order."""
        return {column: profile.infer() for column, profile in self.profiles.items()}


def infer_fields(
    batches: Iterable[Batch | pd.DataFrame],
    columns: Sequence[str],
    *,
    date_format: str = ISO_DATE,
    decimal_mark: str = ".",
    thousands: str | None = None,
    datetime_format: str | None = None,
) -> dict[str, InferredField]:
    """Profile every batch (for example a whole :class:`TableReader`) and infer."""
    table = TableProfile(
        columns,
        date_format=date_format,
        decimal_mark=decimal_mark,
        thousands=thousands,
        datetime_format=datetime_format,
    )
    for batch in batches:
        table.add(batch.frame if isinstance(batch, Batch) else batch)
    return table.infer()
