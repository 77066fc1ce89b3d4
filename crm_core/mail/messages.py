"""Reading the message log: outbound messages newest first, within the reader's scope.

A message is reached through its customer: whoever holds ``mail.read`` over
the customer sees it. Messages sent to a bare address (no customer) are seen
only with ``mail.read`` over all records.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import RAISE, Schema, fields, validate
from sqlalchemy import Connection, select

from ..customers import NotFound
from ..linked import ID_RANGE, ListArgs, RecordPage, customers_within, encode_cursor
from ..security import Actor
from .outbox import STATUSES, m

#: Columns of a message in lists; one message also shows its bodies.
SUMMARY = (
    "id",
    "message_id",
    "thread_id",
    "in_reply_to",
    "customer_id",
    "to_address",
    "template",
    "purpose",
    "campaign",
    "status",
    "reason",
    "subject",
    "attempts",
    "created_at",
    "updated_at",
    "sent_at",
)


class MessageFilterSchema(Schema):
    """Filters of the message log."""

    class Meta:
        unknown = RAISE

    customer_id = fields.Integer(strict=False, validate=ID_RANGE)
    status = fields.String(validate=validate.OneOf(STATUSES))
    campaign = fields.String(validate=validate.Length(min=1, max=200))
    limit = fields.Integer(metadata={"description": "page size"})
    cursor = fields.String(metadata={"description": "next_cursor of the last page"})


def list_messages(connection: Connection, actor: Actor, args: ListArgs) -> RecordPage:
    """A page of messages ``actor`` may read, newest first."""
    actor.require("mail.read")
    query = select(*(m.c[name] for name in SUMMARY)).where(
        customers_within(actor, "mail.read", m.c.customer_id)
    )
    for name, value in args.filters.items():
        query = query.where(m.c[name] == value)
    if args.cursor is not None:
        query = query.where(m.c.id < args.cursor[0])
    query = query.order_by(m.c.id.desc()).limit(args.limit + 1)
    rows = [dict(row) for row in connection.execute(query).mappings()]
    next_cursor = None
    if len(rows) > args.limit:
        rows = rows[: args.limit]
        next_cursor = encode_cursor([rows[-1]["id"]])
    return RecordPage(rows, next_cursor)


def get_message(connection: Connection, actor: Actor, mail_id: int) -> dict[str, Any]:
    """One message with its bodies, if ``actor`` may read it."""
    actor.require("mail.read")
    row = (
        connection.execute(
            select(m).where(
                m.c.id == mail_id,
                customers_within(actor, "mail.read", m.c.customer_id),
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound(f"mail message {mail_id} not found")
    return public(row, with_bodies=True)


def public(row: Mapping[Any, Any], *, with_bodies: bool = False) -> dict[str, Any]:
    names = (*SUMMARY, "html_body", "text_body") if with_bodies else SUMMARY
    return {name: row[name] for name in names}
