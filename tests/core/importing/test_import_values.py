"""Columns of strings convert to typed values, naming every cell that cannot."""

from __future__ import annotations

import pickle
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm_core.importing import (
    VALUE_KINDS,
    ColumnFormat,
    MappingError,
    ValueConversionError,
    convert,
    convert_boolean,
    convert_choice,
    convert_decimal,
    convert_integer,
    convert_text,
)


def cells(*values: object, start: int = 1) -> pd.Series:
    return pd.Series(values, index=range(start, start + len(values)), dtype=str)


def test_text_is_stripped_and_keeps_leading_zeros():
    """Text loses surrounding spaces only; empty cells become None."""
    result = convert_text(cells(" 01234 ", "", "  ", "a  b"))
    assert result.values.tolist() == ["01234", None, None, "a  b"]
    assert not result.invalid.any()


def test_integers_convert_exactly():
    """Whole numbers become int with no float rounding, up to 64 bits."""
    result = convert_integer(cells("42", "-7", "+3", "9007199254740993", ""))
    assert result.values.tolist() == [42, -7, 3, 9007199254740993, None]
    assert result.invalid.tolist() == [False] * 5
    assert all(type(v) is int for v in result.values.dropna())


@pytest.mark.parametrize(
    "text",
    ["007", "1.0", "1e3", "1,234", "12a", "9223372036854775808", "١٢", "- 5"],
)
def test_integers_refuse_other_text(text):
    """Leading zeros, fractions, separators and out-of-range numbers are refused."""
    result = convert_integer(cells(text))
    assert result.invalid.tolist() == [True]
    assert result.values.tolist() == [None]


def test_integer_thousands_groups_are_checked():
    """With a thousands separator, groups must have three digits."""
    result = convert_integer(cells("1,234,567", "1234", "12,34"), thousands=",")
    assert result.values.tolist() == [1234567, 1234, None]


def test_decimals_keep_their_exact_digits():
    """Decimals become Decimal exactly as written, trailing zeros included."""
    result = convert_decimal(cells("11.70", "0.1", "-0.5", ".25", "1e-3", ""))
    assert [str(v) for v in result.values] == [
        "11.70",
        "0.1",
        "-0.5",
        "0.25",
        "0.001",
        "None",
    ]
    assert not result.invalid.any()


@pytest.mark.parametrize("text", ["NaN", "Infinity", "1_000", "01.5", "1.2.3", "1,5"])
def test_decimals_refuse_other_text(text):
    """Not-a-number, underscores, leading zeros and foreign marks are refused."""
    assert convert_decimal(cells(text)).invalid.tolist() == [True]


def test_decimal_commas_with_thousands_points():
    """decimal_mark=',' with thousands='.' reads 1.234,56 and refuses 1.5."""
    result = convert_decimal(
        cells("1.234,56", "1234,5", "0,125", "1.5", "-2"),
        decimal_mark=",",
        thousands=".",
    )
    assert result.values.tolist() == [
        Decimal("1234.56"),
        Decimal("1234.5"),
        Decimal("0.125"),
        None,
        Decimal("-2"),
    ]
    assert result.invalid.tolist() == [False, False, False, True, False]


def test_booleans_accept_three_vocabularies_in_any_case():
    """1/0, yes/no and true/false convert; anything else is refused."""
    result = convert_boolean(cells("1", "0", "YES", "no", "True", "FALSE", "y", ""))
    assert result.values.tolist() == [True, False, True, False, True, False, None, None]
    assert result.invalid.tolist() == [False] * 6 + [True, False]


def test_choices_match_ignoring_case_and_return_the_declared_spelling():
    """A choice written in another case becomes the declared choice."""
    choices = ("Month-to-month", "One year", "Two year")
    result = convert_choice(cells("month-to-month", " ONE YEAR ", "Two years"), choices)
    assert result.values.tolist() == ["Month-to-month", "One year", None]
    assert result.invalid.tolist() == [False, False, True]


def test_errors_name_row_column_value_and_expectation():
    """Each invalid cell becomes an error naming row, column, value and format."""
    raw = cells("12", "x1", "", "007", start=731)
    errors = convert_integer(raw).errors(raw, "employees")
    assert [str(e) for e in errors] == [
        "row 732, column 'employees': 'x1' is not a whole number (expected digits "
        "without leading zeros, e.g. 42 or -7)",
        "row 734, column 'employees': '007' is not a whole number (expected digits "
        "without leading zeros, e.g. 42 or -7)",
    ]
    assert (errors[0].row, errors[0].column, errors[0].value) == (
        732,
        "employees",
        "x1",
    )
    assert isinstance(errors[0], ValueConversionError)
    assert isinstance(errors[0], ValueError)


