"""Stored mail templates: a name, a subject, an HTML and a text body.

Every save is checked (see :func:`crm_core.mail.rendering.check_template`)
and audited as record type ``mail_template``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

import attrs
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates
from sqlalchemy import Connection, insert, select

from .. import audit
from ..customers import InvalidInput, NotFound, VersionConflict
from ..linked import load_input
from ..security import Actor
from ..storage.types import utcnow
from . import tables
from .rendering import BUILTIN_VARIABLES, PARTS

t = tables.template
MAX_BODY = 200_000
_IDENTIFIER = validate.Regexp(
    r"^[A-Za-z_][A-Za-z0-9_]*$", error="not a variable name (letters, digits, _)"
)


@attrs.frozen
class MailTemplate:
    """One stored template."""

    id: int
    name: str
    description: str
    subject: str
    html_body: str
    text_body: str
    variables: tuple[str, ...]
    version: int
    created_at: datetime
    updated_at: datetime

    def parts(self) -> dict[str, str]:
        return {part: getattr(self, part) for part in PARTS}

    def public(self) -> dict[str, Any]:
        data = attrs.asdict(self)
        data["variables"] = list(self.variables)
        return data


class TemplateSchema(Schema):
    """What a caller may set on a template."""

    class Meta:
        unknown = RAISE

    name = fields.String(
        required=True,
        validate=validate.Regexp(
            r"^[a-z0-9][a-z0-9_.\-]{0,119}$",
            error="use 1 to 120 lower-case letters, digits, '.', '-' or '_'",
        ),
    )
    description = fields.String(validate=validate.Length(max=500))
    subject = fields.String(required=True, validate=validate.Length(min=1, max=500))
    html_body = fields.String(validate=validate.Length(max=MAX_BODY))
    text_body = fields.String(validate=validate.Length(max=MAX_BODY))
    variables = fields.List(fields.String(validate=_IDENTIFIER))

    @validates("variables")
    def _not_builtin(self, value: list[str], **_kwargs: Any) -> None:
        taken = sorted(set(value) & set(BUILTIN_VARIABLES))
        if taken:
            raise ValidationError(f"{', '.join(taken)} is given by the mail service")


Checker = Callable[[Connection, Mapping[str, str], Sequence[str]], None]


class TemplateStore:
    """Reading and writing templates; ``check`` refuses a bad one."""

    def __init__(self, check: Checker) -> None:
        self.check = check

    def list(self, connection: Connection) -> list[MailTemplate]:
        rows = connection.execute(select(t).order_by(t.c.name)).mappings()
        return [_loaded(row) for row in rows]

    def get(self, connection: Connection, template_id: int) -> MailTemplate:
        row = connection.execute(select(t).where(t.c.id == template_id)).mappings()
        found = row.first()
        if found is None:
            raise NotFound(f"mail template {template_id} not found")
        return _loaded(found)

    def named(self, connection: Connection, name: str) -> MailTemplate:
        row = connection.execute(select(t).where(t.c.name == name)).mappings()
        found = row.first()
        if found is None:
            raise NotFound(
                f"no mail template is named {name!r}; create it first "
                "(Mail > Templates, or POST /api/v1/mail/templates)"
            )
        return _loaded(found)

    def create(
        self, connection: Connection, actor: Actor, data: Mapping[str, Any]
    ) -> MailTemplate:
        """Check and store a new template."""
        actor.require("mail.templates")
        values = _complete(load_input(TemplateSchema(), data))
        self._check(connection, values)
        self._name_free(connection, values["name"], None)
        now = utcnow()
        row = {**values, "version": 1, "created_at": now, "updated_at": now}
        result = connection.execute(insert(t).values(row).returning(t.c.id))
        template_id = int(result.scalar_one())
        audit.record(
            connection,
            actor,
            "mail_template",
            template_id,
            "create",
            audit.diff({}, values),
        )
        return self.get(connection, template_id)

    def update(
        self,
        connection: Connection,
        actor: Actor,
        template_id: int,
        data: Mapping[str, Any],
        expected_version: int | None = None,
    ) -> MailTemplate:
        """Apply a partial change; refuses a stale ``expected_version``."""
        actor.require("mail.templates")
        before = self.get(connection, template_id)
        if expected_version is not None and expected_version != before.version:
            raise VersionConflict(before.public())
        values = load_input(TemplateSchema(), data, partial=True)
        old = _stored(before)
        merged = {**old, **values}
        self._check(connection, merged)
        if merged["name"] != before.name:
            self._name_free(connection, merged["name"], template_id)
        changes = audit.diff(old, merged)
        if changes:
            connection.execute(
                t.update()
                .where(t.c.id == template_id)
                .values(**values, version=before.version + 1, updated_at=utcnow())
            )
            audit.record(
                connection, actor, "mail_template", template_id, "update", changes
            )
        return self.get(connection, template_id)

    def delete(self, connection: Connection, actor: Actor, template_id: int) -> None:
        """Remove a template; messages keep the name they were sent with."""
        actor.require("mail.templates")
        before = self.get(connection, template_id)
        connection.execute(t.delete().where(t.c.id == template_id))
        audit.record(
            connection,
            actor,
            "mail_template",
            template_id,
            "delete",
            audit.diff(_stored(before), {}),
        )

    def _check(self, connection: Connection, values: Mapping[str, Any]) -> None:
        if not (values["html_body"].strip() or values["text_body"].strip()):
            raise InvalidInput(
                {"text_body": ["give a text body, an HTML body, or both"]}
            )
        parts = {part: values[part] for part in PARTS}
        self.check(connection, parts, values["variables"])

    def _name_free(
        self, connection: Connection, name: str, template_id: int | None
    ) -> None:
        found = connection.execute(select(t.c.id).where(t.c.name == name)).scalar()
        if found is not None and found != template_id:
            raise InvalidInput(
                {"name": [f"a template named {name!r} exists; choose another name"]}
            )


def _complete(values: dict[str, Any]) -> dict[str, Any]:
    values.setdefault("description", "")
    values.setdefault("html_body", "")
    values.setdefault("text_body", "")
    values.setdefault("variables", [])
    return values


def _stored(template: MailTemplate) -> dict[str, Any]:
    data = template.public()
    return {key: data[key] for key in TemplateSchema().fields}


def _loaded(row: Mapping[Any, Any]) -> MailTemplate:
    values = {field.name: row[field.name] for field in attrs.fields(MailTemplate)}
    values["variables"] = tuple(values["variables"] or ())
    return MailTemplate(**values)
