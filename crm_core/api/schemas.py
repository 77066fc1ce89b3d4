"""What the API sends back, as marshmallow schemas (and the OpenAPI document)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from ..contributions import FieldType
from ..customers import AddressSchema, PreferencesSchema

_date = {"format": "date"}


class ProblemSchema(Schema):
    """An error, as ``application/problem+json`` (RFC 9457)."""

    type = fields.String(metadata={"description": "always 'about:blank'"})
    title = fields.String(metadata={"description": "the HTTP status phrase"})
    status = fields.Integer()
    detail = fields.String(metadata={"description": "what was wrong, in words"})
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "messages per field or parameter"},
    )
    current = fields.Dict(metadata={"description": "on 412: the record as it is now"})


class CustomerSchema(Schema):
    """A customer as the API shows it."""

    id = fields.Integer()
    kind = fields.String()
    name = fields.String(allow_none=True)
    display_name = fields.String()
    external_id = fields.String(allow_none=True)
    email = fields.String(allow_none=True, metadata={"description": "primary e-mail"})
    phone = fields.String(allow_none=True, metadata={"description": "primary phone"})
    emails = fields.List(fields.String())
    phones = fields.List(fields.String())
    addresses = fields.List(fields.Nested(AddressSchema))
    owner_id = fields.Integer(allow_none=True)
    team_id = fields.Integer(allow_none=True)
    lifecycle_stage = fields.String()
    tags = fields.List(fields.String())
    preferences = fields.Nested(PreferencesSchema)
    attributes = fields.Dict(
        keys=fields.String(),
        metadata={"description": "custom fields; decimals are sent as strings"},
    )
    parent_id = fields.Integer(allow_none=True)
    version = fields.Integer(metadata={"description": "also sent as the ETag"})
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    deleted_at = fields.DateTime(allow_none=True)


class ActivitySchema(Schema):
    """One touchpoint on a customer's timeline."""

    id = fields.Integer()
    customer_id = fields.Integer(allow_none=True)
    channel = fields.String()
    kind = fields.String()
    occurred_at = fields.DateTime()
    actor_id = fields.Integer(
        allow_none=True, metadata={"description": "the user who logged it"}
    )
    subject = fields.String(allow_none=True)
    body = fields.String(allow_none=True)
    source_type = fields.String(allow_none=True)
    source_id = fields.String(allow_none=True)
    version = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    deleted_at = fields.DateTime(allow_none=True)


class RelationshipSchema(Schema):
    """A person working at an organisation."""

    id = fields.Integer()
    person_id = fields.Integer()
    organisation_id = fields.Integer()
    role = fields.String(allow_none=True)
    started_on = fields.String(allow_none=True, metadata=_date)
    ended_on = fields.String(allow_none=True, metadata=_date)
    version = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    deleted_at = fields.DateTime(allow_none=True)


class ChangeSchema(Schema):
    """One field's value before and after a change."""

    field = fields.String()
    before = fields.Raw(allow_none=True)
    after = fields.Raw(allow_none=True)


class AuditEntrySchema(Schema):
    """Who changed a record, when, how and from which values."""

    id = fields.Integer()
    at = fields.DateTime()
    actor_id = fields.Integer(allow_none=True)
    actor_name = fields.String(allow_none=True)
    action = fields.String()
    changes = fields.List(fields.Nested(ChangeSchema))


class FieldSchema(Schema):
    """A custom field of customers."""

    name = fields.String()
    type = fields.String()
    label = fields.String()
    choices = fields.List(fields.String())
    required = fields.Boolean()
    sensitive = fields.Boolean(
        metadata={"description": "values hidden without 'customer.read_sensitive'"}
    )


class NewFieldSchema(Schema):
    """A custom field to declare on customers."""

    name = fields.String(
        required=True,
        validate=[
            validate.Length(min=1, max=120),
            validate.Regexp(
                r"^[A-Za-z](?:[A-Za-z0-9-]|_(?!_))*$",
                error="use letters, digits, '-' and single '_', starting with a letter",
            ),
        ],
    )
    type = fields.String(
        required=True, validate=validate.OneOf([t.value for t in FieldType])
    )
    label = fields.String(validate=validate.Length(max=300))
    choices = fields.List(fields.String(validate=validate.Length(min=1, max=200)))
    required = fields.Boolean()
    sensitive = fields.Boolean()


class HealthSchema(Schema):
    """Whether this server can serve requests."""

    status = fields.String(metadata={"description": "'ok' or 'unavailable'"})
    database = fields.String(metadata={"description": "'ok' or 'unreachable'"})
    pending_migrations = fields.List(
        fields.String(), metadata={"description": "owners behind their migrations"}
    )


def page_schema(item: type[Schema]) -> type[Schema]:
    """The envelope of one page of ``item`` records."""
    noun = item.__name__.removesuffix("Schema")
    name = noun + "PageSchema"
    attrs: dict[str, Any] = {
        "items": fields.List(fields.Nested(item)),
        "next_cursor": fields.String(
            allow_none=True,
            metadata={
                "description": "pass as ?cursor= for the next page; null at the end"
            },
        ),
        "__doc__": f"One page of {noun} records.",
    }
    return type(name, (Schema,), attrs)


CustomerPageSchema = page_schema(CustomerSchema)
ActivityPageSchema = page_schema(ActivitySchema)
RelationshipPageSchema = page_schema(RelationshipSchema)
AuditEntryPageSchema = page_schema(AuditEntrySchema)
FieldPageSchema = page_schema(FieldSchema)