def test_error_limit_and_pickling():
    """errors() can stop early, and errors survive pickling."""
    raw = cells("a", "b", "c")
    errors = convert_integer(raw).errors(raw, "n", limit=2)
    assert len(errors) == 2
    copy = pickle.loads(pickle.dumps(errors[0]))
    assert str(copy) == str(errors[0]) and copy.row == 1


def test_required_columns_refuse_empty_cells():
    """An empty cell is an error only where a value is required."""
    raw = cells("1", " ", "2")
    result = convert(raw, ColumnFormat("integer", required=True))
    assert result.invalid.tolist() == [False, True, False]
    assert [str(e) for e in result.errors(raw, "n")] == [
        "row 2, column 'n': ' ' is empty (a value is required)"
    ]


def test_missing_cells_count_as_empty():
    """NaN in an object column behaves like an empty cell."""
    raw = pd.Series(["1", np.nan, None], dtype=object)
    assert convert_integer(raw).values.tolist() == [1, None, None]
    assert convert_integer(raw, required=True).invalid.tolist() == [False, True, True]


def test_results_keep_the_row_index():
    """Converted values and the invalid mask are indexed like the input."""
    result = convert_decimal(cells("1", "x", start=50))
    assert result.values.index.tolist() == [50, 51]
    assert result.invalid.index.tolist() == [50, 51]
    assert result.values.dtype == object and result.invalid.dtype == bool


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"kind": "money"}, "kind 'money' is not supported"),
        ({"kind": "datetime", "timezone": "Mars/Olympus"}, "unknown time zone"),
        ({"kind": "decimal", "decimal_mark": ",", "thousands": ","}, "thousands"),
        ({"kind": "choice"}, "at least one choice"),
        ({"kind": "choice", "choices": ("Yes", "yes ")}, "differ only in case"),
        ({"kind": "phone", "phone_region": "XX"}, "unknown phone region"),
        ({"kind": "datetime", "ambiguous": "guess"}, "ambiguous 'guess'"),
        ({"kind": "date", "date_format": "%Y-%Q"}, "date format '%Y-%Q' cannot"),
    ],
)
def test_column_formats_are_checked(options, message):
    """A wrong column format is refused with what was expected."""
    with pytest.raises(MappingError, match=message):
        ColumnFormat(**options)


@pytest.mark.parametrize("kind", VALUE_KINDS)
def test_every_kind_converts_empty_cells_to_none(kind):
    """Whatever the kind, an empty cell is None and not an error."""
    fmt = ColumnFormat(kind, choices=("a",) if kind == "choice" else ())
    result = convert(cells("", "   "), fmt)
    assert result.values.tolist() == [None, None]
    assert not result.invalid.any()


@given(st.lists(st.decimals(allow_nan=False, allow_infinity=False), min_size=1))
def test_decimals_round_trip(numbers):
    """Any finite decimal written out in full reads back equal."""
    result = convert_decimal(pd.Series([format(n, "f") for n in numbers], dtype=str))
    assert not result.invalid.any()
    assert result.values.tolist() == numbers


@given(st.lists(st.decimals(allow_nan=False, allow_infinity=False, places=3)))
def test_grouped_decimal_commas_round_trip(numbers):
    """Numbers written 1.234.567,891 read back equal with a comma mark."""
    written = [
        format(n, ",f").replace(",", "_").replace(".", ",").replace("_", ".")
        for n in numbers
    ]
    result = convert_decimal(
        pd.Series(written, dtype=str), decimal_mark=",", thousands="."
    )
    assert not result.invalid.any()
    assert result.values.tolist() == numbers


@given(st.lists(st.integers(min_value=-(2**63), max_value=2**63 - 1)))
def test_integers_round_trip(numbers):
    """Every 64-bit integer written in decimal reads back equal."""
    result = convert_integer(pd.Series([str(n) for n in numbers], dtype=str))
    assert not result.invalid.any()
    assert result.values.tolist() == numbers


@given(st.integers(min_value=1), st.integers(min_value=1, max_value=3))
def test_leading_zeros_are_never_dropped_silently(number, zeros):
    """A number with leading zeros is refused rather than losing its zeros."""
    text = "0" * zeros + str(number)
    assert convert_integer(cells(text)).invalid.tolist() == [True]
    assert convert_decimal(cells(text)).invalid.tolist() == [True]


@given(
    st.lists(
        st.sampled_from(["1", "0", "yes", "no", "true", "false"]).flatmap(
            lambda word: st.tuples(
                st.just(word),
                st.lists(st.booleans(), min_size=len(word), max_size=len(word)),
            )
        )
    )
)
def test_booleans_ignore_case(words):
    """Any mix of upper and lower case reads as the word's truth value."""
    written = [
        "".join(c.upper() if up else c for c, up in zip(w, ups, strict=True))
        for w, ups in words
    ]
    result = convert_boolean(pd.Series(written, dtype=str))
    assert result.values.tolist() == [w in {"1", "yes", "true"} for w, _ in words]
