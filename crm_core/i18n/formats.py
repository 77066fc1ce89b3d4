"""Dates, times, numbers and money written the way the reader's language writes them.

Every function takes the locale explicitly or uses the current request's
(English outside a request). Patterns come from the Unicode CLDR through
Babel, with one deliberate exception: English keeps the ISO order
(``2024-03-01 14:30``), which reads the same to every English-speaking
region, where CLDR's English would be the American ``Mar 1, 2024``.
"""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal
from functools import lru_cache

import flask_babel
from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, parse_pattern

from .catalogues import DEFAULT_LOCALE, supported_locale

#: Date and time patterns that replace CLDR's for a locale.
PATTERNS: dict[str, tuple[str, str]] = {"en": ("yyyy-MM-dd", "HH:mm")}


def current_locale() -> str:
    """The locale of the current request, or the default outside one."""
    try:
        found = flask_babel.get_locale()
    except (RuntimeError, KeyError):
        found = None
    return str(found) if found is not None else DEFAULT_LOCALE


def _locale(locale: str | None) -> str:
    return locale or current_locale()


@lru_cache(maxsize=32)
def _patterns(locale: str) -> tuple[str, str]:
    """The date pattern and the date-and-time pattern of ``locale``."""
    chosen = PATTERNS.get(supported_locale(locale) or "", None)
    if chosen is not None:
        day, time = chosen
        return day, f"{day} {time}"
    data = Locale.parse(locale)
    day = data.date_formats["medium"].pattern
    time = data.time_formats["short"].pattern
    glue = str(data.datetime_formats["medium"])
    return day, glue.replace("{1}", day).replace("{0}", time)


def format_moment(
    moment: datetime, zone: tzinfo | None = None, locale: str | None = None
) -> str:
    """A moment as date and minutes, in ``zone`` (the moment's own zone when None)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    local = aware.astimezone(zone) if zone is not None else aware
    chosen = _locale(locale)
    return format_datetime(local, _patterns(chosen)[1], locale=chosen)


def format_day(day: date, locale: str | None = None) -> str:
    """A calendar date without a time."""
    chosen = _locale(locale)
    return format_date(day, _patterns(chosen)[0], locale=chosen)


def format_number(number: Decimal | int | float, locale: str | None = None) -> str:
    """A number with the locale's grouping and decimal mark.

    A :class:`~decimal.Decimal` keeps the places it was written with
    (``1234.50`` stays two places), as a stored value means them.
    """
    chosen = _locale(locale)
    data = Locale.parse(chosen)
    pattern = copy.copy(parse_pattern(data.decimal_formats[None]))
    if isinstance(number, Decimal):
        exponent = number.as_tuple().exponent
        places = max(0, -exponent) if isinstance(exponent, int) else 0
        pattern.frac_prec = (places, places)
    return str(pattern.apply(number, data))


def format_money(amount: Decimal, currency: str, locale: str | None = None) -> str:
    """An amount with its currency (``$1,234.50``, ``US$1,234.50``)."""
    chosen = _locale(locale)
    return str(format_currency(amount, currency.upper(), locale=chosen))


def html_lang(locale: str) -> str:
    """The BCP 47 tag of ``locale`` for an ``lang`` attribute (``zh-Hans-CN``)."""
    return locale.replace("_", "-")
