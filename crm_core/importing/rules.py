"""Bulk checks generated from a record type's marshmallow schema.

A schema declares each field's type, whether it is required, and validators
(Length, OneOf, Range, Regexp). Here each becomes a column conversion (see
:mod:`.values`) plus vectorised checks, so a million rows are validated by
the rules a single API request would be, without loading rows one by one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import attrs
import numpy as np
import pandas as pd
from marshmallow import Schema, fields, validate

from ..contributions import FieldSpec, FieldType
from .values import ColumnFormat


class Phone(fields.String):
    """A phone number; imports normalise it to E.164."""


@attrs.frozen
class Check:
    """A rule on converted values: ``bad(values)`` marks the failing cells."""

    message: str
    bad: Callable[[pd.Series], np.ndarray]


@attrs.frozen
class FieldRule:
    """How one target field's column is converted and checked."""

    name: str
    format: ColumnFormat
    checks: tuple[Check, ...] = ()


@attrs.frozen
class ValueOptions:
    """How the file writes values: the ``--date-format``, ``--timezone``... options."""

    date_format: str = "%Y-%m-%d"
    datetime_format: str | None = None
    timezone: str = "UTC"
    decimal_mark: str = "."
    thousands: str | None = None
    phone_region: str = "US"

    def column(
        self, kind: str, *, required: bool = False, choices: tuple[str, ...] = ()
    ) -> ColumnFormat:
        return ColumnFormat(
            kind=kind,
            required=required,
            choices=choices,
            date_format=self.date_format,
            datetime_format=self.datetime_format,
            timezone=self.timezone,
            decimal_mark=self.decimal_mark,
            thousands=self.thousands,
            phone_region=self.phone_region,
        )


def _kind(field: fields.Field) -> str:
    if isinstance(field, Phone):
        return "phone"
    if isinstance(field, fields.Email):
        return "email"
    if isinstance(field, fields.Boolean):
        return "boolean"
    if isinstance(field, fields.Integer):
        return "integer"
    if isinstance(field, fields.Decimal | fields.Float | fields.Number):
        return "decimal"
    if isinstance(field, fields.DateTime) and not isinstance(field, fields.Date):
        return "datetime"
    if isinstance(field, fields.Date):
        return "date"
    return "text"


def schema_rules(schema: type[Schema], options: ValueOptions) -> dict[str, FieldRule]:
    """A rule per field of ``schema``, from its declared type and validators."""
    rules = {}
    for name, field in schema().fields.items():
        if field.dump_only:
            continue
        kind, choices = _kind(field), tuple[str, ...]()
        checks: list[Check] = []
        for validator in field.validators:
            if isinstance(validator, validate.Email | validate.URL) and kind == "email":
                continue  # the e-mail conversion already checks the address
            if isinstance(validator, validate.OneOf) and kind == "text":
                kind, choices = "choice", tuple(str(c) for c in validator.choices)
            else:
                checks.extend(_checks(validator))
        fmt = options.column(kind, required=field.required, choices=choices)
        rules[name] = FieldRule(name, fmt, tuple(checks))
    return rules


def custom_field_rule(spec: FieldSpec, options: ValueOptions, name: str) -> FieldRule:
    """The rule for a custom field's column."""
    kind = {FieldType.CHOICE: "choice"}.get(spec.type, spec.type.value)
    fmt = options.column(kind, required=spec.required, choices=spec.choices)
    checks = (
        (Check("is longer than 10000 characters", _longer(10_000)),)
        if kind == "text"
        else ()
    )
    return FieldRule(name, fmt, checks)


def _checks(validator: Any) -> list[Check]:
    if isinstance(validator, validate.Length):
        found = []
        if validator.max is not None:
            found.append(
                Check(
                    f"is longer than {validator.max} characters", _longer(validator.max)
                )
            )
        if validator.min is not None and validator.min > 0:
            found.append(
                Check(
                    f"is shorter than {validator.min} characters",
                    _shorter(validator.min),
                )
            )
        return found
    if isinstance(validator, validate.Range):
        return [_range_check(validator)]
    if isinstance(validator, validate.Regexp):
        pattern = validator.regex
        return [Check(f"does not match {pattern.pattern!r}", _mismatch(pattern))]  # type: ignore[arg-type]
    if isinstance(validator, validate.OneOf):
        allowed = set(validator.choices)
        return [
            Check(
                f"is not one of {', '.join(map(str, validator.choices))}",
                lambda values: _apply(values, lambda v: v not in allowed),
            )
        ]
    raise TypeError(
        f"validator {type(validator).__name__} cannot be checked in bulk; "
        "use Length, OneOf, Range or Regexp in import schemas"
    )


def _apply(values: pd.Series, test: Callable[[Any], bool]) -> np.ndarray:
    present = values.notna().to_numpy(dtype=bool)
    result = np.zeros(len(values), dtype=bool)
    if present.any():
        result[present] = [test(v) for v in values[present]]
    return result


def _longer(limit: int) -> Callable[[pd.Series], np.ndarray]:
    return lambda values: (values.str.len() > limit).fillna(False).to_numpy(dtype=bool)


def _shorter(limit: int) -> Callable[[pd.Series], np.ndarray]:
    return lambda values: (values.str.len() < limit).fillna(False).to_numpy(dtype=bool)


def _mismatch(pattern: re.Pattern[str]) -> Callable[[pd.Series], np.ndarray]:
    return lambda values: _apply(values, lambda v: pattern.match(str(v)) is None)


def _range_check(rule: validate.Range) -> Check:
    low, high = rule.min, rule.max
    parts = []
    if low is not None:
        parts.append(f"at least {low}" if rule.min_inclusive else f"more than {low}")
    if high is not None:
        parts.append(f"at most {high}" if rule.max_inclusive else f"less than {high}")

    def bad(value: Any) -> bool:
        number = Decimal(value) if not isinstance(value, Decimal) else value
        if low is not None and (number < low if rule.min_inclusive else number <= low):
            return True
        return high is not None and (
            number > high if rule.max_inclusive else number >= high
        )

    return Check(f"is not {' and '.join(parts)}", lambda values: _apply(values, bad))


def apply_checks(rule: FieldRule, values: pd.Series) -> list[tuple[Any, str]]:
    """``(row, message)`` for every cell failing one of ``rule``'s checks."""
    failures = []
    for check in rule.checks:
        mask = check.bad(values)
        for row in values.index[mask]:
            failures.append((row, check.message))
    return failures


def describe(rules: Mapping[str, FieldRule]) -> dict[str, str]:
    return {name: rule.format.kind for name, rule in rules.items()}
