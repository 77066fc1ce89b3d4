"""The activity timeline: touchpoints on customers, with scope, audit and events.

An activity is reached through its customer: whoever may read the customer
may read its timeline, and whoever may change the customer may log, change,
delete and restore its activities. The timeline is listed newest first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from marshmallow import RAISE, Schema, fields, validate
from sqlalchemy import ColumnElement, Connection, and_, or_, select

from . import audit
from .customers import Blocked, InvalidInput, NotFound, VersionConflict
from .entities import CHANNELS, Activity
from .events import Event, event_type
from .linked import (
    ID_RANGE,
    ListArgs,
    RecordPage,
    customer_for_write,
    customers_within,
    encode_cursor,
    inserted_id,
    load_input,
    representable,
)
from .security import Actor, PermissionDenied, in_scope
from .storage import schema
from .storage.types import utcnow

if TYPE_CHECKING:
    from .host import Host

a = schema.activity
c = schema.customer


@event_type("activity.created")
class ActivityCreated(Event):
    activity_id: int
    customer_id: int | None


@event_type("activity.updated")
class ActivityUpdated(Event):
    activity_id: int
    customer_id: int | None
    fields: list[str]


@event_type("activity.deleted")
class ActivityDeleted(Event):
    activity_id: int
    customer_id: int | None


@event_type("activity.restored")
class ActivityRestored(Event):
    activity_id: int
    customer_id: int | None


class ActivityChangeSchema(Schema):
    """What a caller may change on an activity; system fields are refused."""

    class Meta:
        unknown = RAISE

    customer_id = fields.Integer(strict=True, validate=ID_RANGE)
    channel = fields.String(validate=validate.OneOf(CHANNELS))
    kind = fields.String(validate=validate.Length(min=1, max=60))
    occurred_at = fields.AwareDateTime(
        validate=representable,
        metadata={"description": "when it happened; defaults to now"},
    )
    subject = fields.String(allow_none=True, validate=validate.Length(max=500))
    body = fields.String(allow_none=True, validate=validate.Length(max=100_000))
    source_type = fields.String(allow_none=True, validate=validate.Length(max=80))
    source_id = fields.String(allow_none=True, validate=validate.Length(max=200))


class NewActivitySchema(ActivityChangeSchema):
    """A new activity: the customer, channel and kind are needed."""

    customer_id = fields.Integer(strict=True, required=True, validate=ID_RANGE)
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    kind = fields.String(required=True, validate=validate.Length(min=1, max=60))


class ActivityListArgs(Schema):
    """Filters of an activity list; every parameter is optional."""

    class Meta:
        unknown = RAISE

    customer_id = fields.Integer(validate=ID_RANGE)
    channel = fields.String(validate=validate.OneOf(CHANNELS))
    kind = fields.String()
    source_type = fields.String()
    source_id = fields.String()
    occurred_at__gte = fields.AwareDateTime(
        validate=representable,
        metadata={"description": "only activities at or after this time"},
    )
    occurred_at__lt = fields.AwareDateTime(
        validate=representable,
        metadata={"description": "only activities before this time"},
    )
    limit = fields.Integer(metadata={"description": "page size"})
    cursor = fields.String(metadata={"description": "next_cursor of the last page"})


PUBLIC_COLUMNS = (
    "id",
    "customer_id",
    "channel",
    "kind",
    "occurred_at",
    "actor_id",
    "subject",
    "body",
    "source_type",
    "source_id",
    "version",
    "created_at",
    "updated_at",
    "deleted_at",
)
_AUDITED = PUBLIC_COLUMNS[1:8] + ("source_type", "source_id")


class ActivityService:
    """Activity operations for one host."""

    def __init__(self, host: Host) -> None:
        self.host = host

    # -- reading ---------------------------------------------------------

    def get(
        self,
        connection: Connection,
        actor: Actor,
        activity_id: int,
        *,
        include_deleted: bool = False,
    ) -> dict[str, Any]:
        """One activity the actor may read, as a public mapping."""
        query = select(a).where(
            a.c.id == activity_id,
            customers_within(actor, "customer.read", a.c.customer_id),
        )
        if not include_deleted:
            query = query.where(a.c.deleted_at.is_(None))
        row = connection.execute(query).mappings().first()
        if row is None:
            raise NotFound(f"activity {activity_id} not found")
        return public(row)

    def list(self, connection: Connection, actor: Actor, args: ListArgs) -> RecordPage:
        """A page of live activities, newest first, filtered by ``args``."""
        query = select(a).where(
            a.c.deleted_at.is_(None),
            customers_within(actor, "customer.read", a.c.customer_id),
        )
        for name, value in args.filters.items():
            query = query.where(_filter(name, value))
        if args.cursor is not None:
            moment, last_id = args.cursor
            query = query.where(
                or_(
                    a.c.occurred_at < moment,
                    and_(a.c.occurred_at == moment, a.c.id < last_id),
                )
            )
        query = query.order_by(a.c.occurred_at.desc(), a.c.id.desc())
        rows = connection.execute(query.limit(args.limit + 1)).mappings().all()
        next_cursor = None
        if len(rows) > args.limit:
            rows = rows[: args.limit]
            last = rows[-1]
            next_cursor = encode_cursor([last["occurred_at"].isoformat(), last["id"]])
        return RecordPage([public(row) for row in rows], next_cursor)

    # -- writing ---------------------------------------------------------

    def create(
        self, connection: Connection, actor: Actor, data: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Log a new activity on a customer the actor may change."""
        actor.require("customer.update")
        values = load_input(NewActivitySchema(), data)
        customer_for_write(connection, actor, values["customer_id"], "customer_id")
        values.setdefault("occurred_at", utcnow())
        _check_entity(values)
        now = utcnow()
        row = {
            **values,
            "actor_id": actor.id,
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
        new_id = inserted_id(connection.execute(a.insert().values(**row)))
        audit.record(
            connection,
            actor,
            "activity",
            new_id,
            "create",
            audit.diff({}, _auditable(row)),
        )
        self.host.events.publish(
            connection,
            ActivityCreated(activity_id=new_id, customer_id=values["customer_id"]),
        )
        return self.get(connection, actor, new_id)

    def update(
        self,
        connection: Connection,
        actor: Actor,
        activity_id: int,
        data: Mapping[str, Any],
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        """Apply a partial change; refuses a stale ``expected_version``."""
        actor.require("customer.update")
        before = self._writable(connection, actor, activity_id)
        _check_version(before, expected_version)
        values = load_input(ActivityChangeSchema(), data, partial=True)
        moved_to = values.get("customer_id", before["customer_id"])
        if moved_to != before["customer_id"]:
            customer_for_write(connection, actor, moved_to, "customer_id")
        merged = {**before, **values}
        _check_entity(merged)
        changes = audit.diff(_auditable(before), _auditable(merged))
        if changes:
            connection.execute(
                a.update()
                .where(a.c.id == activity_id)
                .values(**values, version=before["version"] + 1, updated_at=utcnow())
            )
            audit.record(connection, actor, "activity", activity_id, "update", changes)
            self.host.events.publish(
                connection,
                ActivityUpdated(
                    activity_id=activity_id,
                    customer_id=merged["customer_id"],
                    fields=sorted(changes),
                ),
            )
        return self.get(connection, actor, activity_id)

    def delete(
        self,
        connection: Connection,
        actor: Actor,
        activity_id: int,
        expected_version: int | None = None,
    ) -> None:
        """Soft-delete an activity; :meth:`restore` brings it back."""
        actor.require("customer.update")
        before = self._writable(connection, actor, activity_id)
        _check_version(before, expected_version)
        now = utcnow()
        connection.execute(
            a.update()
            .where(a.c.id == activity_id)
            .values(deleted_at=now, version=before["version"] + 1, updated_at=now)
        )
        audit.record(
            connection,
            actor,
            "activity",
            activity_id,
            "delete",
            {"deleted_at": [None, now]},
        )
        self.host.events.publish(
            connection,
            ActivityDeleted(activity_id=activity_id, customer_id=before["customer_id"]),
        )

    def restore(
        self, connection: Connection, actor: Actor, activity_id: int
    ) -> dict[str, Any]:
        """Undo the soft delete of an activity whose customer is live."""
        actor.require("customer.update")
        row = self._writable(connection, actor, activity_id, deleted=True)
        if row["deleted_at"] is None:
            raise InvalidInput({"id": [f"activity {activity_id} is not deleted"]})
        customer_gone = connection.execute(
            select(c.c.deleted_at).where(c.c.id == row["customer_id"])
        ).scalar()
        if customer_gone is not None:
            raise Blocked(
                f"customer {row['customer_id']} is deleted; restore the customer, "
                "which brings back its timeline"
            )
        connection.execute(
            a.update()
            .where(a.c.id == activity_id)
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
            "activity",
            activity_id,
            "restore",
            {"deleted_at": [row["deleted_at"], None]},
        )
        self.host.events.publish(
            connection,
            ActivityRestored(activity_id=activity_id, customer_id=row["customer_id"]),
        )
        return self.get(connection, actor, activity_id)

    # -- internals -------------------------------------------------------

    def _writable(
        self,
        connection: Connection,
        actor: Actor,
        activity_id: int,
        *,
        deleted: bool = False,
    ) -> dict[str, Any]:
        """The activity row, locked, checked against read and change scope."""
        query = (
            select(a, c.c.owner_id, c.c.team_id)
            .select_from(a.outerjoin(c, c.c.id == a.c.customer_id))
            .where(a.c.id == activity_id)
        )
        if not deleted:
            query = query.where(a.c.deleted_at.is_(None))
        if connection.dialect.name == "postgresql":
            query = query.with_for_update(of=a)
        row = connection.execute(query).mappings().first()
        if row is None or not in_scope(actor, "customer.read", row):
            raise NotFound(f"activity {activity_id} not found")
        if not in_scope(actor, "customer.update", row):
            raise PermissionDenied(
                f"permission 'customer.update' does not reach activity {activity_id}"
            )
        return {key: row[key] for key in (*PUBLIC_COLUMNS, "deleted_by_cascade")}


def public(row: Mapping[Any, Any]) -> dict[str, Any]:
    """The fields of a stored activity shown to callers."""
    return {key: row[key] for key in PUBLIC_COLUMNS}


def _filter(name: str, value: Any) -> ColumnElement[bool]:
    if name == "occurred_at__gte":
        return a.c.occurred_at >= value
    if name == "occurred_at__lt":
        return a.c.occurred_at < value
    return a.c[name] == value


def _check_version(row: Mapping[Any, Any], expected: int | None) -> None:
    if expected is not None and row["version"] != expected:
        raise VersionConflict(public(row))


def _check_entity(values: Mapping[str, Any]) -> None:
    try:
        Activity(
            channel=values["channel"],
            kind=values["kind"],
            occurred_at=values["occurred_at"],
            customer_id=values.get("customer_id"),
            subject=values.get("subject"),
        )
    except (ValueError, TypeError) as error:
        raise InvalidInput({"_record": [str(error)]}) from None


def _auditable(row: Mapping[str, Any]) -> dict[str, Any]:
    return {key: row.get(key) for key in _AUDITED}
