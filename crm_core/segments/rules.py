"""Segment rules: reading the JSON form, checking it, naming the path of each mistake.

A rule is a group: ``{"all": [...]}`` (every item holds) or ``{"any": [...]}``
(at least one does). Items are groups again or conditions::

    {"field": "tenure", "op": "lt", "value": 12}
    {"field": "tags", "op": "has", "value": "vip"}
    {"field": "activities", "op": "gte", "value": 3,
     "where": {"kind": "call", "channel": "phone", "days": 90}}

Errors are collected for the whole rule and keyed by their path, e.g.
``rules.all[2].value: 'abc' is not a number for tenure``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from ..contributions import FieldType
from ..customers import InvalidInput
from ..entities import CHANNELS
from . import values
from .catalogue import ACTIVITIES, RELATIONS, TAGS, Catalogue, Target

MAX_DEPTH = 6
MAX_CONDITIONS = 200
MODES = ("all", "any")

_TEXT = ("eq", "ne", "in", "not_in", "contains", "not_contains", "starts_with")
_ORDERED = ("eq", "ne", "lt", "lte", "gt", "gte", "between")
_PRESENCE = ("is_set", "is_not_set")
OPERATORS: dict[str, tuple[str, ...]] = {
    FieldType.TEXT.value: (*_TEXT, *_PRESENCE),
    FieldType.CHOICE.value: ("eq", "ne", "in", "not_in", *_PRESENCE),
    FieldType.INTEGER.value: (*_ORDERED, "in", "not_in", *_PRESENCE),
    FieldType.DECIMAL.value: (*_ORDERED, *_PRESENCE),
    FieldType.BOOLEAN.value: ("eq", *_PRESENCE),
    FieldType.DATE.value: (*_ORDERED, "in_last_days", "before_last_days", *_PRESENCE),
    FieldType.DATETIME.value: (
        *_ORDERED,
        "in_last_days",
        "before_last_days",
        *_PRESENCE,
    ),
    TAGS: ("has", "has_not"),
    ACTIVITIES: ("exists", "not_exists", "eq", "ne", "lt", "lte", "gt", "gte"),
}
_NO_VALUE = frozenset({*_PRESENCE, "exists", "not_exists"})
_WHERE_KEYS = ("kind", "channel", "days")


class RuleError(InvalidInput):
    """A rule refused; ``errors`` maps each path to what is wrong there."""

    def __str__(self) -> str:
        return "; ".join(
            f"{path}: {message}"
            for path, messages in self.errors.items()
            for message in messages
        )


@attrs.frozen
class ActivityFilter:
    """Which activities an ``activities`` condition counts."""

    kind: str | None = None
    channel: str | None = None
    days: int | None = None


@attrs.frozen
class Condition:
    """One checked condition: its target, operator and converted value."""

    path: str
    field: str
    target: Target
    op: str
    value: Any = None
    where: ActivityFilter | None = None


@attrs.frozen
class Group:
    """Items that must all hold (``all``) or of which one must hold (``any``)."""

    path: str
    mode: str
    items: tuple[Group | Condition, ...]


def parse_rules(document: Any, catalogue: Catalogue, root: str = "rules") -> Group:
    """The checked form of ``document``, or :class:`RuleError` naming every mistake."""
    reader = _Reader(catalogue)
    group = reader.group(document, root, 1)
    if reader.errors:
        raise RuleError(reader.errors)
    assert group is not None
    return group


class _Reader:
    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self.errors: dict[str, list[str]] = {}
        self.conditions = 0

    def fail(self, path: str, message: str) -> None:
        self.errors.setdefault(path, []).append(message)

    def group(self, node: Any, path: str, depth: int) -> Group | None:
        keys = list(node) if isinstance(node, Mapping) else []
        if len(keys) != 1 or keys[0] not in MODES:
            self.fail(path, 'expected a group: {"all": [...]} or {"any": [...]}')
            return None
        mode = keys[0]
        items = node[mode]
        if not isinstance(items, list):
            self.fail(f"{path}.{mode}", "expected a list of conditions and groups")
            return None
        if depth > MAX_DEPTH:
            self.fail(path, f"groups nest at most {MAX_DEPTH} deep")
            return None
        read = [
            self.item(item, f"{path}.{mode}[{i}]", depth)
            for i, item in enumerate(items)
        ]
        return Group(path, mode, tuple(item for item in read if item is not None))

    def item(self, node: Any, path: str, depth: int) -> Group | Condition | None:
        if isinstance(node, Mapping) and any(mode in node for mode in MODES):
            return self.group(node, path, depth + 1)
        if not isinstance(node, Mapping) or "field" not in node:
            self.fail(path, 'expected a condition {"field", "op", "value"} or a group')
            return None
        self.conditions += 1
        if self.conditions == MAX_CONDITIONS + 1:
            self.fail(path, f"a rule holds at most {MAX_CONDITIONS} conditions")
        return self.condition(node, path)

    def condition(self, node: Mapping[str, Any], path: str) -> Condition | None:
        unknown = sorted(set(node) - {"field", "op", "value", "where"})
        if unknown:
            self.fail(path, f"unknown key {unknown[0]!r}; use field, op, value, where")
        name = node["field"]
        target = self.catalogue.resolve(name) if isinstance(name, str) else None
        if target is None:
            self.fail(f"{path}.field", _unknown_field(name, self.catalogue))
            return None
        kind = _kind(target)
        op = node.get("op")
        allowed = OPERATORS[kind]
        if op not in allowed:
            self.fail(
                f"{path}.op",
                f"{op!r} is not an operator for {name} ({kind}); use one of "
                + ", ".join(allowed),
            )
            return None
        where = self.where(node, path, target)
        value = self.value(node, path, name, target, op)
        return Condition(path, name, target, op, value, where)

    def value(
        self, node: Mapping[str, Any], path: str, name: str, target: Target, op: str
    ) -> Any:
        if op in _NO_VALUE:
            if node.get("value") is not None:
                self.fail(f"{path}.value", f"{op!r} takes no value; leave it out")
            return None
        if "value" not in node:
            self.fail(f"{path}.value", f"{op!r} needs a value")
            return None
        try:
            return values.convert(target, op, node["value"], name)
        except ValueError as error:
            self.fail(f"{path}.value", str(error))
            return None

    def where(
        self, node: Mapping[str, Any], path: str, target: Target
    ) -> ActivityFilter | None:
        raw = node.get("where")
        if target.special != ACTIVITIES:
            if raw is not None:
                self.fail(f"{path}.where", "only 'activities' conditions take 'where'")
            return None
        if raw is None:
            return ActivityFilter()
        if not isinstance(raw, Mapping):
            self.fail(f"{path}.where", "expected an object with kind, channel, days")
            return None
        return self._activity_filter(raw, f"{path}.where")

    def _activity_filter(self, raw: Mapping[str, Any], path: str) -> ActivityFilter:
        for key in sorted(set(raw) - set(_WHERE_KEYS)):
            self.fail(f"{path}.{key}", "unknown key; use kind, channel or days")
        kind, channel, days = raw.get("kind"), raw.get("channel"), raw.get("days")
        if kind is not None and (not isinstance(kind, str) or not kind.strip()):
            self.fail(f"{path}.kind", f"{kind!r} is not an activity kind")
        if channel is not None and channel not in CHANNELS:
            self.fail(
                f"{path}.channel",
                f"{channel!r} is not a channel; use one of {', '.join(CHANNELS)}",
            )
        if days is not None and (
            type(days) is not int or not 1 <= days <= values.MAX_DAYS
        ):
            self.fail(
                f"{path}.days",
                f"{days!r} is not a number of days (1-{values.MAX_DAYS})",
            )
        return ActivityFilter(kind, channel, days)


def _kind(target: Target) -> str:
    if target.special is not None:
        return target.special
    assert target.field is not None
    return target.field.type.value


def _unknown_field(name: Any, catalogue: Catalogue) -> str:
    if not isinstance(name, str):
        return f"{name!r} is not a field name"
    known = ", ".join(catalogue.suggestions()[:40])
    return f"no field {name!r}; use one of {known}"


def field_list(catalogue: Catalogue) -> list[dict[str, Any]]:
    """The fields a rule editor offers, with their operators, grouped."""
    items = [
        _info(field.name, field.label, field.type.value, field.choices, field.group)
        for field in catalogue.fields.values()
    ]
    items += [
        _info(f"score.{name}", f"Score {name}", FieldType.DECIMAL.value, (), "Scores")
        for name in catalogue.score_names
    ]
    items.append(_info(TAGS, "Tags", TAGS, (), "Customer"))
    items.append(_info(ACTIVITIES, "Activities (count)", ACTIVITIES, (), "Timeline"))
    for relation, label in RELATIONS.items():
        items += [
            _info(
                f"{relation}.{field.name}",
                field.label,
                field.type.value,
                field.choices,
                label.capitalize(),
            )
            for field in catalogue.fields.values()
            if field.group in ("Customer", "Custom fields")
        ]
    return items


def _info(
    name: str, label: str, kind: str, choices: tuple[str, ...], group: str
) -> dict[str, Any]:
    return {
        "name": name,
        "label": label,
        "type": kind,
        "choices": list(choices),
        "group": group,
        "operators": list(OPERATORS[kind]),
    }
