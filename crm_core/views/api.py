"""``/api/v1/customers/bulk`` and ``/api/v1/views``: bulk actions and saved views."""

from __future__ import annotations

import attrs
from flask import Response, url_for
from flask.views import MethodView
from marshmallow import Schema, fields
from sqlalchemy import Connection

from ..api.base import (
    ETAG_HEADER,
    ID,
    IDEMPOTENCY_KEY,
    IF_MATCH,
    IF_NONE_MATCH,
    ApiBlueprint,
    crm_host,
    dumper,
    expected_version,
    if_match,
    json_body,
    json_response,
    not_modified,
    record_response,
    request_body,
)
from ..api.idempotency import run_post
from ..auth import current_actor
from . import bulk_actions, saved_views
from .bulk import BulkInputSchema
from .saved import ViewInputSchema


class BulkResultSchema(Schema):
    """What a bulk action did."""

    matched = fields.Integer(
        metadata={"description": "customers selected that you may see"}
    )
    changed = fields.Integer()
    unchanged = fields.Integer(metadata={"description": "already as asked"})
    refused = fields.Integer(
        metadata={"description": "outside the scope of the action's permission"}
    )
    missing = fields.Integer(metadata={"description": "ids not found or not visible"})
    blocked = fields.Integer(metadata={"description": "deletes a relation blocked"})


class ViewSchema(Schema):
    """A saved view of the customer list."""

    id = fields.Integer()
    name = fields.String()
    owner_id = fields.Integer()
    shared = fields.Boolean()
    filters = fields.Dict(keys=fields.String(), values=fields.String())
    sort = fields.String(allow_none=True)
    columns = fields.List(fields.String())
    version = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class ViewListSchema(Schema):
    """Saved views, by name."""

    items = fields.List(fields.Nested(ViewSchema))


def make_blueprint() -> ApiBlueprint:
    blp = ApiBlueprint(
        "api_views",
        url_prefix=None,
        description="Bulk actions on customers, and saved views of their list",
        record_schema=ViewSchema,
    )

    @blp.route("/customers/bulk", methods=["POST"])
    @blp.doc(
        parameters=[IDEMPOTENCY_KEY],
        requestBody=json_body(BulkInputSchema, "The action and its customers"),
    )
    @blp.response(200, BulkResultSchema)
    @blp.problems(400, 403, 409, 422)
    def bulk_customers() -> Response:
        """Change many customers at once: owner, a field, tags, or delete"""
        data = request_body()

        def write(connection: Connection) -> Response:
            result = bulk_actions(crm_host()).run(connection, current_actor(), data)
            return json_response(dumper(BulkResultSchema).dump(attrs.asdict(result)))

        return run_post(write)

    _views(blp)
    return blp


def _views(blp: ApiBlueprint) -> None:
    @blp.route("/views")
    class Views(MethodView):
        @blp.response(200, ViewListSchema)
        @blp.problems(403)
        def get(self) -> Response:
            """Your saved views of the customer list, and the shared ones"""
            host = crm_host()
            with host.db.connect() as connection:
                items = saved_views(host).list(connection, current_actor())
            return json_response(dumper(ViewListSchema).dump({"items": items}))

        @blp.doc(
            parameters=[IDEMPOTENCY_KEY],
            requestBody=json_body(ViewInputSchema, "The view to save"),
        )
        @blp.response(201, ViewSchema, headers=ETAG_HEADER)
        @blp.problems(400, 403, 422)
        def post(self) -> Response:
            """Save a view"""
            data = request_body()

            def write(connection: Connection) -> Response:
                made = saved_views(crm_host()).create(connection, current_actor(), data)
                location = url_for("api_views.View", view_id=made["id"])
                return record_response(made, ViewSchema, 201, location)

            return run_post(write)

    @blp.route(f"/views/<{ID}:view_id>")
    class View(MethodView):
        @blp.doc(parameters=[IF_NONE_MATCH])
        @blp.response(200, ViewSchema, headers=ETAG_HEADER)
        @blp.alt_response(304, description="Not Modified")
        @blp.problems(404)
        def get(self, view_id: int) -> Response:
            """Read a saved view"""
            host = crm_host()
            with host.db.connect() as connection:
                found = saved_views(host).get(connection, current_actor(), view_id)
            return not_modified(found["version"]) or record_response(found, ViewSchema)

        @blp.doc(
            parameters=[IF_MATCH],
            requestBody=json_body(ViewInputSchema, "The fields to change"),
        )
        @blp.response(200, ViewSchema, headers=ETAG_HEADER)
        @blp.problems(400, 403, 404, 412, 422, 428)
        def patch(self, view_id: int) -> Response:
            """Change a saved view (its owner only)"""
            tags = if_match(required=True)
            data = request_body()
            host, actor = crm_host(), current_actor()
            views = saved_views(host)
            with host.db.transaction() as connection:
                expected = expected_version(
                    tags, lambda: views.get(connection, actor, view_id)["version"]
                )
                changed = views.update(connection, actor, view_id, data, expected)
            return record_response(changed, ViewSchema)

        @blp.response(204)
        @blp.problems(403, 404)
        def delete(self, view_id: int) -> Response:
            """Delete a saved view (its owner only)"""
            host = crm_host()
            with host.db.transaction() as connection:
                saved_views(host).delete(connection, current_actor(), view_id)
            return Response(status=204)
