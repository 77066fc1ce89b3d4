"""Converting columns of strings to typed values, a whole column at a time.

Every converter takes a Series of strings and returns a
:class:`~crm_core.importing.conversion.Conversion`: the converted values
(Python objects, ``None`` for empty cells) and a mask of the cells that could
not be converted, with the words an error message needs. Surrounding spaces
are ignored everywhere. Empty cells are never an error unless the column is
``required``, and never become zero or ``False``.

Decisions worth knowing:

* Integers and decimals refuse leading zeros ("007", "01.5"): such values are
  codes (postcodes, customer numbers) whose zeros would be lost; keep them in
  text fields. "0" and "0.5" are fine. Integers must fit in 64 bits.
* Decimals become :class:`decimal.Decimal` exactly as written ("11.70" keeps
  its two places). With ``decimal_mark=","`` the comma separates the
  fraction. A ``thousands`` separator is optional in a cell, but where it is
  used the groups must have three digits, so "1.5" is refused rather than
  read as 15 when ``thousands="."``.
* Booleans accept 1/0, yes/no and true/false in any case.
* Choices match case-insensitively and return the choice as declared.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Callable, Iterable
from decimal import Decimal
from functools import lru_cache

import attrs
import numpy as np
import pandas as pd

from .contacts import check_region, convert_email, convert_phone
from .conversion import Conversion, Distinct, distinct, object_array, spread
from .dates import ISO_DATE, check_format, convert_date, convert_datetime
from .errors import MappingError

VALUE_KINDS = (
    "text",
    "integer",
    "decimal",
    "boolean",
    "date",
    "datetime",
    "choice",
    "email",
    "phone",
)
BOOLEANS = {
    "1": True,
    "0": False,
    "yes": True,
    "no": False,
    "true": True,
    "false": False,
}
THOUSANDS_SEPARATORS = (",", ".", " ", "'", "\u00a0", "\u202f")
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
# Texts of up to 18 characters (sign included) always fit in 64 bits.
_SAFE_INT_LENGTH = 18


def _one_of(
    allowed: tuple[str, ...],
) -> Callable[[object, attrs.Attribute[str], str], None]:
    def check(_instance: object, attribute: attrs.Attribute[str], value: str) -> None:
        if value not in allowed:
            raise MappingError(
                f"{attribute.name} {value!r} is not supported "
                f"(expected one of {', '.join(allowed)})"
            )

    return check


def _as_tuple(choices: Iterable[str]) -> tuple[str, ...]:
    return tuple(choices)


@attrs.frozen
class ColumnFormat:
    """How the cells of one column are written, and what they convert to.

    ``kind`` is one of :data:`VALUE_KINDS`. Date and time options follow
    :func:`~datetime.datetime.strptime`; ``datetime_format=None`` means ISO
    8601. Naive times are read in ``timezone``; ``ambiguous`` (earlier,
    later, refuse) and ``nonexistent`` (refuse, shift) say what to do with
    local times that happen twice or never around a daylight-saving change.
    """

    kind: str = attrs.field(validator=_one_of(VALUE_KINDS))
    required: bool = False
    choices: tuple[str, ...] = attrs.field(default=(), converter=_as_tuple)
    date_format: str = ISO_DATE
    datetime_format: str | None = None
    timezone: str = "UTC"
    ambiguous: str = attrs.field(
        default="earlier", validator=_one_of(("earlier", "later", "refuse"))
    )
    nonexistent: str = attrs.field(
        default="refuse", validator=_one_of(("refuse", "shift"))
    )
    decimal_mark: str = attrs.field(default=".", validator=_one_of((".", ",")))
    thousands: str | None = None
    phone_region: str | None = None

    def __attrs_post_init__(self) -> None:
        check_format(self.date_format)
        if self.datetime_format is not None:
            check_format(self.datetime_format)
        _check_timezone(self.timezone)
        _check_thousands(self.thousands, self.decimal_mark)
        if self.phone_region is not None:
            check_region(self.phone_region)
        if self.kind == "choice":
            choice_lookup(self.choices)


def _check_timezone(name: str) -> None:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise MappingError(
            f"unknown time zone {name!r} (expected an IANA name such as "
            f"UTC, Europe/Berlin or America/New_York)"
        ) from None


def _check_thousands(thousands: str | None, decimal_mark: str) -> None:
    if thousands is None:
        return
    if thousands not in THOUSANDS_SEPARATORS or thousands == decimal_mark:
        allowed = ", ".join(repr(s) for s in THOUSANDS_SEPARATORS)
        raise MappingError(
            f"thousands separator {thousands!r} is not supported with decimal "
            f"mark {decimal_mark!r} (expected one of {allowed}, other than "
            f"the decimal mark)"
        )


def choice_lookup(choices: tuple[str, ...]) -> dict[str, str]:
    """Map each choice's case-folded form to the choice as declared."""
    if not choices:
        raise MappingError("a choice column needs at least one choice")
    lookup: dict[str, str] = {}
    for choice in choices:
        key = choice.strip().casefold()
        if key in lookup:
            raise MappingError(
                f"choices {lookup[key]!r} and {choice!r} differ only in case "
                f"or spaces; keep one of them"
            )
        lookup[key] = choice
    return lookup


def convert_text(values: pd.Series, *, required: bool = False) -> Conversion:
    """Strip surrounding spaces; keep everything else, leading zeros included."""
    cells = distinct(values)
    parsed = cells.texts.to_numpy(dtype=object)
    bad = np.zeros(len(parsed), dtype=bool)
    return spread(cells, parsed, bad, "text", "text", required=required)


