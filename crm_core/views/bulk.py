"""Bulk actions on customers: one change applied to a selection or a list filter.

Only customers the actor may read are selected; of those, the ones outside
the scope of the action's permission are left alone and counted as refused.
Everything else happens in one transaction: the changes, one audit entry per
changed customer (:func:`crm_core.audit.record_many`) and one event each.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs
from marshmallow import RAISE, Schema, ValidationError, fields, validate
from sqlalchemy import Connection, and_, bindparam, select

from .. import audit
from ..customers import (
    Blocked,
    CustomerChange,
    CustomerDeleted,
    CustomerUpdated,
    InvalidInput,
)
from ..entities import LIFECYCLE_STAGES
from ..events import Event
from ..fields import FieldError, marshmallow_field, to_stored
from ..linked import ID_RANGE, load_input
from ..listing import customer_list_spec, fetch_page, parse_list_args
from ..relations import DeleteBlocked
from ..security import Actor, in_scope, scope_clause
from ..storage import schema
from ..storage.types import utcnow

if TYPE_CHECKING:
    from ..host import Host

c = schema.customer
#: The most customers one bulk action changes; a larger selection is refused.
BULK_MAX = 10_000
ACTIONS = ("assign_owner", "set_field", "add_tag", "remove_tag", "delete")
PERMISSIONS = {
    "assign_owner": "customer.assign_owner",
    "set_field": "customer.update",
    "add_tag": "customer.update",
    "remove_tag": "customer.update",
    "delete": "customer.delete",
}
#: Built-in fields a bulk edit may set, with their allowed values.
CORE_FIELDS = {"lifecycle_stage": LIFECYCLE_STAGES}


class BulkInputSchema(Schema):
    """One bulk action: what to do, and to which customers (ids or a filter)."""

    class Meta:
        unknown = RAISE

    action = fields.String(required=True, validate=validate.OneOf(ACTIONS))
    ids = fields.List(
        fields.Integer(strict=True, validate=ID_RANGE),
        validate=validate.Length(min=1, max=BULK_MAX),
        metadata={"description": "the customers to change"},
    )
    filter = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={"description": "or: list filters, as on GET /customers"},
    )
    owner_id = fields.Integer(
        strict=True, validate=ID_RANGE, metadata={"description": "assign_owner"}
    )
    field = fields.String(metadata={"description": "set_field: the field"})
    value = fields.Raw(
        allow_none=True, metadata={"description": "set_field: the value"}
    )
    tag = fields.String(
        validate=validate.Length(min=1, max=80),
        metadata={"description": "add/remove_tag"},
    )


@attrs.frozen
class BulkResult:
    """What a bulk action did, in counts."""

    matched: int
    changed: int
    unchanged: int
    refused: int
    missing: int = 0
    blocked: int = 0


class BulkActions:
    """Bulk actions on the customers of one host."""

    def __init__(self, host: Host) -> None:
        self.host = host

    def run(
        self, connection: Connection, actor: Actor, data: Mapping[str, Any]
    ) -> BulkResult:
        """Apply the action ``data`` describes; see :class:`BulkInputSchema`."""
        request = load_input(BulkInputSchema(), data)
        action = request["action"]
        permission = PERMISSIONS[action]
        actor.require(permission)
        if action == "assign_owner":
            actor.require("customer.update")
        rows, missing = self._selection(connection, actor, request)
        allowed = [row for row in rows if self._may(actor, action, row)]
        refused = len(rows) - len(allowed)
        if action == "delete":
            return self._delete(connection, actor, allowed, refused, missing)
        change = self._change(connection, request)
        return self._update(connection, actor, allowed, change, refused, missing)

    def _may(self, actor: Actor, action: str, row: Mapping[str, Any]) -> bool:
        if not in_scope(actor, PERMISSIONS[action], row):
            return False
        return action != "assign_owner" or in_scope(actor, "customer.update", row)

    # -- selecting ---------------------------------------------------------

    def _selection(
        self, connection: Connection, actor: Actor, request: Mapping[str, Any]
    ) -> tuple[list[dict[str, Any]], int]:
        """Live customers the actor may read, and how many asked-for ids were not."""
        ids, found = request.get("ids"), request.get("filter")
        if (ids is None) == (found is None):
            raise InvalidInput({"ids": ["send either 'ids' or 'filter', not both"]})
        readable = and_(
            c.c.deleted_at.is_(None), scope_clause(actor, "customer.read", c)
        )
        if ids is not None:
            query = select(c).where(readable, c.c.id.in_(ids)).order_by(c.c.id)
            rows = [dict(row) for row in connection.execute(query).mappings()]
            return rows, len(set(ids)) - len(rows)
        assert found is not None
        return self._filtered(connection, readable, found), 0

    def _filtered(
        self, connection: Connection, readable: Any, args: Mapping[str, str]
    ) -> list[dict[str, Any]]:
        spec = customer_list_spec(self.host, connection)
        try:
            query = parse_list_args(
                {k: v for k, v in args.items() if k not in ("cursor", "limit")},
                spec,
                page_max=BULK_MAX,
                page_default=BULK_MAX,
            )
        except InvalidInput as error:
            raise InvalidInput(
                {f"filter.{key}": value for key, value in error.errors.items()}
            ) from None
        rows, more = fetch_page(connection, select(c), readable, spec, query, c.c.id)
        if more is not None:
            raise InvalidInput(
                {"filter": [f"more than {BULK_MAX} customers match; narrow the filter"]}
            )
        return [dict(row) for row in rows]

    # -- changing ----------------------------------------------------------

    def _change(
        self, connection: Connection, request: Mapping[str, Any]
    ) -> dict[str, Any]:
        """The change as ``{"owner_id": ..}``, ``{"tag+": ..}`` or a field's value."""
        action = request["action"]
        if action == "assign_owner":
            return self._owner(connection, request.get("owner_id"))
        if action in ("add_tag", "remove_tag"):
            if not request.get("tag"):
                raise InvalidInput({"tag": [f"{action} needs a 'tag'"]})
            return {action: request["tag"]}
        return self._field(connection, request.get("field"), request.get("value"))

    def _owner(self, connection: Connection, owner_id: int | None) -> dict[str, Any]:
        u = schema.user
        row = connection.execute(
            select(u.c.id, u.c.team_id).where(
                u.c.id == owner_id, u.c.is_active.is_(True)
            )
        ).first()
        if row is None:
            raise InvalidInput({"owner_id": [f"no active user has the id {owner_id}"]})
        return {"owner_id": row.id, "team_id": row.team_id}

    def _field(self, connection: Connection, name: Any, value: Any) -> dict[str, Any]:
        if name in CORE_FIELDS:
            if value not in CORE_FIELDS[name]:
                allowed = ", ".join(CORE_FIELDS[name])
                raise InvalidInput({"value": [f"{value!r} is not one of {allowed}"]})
            return {name: value}
        specs = self.host.fields.for_type(connection, "customer")
        spec = specs.get(name) if isinstance(name, str) else None
        if spec is None:
            known = ", ".join(sorted([*CORE_FIELDS, *specs]))
            raise InvalidInput(
                {"field": [f"no field {name!r} to set; use one of {known}"]}
            )
        try:
            loaded = marshmallow_field(spec).deserialize(value)
            stored = to_stored(spec, loaded)
        except (ValidationError, FieldError) as error:
            messages = (
                error.messages if isinstance(error, ValidationError) else [str(error)]
            )
            raise InvalidInput({"value": list(messages)}) from None
        return {"attributes": {name: stored}}

    def _update(
        self,
        connection: Connection,
        actor: Actor,
        rows: Sequence[dict[str, Any]],
        change: Mapping[str, Any],
        refused: int,
        missing: int,
    ) -> BulkResult:
        changes = []
        for row in rows:
            after = _applied(row, change)
            if any(after[key] != row[key] for key in after):
                changes.append((row, after))
        self._veto(changes)
        now = utcnow()
        if changes:
            _write(connection, changes, now)
            entries = [
                (row["id"], "update", audit.diff(_only(row, after), after))
                for row, after in changes
            ]
            audit.record_many(connection, actor, "customer", entries)
            events: list[Event] = [
                CustomerUpdated(customer_id=row["id"], fields=sorted(after))
                for row, after in changes
            ]
            self.host.events.publish_many(connection, events)
        return BulkResult(
            len(rows) + refused,
            len(changes),
            len(rows) - len(changes),
            refused,
            missing,
        )

    def _veto(self, changes: Sequence[tuple[dict[str, Any], dict[str, Any]]]) -> None:
        if not changes:
            return
        batch = [
            CustomerChange(after={**row, **after}, before=row) for row, after in changes
        ]
        problems = self.host.plugins.veto("crm_validate_customers", changes=batch)
        if problems:
            errors: dict[str, list[str]] = {}
            for found in problems:
                errors.setdefault(found.value.field or "_record", []).append(
                    f"{found.value.message} (plugin {found.plugin})"
                )
            raise InvalidInput(errors)

    def _delete(
        self,
        connection: Connection,
        actor: Actor,
        rows: Sequence[dict[str, Any]],
        refused: int,
        missing: int,
    ) -> BulkResult:
        ids = [row["id"] for row in rows]
        if ids:
            problems = self.host.plugins.veto(
                "crm_before_delete", record_type="customer", ids=ids
            )
            if problems:
                raise Blocked(
                    "; ".join(f"{p.plugin}: {p.value.message}" for p in problems)
                )
        now, deleted = utcnow(), []
        for row in rows:
            mark = f"customer:{row['id']}:{now.isoformat()}"
            try:
                self.host.relations.apply_delete(
                    connection, "customer", [row["id"]], mark
                )
            except DeleteBlocked:
                continue
            deleted.append(row)
        if deleted:
            _mark_deleted(connection, deleted, now)
            audit.record_many(
                connection,
                actor,
                "customer",
                [(row["id"], "delete", {"deleted_at": [None, now]}) for row in deleted],
            )
            self.host.events.publish_many(
                connection, [CustomerDeleted(customer_id=row["id"]) for row in deleted]
            )
        blocked = len(rows) - len(deleted)
        return BulkResult(
            len(rows) + refused, len(deleted), 0, refused, missing, blocked
        )


