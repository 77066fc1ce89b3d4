"""Dates are strict, and local times become UTC with explicit DST rules."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm_core.importing import (
    ColumnFormat,
    convert,
    convert_date,
    convert_datetime,
    describe_format,
)

BERLIN = "Europe/Berlin"


def cells(*values: str) -> pd.Series:
    return pd.Series(values, index=range(1, len(values) + 1), dtype=str)


def utc(*parts: int) -> datetime:
    return datetime(*parts).replace(tzinfo=UTC)  # type: ignore[arg-type]


def test_iso_dates_convert():
    """YYYY-MM-DD is the default date format."""
    result = convert_date(cells("2024-02-29", " 1999-12-31 ", ""))
    assert result.values.tolist() == [date(2024, 2, 29), date(1999, 12, 31), None]


@pytest.mark.parametrize(
    "text", ["2024-02-30", "2023-02-29", "2024-13-01", "2024-04-31"]
)
def test_impossible_dates_are_refused_not_rolled_over(text):
    """A date that never existed is an error, never moved into the next month."""
    raw = cells(text)
    result = convert_date(raw)
    assert result.invalid.tolist() == [True]
    assert [str(e) for e in result.errors(raw, "signup_date")] == [
        f"row 1, column 'signup_date': '{text}' is not a date (expected YYYY-MM-DD)"
    ]


@pytest.mark.parametrize("text", ["24-01-01", "01.02.2024", "2024-01-05T10:00", "soon"])
def test_other_shapes_are_not_iso_dates(text):
    """Text in another shape than the declared format is refused."""
    assert convert_date(cells(text)).invalid.tolist() == [True]


def test_declared_date_formats():
    """A strftime format reads day-first and compact dates."""
    result = convert_date(cells("31.12.2024", "29.02.2023"), date_format="%d.%m.%Y")
    assert result.values.tolist() == [date(2024, 12, 31), None]
    compact = convert_date(cells("19970101"), date_format="%Y%m%d")
    assert compact.values.tolist() == [date(1997, 1, 1)]


@pytest.mark.parametrize(
    ("fmt", "shown"),
    [
        ("%Y-%m-%d", "YYYY-MM-DD"),
        ("%d.%m.%Y %H:%M", "DD.MM.YYYY hh:mm"),
        ("%m/%d/%y %I:%M %p", "MM/DD/YY hh:mm AM/PM"),
    ],
)
def test_formats_are_described_for_people(fmt, shown):
    """Error messages show formats as people write them."""
    assert describe_format(fmt) == shown


def test_naive_times_are_read_in_the_declared_zone():
    """A time without offset is local to --timezone and comes out in UTC."""
    result = convert_datetime(
        cells("2024-01-15 09:30", "2024-07-15T09:30:15", "2024-07-15"), timezone=BERLIN
    )
    assert result.values.tolist() == [
        utc(2024, 1, 15, 8, 30),
        utc(2024, 7, 15, 7, 30, 15),
        utc(2024, 7, 14, 22, 0),
    ]
    assert all(value.tzinfo is UTC for value in result.values)


@pytest.mark.parametrize("text", ["2024", "2024-05", "10:30", "2024-05-06 25:00"])
def test_iso_date_times_need_a_full_date_and_a_real_time(text):
    """A year or a month alone is not a moment in time."""
    assert convert_datetime(cells(text)).invalid.tolist() == [True]


def test_explicit_offsets_win_over_the_zone():
    """A time with a UTC offset or Z keeps that offset."""
    result = convert_datetime(
        cells("2024-01-15 09:30+05:30", "2024-01-15T09:30Z", "2024-01-15 09:30"),
        timezone=BERLIN,
    )
    assert result.values.tolist() == [
        utc(2024, 1, 15, 4, 0),
        utc(2024, 1, 15, 9, 30),
        utc(2024, 1, 15, 8, 30),
    ]


def test_nonexistent_local_times_are_refused_by_default():
    """02:30 on the spring-forward night never happened in Berlin: an error."""
    raw = cells("2024-03-31 02:30", "2024-03-31 03:30")
    result = convert_datetime(raw, timezone=BERLIN)
    assert result.values.tolist() == [None, utc(2024, 3, 31, 1, 30)]
    (error,) = result.errors(raw, "called_at")
    assert "does not exist in Europe/Berlin" in str(error)
    assert error.row == 1


def test_nonexistent_local_times_can_shift():
    """nonexistent='shift' reads the time with the offset before the change."""
    result = convert_datetime(
        cells("2024-03-31 02:30"), timezone=BERLIN, nonexistent="shift"
    )
    assert result.values.tolist() == [utc(2024, 3, 31, 1, 30)]
    assert not result.invalid.any()


@pytest.mark.parametrize(
    ("ambiguous", "expected"),
    [("earlier", utc(2024, 10, 27, 0, 30)), ("later", utc(2024, 10, 27, 1, 30))],
)
def test_ambiguous_local_times_follow_the_declared_rule(ambiguous, expected):
    """02:30 on the fall-back night happened twice; the rule picks one."""
    result = convert_datetime(
        cells("2024-10-27 02:30"), timezone=BERLIN, ambiguous=ambiguous
    )
    assert result.values.tolist() == [expected]


def test_ambiguous_local_times_can_be_refused():
    """ambiguous='refuse' asks for an offset instead of guessing."""
    raw = cells("2024-10-27 02:30", "2024-10-27 02:30+01:00")
    result = convert_datetime(raw, timezone=BERLIN, ambiguous="refuse")
    assert result.values.tolist() == [None, utc(2024, 10, 27, 1, 30)]
    (error,) = result.errors(raw, "called_at")
    assert "happened twice in Europe/Berlin" in str(error)
    assert "+02:00" in str(error)


def test_new_york_transitions():
    """The rules hold in zones west of UTC too."""
    result = convert_datetime(
        cells("2024-03-10 02:15", "2024-11-03 01:15"),
        timezone="America/New_York",
        nonexistent="shift",
    )
    assert result.values.tolist() == [utc(2024, 3, 10, 7, 15), utc(2024, 11, 3, 5, 15)]


def test_declared_datetime_formats():
    """A strftime format reads day-first times, with or without %z."""
    local = convert_datetime(
        cells("31.12.2024 23:59", "31.12.2024"), datetime_format="%d.%m.%Y %H:%M"
    )
    assert local.values.tolist() == [utc(2024, 12, 31, 23, 59), None]
    aware = convert_datetime(
        cells("31.12.2024 23:59 -0500"), datetime_format="%d.%m.%Y %H:%M %z"
    )
    assert aware.values.tolist() == [utc(2025, 1, 1, 4, 59)]


def test_offsets_in_compact_iso_times():
    """Compact ISO times with offsets mix with extended ones."""
    result = convert_datetime(
        cells("20240101T1000-0500", "2024-01-01 10:00-05:00"), timezone=BERLIN
    )
    assert result.values.tolist() == [utc(2024, 1, 1, 15, 0)] * 2


def test_zone_names_are_refused_without_spoiling_the_column():
    """A zone written as a name is an error; the other cells still convert."""
    result = convert_datetime(cells("2024-01-01 10:00 UTC", "2024-01-01 10:00"))
    assert result.values.tolist() == [None, utc(2024, 1, 1, 10, 0)]
    assert result.invalid.tolist() == [True, False]


def test_sub_microsecond_digits_are_dropped():
    """Nanoseconds do not fit a Python datetime and are cut off."""
    result = convert_datetime(cells("2024-01-01 10:00:00.123456789"))
    assert result.values.tolist() == [utc(2024, 1, 1, 10, 0, 0, 123456)]


def test_column_format_passes_its_zone_and_rules():
    """convert() applies the ColumnFormat's zone and DST rules."""
    fmt = ColumnFormat("datetime", timezone=BERLIN, ambiguous="later")
    result = convert(cells("2024-10-27 02:30"), fmt)
    assert result.values.tolist() == [utc(2024, 10, 27, 1, 30)]


@given(st.lists(st.dates(min_value=date(1, 1, 1)), min_size=1))
def test_iso_dates_round_trip(days):
    """Every date written as ISO reads back equal."""
    result = convert_date(pd.Series([d.isoformat() for d in days], dtype=str))
    assert result.values.tolist() == days


@given(
    st.lists(
        st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1)),
        min_size=1,
    )
)
def test_local_times_round_trip_through_utc(moments):
    """Converting to UTC and back to Berlin time gives the wall time written."""
    written = pd.Series([m.isoformat(sep=" ") for m in moments], dtype=str)
    result = convert_datetime(written, timezone=BERLIN, ambiguous="later")
    zone = ZoneInfo(BERLIN)
    for moment, value, bad in zip(moments, result.values, result.invalid, strict=True):
        if bad:
            # Only times in a spring-forward gap are refused.
            shifted = moment.replace(tzinfo=zone).astimezone(UTC).astimezone(zone)
            assert shifted.replace(tzinfo=None) != moment
            continue
        assert value.astimezone(zone).replace(tzinfo=None) == moment
        assert value.utcoffset() == timedelta(0)
