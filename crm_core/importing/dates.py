"""Converting columns of dates and of date-times.

Dates follow a declared :func:`~datetime.datetime.strptime` format (ISO
``YYYY-MM-DD`` by default). Impossible dates such as 2024-02-30 are refused,
never rolled over into March.

Date-times come out as UTC-aware :class:`~datetime.datetime` values. A cell
with a UTC offset ("2024-03-01 10:00+01:00") keeps that offset; a cell
without one is local time in the declared zone. Around daylight-saving
changes a local time can happen twice (clocks go back) or never (clocks
spring forward):

* ``ambiguous="earlier"`` (default) takes the first of the two instants,
  ``"later"`` the second, ``"refuse"`` marks the cell invalid.
* ``nonexistent="refuse"`` (default) marks the cell invalid: such a time was
  never shown on a clock in that zone, so it is a data error worth seeing.
  ``"shift"`` reads it with the offset in force before the change, as a clock
  not yet moved forward would, so 02:30 on a spring-forward night becomes
  03:30 local time.

Fractions of a second below the microsecond are dropped.
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from .conversion import Conversion, distinct, object_array, spread
from .errors import MappingError

ISO_DATE = "%Y-%m-%d"
ISO_DATETIME = None
# The shortest ISO text with a full date: 20240131.
MIN_ISO_LENGTH = 8
_DIRECTIVES = {
    "%Y": "YYYY",
    "%y": "YY",
    "%m": "MM",
    "%d": "DD",
    "%H": "hh",
    "%I": "hh",
    "%M": "mm",
    "%S": "ss",
    "%f": "ffffff",
    "%p": "AM/PM",
    "%z": "+hhmm",
    "%b": "Mon",
    "%B": "Month",
    "%j": "DDD",
    "%%": "%",
}
_OFFSET_AT_END = re.compile(
    r"[0-9]{2}:?[0-9]{2}(?::?[0-9]{2}(?:[.,][0-9]+)?)?"
    r"\s*(?:[Zz]|[+-][0-9]{2}(?::?[0-9]{2})?)$"
)


def describe_format(fmt: str) -> str:
    """``%d.%m.%Y`` as ``DD.MM.YYYY``, for error messages."""
    return re.sub(r"%.", lambda m: _DIRECTIVES.get(m.group(), m.group()), fmt)


def check_format(fmt: str) -> str:
    """``fmt`` if pandas can parse with it, else a :class:`MappingError`."""
    _parse(pd.Series([], dtype=str), fmt)
    return fmt


def _parse(texts: pd.Series, fmt: str, *, utc: bool = False) -> pd.Series:
    try:
        return pd.to_datetime(texts, format=fmt, errors="coerce", utc=utc)
    except ValueError as exc:
        raise MappingError(f"date format {fmt!r} cannot be used: {exc}") from None


def convert_date(
    values: pd.Series, *, date_format: str = ISO_DATE, required: bool = False
) -> Conversion:
    """Dates written as ``date_format``, as :class:`~datetime.date`."""
    cells = distinct(values)
    positions = np.flatnonzero(~cells.blank)
    stamps = _parse(cells.texts.iloc[positions], date_format)
    ok = stamps.notna().to_numpy(dtype=bool)
    parsed = object_array(len(cells.texts))
    parsed[positions[ok]] = np.asarray(stamps[ok].dt.date, dtype=object)
    bad = np.zeros(len(parsed), dtype=bool)
    bad[positions[~ok]] = True
    expected = describe_format(date_format)
    return spread(cells, parsed, bad, "a date", expected, required=required)


def convert_datetime(
    values: pd.Series,
    *,
    datetime_format: str | None = ISO_DATETIME,
    timezone: str = "UTC",
    ambiguous: str = "earlier",
    nonexistent: str = "refuse",
    required: bool = False,
) -> Conversion:
    """Date-times as UTC-aware :class:`~datetime.datetime`; see the module notes."""
    if datetime_format is not None:
        check_format(datetime_format)
    cells = distinct(values)
    positions = np.flatnonzero(~cells.blank)
    texts = cells.texts.iloc[positions]
    if datetime_format is None:
        # pandas reads "2024" and "2024-05" as ISO; a date-time needs a full date.
        full = (texts.str.len() >= MIN_ISO_LENGTH).to_numpy(dtype=bool)
        positions, texts = positions[full], texts[full]
    aware, local = _split_by_offset(texts, datetime_format)
    fmt = datetime_format or "ISO8601"
    parsed = object_array(len(cells.texts))
    bad = ~cells.blank
    _store(parsed, bad, positions[aware], _parse(texts[aware], fmt, utc=True))
    stamps, notes = _localize(local, timezone, ambiguous, nonexistent)
    _store(parsed, bad, positions[~aware], stamps)
    why = {int(positions[~aware][offset]): note for offset, note in notes.items()}
    if datetime_format is None:
        expected = "YYYY-MM-DD hh:mm[:ss], optionally with a UTC offset"
    else:
        expected = describe_format(datetime_format)
    return spread(
        cells, parsed, bad, "a date and time", expected, why, required=required
    )


def _split_by_offset(
    texts: pd.Series, datetime_format: str | None
) -> tuple[np.ndarray, pd.Series]:
    """Which texts carry a UTC offset, and the others parsed as naive times."""
    if datetime_format is not None:
        aware = np.full(len(texts), "%z" in datetime_format)
        local = _parse_local(texts[~aware], datetime_format)
    else:
        aware = _maybe_offsets(texts)
        local = _parse_local(texts[~aware], "ISO8601")
        if local is None:
            aware = texts.str.contains(_OFFSET_AT_END).to_numpy(dtype=bool)
            local = _parse_local(texts[~aware], "ISO8601")
    if local is None:
        local = _parse_each(texts[~aware], datetime_format or "ISO8601")
    return aware, local


def _maybe_offsets(texts: pd.Series) -> np.ndarray:
    """Which ISO texts end in a UTC offset, settled in one scan in the usual case.

    An offset needs "Z", "+" or a minus sign beyond the two of the date. The
    count of minus signs can be fooled by unusual mixes, which
    :func:`_parse_local` notices, so the exact test then runs after all.
    """
    everything = "\n".join(texts.to_numpy(dtype=object))
    maybe = any(sign in everything for sign in "Zz+")
    if not maybe and everything.count("-") == 2 * len(texts):
        return np.zeros(len(texts), dtype=bool)
    return texts.str.contains(_OFFSET_AT_END).to_numpy(dtype=bool)


def _parse_each(texts: pd.Series, fmt: str) -> pd.Series:
    """Naive date-times one text at a time; anything odd becomes NaT."""
    stamps: list[object] = []
    for text in texts.to_numpy(dtype=object):
        try:
            stamp = pd.Timestamp(pd.to_datetime(text, format=fmt))
        except ValueError:
            stamp = pd.NaT
        stamps.append(pd.NaT if stamp is pd.NaT or stamp.tzinfo else stamp)
    return pd.to_datetime(pd.Series(stamps, index=texts.index, dtype=object))


def _parse_local(texts: pd.Series, fmt: str) -> pd.Series | None:
    """Naive date-times, or ``None`` if some text turned out to carry an offset."""
    try:
        stamps = pd.to_datetime(texts, format=fmt, errors="coerce")
    except ValueError:
        return None
    if getattr(stamps.dtype, "tz", None) is not None:
        return None
    return stamps


def _store(
    parsed: np.ndarray, bad: np.ndarray, positions: np.ndarray, stamps: pd.Series
) -> None:
    ok = stamps.notna().to_numpy(dtype=bool)
    if not ok.any():
        return
    exact = stamps[ok].dt.floor("us").dt.tz_convert(UTC)
    parsed[positions[ok]] = np.asarray(exact.dt.to_pydatetime(), dtype=object)
    bad[positions[ok]] = False


def _localize(
    stamps: pd.Series, timezone: str, ambiguous: str, nonexistent: str
) -> tuple[pd.Series, dict[int, str]]:
    """UTC instants for naive local ``stamps``, and notes on refused ones.

    Notes are keyed by position in ``stamps``.
    """
    if timezone == "UTC":
        return stamps.dt.tz_localize(UTC), {}
    local = stamps.dt.tz_localize(timezone, ambiguous="NaT", nonexistent="NaT")
    result = local.dt.tz_convert(UTC)
    troubled = np.flatnonzero((stamps.notna() & local.isna()).to_numpy(dtype=bool))
    notes: dict[int, str] = {}
    if len(troubled) == 0:
        return result, notes
    subset = stamps.iloc[troubled]
    dst = np.ones(len(subset), dtype=bool)
    first = _localized_utc(subset, timezone, dst)
    second = _localized_utc(subset, timezone, ~dst)
    for offset, position in enumerate(troubled):
        a, b = first.iloc[offset], second.iloc[offset]
        if pd.isna(a) or pd.isna(b):
            instant, notes_for = _gap(subset.iloc[offset], timezone, nonexistent)
        else:
            instant, notes_for = _overlap(min(a, b), max(a, b), timezone, ambiguous)
        result.iloc[position] = instant
        if notes_for:
            notes[int(position)] = notes_for
    return result, notes


def _localized_utc(stamps: pd.Series, timezone: str, dst: np.ndarray) -> pd.Series:
    local = stamps.dt.tz_localize(timezone, ambiguous=dst, nonexistent="NaT")
    return local.dt.tz_convert(UTC)


def _gap(stamp: pd.Timestamp, timezone: str, nonexistent: str) -> tuple[object, str]:
    if nonexistent == "shift":
        # fold=0 reads a skipped time with the offset before the change.
        wall = stamp.to_pydatetime().replace(tzinfo=zoneinfo.ZoneInfo(timezone))
        return pd.Timestamp(wall.astimezone(UTC)), ""
    note = (
        f"does not exist in {timezone}: the clocks sprang forward over it for "
        f"daylight saving time; correct the time or add its UTC offset"
    )
    return pd.NaT, note


def _overlap(
    earlier: pd.Timestamp, later: pd.Timestamp, timezone: str, ambiguous: str
) -> tuple[object, str]:
    if ambiguous == "earlier":
        return earlier, ""
    if ambiguous == "later":
        return later, ""
    note = (
        f"happened twice in {timezone} when the clocks went back; add its UTC "
        f"offset (e.g. {_offset(earlier, timezone)} for the first time)"
    )
    return pd.NaT, note


def _offset(instant: pd.Timestamp, timezone: str) -> str:
    local: datetime = instant.tz_convert(timezone).to_pydatetime()
    return local.strftime("%z")[:3] + ":" + local.strftime("%z")[3:]
