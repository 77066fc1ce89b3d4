"""``/api/v1/mail``: templates and their previews, the message log, sending."""

from __future__ import annotations

from typing import Any

from flask import Response, url_for
from flask.views import MethodView
from marshmallow import RAISE, Schema, fields, validate
from sqlalchemy import Connection

from ..api.base import (
    ID,
    IDEMPOTENCY_KEY,
    IF_MATCH,
    LOCATION_HEADER,
    ApiBlueprint,
    crm_host,
    dumper,
    expected_version,
    if_match,
    json_body,
    json_response,
    request_body,
)
from ..api.idempotency import run_post
from ..api.records import list_doc, page_response, parse_args
from ..auth import current_actor
from ..linked import ID_RANGE, load_input
from ..security import Actor, PermissionDenied, in_scope
from . import mail_service, messages, outbox
from .consent import MARKETING, PURPOSES
from .template_store import TemplateSchema


class TemplateOutSchema(TemplateSchema):
    id = fields.Integer()
    version = fields.Integer()
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class TemplatePageSchema(Schema):
    items = fields.List(fields.Nested(TemplateOutSchema))
    next_cursor = fields.String(allow_none=True)


class PreviewSchema(Schema):
    """Whom to preview a template for; a sample customer by default."""

    class Meta:
        unknown = RAISE

    customer_id = fields.Integer(strict=True, validate=ID_RANGE)
    context = fields.Dict(keys=fields.String())


class RenderedSchema(Schema):
    subject = fields.String()
    html = fields.String()
    text = fields.String()


class MessageSchema(Schema):
    id = fields.Integer()
    message_id = fields.String(metadata={"description": "the Message-ID header"})
    thread_id = fields.String()
    in_reply_to = fields.String(allow_none=True)
    customer_id = fields.Integer(allow_none=True)
    to_address = fields.String(allow_none=True)
    template = fields.String(allow_none=True)
    purpose = fields.String()
    campaign = fields.String(allow_none=True)
    status = fields.String(
        metadata={"description": "queued, sending, sent, failed, skipped or bounced"}
    )
    reason = fields.String(
        allow_none=True, metadata={"description": "why, if not sent"}
    )
    subject = fields.String()
    attempts = fields.Integer()
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()
    sent_at = fields.AwareDateTime(allow_none=True)
    html_body = fields.String()
    text_body = fields.String()


class MessagePageSchema(Schema):
    items = fields.List(fields.Nested(MessageSchema))
    next_cursor = fields.String(allow_none=True)


class SendSchema(Schema):
    """One message to queue: to a customer or to an address."""

    class Meta:
        unknown = RAISE

    to_customer_id = fields.Integer(strict=True, validate=ID_RANGE)
    to_address = fields.String(validate=validate.Length(min=3, max=320))
    template = fields.String(required=True, validate=validate.Length(min=1, max=120))
    context = fields.Dict(keys=fields.String())
    purpose = fields.String(load_default=MARKETING, validate=validate.OneOf(PURPOSES))
    campaign = fields.String(validate=validate.Length(min=1, max=200))
    in_reply_to = fields.String(validate=validate.Length(min=3, max=255))


class SendTestSchema(Schema):
    """A test message of a template, to any address, as a customer would get it."""

    class Meta:
        unknown = RAISE

    template_id = fields.Integer(required=True, strict=True, validate=ID_RANGE)
    to_address = fields.String(required=True, validate=validate.Length(min=3, max=320))
    customer_id = fields.Integer(strict=True, validate=ID_RANGE)
    context = fields.Dict(keys=fields.String())


def make_blueprint() -> ApiBlueprint:
    """The ``/api/v1/mail`` blueprint (fresh for each app)."""
    blp = ApiBlueprint(
        "api_mail",
        url_prefix="/mail",
        description="Mail templates, the message log and sending",
        record_schema=TemplateOutSchema,
    )
    _template_routes(blp)
    _message_routes(blp)
    return blp


