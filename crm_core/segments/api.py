"""``/api/v1/segments``: segments, live counts, members and static lists."""

from __future__ import annotations

from typing import Any

from flask import Response, url_for
from flask.views import MethodView
from marshmallow import RAISE, Schema, fields, validate
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
from ..api.records import list_doc, parse_args
from ..api.schemas import CustomerPageSchema
from ..auth import current_actor
from ..linked import ID_RANGE, encode_cursor, load_input
from . import segment_members, segment_service
from .membership import Moved
from .rules import field_list
from .service import SegmentInputSchema


class SegmentSchema(Schema):
    """A segment: rules that choose customers, or a list of them."""

    id = fields.Integer()
    name = fields.String()
    description = fields.String()
    kind = fields.String(metadata={"description": "'dynamic' or 'static'"})
    rules = fields.Dict(allow_none=True)
    owner_id = fields.Integer(allow_none=True)
    member_count = fields.Integer(
        metadata={"description": "members at the last refresh or list change"}
    )
    refreshed_at = fields.DateTime(allow_none=True)
    version = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class SegmentListSchema(Schema):
    """Every segment, by name."""

    items = fields.List(fields.Nested(SegmentSchema))


class RulesSchema(Schema):
    """Rules to count without saving them."""

    rules = fields.Dict(required=True)


class NoBodySchema(Schema):
    """Nothing: the action needs no input."""


NO_BODY = {
    "required": False,
    "content": {"application/json": {"schema": NoBodySchema}},
}


class CountSchema(Schema):
    """How many customers rules match."""

    count = fields.Integer(metadata={"description": "customers you may see that match"})


class IdsSchema(Schema):
    """Customers to put on, or take off, a static list."""

    class Meta:
        unknown = RAISE

    ids = fields.List(
        fields.Integer(strict=True, validate=ID_RANGE),
        required=True,
        validate=validate.Length(min=1, max=10_000),
    )


class MovedSchema(Schema):
    """Customers that entered or left a segment."""

    entered = fields.List(fields.Integer())
    left = fields.List(fields.Integer())
    refused = fields.Integer(
        metadata={"description": "ids you may not see, or unknown"}
    )


class FieldInfoSchema(Schema):
    """A field rules may test, with its operators."""

    name = fields.String()
    label = fields.String()
    type = fields.String()
    choices = fields.List(fields.String())
    group = fields.String()
    operators = fields.List(fields.String())


class FieldListSchema(Schema):
    """The fields rules may test."""

    items = fields.List(fields.Nested(FieldInfoSchema))


class PageArgs(Schema):
    """One page of members."""

    class Meta:
        unknown = RAISE

    limit = fields.Integer(metadata={"description": "page size"})
    cursor = fields.String(metadata={"description": "next_cursor of the last page"})


def make_blueprint() -> ApiBlueprint:
    blp = ApiBlueprint(
        "api_segments",
        url_prefix="/segments",
        description="Segments: customers chosen by rules, or listed",
        record_schema=SegmentSchema,
    )
    _collection(blp)
    _item(blp)
    _tools(blp)
    _members(blp)
    return blp


def _collection(blp: ApiBlueprint) -> None:
    @blp.route("")
    class Segments(MethodView):
        @blp.response(200, SegmentListSchema)
        @blp.problems(403)
        def get(self) -> Response:
            """List segments"""
            host = crm_host()
            with host.db.connect() as connection:
                items = segment_service(host).list(connection, current_actor())
            return json_response(dumper(SegmentListSchema).dump({"items": items}))

        @blp.doc(
            parameters=[IDEMPOTENCY_KEY],
            requestBody=json_body(SegmentInputSchema, "The new segment"),
        )
        @blp.response(201, SegmentSchema, headers=ETAG_HEADER)
        @blp.problems(400, 403, 422)
        def post(self) -> Response:
            """Create a segment (a dynamic one is refreshed right after)"""
            data = request_body()

            def write(connection: Connection) -> Response:
                made = segment_service(crm_host()).create(
                    connection, current_actor(), data
                )
                location = url_for("api_segments.Segment", segment_id=made["id"])
                return record_response(made, SegmentSchema, 201, location)

            return run_post(write)


