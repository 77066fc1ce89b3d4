"""``/api/v1/settings``: read the settings (secrets masked), change them as admin.

Changes are optimistic: ``GET`` answers with an ``ETag`` over the stored
values, and a change sends it back in ``If-Match`` (required for ``PATCH``)
so that two administrators do not overwrite each other unknowingly.
"""

from __future__ import annotations

from typing import Any

from flask import Response, request
from flask.views import MethodView
from marshmallow import Schema, fields
from sqlalchemy import Connection

from ..api.base import (
    ETAG_HEADER,
    IF_MATCH,
    IF_MATCH_OPTIONAL,
    ApiBlueprint,
    PreconditionRequired,
    crm_host,
    dumper,
    json_body,
    json_response,
    problem,
)
from ..api.base import request_body as read_body
from ..auth import current_actor
from ..customers import InvalidInput, NotFound
from . import settings_service
from .service import READ_PERMISSION, WRITE_PERMISSION, UnknownSetting


class SettingSchema(Schema):
    """A declared setting and its value; a secret's value is never sent."""

    key = fields.String(metadata={"description": "plugin.name"})
    plugin = fields.String(metadata={"description": "the plugin declaring it"})
    type = fields.String(
        metadata={
            "description": "text, integer, decimal, boolean, choice, secret or hosts"
        }
    )
    label = fields.String()
    help = fields.String()
    choices = fields.List(fields.String())
    minimum = fields.Raw(allow_none=True)
    maximum = fields.Raw(allow_none=True)
    default = fields.Raw(allow_none=True)
    value = fields.Raw(
        allow_none=True,
        metadata={"description": "decimals as text; always null for secrets"},
    )
    is_default = fields.Boolean(
        metadata={"description": "no value is stored; the default applies"}
    )
    is_set = fields.Boolean(metadata={"description": "for secrets: one is stored"})


class SettingListSchema(Schema):
    items = fields.List(fields.Nested(SettingSchema))


class SettingChangesSchema(Schema):
    """Values by key, e.g. ``{"files.max_upload_mb": 10}``."""


class SettingValueSchema(Schema):
    value = fields.Raw(required=True, metadata={"description": "the new value"})


def make_blueprint() -> ApiBlueprint:
    blp = ApiBlueprint(
        "api_settings",
        url_prefix="/settings",
        description="Plugin settings; reading needs 'settings.read', "
        "changing needs 'admin.settings'",
    )
    blp.record_once(_check_declarations)

    @blp.route("", endpoint="settings")
    class Settings(MethodView):
        @blp.response(200, SettingListSchema, headers=ETAG_HEADER)
        @blp.problems(403)
        def get(self) -> Response:
            """List every setting with its value (secrets masked)"""
            current_actor().require(READ_PERMISSION)
            with crm_host().db.connect() as connection:
                return _listing(connection)

        @blp.doc(
            parameters=[IF_MATCH],
            requestBody=json_body(
                SettingChangesSchema, "New values by key; all are checked first"
            ),
        )
        @blp.response(200, SettingListSchema, headers=ETAG_HEADER)
        @blp.problems(403, 412, 422, 428)
        def patch(self) -> Response:
            """Change several settings at once; nothing is stored if one is refused"""
            current_actor().require(WRITE_PERMISSION)
            body = read_body()
            if not isinstance(body, dict) or not body:
                raise InvalidInput({"_body": ["send an object of values by key"]})
            service = settings_service(crm_host())
            with crm_host().db.transaction() as connection:
                stale = _precondition(connection, None, required=True)
                if stale is not None:
                    return stale
                service.update(connection, current_actor(), body)
                return _listing(connection)

    @blp.route("/<string:key>", endpoint="setting")
    class OneSetting(MethodView):
        @blp.response(200, SettingSchema, headers=ETAG_HEADER)
        @blp.problems(403, 404)
        def get(self, key: str) -> Response:
            """Read one setting (a secret only says whether it is set)"""
            current_actor().require(READ_PERMISSION)
            with crm_host().db.connect() as connection:
                return _one(connection, key)

        @blp.doc(
            parameters=[IF_MATCH_OPTIONAL],
            requestBody=json_body(SettingValueSchema, "The new value"),
        )
        @blp.response(200, SettingSchema, headers=ETAG_HEADER)
        @blp.problems(403, 404, 412, 422)
        def put(self, key: str) -> Response:
            """Change one setting"""
            current_actor().require(WRITE_PERMISSION)
            body = read_body()
            if not isinstance(body, dict) or "value" not in body:
                raise InvalidInput({"value": ["send {'value': ...}"]})
            _known(key)
            with crm_host().db.transaction() as connection:
                stale = _precondition(connection, key, required=False)
                if stale is not None:
                    return stale
                settings_service(crm_host()).update(
                    connection, current_actor(), {key: body["value"]}
                )
                return _one(connection, key)

        @blp.doc(parameters=[IF_MATCH_OPTIONAL])
        @blp.response(200, SettingSchema, headers=ETAG_HEADER)
        @blp.problems(403, 404, 412)
        def delete(self, key: str) -> Response:
            """Reset one setting to its declared default"""
            current_actor().require(WRITE_PERMISSION)
            _known(key)
            with crm_host().db.transaction() as connection:
                stale = _precondition(connection, key, required=False)
                if stale is not None:
                    return stale
                settings_service(crm_host()).reset(connection, current_actor(), key)
                return _one(connection, key)

    return blp


def _check_declarations(state: Any) -> None:
    """Check the declared settings when the app starts, not at the first request."""
    settings_service(state.app.extensions["crm"])


def _known(key: str) -> None:
    try:
        settings_service(crm_host()).spec(key)
    except UnknownSetting as error:
        raise NotFound(str(error)) from None


def _tag(connection: Connection, key: str | None) -> str:
    keys = None if key is None else [key]
    return f'"{settings_service(crm_host()).fingerprint(connection, keys)}"'


def _precondition(
    connection: Connection, key: str | None, *, required: bool
) -> Response | None:
    """A 412 when ``If-Match`` names another state than the stored one."""
    raw = (request.headers.get("If-Match") or "").strip()
    if not raw:
        if required:
            raise PreconditionRequired(
                "send If-Match with the ETag of the settings you read (GET /settings)"
            )
        return None
    current = _tag(connection, key)
    offered = {part.strip().removeprefix("W/") for part in raw.split(",")}
    if "*" in offered or current in offered:
        return None
    service = settings_service(crm_host())
    state: Any = (
        {"items": service.describe(connection)}
        if key is None
        else service.describe_one(connection, key)
    )
    detail = "the settings changed since you read them; read them again"
    response = problem(412, detail, current=state)
    response.headers["ETag"] = current
    return response


def _listing(connection: Connection) -> Response:
    items = settings_service(crm_host()).describe(connection)
    body = dumper(SettingListSchema).dump({"items": items})
    return json_response(body, headers={"ETag": _tag(connection, None)})


def _one(connection: Connection, key: str) -> Response:
    _known(key)
    described = settings_service(crm_host()).describe_one(connection, key)
    body = dumper(SettingSchema).dump(described)
    return json_response(body, headers={"ETag": _tag(connection, key)})