def _template_routes(blp: ApiBlueprint) -> None:
    @blp.route("/templates")
    class Templates(MethodView):
        @blp.response(200, TemplatePageSchema)
        @blp.problems(403)
        def get(self) -> Response:
            """List the mail templates (needs 'mail.send' or 'mail.templates')"""
            _may_read_templates(current_actor())
            service = mail_service(crm_host())
            with service.host.db.connect() as connection:
                items = [t.public() for t in service.templates.list(connection)]
            body = {"items": items, "next_cursor": None}
            return json_response(dumper(TemplatePageSchema).dump(body))

        @blp.doc(
            parameters=[IDEMPOTENCY_KEY],
            requestBody=json_body(TemplateSchema, "The template"),
        )
        @blp.response(201, TemplateOutSchema, headers=LOCATION_HEADER)
        @blp.problems(403, 422)
        def post(self) -> Response:
            """Create a template (needs 'mail.templates'); bad fields are refused"""
            actor, data = current_actor(), request_body()
            actor.require("mail.templates")
            service = mail_service(crm_host())

            def write(connection: Connection) -> Response:
                made = service.templates.create(connection, actor, data)
                location = url_for("api_mail.Template", template_id=made.id)
                return _template_response(made.public(), 201, location)

            return run_post(write)

    @blp.route(f"/templates/<{ID}:template_id>")
    class Template(MethodView):
        @blp.response(200, TemplateOutSchema)
        @blp.problems(403, 404)
        def get(self, template_id: int) -> Response:
            """Read one template"""
            _may_read_templates(current_actor())
            service = mail_service(crm_host())
            with service.host.db.connect() as connection:
                found = service.templates.get(connection, template_id)
            return _template_response(found.public())

        @blp.doc(
            parameters=[IF_MATCH],
            requestBody=json_body(TemplateSchema, "The fields to change"),
        )
        @blp.response(200, TemplateOutSchema)
        @blp.problems(403, 404, 412, 422, 428)
        def patch(self, template_id: int) -> Response:
            """Change a template (needs 'mail.templates')"""
            actor, data = current_actor(), request_body()
            service = mail_service(crm_host())
            with service.host.db.transaction() as connection:
                current = service.templates.get(connection, template_id)
                wanted = expected_version(
                    if_match(required=True), lambda: current.version
                )
                changed = service.templates.update(
                    connection, actor, template_id, data, wanted
                )
            return _template_response(changed.public())

        @blp.response(204)
        @blp.problems(403, 404)
        def delete(self, template_id: int) -> Response:
            """Delete a template; messages keep the name they were sent with"""
            actor = current_actor()
            service = mail_service(crm_host())
            with service.host.db.transaction() as connection:
                service.templates.delete(connection, actor, template_id)
            return Response(status=204)

    @blp.route(f"/templates/<{ID}:template_id>/preview", methods=["POST"])
    @blp.doc(
        parameters=[IDEMPOTENCY_KEY],
        requestBody=json_body(PreviewSchema, "Whom to preview it for"),
    )
    @blp.response(200, RenderedSchema)
    @blp.problems(403, 404, 422)
    def template_preview(template_id: int) -> Response:
        """Render a template for a customer, or for a sample customer"""
        actor = current_actor()
        _may_read_templates(actor)
        values = load_input(PreviewSchema(), request_body())
        host = crm_host()
        service = mail_service(host)
        with host.db.connect() as connection:
            template = service.templates.get(connection, template_id)
            customer_id = values.get("customer_id")
            if customer_id is not None:
                host.customers.get(connection, actor, customer_id)
            rendered = service.preview(
                connection, template, customer_id, values.get("context")
            )
        body = {
            "subject": rendered.subject,
            "html": rendered.html,
            "text": rendered.text,
        }
        return json_response(dumper(RenderedSchema).dump(body))


