"""``/api/v1/forms``: web forms, stored ones' changes, and the HTML to embed."""

from __future__ import annotations

from typing import Any

from flask import Response, url_for
from flask.views import MethodView
from marshmallow import Schema, fields
from sqlalchemy import Connection

from ..api.base import (
    IDEMPOTENCY_KEY,
    ApiBlueprint,
    crm_host,
    dumper,
    json_body,
    json_response,
    request_body,
)
from ..api.idempotency import run_post
from ..auth import current_actor
from . import registry
from .pages import embed_code
from .registry import FoundForm


class FormFieldSchema(Schema):
    name = fields.String(required=True)
    label = fields.String()
    required = fields.Boolean()
    hint = fields.String()


class FormSchema(Schema):
    """A web form; see FormSpec in the plugin guide for each setting."""

    name = fields.String(required=True)
    record_type = fields.String(load_default="customers")
    # Named apart: a schema's own ``fields`` attribute holds its field objects.
    form_fields = fields.List(
        fields.Nested(FormFieldSchema),
        required=True,
        data_key="fields",
        attribute="fields",
    )
    title = fields.String()
    intro = fields.String()
    submit_label = fields.String()
    consent_purpose = fields.String(allow_none=True)
    consent_label = fields.String()
    consent_required = fields.Boolean()
    thanks = fields.String()
    redirect_url = fields.String(allow_none=True)
    constants = fields.Dict(keys=fields.String(), values=fields.String())
    stored = fields.Boolean(dump_only=True)
    plugin = fields.String(dump_only=True)
    url = fields.String(dump_only=True, metadata={"description": "the public page"})


class FormPageSchema(Schema):
    items = fields.List(fields.Nested(FormSchema))
    next_cursor = fields.String(allow_none=True)


class EmbedSchema(Schema):
    html = fields.String(metadata={"description": "paste into any page"})


def _public(found: FoundForm) -> dict[str, Any]:
    data = found.spec.as_dict()
    data["stored"] = found.stored
    data["plugin"] = found.plugin
    data["url"] = url_for("forms_public.form", name=found.spec.name, _external=True)
    return data


def make_blueprint() -> ApiBlueprint:
    blp = ApiBlueprint(
        "api_forms", url_prefix="/forms", description="Web forms that feed records"
    )

    @blp.route("")
    class Forms(MethodView):
        @blp.response(200, FormPageSchema)
        @blp.problems(403)
        def get(self) -> Response:
            """List every web form (needs 'admin.forms')"""
            current_actor().require("admin.forms")
            with crm_host().db.connect() as connection:
                found = registry.every(crm_host(), connection)
            page = {"items": [_public(f) for f in found], "next_cursor": None}
            return json_response(dumper(FormPageSchema).dump(page))

        @blp.doc(
            parameters=[IDEMPOTENCY_KEY],
            requestBody=json_body(FormSchema, "The form to store"),
        )
        @blp.response(201, FormSchema)
        @blp.problems(403, 422)
        def post(self) -> Response:
            """Store a new web form"""
            actor, host, data = current_actor(), crm_host(), _input()

            def write(connection: Connection) -> Response:
                spec = registry.save(host, connection, actor, data)
                found = registry.find(host, connection, spec.name)
                return json_response(dumper(FormSchema).dump(_public(found)), 201)

            return run_post(write)

    @blp.route("/<string:name>")
    class Form(MethodView):
        @blp.response(200, FormSchema)
        @blp.problems(403, 404)
        def get(self, name: str) -> Response:
            """Read one web form"""
            current_actor().require("admin.forms")
            with crm_host().db.connect() as connection:
                found = registry.find(crm_host(), connection, name)
            return json_response(dumper(FormSchema).dump(_public(found)))

        @blp.doc(requestBody=json_body(FormSchema, "The whole form, replacing it"))
        @blp.response(200, FormSchema)
        @blp.problems(403, 404, 422)
        def put(self, name: str) -> Response:
            """Replace a stored web form"""
            actor, host = current_actor(), crm_host()
            with host.db.transaction() as connection:
                spec = registry.save(host, connection, actor, _input(), name)
                found = registry.find(host, connection, spec.name)
            return json_response(dumper(FormSchema).dump(_public(found)))

        @blp.response(204)
        @blp.problems(403, 404)
        def delete(self, name: str) -> Response:
            """Delete a stored web form"""
            with crm_host().db.transaction() as connection:
                registry.delete(connection, current_actor(), name)
            return Response(status=204)

    @blp.route("/<string:name>/embed")
    @blp.response(200, EmbedSchema)
    @blp.problems(403, 404)
    def embed(name: str) -> Response:
        """The HTML that shows the form on another site"""
        current_actor().require("admin.forms")
        with crm_host().db.connect() as connection:
            found = registry.find(crm_host(), connection, name)
            html = embed_code(connection, found)
        return json_response(dumper(EmbedSchema).dump({"html": html}))

    return blp


def _input() -> dict[str, Any]:
    from ..linked import load_input

    return load_input(FormSchema(), request_body())
