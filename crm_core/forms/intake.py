"""Checking a submission with the import pipeline's own rules.

A form's fields get the rules an import of its record type applies: each
field's conversion and checks come from the record type's marshmallow
schema (:func:`~crm_core.importing.rules.schema_rules`) or from the custom
field's declaration, and the visitor's text is converted as a one-row
column by :func:`~crm_core.importing.values.convert`. So a form accepts
exactly what a file import would, and no second set of rules exists.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs
import pandas as pd
from sqlalchemy import Connection

from ..customers import InvalidInput
from ..i18n import gettext, lazy_gettext
from ..importing.errors import ValueConversionError
from ..importing.pipeline import ATTRIBUTE
from ..importing.records import RecordType
from ..importing.rules import (
    FieldRule,
    ValueOptions,
    apply_checks,
    custom_field_rule,
    schema_rules,
)
from ..importing.values import convert
from .spec import FormSpec

if TYPE_CHECKING:
    from ..host import Host

#: What to tell a visitor whose value could not be read, by the kind of value.
NOUN_MESSAGES: Mapping[str, Any] = {
    "an e-mail address": lazy_gettext(
        "Enter an e-mail address such as name@example.com."
    ),
    "a phone number": lazy_gettext(
        "Enter a phone number, with the country code when abroad (+44 20 7946 0958)."
    ),
    "a date": lazy_gettext("Enter a date such as 2025-05-01."),
    "a date and time": lazy_gettext("Enter a date and time such as 2025-05-01 14:30."),
    "a whole number": lazy_gettext("Enter a whole number such as 42."),
    "a number": lazy_gettext("Enter a number such as 1234.50."),
    "a yes/no value": lazy_gettext("Choose yes or no."),
    "a known choice": lazy_gettext("Choose one of the options offered."),
}
_LONGER = re.compile(r"is longer than (\d+) characters")


@attrs.frozen
class FormRules:
    """A form's record type and the rule of each of its fields, by field name."""

    record_type: RecordType
    rules: Mapping[str, FieldRule]
    #: The rule name of each field (``tier`` → ``attributes.tier``).
    targets: Mapping[str, str]


def form_rules(host: Host, connection: Connection, spec: FormSpec) -> FormRules:
    """The import rules of ``spec``'s fields; :class:`InvalidInput` for unknown ones."""
    types = host.record_types()
    record_type = types.get(spec.record_type)
    if record_type is None:
        known = ", ".join(sorted(types))
        raise InvalidInput(
            {"record_type": [f"no record type {spec.record_type!r} (known: {known})"]}
        )
    if spec.consent_purpose and spec.record_type != "customers":
        raise InvalidInput(
            {
                "consent_purpose": [
                    "consent is recorded on customers; use a customers form"
                ]
            }
        )
    options = ValueOptions(phone_region=host.config.default_region)
    available = schema_rules(record_type.schema, options)
    if record_type.custom_fields:
        specs = host.fields.for_type(connection, record_type.custom_fields)
        for name, field in specs.items():
            available.setdefault(
                ATTRIBUTE + name, custom_field_rule(field, options, name)
            )
    wanted = {field.name: field.required for field in spec.fields}
    wanted.update({name: False for name in spec.constants if name not in wanted})
    if spec.record_type == "customers":
        # Customers from a form are matched, and confirmed, by their address.
        wanted["email"] = True
    rules, targets, unknown = {}, {}, []
    for name, required in wanted.items():
        target = name if name in available else ATTRIBUTE + name.removeprefix(ATTRIBUTE)
        rule = available.get(target)
        if rule is None:
            unknown.append(name)
            continue
        fmt = attrs.evolve(rule.format, required=rule.format.required or required)
        rules[target], targets[name] = attrs.evolve(rule, format=fmt), target
    if unknown:
        offered = ", ".join(sorted(n.removeprefix(ATTRIBUTE) for n in available))
        missing = ", ".join(unknown)
        message = f"{spec.record_type} have no field {missing} (offered: {offered})"
        raise InvalidInput({"fields": [message]})
    return FormRules(record_type, rules, targets)


def check(
    form: FormRules, raw: Mapping[str, str]
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Converted values by rule name, and messages by field name."""
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for name, target in form.targets.items():
        rule = form.rules[target]
        cell = pd.Series([str(raw.get(name, "") or "")], index=[1], dtype=object)
        conversion = convert(cell, rule.format)
        converted = conversion.values
        if rule.format.kind == "email":
            converted = converted.map(
                lambda address: address.lower() if address else address
            )
        found = [message(error) for error in conversion.errors(cell, name)]
        found += [check_message(text) for _row, text in apply_checks(rule, converted)]
        if found:
            errors[name] = found
        values[target] = converted.iloc[0]
    return values, errors


def message(error: ValueConversionError) -> str:
    """A visitor's wording of one conversion error."""
    if error.reason and "required" in error.reason:
        return gettext("This field is required.")
    found = NOUN_MESSAGES.get(error.noun)
    if found is not None:
        return str(found)
    return gettext("This value is not accepted.")


def check_message(text: str) -> str:
    """A visitor's wording of a failed schema check (length, range, pattern)."""
    longer = _LONGER.search(text)
    if longer:
        return gettext("Use at most %(count)s characters.", count=longer.group(1))
    return gettext("This value is not accepted.")
