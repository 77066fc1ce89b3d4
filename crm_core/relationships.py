"""Relationships: a person working at an organisation, in a role.

A relationship is reached through the two customers it links: it is visible
to whoever may read both, and may be changed by whoever may read both and
change at least one of them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from marshmallow import RAISE, Schema, fields, validate
from sqlalchemy import ColumnElement, Connection, or_, select

from . import audit
from .customers import Blocked, InvalidInput, NotFound, VersionConflict
from .entities import CustomerKind
from .events import Event, event_type
from .linked import (
    ID_RANGE,
    ListArgs,
    RecordPage,
    customers_within,
    encode_cursor,
    inserted_id,
    load_input,
)
from .security import Actor, PermissionDenied, in_scope
from .storage import schema
from .storage.types import utcnow

if TYPE_CHECKING:
    from .host import Host

r = schema.relationship
c = schema.customer


@event_type("relationship.created")
class RelationshipCreated(Event):
    relationship_id: int
    person_id: int
    organisation_id: int


@event_type("relationship.updated")
class RelationshipUpdated(Event):
    relationship_id: int
    person_id: int
    organisation_id: int
    fields: list[str]


@event_type("relationship.deleted")
class RelationshipDeleted(Event):
    relationship_id: int
    person_id: int
    organisation_id: int


@event_type("relationship.restored")
class RelationshipRestored(Event):
    relationship_id: int
    person_id: int
    organisation_id: int


class RelationshipChangeSchema(Schema):
    """What a caller may change on a relationship; system fields are refused."""

    class Meta:
        unknown = RAISE

    person_id = fields.Integer(strict=True, validate=ID_RANGE)
    organisation_id = fields.Integer(strict=True, validate=ID_RANGE)
    role = fields.String(allow_none=True, validate=validate.Length(max=200))
    started_on = fields.Date(allow_none=True)
    ended_on = fields.Date(allow_none=True)


class NewRelationshipSchema(RelationshipChangeSchema):
    """A new relationship: the person and the organisation are needed."""

    person_id = fields.Integer(strict=True, required=True, validate=ID_RANGE)
    organisation_id = fields.Integer(strict=True, required=True, validate=ID_RANGE)


class RelationshipListArgs(Schema):
    """Filters of a relationship list; every parameter is optional."""

    class Meta:
        unknown = RAISE

    person_id = fields.Integer(validate=ID_RANGE)
    organisation_id = fields.Integer(validate=ID_RANGE)
    customer_id = fields.Integer(
        validate=ID_RANGE,
        metadata={"description": "relationships where this customer is either side"},
    )
    role = fields.String()
    limit = fields.Integer(metadata={"description": "page size"})
    cursor = fields.String(metadata={"description": "next_cursor of the last page"})


PUBLIC_COLUMNS = (
    "id",
    "person_id",
    "organisation_id",
    "role",
    "started_on",
    "ended_on",
    "version",
    "created_at",
    "updated_at",
    "deleted_at",
)
_AUDITED = ("person_id", "organisation_id", "role", "started_on", "ended_on")
_SIDES = {
    "person_id": CustomerKind.PERSON,
    "organisation_id": CustomerKind.ORGANISATION,
}


class RelationshipService:
    """Relationship operations for one host."""

    def __init__(self, host: Host) -> None:
        self.host = host

    # -- reading ---------------------------------------------------------

    def get(
        self,
        connection: Connection,
        actor: Actor,
        relationship_id: int,
        *,
        include_deleted: bool = False,
    ) -> dict[str, Any]:
        """One relationship the actor may read, as a public mapping."""
        query = select(r).where(r.c.id == relationship_id, _readable(actor))
        if not include_deleted:
            query = query.where(r.c.deleted_at.is_(None))
        row = connection.execute(query).mappings().first()
        if row is None:
            raise NotFound(f"relationship {relationship_id} not found")
        return public(row)

    def list(self, connection: Connection, actor: Actor, args: ListArgs) -> RecordPage:
        """A page of live relationships in id order, filtered by ``args``."""
        query = select(r).where(r.c.deleted_at.is_(None), _readable(actor))
        for name, value in args.filters.items():
            if name == "customer_id":
                query = query.where(
                    or_(r.c.person_id == value, r.c.organisation_id == value)
                )
            else:
                query = query.where(r.c[name] == value)
        if args.cursor is not None:
            query = query.where(r.c.id > args.cursor[0])
        query = query.order_by(r.c.id).limit(args.limit + 1)
        rows = connection.execute(query).mappings().all()
        next_cursor = None
        if len(rows) > args.limit:
            rows = rows[: args.limit]
            next_cursor = encode_cursor([rows[-1]["id"]])
        return RecordPage([public(row) for row in rows], next_cursor)

    # -- writing ---------------------------------------------------------

    def create(
        self, connection: Connection, actor: Actor, data: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Link a person to an organisation."""
        actor.require("customer.update")
        values = _stored(load_input(NewRelationshipSchema(), data))
        _check_dates(values)
        self._check_sides(connection, actor, values)
        now = utcnow()
        row = {**values, "version": 1, "created_at": now, "updated_at": now}
        new_id = inserted_id(connection.execute(r.insert().values(**row)))
        audit.record(
            connection,
            actor,
            "relationship",
            new_id,
            "create",
            audit.diff({}, _auditable(row)),
        )
        self.host.events.publish(
            connection,
            RelationshipCreated(new_id, row["person_id"], row["organisation_id"]),
        )
        return self.get(connection, actor, new_id)

    def update(
        self,
        connection: Connection,
        actor: Actor,
        relationship_id: int,
        data: Mapping[str, Any],
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        """Apply a partial change; refuses a stale ``expected_version``."""
        actor.require("customer.update")
        before = self._writable(connection, actor, relationship_id)
        _check_version(before, expected_version)
        values = _stored(load_input(RelationshipChangeSchema(), data, partial=True))
        merged = {**before, **values}
        _check_dates(merged)
        if any(merged[side] != before[side] for side in _SIDES):
            self._check_sides(connection, actor, merged)
        changes = audit.diff(_auditable(before), _auditable(merged))
        if changes:
            connection.execute(
                r.update()
                .where(r.c.id == relationship_id)
                .values(**values, version=before["version"] + 1, updated_at=utcnow())
            )
            audit.record(
                connection, actor, "relationship", relationship_id, "update", changes
            )
            self.host.events.publish(
                connection,
                RelationshipUpdated(
                    relationship_id,
                    merged["person_id"],
                    merged["organisation_id"],
                    fields=sorted(changes),
                ),
            )
        return self.get(connection, actor, relationship_id)

    def delete(
        self,
        connection: Connection,
        actor: Actor,
        relationship_id: int,
        expected_version: int | None = None,
    ) -> None:
        """Soft-delete a relationship; :meth:`restore` brings it back."""
        actor.require("customer.update")
        before = self._writable(connection, actor, relationship_id)
        _check_version(before, expected_version)
        now = utcnow()
        connection.execute(
            r.update()
            .where(r.c.id == relationship_id)
            .values(deleted_at=now, version=before["version"] + 1, updated_at=now)
        )
        audit.record(
            connection,
            actor,
            "relationship",
            relationship_id,
            "delete",
            {"deleted_at": [None, now]},
        )
        self.host.events.publish(
            connection,
            RelationshipDeleted(
                relationship_id, before["person_id"], before["organisation_id"]
            ),
        )

    def restore(
        self, connection: Connection, actor: Actor, relationship_id: int
    ) -> dict[str, Any]:
        """Undo the soft delete of a relationship whose two customers are live."""
        actor.require("customer.update")
        row = self._writable(connection, actor, relationship_id, deleted=True)
        if row["deleted_at"] is None:
            raise InvalidInput(
                {"id": [f"relationship {relationship_id} is not deleted"]}
            )
        gone = connection.execute(
            select(c.c.id).where(
                c.c.id.in_([row["person_id"], row["organisation_id"]]),
                c.c.deleted_at.is_not(None),
            )
        ).scalar()
        if gone is not None:
            raise Blocked(
                f"customer {gone} is deleted; restore the customer, "
                "which brings back its relationships"
            )
        connection.execute(
            r.update()
            .where(r.c.id == relationship_id)
            .values(
                deleted_at=None,
                deleted_by_cascade=None,
                version=row["version"] + 1,
                updated_at=utcnow(),
            )
        )
        audit.record(
            connection,
            actor,
            "relationship",
            relationship_id,
            "restore",
            {"deleted_at": [row["deleted_at"], None]},
        )
        self.host.events.publish(
            connection,
            RelationshipRestored(
                relationship_id, row["person_id"], row["organisation_id"]
            ),
        )
        return self.get(connection, actor, relationship_id)

    # -- internals -------------------------------------------------------

    def _check_sides(
        self, connection: Connection, actor: Actor, values: Mapping[str, Any]
    ) -> None:
        """Both customers live, visible and of the right kind; one changeable."""
        rows = {}
        for side, kind in _SIDES.items():
            row = _customer(connection, values[side])
            if row is None or not in_scope(actor, "customer.read", row):
                raise InvalidInput(
                    {side: [f"no customer {values[side]} that you may see"]}
                )
            if row["kind"] != kind.value:
                found = f"customer {values[side]} is {row['kind']}"
                raise InvalidInput({side: [f"{found}, not {kind.value}"]})
            rows[side] = row
        if not any(in_scope(actor, "customer.update", row) for row in rows.values()):
            raise PermissionDenied(
                "permission 'customer.update' reaches neither customer "
                f"{values['person_id']} nor customer {values['organisation_id']}"
            )

    def _writable(
        self,
        connection: Connection,
        actor: Actor,
        relationship_id: int,
        *,
        deleted: bool = False,
    ) -> dict[str, Any]:
        """The relationship row, locked, checked against read and change scope."""
        query = select(r).where(r.c.id == relationship_id)
        if not deleted:
            query = query.where(r.c.deleted_at.is_(None))
        if connection.dialect.name == "postgresql":
            query = query.with_for_update()
        found = connection.execute(query).mappings().first()
        if found is None:
            raise NotFound(f"relationship {relationship_id} not found")
        row = dict(found)
        sides = [_customer(connection, row[side], live=not deleted) for side in _SIDES]
        if not all(
            s is not None and in_scope(actor, "customer.read", s) for s in sides
        ):
            raise NotFound(f"relationship {relationship_id} not found")
        if not any(in_scope(actor, "customer.update", s or {}) for s in sides):
            raise PermissionDenied(
                "permission 'customer.update' reaches neither customer of "
                f"relationship {relationship_id}"
            )
        return row


def public(row: Mapping[Any, Any]) -> dict[str, Any]:
    """The fields of a stored relationship shown to callers."""
    return {key: row[key] for key in PUBLIC_COLUMNS}


def _readable(actor: Actor) -> ColumnElement[bool]:
    person = customers_within(actor, "customer.read", r.c.person_id)
    organisation = customers_within(actor, "customer.read", r.c.organisation_id)
    return person & organisation


def _customer(
    connection: Connection, customer_id: int, *, live: bool = True
) -> Mapping[Any, Any] | None:
    query = select(c.c.id, c.c.kind, c.c.owner_id, c.c.team_id).where(
        c.c.id == customer_id
    )
    if live:
        query = query.where(c.c.deleted_at.is_(None))
    return connection.execute(query).mappings().first()


def _stored(values: dict[str, Any]) -> dict[str, Any]:
    """Dates as the ISO text the table keeps."""
    for key in ("started_on", "ended_on"):
        if isinstance(values.get(key), dt.date):
            values[key] = values[key].isoformat()
    return values


def _check_dates(values: Mapping[str, Any]) -> None:
    start, end = values.get("started_on"), values.get("ended_on")
    if start and end and end < start:
        raise InvalidInput({"ended_on": [f"{end} is before started_on {start}"]})


def _check_version(row: Mapping[Any, Any], expected: int | None) -> None:
    if expected is not None and row["version"] != expected:
        raise VersionConflict(public(row))


def _auditable(row: Mapping[str, Any]) -> dict[str, Any]:
    return {key: row.get(key) for key in _AUDITED}