@lru_cache(maxsize=32)
def number_pattern(
    decimal_mark: str, thousands: str | None, fraction: bool
) -> re.Pattern[str]:
    """The pattern a number cell must match; ASCII digits only."""
    whole = r"0|[1-9][0-9]*"
    if thousands is not None:
        grouped = rf"[1-9][0-9]{{0,2}}(?:{re.escape(thousands)}[0-9]{{3}})+"
        whole = rf"0|{grouped}|[1-9][0-9]*"
    if not fraction:
        return re.compile(rf"[+-]?(?:{whole})")
    mark = re.escape(decimal_mark)
    body = rf"(?:(?:{whole})(?:{mark}[0-9]+)?|{mark}[0-9]+)"
    return re.compile(rf"[+-]?{body}(?:[eE][+-]?[0-9]+)?")


def _matching(cells: Distinct, pattern: re.Pattern[str]) -> np.ndarray:
    matched = cells.texts.str.fullmatch(pattern.pattern)
    return matched.to_numpy(dtype=bool, na_value=False) & ~cells.blank


def _plain(texts: pd.Series, decimal_mark: str, thousands: str | None) -> pd.Series:
    if thousands is not None:
        texts = texts.str.replace(thousands, "", regex=False)
    if decimal_mark != ".":
        texts = texts.str.replace(decimal_mark, ".", regex=False)
    return texts


def convert_integer(
    values: pd.Series, *, thousands: str | None = None, required: bool = False
) -> Conversion:
    """Whole numbers without leading zeros, within 64 bits, as ``int``."""
    cells = distinct(values)
    ok = _matching(cells, number_pattern(".", thousands, False))
    plain = _plain(cells.texts[ok], ".", thousands)
    parsed = object_array(len(cells.texts))
    short = (plain.str.len() <= _SAFE_INT_LENGTH).to_numpy(dtype=bool)
    positions = np.flatnonzero(ok)
    parsed[positions[short]] = plain[short].astype("int64").astype(object).to_numpy()
    long_texts = plain[~short].to_numpy(dtype=object)
    for position, text in zip(positions[~short], long_texts, strict=True):
        number = int(text)
        if INT64_MIN <= number <= INT64_MAX:
            parsed[position] = number
        else:
            ok[position] = False
    expected = "digits without leading zeros, e.g. 42 or -7"
    if thousands is not None:
        expected += f", optionally grouped by {thousands!r}"
    return spread(cells, parsed, ~ok, "a whole number", expected, required=required)


def convert_decimal(
    values: pd.Series,
    *,
    decimal_mark: str = ".",
    thousands: str | None = None,
    required: bool = False,
) -> Conversion:
    """Numbers as exact :class:`~decimal.Decimal`, written with ``decimal_mark``."""
    _check_thousands(thousands, decimal_mark)
    cells = distinct(values)
    ok = _matching(cells, number_pattern(decimal_mark, thousands, True))
    plain = _plain(cells.texts[ok], decimal_mark, thousands)
    parsed = object_array(len(cells.texts))
    parsed[ok] = [Decimal(text) for text in plain.to_numpy(dtype=object)]
    example = f"1234{decimal_mark}5"
    if thousands is not None:
        example += f" or 1{thousands}234{decimal_mark}5"
    expected = f"a number such as {example}, without leading zeros"
    return spread(cells, parsed, ~ok, "a number", expected, required=required)


def convert_boolean(values: pd.Series, *, required: bool = False) -> Conversion:
    """1/0, yes/no or true/false in any case, as ``bool``."""
    cells = distinct(values)
    mapped = cells.texts.str.lower().map(BOOLEANS)
    ok = mapped.notna().to_numpy(dtype=bool)
    parsed = object_array(len(cells.texts))
    parsed[ok] = mapped[ok].astype(bool).to_numpy()
    expected = "1/0, yes/no or true/false"
    return spread(cells, parsed, ~ok, "a yes/no value", expected, required=required)


def convert_choice(
    values: pd.Series, choices: tuple[str, ...], *, required: bool = False
) -> Conversion:
    """One of ``choices``, matched ignoring case; returns the declared spelling."""
    lookup = choice_lookup(tuple(choices))
    cells = distinct(values)
    mapped = cells.texts.str.casefold().map(lookup)
    ok = mapped.notna().to_numpy(dtype=bool)
    parsed = object_array(len(cells.texts))
    parsed[ok] = mapped[ok].to_numpy(dtype=object)
    shown = ", ".join(repr(choice) for choice in choices)
    return spread(
        cells, parsed, ~ok, "a known choice", f"one of {shown}", required=required
    )


def convert(values: pd.Series, column_format: ColumnFormat) -> Conversion:
    """Convert ``values`` as ``column_format`` describes."""
    fmt = column_format
    required = fmt.required
    if fmt.kind == "integer":
        return convert_integer(values, thousands=fmt.thousands, required=required)
    if fmt.kind == "decimal":
        return convert_decimal(
            values,
            decimal_mark=fmt.decimal_mark,
            thousands=fmt.thousands,
            required=required,
        )
    if fmt.kind == "boolean":
        return convert_boolean(values, required=required)
    if fmt.kind == "choice":
        return convert_choice(values, fmt.choices, required=required)
    if fmt.kind == "date":
        return convert_date(values, date_format=fmt.date_format, required=required)
    if fmt.kind == "datetime":
        return convert_datetime(
            values,
            datetime_format=fmt.datetime_format,
            timezone=fmt.timezone,
            ambiguous=fmt.ambiguous,
            nonexistent=fmt.nonexistent,
            required=required,
        )
    if fmt.kind == "email":
        return convert_email(values, required=required)
    if fmt.kind == "phone":
        return convert_phone(values, region=fmt.phone_region, required=required)
    return convert_text(values, required=required)
