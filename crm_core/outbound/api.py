"""``/api/v1/outbound``: the log of calls made to other systems (administrators)."""

from __future__ import annotations

from typing import Any

from flask import Response
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from ..api.base import (
    ID,
    ApiBlueprint,
    BadParameter,
    crm_host,
    dumper,
    json_response,
    list_args,
    page_limits,
)
from ..auth import current_actor
from ..customers import InvalidInput, NotFound
from ..linked import encode_cursor, parse_list_args
from . import outbound_sender
from .sender import DELIVERED, FAILED, PENDING, REFUSED, RETRYING
from .tables import delivery

PERMISSION = "admin.outbound"
STATUSES = (PENDING, RETRYING, DELIVERED, FAILED, REFUSED)


class DeliverySchema(Schema):
    """One call to another system: where it went and how it ended (never the body)."""

    id = fields.Integer()
    purpose = fields.String()
    method = fields.String()
    target = fields.String(metadata={"description": "without query or credentials"})
    host = fields.String()
    status = fields.String(metadata={"description": ", ".join(STATUSES)})
    attempts = fields.Integer()
    max_attempts = fields.Integer()
    response_status = fields.Integer(allow_none=True)
    last_error = fields.String(allow_none=True)
    duration_ms = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    last_attempt_at = fields.DateTime(allow_none=True)
    next_attempt_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)


class DeliveryPageSchema(Schema):
    items = fields.List(fields.Nested(DeliverySchema))
    next_cursor = fields.String(allow_none=True)


class DeliveryArgsSchema(Schema):
    status = fields.String(validate=validate.OneOf(STATUSES))
    limit = fields.Raw()
    cursor = fields.Raw()


LIST_PARAMETERS = [
    {
        "in": "query",
        "name": "status",
        "schema": {"type": "string", "enum": list(STATUSES)},
    },
    {"in": "query", "name": "cursor", "schema": {"type": "string"}},
    {"in": "query", "name": "limit", "schema": {"type": "integer", "minimum": 1}},
]


def make_blueprint() -> ApiBlueprint:
    blp = ApiBlueprint(
        "api_outbound",
        url_prefix="/outbound",
        description="The delivery log of outbound calls (needs 'admin.outbound')",
    )
    # Bind the retry job to the host as the app starts.
    blp.record_once(lambda state: outbound_sender(state.app.extensions["crm"]))

    @blp.route("/deliveries")
    @blp.doc(parameters=LIST_PARAMETERS)
    @blp.response(200, DeliveryPageSchema)
    @blp.problems(400, 403)
    def deliveries() -> Response:
        """List outbound calls, newest first"""
        current_actor().require(PERMISSION)
        try:
            args = parse_list_args(
                list_args(), DeliveryArgsSchema(), cursor=[int], **page_limits()
            )
        except InvalidInput as error:
            raise BadParameter(error.errors) from None
        query = select(delivery).order_by(delivery.c.id.desc()).limit(args.limit + 1)
        if "status" in args.filters:
            query = query.where(delivery.c.status == args.filters["status"])
        if args.cursor:
            query = query.where(delivery.c.id < args.cursor[0])
        with crm_host().db.connect() as connection:
            rows = [dict(row) for row in connection.execute(query).mappings()]
        cursor = None
        if len(rows) > args.limit:
            rows = rows[: args.limit]
            cursor = encode_cursor([rows[-1]["id"]])
        page: dict[str, Any] = {"items": rows, "next_cursor": cursor}
        return json_response(dumper(DeliveryPageSchema).dump(page))

    @blp.route(f"/deliveries/<{ID}:delivery_id>")
    @blp.response(200, DeliverySchema)
    @blp.problems(403, 404)
    def one_delivery(delivery_id: int) -> Response:
        """Read one outbound call"""
        current_actor().require(PERMISSION)
        with crm_host().db.connect() as connection:
            row = (
                connection.execute(select(delivery).where(delivery.c.id == delivery_id))
                .mappings()
                .first()
            )
        if row is None:
            raise NotFound(f"delivery {delivery_id} not found")
        return json_response(dumper(DeliverySchema).dump(dict(row)))

    return blp