def _message_routes(blp: ApiBlueprint) -> None:
    @blp.route("/messages")
    class Messages(MethodView):
        @blp.doc(**list_doc(messages.MessageFilterSchema))
        @blp.response(200, MessagePageSchema)
        @blp.problems(400, 403)
        def get(self) -> Response:
            """The message log, newest first; filter by customer, status or campaign"""
            args = parse_args(messages.MessageFilterSchema, (int,))
            host = crm_host()
            with host.db.connect() as connection:
                page = messages.list_messages(connection, current_actor(), args)
            return page_response(MessagePageSchema, page)

        @blp.doc(
            parameters=[IDEMPOTENCY_KEY],
            requestBody=json_body(SendSchema, "The message (needs 'mail.send')"),
        )
        @blp.response(201, MessageSchema, headers=LOCATION_HEADER)
        @blp.problems(403, 404, 422)
        def post(self) -> Response:
            """Queue a message; consent and suppression may store it as skipped"""
            actor, data = current_actor(), request_body()
            actor.require("mail.send")
            values = load_input(SendSchema(), data)
            return run_post(lambda connection: _send(connection, actor, values))

    @blp.route(f"/messages/<{ID}:mail_id>")
    @blp.response(200, MessageSchema)
    @blp.problems(403, 404)
    def message(mail_id: int) -> Response:
        """One message with its status, reason and bodies"""
        with crm_host().db.connect() as connection:
            found = messages.get_message(connection, current_actor(), mail_id)
        return json_response(dumper(MessageSchema).dump(found))

    @blp.route("/test", methods=["POST"])
    @blp.doc(
        parameters=[IDEMPOTENCY_KEY],
        requestBody=json_body(SendTestSchema, "The template and the address"),
    )
    @blp.response(201, MessageSchema, headers=LOCATION_HEADER)
    @blp.problems(403, 404, 422)
    def send_test() -> Response:
        """Send a test of a template to an address, subject marked [Test]"""
        actor, data = current_actor(), request_body()
        actor.require("mail.send")
        values = load_input(SendTestSchema(), data)
        return run_post(lambda connection: _send_test(connection, actor, values))


def _send(connection: Connection, actor: Actor, values: dict[str, Any]) -> Response:
    host = crm_host()
    customer_id = values.get("to_customer_id")
    if customer_id is not None:
        _check_reach(actor, host.customers.get(connection, actor, customer_id))
    elif "to_address" in values:
        address = outbox.normalise_address(values["to_address"])
        found = outbox.customer_by_address(connection, address)
        if found is not None:
            _check_reach(actor, found)
    mail_id = mail_service(host).send(
        connection,
        to_customer_id=customer_id,
        to_address=values.get("to_address"),
        template=values["template"],
        context=values.get("context"),
        purpose=values["purpose"],
        campaign=values.get("campaign"),
        in_reply_to=values.get("in_reply_to"),
    )
    return _created(connection, actor, mail_id)


def _send_test(
    connection: Connection, actor: Actor, values: dict[str, Any]
) -> Response:
    host = crm_host()
    service = mail_service(host)
    template = service.templates.get(connection, values["template_id"])
    customer_id = values.get("customer_id")
    if customer_id is not None:
        host.customers.get(connection, actor, customer_id)
    mail_id = service.send_test(
        connection, template, values["to_address"], customer_id, values.get("context")
    )
    return _created(connection, actor, mail_id)


def _created(connection: Connection, actor: Actor, mail_id: int) -> Response:
    found = outbox.message_row(connection, mail_id)
    assert found is not None
    location = url_for("api_mail.message", mail_id=mail_id)
    body = dumper(MessageSchema).dump(messages.public(found, with_bodies=True))
    return json_response(body, 201, {"Location": location})


def _check_reach(actor: Actor, customer: Any) -> None:
    if not in_scope(actor, "mail.send", customer):
        raise PermissionDenied(
            f"permission 'mail.send' does not reach customer {customer['id']}"
        )


def _may_read_templates(actor: Actor) -> None:
    if not (actor.can("mail.templates") or actor.can("mail.send")):
        raise PermissionDenied(
            "permission 'mail.send' or 'mail.templates' is needed to see mail "
            f"templates; role {actor.role.name!r} has neither"
        )


def _template_response(
    data: dict[str, Any], status: int = 200, location: str | None = None
) -> Response:
    headers = {"ETag": f'"{data["version"]}"'}
    if location:
        headers["Location"] = location
    return json_response(dumper(TemplateOutSchema).dump(data), status, headers)


__all__ = ["make_blueprint"]
