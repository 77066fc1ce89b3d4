"""What hangs off one customer: its audit history, timeline and relationships."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Response
from marshmallow import RAISE, Schema, fields
from sqlalchemy import Connection, select

from ..auth import current_actor
from ..linked import ListArgs, RecordPage, encode_cursor
from ..security import Actor, PermissionDenied, in_scope
from ..storage import schema
from .base import ID, ApiBlueprint, crm_host
from .kinds import ACTIVITIES, RELATIONSHIPS
from .records import RecordKind, list_doc, page_response, parse_args
from .schemas import AuditEntryPageSchema


class AuditListArgs(Schema):
    """Paging through a record's history, oldest entry first."""

    class Meta:
        unknown = RAISE

    limit = fields.Integer(metadata={"description": "page size"})
    cursor = fields.String(metadata={"description": "next_cursor of the last page"})


def add_customer_subresources(blp: ApiBlueprint) -> None:
    """Add ``/{id}/audit``, ``/{id}/activities`` and ``/{id}/relationships``."""

    @blp.route(f"/<{ID}:customer_id>/audit")
    @blp.doc(**list_doc(AuditListArgs))
    @blp.response(200, AuditEntryPageSchema)
    @blp.problems(400, 403, 404)
    def customer_audit(customer_id: int) -> Response:
        """A customer's change history, oldest first (needs 'audit.read')"""
        args = parse_args(AuditListArgs, (int,))
        host, actor = crm_host(), current_actor()
        with host.db.connect() as connection:
            found = host.customers.get(
                connection, actor, customer_id, include_deleted=True
            )
            actor.require("audit.read")
            if not in_scope(actor, "audit.read", found):
                raise PermissionDenied(
                    f"permission 'audit.read' does not reach customer {customer_id}"
                )
            hidden = _hidden_fields(connection, actor)
            page = _history(connection, "customer", customer_id, args, hidden)
        return page_response(AuditEntryPageSchema, page)

    @blp.route(f"/<{ID}:customer_id>/activities")
    @blp.doc(**list_doc(ACTIVITIES.list_args))
    @blp.response(200, ACTIVITIES.page_schema)
    @blp.problems(400, 404)
    def customer_activities(customer_id: int) -> Response:
        """A customer's timeline, newest first"""
        return _listed(ACTIVITIES, customer_id)

    @blp.route(f"/<{ID}:customer_id>/relationships")
    @blp.doc(**list_doc(RELATIONSHIPS.list_args))
    @blp.response(200, RELATIONSHIPS.page_schema)
    @blp.problems(400, 404)
    def customer_relationships(customer_id: int) -> Response:
        """Where a person works, or who works at an organisation"""
        return _listed(RELATIONSHIPS, customer_id)


def _listed(kind: RecordKind, customer_id: int) -> Response:
    args = parse_args(kind.list_args, kind.cursor, customer_id=customer_id)
    host, actor = crm_host(), current_actor()
    with host.db.connect() as connection:
        host.customers.get(connection, actor, customer_id)
        page = kind.service(host).list(connection, actor, args)
    return page_response(kind.page_schema, page)


def _hidden_fields(connection: Connection, actor: Actor) -> set[str]:
    if actor.can("customer.read_sensitive"):
        return set()
    specs = crm_host().fields.for_type(connection, "customer")
    return {name for name, spec in specs.items() if spec.sensitive}


def _history(
    connection: Connection,
    record_type: str,
    record_id: int,
    args: ListArgs,
    hidden: set[str],
) -> RecordPage:
    a, u = schema.audit, schema.user
    query = (
        select(a, u.c.name.label("actor_name"))
        .select_from(a.outerjoin(u, u.c.id == a.c.actor_id))
        .where(a.c.record_type == record_type, a.c.record_id == str(record_id))
    )
    if args.cursor is not None:
        query = query.where(a.c.id > args.cursor[0])
    rows = (
        connection.execute(query.order_by(a.c.id).limit(args.limit + 1))
        .mappings()
        .all()
    )
    next_cursor = None
    if len(rows) > args.limit:
        rows = rows[: args.limit]
        next_cursor = encode_cursor([rows[-1]["id"]])
    return RecordPage([_entry(row, hidden) for row in rows], next_cursor)


def _entry(row: Mapping[Any, Any], hidden: set[str]) -> dict[str, Any]:
    changes = []
    for field, (before, after) in sorted(row["changes"].items()):
        if field == "attributes" and hidden:
            before, after = _without(before, hidden), _without(after, hidden)
            if before == after:
                continue
        changes.append({"field": field, "before": before, "after": after})
    return {
        "id": row["id"],
        "at": row["at"],
        "actor_id": row["actor_id"],
        "actor_name": row["actor_name"],
        "action": row["action"],
        "changes": changes,
    }


def _without(value: Any, hidden: set[str]) -> Any:
    if not isinstance(value, Mapping):
        return value
    return {key: item for key, item in value.items() if key not in hidden}
