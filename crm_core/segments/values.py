"""Turning the values in segment rules into typed values, or saying why not."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from ..contributions import FieldType
from .catalogue import ACTIVITIES, TAGS, Target

MAX_DAYS = 36_500
MAX_LIST = 1_000
MAX_TEXT = 1_000
_DAYS_OPS = ("in_last_days", "before_last_days")
_LIST_OPS = ("in", "not_in")


def convert(target: Target, op: str, raw: Any, name: str) -> Any:
    """``raw`` converted for comparing with field ``name`` by ``op``."""
    kind = _kind(target)
    if op in _DAYS_OPS:
        return _days(raw, name)
    if op == "between":
        if not isinstance(raw, list) or len(raw) != 2:
            raise ValueError(f"{raw!r} is not a pair [low, high] for {name}")
        low, high = (_one(kind, item, name, target) for item in raw)
        if low > high:
            raise ValueError(f"{raw!r}: the low end is above the high end for {name}")
        return (low, high)
    if op in _LIST_OPS:
        if not isinstance(raw, list) or not raw or len(raw) > MAX_LIST:
            raise ValueError(
                f"{raw!r} is not a list of 1 to {MAX_LIST} values for {name}"
            )
        return [_one(kind, item, name, target) for item in raw]
    return _one(kind, raw, name, target)


def _kind(target: Target) -> str:
    if target.special is not None:
        return target.special
    assert target.field is not None
    return target.field.type.value


def _one(kind: str, raw: Any, name: str, target: Target) -> Any:
    if kind == ACTIVITIES:
        return _count(raw, name)
    if kind in (TAGS, FieldType.TEXT.value):
        return _text(raw, name)
    if kind == FieldType.CHOICE.value:
        return _choice(raw, name, target)
    if kind == FieldType.INTEGER.value:
        return _integer(raw, name)
    if kind == FieldType.DECIMAL.value:
        return _decimal(raw, name)
    if kind == FieldType.BOOLEAN.value:
        return _boolean(raw, name)
    if kind == FieldType.DATE.value:
        return _date(raw, name)
    return _moment(raw, name)


def _text(raw: Any, name: str) -> str:
    if not isinstance(raw, str) or not raw or len(raw) > MAX_TEXT:
        raise ValueError(
            f"{raw!r} is not a text of 1 to {MAX_TEXT} characters for {name}"
        )
    return raw


def _choice(raw: Any, name: str, target: Target) -> str:
    assert target.field is not None
    choices = target.field.choices
    if not isinstance(raw, str) or (choices and raw not in choices):
        raise ValueError(f"{raw!r} is not one of {', '.join(choices)} for {name}")
    return raw


def _integer(raw: Any, name: str) -> int:
    number = _decimal(raw, name)
    if number != number.to_integral_value():
        raise ValueError(f"{raw!r} is not a whole number for {name}")
    return int(number)


def _decimal(raw: Any, name: str) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str | Decimal):
        raise ValueError(f"{raw!r} is not a number for {name}")
    try:
        number = Decimal(str(raw).strip())
    except InvalidOperation:
        raise ValueError(f"{raw!r} is not a number for {name}") from None
    if not number.is_finite():
        raise ValueError(f"{raw!r} is not a finite number for {name}")
    return number


def _boolean(raw: Any, name: str) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    raise ValueError(f"{raw!r} is not true or false for {name}")


def _date(raw: Any, name: str) -> str:
    try:
        return dt.date.fromisoformat(str(raw)).isoformat()
    except ValueError:
        raise ValueError(f"{raw!r} is not a date (YYYY-MM-DD) for {name}") from None


def _moment(raw: Any, name: str) -> dt.datetime:
    expected = f"{raw!r} is not a time with zone (2024-05-01T09:00:00+02:00) for {name}"
    try:
        moment = dt.datetime.fromisoformat(str(raw))
    except ValueError:
        raise ValueError(expected) from None
    if moment.tzinfo is None:
        raise ValueError(expected)
    return moment.astimezone(dt.UTC)


def _days(raw: Any, name: str) -> int:
    if type(raw) is not int or not 1 <= raw <= MAX_DAYS:
        raise ValueError(f"{raw!r} is not a number of days (1-{MAX_DAYS}) for {name}")
    return raw


def _count(raw: Any, name: str) -> int:
    if type(raw) is not int or raw < 0:
        raise ValueError(f"{raw!r} is not a count (0 or more) for {name}")
    return raw