def _applied(row: Mapping[str, Any], change: Mapping[str, Any]) -> dict[str, Any]:
    """The columns that ``change`` gives ``row``, with their new values."""
    if "add_tag" in change:
        tags = list(row["tags"])
        return {
            "tags": tags if change["add_tag"] in tags else [*tags, change["add_tag"]]
        }
    if "remove_tag" in change:
        return {"tags": [tag for tag in row["tags"] if tag != change["remove_tag"]]}
    if "attributes" in change:
        merged = {**row["attributes"], **change["attributes"]}
        return {"attributes": {k: v for k, v in merged.items() if v is not None}}
    return dict(change)


def _only(row: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    return {key: row[key] for key in after}


def _write(
    connection: Connection,
    changes: Sequence[tuple[dict[str, Any], dict[str, Any]]],
    now: Any,
) -> None:
    """One UPDATE per set of changed columns, run for all its customers at once."""
    columns = sorted(changes[0][1])
    values: dict[str, Any] = {
        name: bindparam(f"new_{name}", type_=c.c[name].type) for name in columns
    }
    values.update(version=c.c.version + 1, updated_at=now)
    statement = c.update().where(c.c.id == bindparam("target")).values(values)
    connection.execute(
        statement,
        [
            {"target": row["id"], **{f"new_{k}": after[k] for k in columns}}
            for row, after in changes
        ],
    )


def _mark_deleted(
    connection: Connection, rows: Sequence[dict[str, Any]], now: Any
) -> None:
    connection.execute(
        c.update()
        .where(c.c.id == bindparam("target"))
        .values(deleted_at=now, version=c.c.version + 1, updated_at=now),
        [{"target": row["id"]} for row in rows],
    )
