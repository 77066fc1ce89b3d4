"""What segment rules can test: the fields of a customer and what hangs off it.

Every field is a :class:`SegmentField` whose ``expression`` turns a customer
table (or an alias of it) into a SQL expression, so the same field serves a
condition on the customer, on a person's employer (``organisation.<field>``)
and on a parent organisation (``parent.<field>``). Scores are fields named
``score.<name>``; ``tags`` and ``activities`` have operators of their own.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs
from sqlalchemy import Connection, FromClause, select
from sqlalchemy.sql.elements import ColumnElement

from ..contract import Contribution
from ..contributions import FieldSpec, FieldType
from ..entities import LIFECYCLE_STAGES, CustomerKind
from ..fields import sql_value
from ..scores.store import SCORE_NAME
from ..scores.tables import latest
from ..security import Actor

#: The prefixes that reach a related customer.
RELATIONS = {
    "organisation": "the organisation a person works at",
    "parent": "the parent organisation",
}
TAGS = "tags"
ACTIVITIES = "activities"
_PLUGIN_FIELD = re.compile(r"[a-z][a-z0-9_]*(\.[a-z0-9_]+)+")


class SegmentFieldError(ValueError):
    """A plugin declared a segment field that cannot be used; the message says why."""


def _strings(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(str(value) for value in values)


@attrs.frozen
class SegmentField:
    """A value of a customer that segment rules can compare.

    ``expression(customer)`` gets the customer table, or an alias of it, and
    returns a SQL expression: a column, a JSON extraction or a correlated
    scalar subquery. Fields declared by plugins are named
    ``<plugin>.<name>``.
    """

    name: str
    label: str
    type: FieldType = attrs.field(converter=FieldType)
    expression: Callable[[FromClause], ColumnElement[Any]]
    choices: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    group: str = ""


def _column(name: str) -> Callable[[FromClause], ColumnElement[Any]]:
    return lambda table: table.c[name]


_CORE: tuple[tuple[str, str, FieldType, tuple[str, ...]], ...] = (
    ("kind", "Kind", FieldType.CHOICE, tuple(k.value for k in CustomerKind)),
    ("name", "Name", FieldType.TEXT, ()),
    ("display_name", "Display name", FieldType.TEXT, ()),
    ("external_id", "External id", FieldType.TEXT, ()),
    ("email", "Primary e-mail", FieldType.TEXT, ()),
    ("phone", "Primary phone", FieldType.TEXT, ()),
    ("lifecycle_stage", "Lifecycle stage", FieldType.CHOICE, LIFECYCLE_STAGES),
    ("owner_id", "Owner (user id)", FieldType.INTEGER, ()),
    ("team_id", "Team (team id)", FieldType.INTEGER, ()),
    ("parent_id", "Parent organisation (id)", FieldType.INTEGER, ()),
    ("created_at", "Created", FieldType.DATETIME, ()),
    ("updated_at", "Last changed", FieldType.DATETIME, ()),
)


def core_fields() -> dict[str, SegmentField]:
    """The customer's own columns."""
    return {
        name: SegmentField(name, label, kind, _column(name), choices, "Customer")
        for name, label, kind, choices in _CORE
    }


def custom_fields(specs: Iterable[FieldSpec]) -> dict[str, SegmentField]:
    """Custom fields of customers, typed as declared."""
    return {
        spec.name: SegmentField(
            spec.name,
            spec.label or spec.name,
            spec.type,
            _attribute(spec),
            spec.choices,
            "Custom fields",
        )
        for spec in specs
    }


def _attribute(spec: FieldSpec) -> Callable[[FromClause], ColumnElement[Any]]:
    return lambda table: sql_value(spec, table.c.attributes)


def score_field(name: str) -> SegmentField:
    """The latest value of score ``name``, as a field."""

    def expression(table: FromClause) -> ColumnElement[Any]:
        return (
            select(latest.c.value)
            .where(latest.c.customer_id == table.c.id, latest.c.name == name)
            .scalar_subquery()
        )

    return SegmentField(
        f"score.{name}", f"Score {name}", FieldType.DECIMAL, expression, (), "Scores"
    )


def plugin_fields(found: Iterable[Contribution]) -> dict[str, SegmentField]:
    """Fields plugins declared through ``crm_segment_fields``, checked."""
    fields: dict[str, SegmentField] = {}
    owners: dict[str, str] = {}
    for contribution in found:
        field = contribution.value
        where = f"plugin {contribution.plugin!r}"
        if not isinstance(field, SegmentField):
            raise SegmentFieldError(
                f"{where} returned {field!r} from crm_segment_fields; "
                "return SegmentField objects"
            )
        if not _PLUGIN_FIELD.fullmatch(field.name) or not field.name.startswith(
            f"{contribution.plugin}."
        ):
            raise SegmentFieldError(
                f"{where} declares segment field {field.name!r}; name it "
                f"'{contribution.plugin}.<name>' in lower case"
            )
        if field.name in owners:
            raise SegmentFieldError(
                f"plugins {owners[field.name]!r} and {contribution.plugin!r} both "
                f"declare segment field {field.name!r}"
            )
        owners[field.name] = contribution.plugin
        fields[field.name] = attrs.evolve(field, group=field.group or where)
    return fields


@attrs.frozen
class Target:
    """What a rule's ``field`` names: a field, maybe on a related customer."""

    field: SegmentField | None
    relation: str | None = None
    special: str | None = None


@attrs.frozen
class Catalogue:
    """The fields one actor's rules may use."""

    fields: Mapping[str, SegmentField]
    score_names: tuple[str, ...] = ()

    def resolve(self, name: str) -> Target | None:
        """What ``name`` refers to, or ``None`` when it names nothing."""
        if name in (TAGS, ACTIVITIES):
            return Target(None, special=name)
        plain = self._plain(name)
        if plain is not None:
            return Target(plain)
        relation, _, rest = name.partition(".")
        if relation in RELATIONS and rest:
            if rest == TAGS:
                return Target(None, relation, TAGS)
            found = self._plain(rest)
            return Target(found, relation) if found is not None else None
        return None

    def _plain(self, name: str) -> SegmentField | None:
        if name in self.fields:
            return self.fields[name]
        prefix, _, score = name.partition(".")
        if prefix == "score" and SCORE_NAME.fullmatch(score):
            return score_field(score)
        return None

    def suggestions(self) -> list[str]:
        """Names to offer when a rule names an unknown field."""
        names = [*self.fields, TAGS, ACTIVITIES]
        names += [f"score.{name}" for name in self.score_names]
        names += [f"{relation}.<field>" for relation in RELATIONS]
        return names


def build_catalogue(
    connection: Connection,
    actor: Actor,
    specs: Mapping[str, FieldSpec],
    declared: Iterable[Contribution],
) -> Catalogue:
    """The fields for ``actor``: sensitive ones need the right to see them."""
    visible = [
        spec
        for spec in specs.values()
        if not spec.sensitive or actor.can("customer.read_sensitive")
    ]
    fields = {**plugin_fields(declared), **custom_fields(visible), **core_fields()}
    names = select(latest.c.name).distinct().order_by(latest.c.name)
    return Catalogue(fields, tuple(connection.execute(names).scalars()))
