"""Showing stored values on pages: times in the reader's zone, values by type.

Dates, times and decimals are written the way the reader's language writes
them (see :mod:`crm_core.i18n.formats`); whole numbers are shown as stored,
since they are as often years and codes as quantities.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import g

from ..contributions import FieldSpec, FieldType
from ..i18n import format_day, format_moment, format_number, gettext, term

EMPTY = "—"


def reader_zone() -> ZoneInfo:
    """The signed-in user's time zone, UTC when unknown."""
    actor = g.get("actor")
    name = actor.user.timezone if actor is not None and actor.user else "UTC"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def as_datetime(moment: datetime | str | None) -> datetime | None:
    """A zone-aware datetime from a stored value (naive values are UTC)."""
    if moment is None or moment == "":
        return None
    if isinstance(moment, str):
        try:
            moment = datetime.fromisoformat(moment)
        except ValueError:
            return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def when(moment: datetime | str | None, with_zone: bool = False) -> str:
    """A moment in the reader's zone and locale (``2024-05-01 14:03`` in English)."""
    aware = as_datetime(moment)
    if aware is None:
        return EMPTY if moment in (None, "") else str(moment)
    local = aware.astimezone(reader_zone())
    text = format_moment(local)
    return f"{text} {local.tzname()}" if with_zone else text


def value(item: Any, spec: FieldSpec | None = None) -> str:
    """A custom field's (or any plain) value as text."""
    if blank(item):
        return EMPTY
    kind = spec.type if spec is not None else None
    if kind is FieldType.DATETIME:
        return when(item, with_zone=True)
    if kind is FieldType.DATE:
        return day(item)
    if isinstance(item, bool):
        return gettext("Yes") if item else gettext("No")
    if isinstance(item, Decimal | float):
        return format_number(item)
    if isinstance(item, (list, tuple)):
        return ", ".join(value(part) for part in item)
    if isinstance(item, Mapping):
        parts = [
            f"{term(k)}: {value(part)}" for k, part in item.items() if not blank(part)
        ]
        return "; ".join(parts) or EMPTY
    return str(item)


def day(item: date | str) -> str:
    """A calendar date in the reader's locale; text that is no date is shown as is."""
    if isinstance(item, date):
        return format_day(item)
    try:
        return format_day(date.fromisoformat(item))
    except ValueError:
        return item


def blank(item: Any) -> bool:
    """Whether a stored value holds nothing (``None``, empty text or collection)."""
    return item is None or (isinstance(item, (str, list, tuple, dict)) and not item)


def audit_value(item: Any) -> str:
    """One side of an audit change; an absent value reads as ``(empty)``."""
    if blank(item):
        return gettext("(empty)")
    if isinstance(item, (list, tuple)) and all(isinstance(p, Mapping) for p in item):
        return " | ".join(value(part) for part in item)
    return value(item)
