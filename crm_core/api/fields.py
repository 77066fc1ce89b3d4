"""``/api/v1/fields``: the custom fields of customers; administrators declare more."""

from __future__ import annotations

from typing import Any

from flask import Response, url_for
from flask.views import MethodView

from ..auth import current_actor
from ..contributions import FieldSpec
from ..customers import PUBLIC_COLUMNS, InvalidInput, NotFound
from ..linked import load_input
from ..listing import RESERVED
from .base import (
    IDEMPOTENCY_KEY,
    LOCATION_HEADER,
    ApiBlueprint,
    Conflict,
    crm_host,
    dumper,
    json_body,
    json_response,
    request_body,
)
from .idempotency import run_post
from .schemas import FieldPageSchema, FieldSchema, NewFieldSchema

RECORD_TYPE = "customer"
_TAKEN = frozenset(PUBLIC_COLUMNS) | frozenset(RESERVED)


def make_blueprint() -> ApiBlueprint:
    blp = ApiBlueprint(
        "api_fields", url_prefix="/fields", description="Custom fields of customers"
    )

    @blp.route("")
    class Fields(MethodView):
        @blp.response(200, FieldPageSchema)
        @blp.problems(403)
        def get(self) -> Response:
            """List the custom fields of customers"""
            host, actor = crm_host(), current_actor()
            actor.require("customer.read")
            with host.db.connect() as connection:
                specs = host.fields.for_type(connection, RECORD_TYPE)
            items = [_public(spec) for _, spec in sorted(specs.items())]
            return json_response(
                dumper(FieldPageSchema).dump({"items": items, "next_cursor": None})
            )

        @blp.doc(
            parameters=[IDEMPOTENCY_KEY],
            requestBody=json_body(NewFieldSchema, "The field (needs 'admin.fields')"),
        )
        @blp.response(201, FieldSchema, headers=LOCATION_HEADER)
        @blp.problems(400, 403, 409, 422)
        def post(self) -> Response:
            """Declare a custom field on customers"""
            current_actor().require("admin.fields")
            spec = _spec(request_body())
            return run_post(lambda connection: _declare(connection, spec))

    @blp.route("/<string:name>")
    @blp.response(200, FieldSchema)
    @blp.problems(404)
    def custom_field(name: str) -> Response:
        """Read one custom field of customers"""
        host, actor = crm_host(), current_actor()
        actor.require("customer.read")
        with host.db.connect() as connection:
            spec = host.fields.for_type(connection, RECORD_TYPE).get(name)
        if spec is None:
            raise NotFound(f"no custom field {name!r} on customers")
        return json_response(dumper(FieldSchema).dump(_public(spec)))

    return blp


def _spec(data: Any) -> FieldSpec:
    values = load_input(NewFieldSchema(), data)
    if values["name"] in _TAKEN:
        raise InvalidInput({"name": [f"{values['name']!r} is a built-in name"]})
    try:
        return FieldSpec(record_type=RECORD_TYPE, **values)
    except ValueError as error:
        raise InvalidInput({"choices": [str(error)]}) from None


def _declare(connection: Any, spec: FieldSpec) -> Response:
    host = crm_host()
    if spec.name in host.fields.for_type(connection, RECORD_TYPE):
        raise Conflict(
            f"customers already have a field {spec.name!r}",
            {"name": ["already declared"]},
        )
    actor = current_actor()
    host.fields.declare(connection, spec, declared_by=f"user:{actor.id}")
    location = url_for("api_fields.custom_field", name=spec.name)
    return json_response(
        dumper(FieldSchema).dump(_public(spec)), 201, {"Location": location}
    )


def _public(spec: FieldSpec) -> dict[str, Any]:
    return {
        "name": spec.name,
        "type": spec.type.value,
        "label": spec.label or spec.name,
        "choices": list(spec.choices),
        "required": spec.required,
        "sensitive": spec.sensitive,
    }
