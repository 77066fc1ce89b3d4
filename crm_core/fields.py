"""Custom fields: declared by plugins and by administrators, stored without migrations.

Values live in the record's ``attributes`` document. Each type knows how to
check an input value, turn it into its stored JSON form, and extract it in
SQL for filtering on both SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from marshmallow import fields as mf
from marshmallow import validate
from sqlalchemy import BigInteger, Connection, cast, select
from sqlalchemy.sql.elements import ColumnElement

from .contributions import FieldSpec, FieldType
from .storage import schema
from .storage.types import utcnow

#: Names a custom field on customers may not take: the built-in fields and
#: the list parameters.
RESERVED_CUSTOMER_NAMES = frozenset(
    {
        "id",
        "kind",
        "name",
        "display_name",
        "external_id",
        "email",
        "phone",
        "emails",
        "phones",
        "addresses",
        "owner",
        "owner_id",
        "team_id",
        "lifecycle_stage",
        "tags",
        "preferences",
        "attributes",
        "parent",
        "parent_id",
        "version",
        "created_at",
        "updated_at",
        "deleted_at",
        "q",
        "sort",
        "cursor",
        "limit",
    }
)


class FieldError(ValueError):
    """A custom field declaration or value is not acceptable."""


def marshmallow_field(spec: FieldSpec) -> mf.Field:
    """The marshmallow field that validates input for ``spec``."""
    common: dict[str, Any] = {"allow_none": not spec.required, "required": False}
    if spec.type is FieldType.TEXT:
        return mf.String(validate=validate.Length(max=10_000), **common)
    if spec.type is FieldType.INTEGER:
        return mf.Integer(
            strict=True, validate=validate.Range(-(2**63), 2**63 - 1), **common
        )
    if spec.type is FieldType.DECIMAL:
        return mf.Decimal(places=None, allow_nan=False, as_string=True, **common)
    if spec.type is FieldType.BOOLEAN:
        return mf.Boolean(**common)
    if spec.type is FieldType.DATE:
        return mf.Date(**common)
    if spec.type is FieldType.DATETIME:
        return mf.AwareDateTime(**common)
    return mf.String(validate=validate.OneOf(spec.choices), **common)


def to_stored(spec: FieldSpec, value: Any) -> Any:
    """The JSON form of an already validated value."""
    if value is None:
        return None
    if spec.type is FieldType.DECIMAL:
        try:
            return Decimal(value)
        except InvalidOperation as error:
            raise FieldError(
                f"field {spec.name!r}: {value!r} is not a number"
            ) from error
    if spec.type in (FieldType.DATE, FieldType.DATETIME) and hasattr(
        value, "isoformat"
    ):
        if isinstance(value, dt.datetime):
            return value.astimezone(dt.UTC).isoformat()
        return value.isoformat()
    return value


def sql_value(spec: FieldSpec, document: Any) -> ColumnElement[Any]:
    """The field's value extracted from a JSON ``document`` column, typed for comparison."""
    item = document[spec.name]
    if spec.type is FieldType.INTEGER:
        # 64-bit: PostgreSQL's INTEGER cast would fail on values past 2**31.
        return cast(item.as_string(), BigInteger)
    if spec.type is FieldType.DECIMAL:
        return item.as_numeric(28, 8)
    if spec.type is FieldType.BOOLEAN:
        return item.as_boolean()
    return item.as_string()


class FieldRegistry:
    """The custom fields in force: the plugins' plus the administrators'."""

    #: How long fields read from the database are reused, in seconds. A field
    #: an administrator declares in another process shows up after this.
    CACHE_SECONDS = 2.0

    def __init__(self, declared: Iterable[tuple[str, FieldSpec]]) -> None:
        self._declared = {
            (spec.record_type, spec.name): (owner, spec) for owner, spec in declared
        }
        self._cache: dict[str, tuple[float, dict[str, FieldSpec]]] = {}

    def for_type(
        self, connection: Connection, record_type: str, *, fresh: bool = False
    ) -> dict[str, FieldSpec]:
        """Every field of ``record_type``, by name.

        ``fresh`` reads the database now and leaves the cache alone: use it
        inside a transaction that declares fields and may still roll back.
        """
        cached = self._cache.get(record_type)
        if not fresh and cached is not None and cached[0] > time.monotonic():
            return dict(cached[1])
        found = {
            name: spec
            for (rtype, name), (_owner, spec) in self._declared.items()
            if rtype == record_type
        }
        f = schema.field
        rows = connection.execute(
            select(f).where(f.c.record_type == record_type)
        ).mappings()
        for row in rows:
            found.setdefault(row["name"], _spec_from_row(row))
        if not fresh:
            self._cache[record_type] = (time.monotonic() + self.CACHE_SECONDS, found)
        return dict(found)

    def invalidate(self) -> None:
        """Forget cached fields (after declaring or rolling back declarations)."""
        self._cache.clear()

    def declare(
        self,
        connection: Connection,
        spec: FieldSpec,
        declared_by: str,
        import_id: int | None = None,
    ) -> None:
        """Store an administrator's (or an import's) field; refuse a clash."""
        if spec.record_type == "customer" and spec.name in RESERVED_CUSTOMER_NAMES:
            raise FieldError(
                f"{spec.name!r} is a built-in customer field; choose another name"
            )
        existing = self.for_type(connection, spec.record_type, fresh=True).get(
            spec.name
        )
        if existing is not None:
            if existing.type is spec.type:
                return
            raise FieldError(
                f"field {spec.name!r} on {spec.record_type} already exists as "
                f"{existing.type.value}, not {spec.type.value}"
            )
        connection.execute(
            schema.field.insert().values(
                record_type=spec.record_type,
                name=spec.name,
                label=spec.label or spec.name,
                type=spec.type.value,
                choices=list(spec.choices),
                required=spec.required,
                sensitive=spec.sensitive,
                declared_by=declared_by,
                import_id=import_id,
                created_at=utcnow(),
            )
        )
        self.invalidate()


def _spec_from_row(row: Mapping[Any, Any]) -> FieldSpec:
    return FieldSpec(
        name=row["name"],
        type=row["type"],
        label=row["label"],
        record_type=row["record_type"],
        choices=tuple(row["choices"] or ()),
        required=bool(row["required"]),
        sensitive=bool(row["sensitive"]),
    )