def _item(blp: ApiBlueprint) -> None:
    @blp.route(f"/<{ID}:segment_id>")
    class Segment(MethodView):
        @blp.doc(parameters=[IF_NONE_MATCH])
        @blp.response(200, SegmentSchema, headers=ETAG_HEADER)
        @blp.alt_response(304, description="Not Modified")
        @blp.problems(403, 404)
        def get(self, segment_id: int) -> Response:
            """Read a segment"""
            host = crm_host()
            with host.db.connect() as connection:
                found = segment_service(host).get(
                    connection, current_actor(), segment_id
                )
            return not_modified(found["version"]) or record_response(
                found, SegmentSchema
            )

        @blp.doc(
            parameters=[IF_MATCH],
            requestBody=json_body(SegmentInputSchema, "The fields to change"),
        )
        @blp.response(200, SegmentSchema, headers=ETAG_HEADER)
        @blp.problems(400, 403, 404, 412, 422, 428)
        def patch(self, segment_id: int) -> Response:
            """Change a segment's name, description or rules"""
            tags = if_match(required=True)
            data = request_body()
            host, actor = crm_host(), current_actor()
            service = segment_service(host)
            with host.db.transaction() as connection:
                expected = expected_version(
                    tags, lambda: service.get(connection, actor, segment_id)["version"]
                )
                changed = service.update(connection, actor, segment_id, data, expected)
            return record_response(changed, SegmentSchema)

        @blp.response(204)
        @blp.problems(403, 404)
        def delete(self, segment_id: int) -> Response:
            """Delete a segment and its members"""
            host = crm_host()
            with host.db.transaction() as connection:
                segment_service(host).delete(connection, current_actor(), segment_id)
            return Response(status=204)


def _tools(blp: ApiBlueprint) -> None:
    @blp.route("/count", methods=["POST"])
    @blp.doc(
        parameters=[IDEMPOTENCY_KEY],
        requestBody=json_body(RulesSchema, "The rules to count"),
    )
    @blp.response(200, CountSchema)
    @blp.problems(400, 403, 422)
    def count_rules() -> Response:
        """Count the customers you may see that rules match, without saving them"""
        body = load_input(RulesSchema(), request_body())
        actor = current_actor()
        actor.require("segment.read")

        def count(connection: Connection) -> Response:
            found = segment_service(crm_host()).count(connection, actor, body["rules"])
            return json_response({"count": found})

        return run_post(count)

    @blp.route("/fields")
    @blp.response(200, FieldListSchema)
    @blp.problems(403)
    def segment_fields() -> Response:
        """The fields rules may test, with their operators"""
        host, actor = crm_host(), current_actor()
        actor.require("segment.read")
        with host.db.connect() as connection:
            items = field_list(segment_service(host).catalogue(connection, actor))
        return json_response(dumper(FieldListSchema).dump({"items": items}))

    @blp.route(f"/<{ID}:segment_id>/refresh", methods=["POST"])
    @blp.doc(parameters=[IDEMPOTENCY_KEY], requestBody=NO_BODY)
    @blp.response(200, MovedSchema)
    @blp.problems(403, 404)
    def refresh_segment(segment_id: int) -> Response:
        """Store a dynamic segment's members now and publish who moved"""
        host, actor = crm_host(), current_actor()
        actor.require("segment.manage")

        def refresh(connection: Connection) -> Response:
            segment_service(host).get(connection, actor, segment_id)
            return _moved(segment_members(host).refresh(connection, segment_id))

        return run_post(refresh)


def _members(blp: ApiBlueprint) -> None:
    @blp.route(f"/<{ID}:segment_id>/members")
    class Members(MethodView):
        @blp.doc(**list_doc(PageArgs))
        @blp.response(200, CustomerPageSchema)
        @blp.problems(400, 403, 404)
        def get(self, segment_id: int) -> Response:
            """The segment's customers that you may see, by id"""
            args = parse_args(PageArgs, (int,))
            host = crm_host()
            after = args.cursor[0] if args.cursor else None
            with host.db.connect() as connection:
                items, last = segment_members(host).page(
                    connection, current_actor(), segment_id, after, args.limit
                )
            body = {
                "items": items,
                "next_cursor": encode_cursor([last]) if last is not None else None,
            }
            return json_response(dumper(CustomerPageSchema).dump(body))

        @blp.doc(
            parameters=[IDEMPOTENCY_KEY],
            requestBody=json_body(IdsSchema, "Customers to put on the list"),
        )
        @blp.response(200, MovedSchema)
        @blp.problems(400, 403, 404, 422)
        def post(self, segment_id: int) -> Response:
            """Put customers on a static list"""
            return _change_list(segment_id, remove=False)

    @blp.route(f"/<{ID}:segment_id>/members/remove", methods=["POST"])
    @blp.doc(
        parameters=[IDEMPOTENCY_KEY],
        requestBody=json_body(IdsSchema, "Customers to take off the list"),
    )
    @blp.response(200, MovedSchema)
    @blp.problems(400, 403, 404, 422)
    def remove_members(segment_id: int) -> Response:
        """Take customers off a static list"""
        return _change_list(segment_id, remove=True)


def _change_list(segment_id: int, *, remove: bool) -> Response:
    ids = load_input(IdsSchema(), request_body())["ids"]
    members = segment_members(crm_host())
    change = members.remove if remove else members.add

    def write(connection: Connection) -> Response:
        return _moved(change(connection, current_actor(), segment_id, ids))

    return run_post(write)


def _moved(moved: Moved) -> Response:
    body: dict[str, Any] = {
        "entered": moved.entered,
        "left": moved.left,
        "refused": moved.refused,
    }
    return json_response(dumper(MovedSchema).dump(body))
