"""``/api/v1/customers``: list, create, read, change, delete and restore customers."""

from __future__ import annotations

from flask import Response, url_for
from flask.views import MethodView
from sqlalchemy import Connection

from ..auth import current_actor
from ..customers import CustomerInputSchema, InvalidInput
from ..listing import customer_list_spec, list_customers, parse_list_args
from .base import (
    CREATED_HEADERS,
    ETAG_HEADER,
    ID,
    IDEMPOTENCY_KEY,
    IF_MATCH,
    IF_MATCH_OPTIONAL,
    IF_NONE_MATCH,
    ApiBlueprint,
    BadParameter,
    as_conflict,
    crm_host,
    dumper,
    expected_version,
    if_match,
    json_body,
    json_response,
    list_args,
    not_modified,
    page_limits,
    record_response,
    request_body,
)
from .idempotency import run_post
from .schemas import CustomerPageSchema, CustomerSchema
from .timeline import add_customer_subresources

LIST_DESCRIPTION = """\
Customers you may see, one page at a time.

Filter with `field=value`, or `field__OP=value` where OP is one of `ne`, `lt`,
`lte`, `gt`, `gte`, `in` (comma-separated values) and `contains` (text). Core
fields (`kind`, `name`, `display_name`, `external_id`, `email`, `phone`,
`owner_id`, `team_id`, `lifecycle_stage`, `parent_id`, `created_at`,
`updated_at`, `id`) and custom fields that are not sensitive can be filtered and
sorted on. `q` searches name, e-mail, phone and external id. `sort` takes
comma-separated fields, `-` first for descending. Pass `next_cursor` as `cursor`
for the next page.
"""

LIST_PARAMETERS = [
    {"in": "query", "name": "q", "schema": {"type": "string"}},
    {"in": "query", "name": "sort", "schema": {"type": "string"}},
    {"in": "query", "name": "cursor", "schema": {"type": "string"}},
    {"in": "query", "name": "limit", "schema": {"type": "integer", "minimum": 1}},
    {
        "in": "query",
        "name": "filters",
        "description": "field=value and field__OP=value pairs",
        "schema": {"type": "object", "additionalProperties": {"type": "string"}},
        "style": "form",
        "explode": True,
    },
]


def make_blueprint() -> ApiBlueprint:
    blp = ApiBlueprint(
        "api_customers",
        url_prefix="/customers",
        description="Customers: people and organisations",
        record_schema=CustomerSchema,
    )

    @blp.route("")
    class Customers(MethodView):
        @blp.doc(description=LIST_DESCRIPTION, parameters=LIST_PARAMETERS)
        @blp.response(200, CustomerPageSchema)
        @blp.problems(400, 403)
        def get(self) -> Response:
            """List customers"""
            host, actor = crm_host(), current_actor()
            actor.require("customer.read")
            with host.db.connect() as connection:
                spec = customer_list_spec(host, connection)
                try:
                    query = parse_list_args(list_args(), spec, **page_limits())
                except InvalidInput as error:
                    raise BadParameter(error.errors) from None
                page = list_customers(host, connection, actor, query, spec)
            body = {"items": page.items, "next_cursor": page.next_cursor}
            return json_response(dumper(CustomerPageSchema).dump(body))

        @blp.doc(
            parameters=[IDEMPOTENCY_KEY],
            requestBody=json_body(CustomerInputSchema, "The new customer"),
        )
        @blp.response(201, CustomerSchema, headers=CREATED_HEADERS)
        @blp.problems(400, 403, 409, 422)
        def post(self) -> Response:
            """Create a customer"""
            data = request_body()

            def write(connection: Connection) -> Response:
                created = crm_host().customers.create(connection, current_actor(), data)
                return record_response(
                    created, CustomerSchema, 201, _location(created["id"])
                )

            return run_post(write)

    @blp.route(f"/<{ID}:customer_id>")
    class Customer(MethodView):
        @blp.doc(parameters=[IF_NONE_MATCH])
        @blp.response(200, CustomerSchema, headers=ETAG_HEADER)
        @blp.alt_response(304, description="Not Modified")
        @blp.problems(404)
        def get(self, customer_id: int) -> Response:
            """Read a customer"""
            host = crm_host()
            with host.db.connect() as connection:
                found = host.customers.get(connection, current_actor(), customer_id)
            return not_modified(found["version"]) or record_response(
                found, CustomerSchema
            )

        @blp.doc(
            parameters=[IF_MATCH],
            requestBody=json_body(
                CustomerInputSchema, "The fields to change; others stay as they are"
            ),
        )
        @blp.response(200, CustomerSchema, headers=ETAG_HEADER)
        @blp.problems(400, 403, 404, 409, 412, 422, 428)
        def patch(self, customer_id: int) -> Response:
            """Change a customer"""
            tags = if_match(required=True)
            data = request_body()
            host, actor = crm_host(), current_actor()
            with host.db.transaction() as connection:
                expected = expected_version(
                    tags,
                    lambda: host.customers.get(connection, actor, customer_id)[
                        "version"
                    ],
                )
                changed = host.customers.update(
                    connection, actor, customer_id, data, expected
                )
            return record_response(changed, CustomerSchema)

        @blp.doc(parameters=[IF_MATCH_OPTIONAL])
        @blp.response(204)
        @blp.problems(400, 403, 404, 409, 412)
        def delete(self, customer_id: int) -> Response:
            """Delete a customer (it can be restored)"""
            tags = if_match(required=False)
            host, actor = crm_host(), current_actor()
            with host.db.transaction() as connection:
                expected = expected_version(
                    tags,
                    lambda: host.customers.get(connection, actor, customer_id)[
                        "version"
                    ],
                )
                host.customers.delete(connection, actor, customer_id, expected)
            return Response(status=204)

    @blp.route(f"/<{ID}:customer_id>/restore", methods=["POST"])
    @blp.doc(parameters=[IDEMPOTENCY_KEY])
    @blp.response(200, CustomerSchema, headers=ETAG_HEADER)
    @blp.problems(400, 403, 404, 409, 422)
    def restore_customer(customer_id: int) -> Response:
        """Restore a deleted customer with what was deleted with it"""

        def write(connection: Connection) -> Response:
            try:
                restored = crm_host().customers.restore(
                    connection, current_actor(), customer_id
                )
            except InvalidInput as error:
                raise as_conflict(error) from None
            return record_response(restored, CustomerSchema)

        return run_post(write)

    add_customer_subresources(blp)
    return blp


def _location(customer_id: int) -> str:
    return url_for("api_customers.Customer", customer_id=customer_id)
