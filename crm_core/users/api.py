"""``/api/v1/users``: users, invitations, deactivation, profile and availability."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Response, request
from flask.views import MethodView
from marshmallow import Schema, fields, validate
from sqlalchemy import Connection

from ..api.base import (
    ID,
    IDEMPOTENCY_KEY,
    ApiBlueprint,
    BadParameter,
    crm_host,
    dumper,
    json_body,
    json_response,
    request_body,
)
from ..api.idempotency import run_post
from ..auth import current_actor
from ..customers import NotFound
from ..linked import ID_RANGE, load_input
from ..security import Actor, PermissionDenied
from ..storage.types import utcnow
from . import accounts, availability, handover
from .admin_views import user_list
from .pages import secret_key, send_invitation


class UserSchema(Schema):
    """A user as the API shows it (never the password)."""

    id = fields.Integer()
    email = fields.String()
    name = fields.String()
    role = fields.String()
    team_id = fields.Integer(allow_none=True)
    is_active = fields.Boolean()
    can_login = fields.Boolean()
    language = fields.String()
    timezone = fields.String()
    status = fields.String(
        metadata={"description": "active, invited, no_login or deactivated"}
    )


class UserPageSchema(Schema):
    items = fields.List(fields.Nested(UserSchema))
    next_cursor = fields.String(allow_none=True)


class InvitationSchema(Schema):
    """Whom to invite; an e-mail of a user without a sign-in invites that user."""

    email = fields.String(required=True, validate=validate.Length(max=320))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    role = fields.String(required=True)
    team_id = fields.Integer(allow_none=True, strict=True, validate=ID_RANGE)
    language = fields.String(
        load_default="en", metadata={"description": "en or zh_Hans_CN"}
    )


class DeactivationSchema(Schema):
    hand_to = fields.Integer(
        required=True,
        strict=True,
        validate=ID_RANGE,
        metadata={"description": "the active user who takes over the records"},
    )


class DeactivatedSchema(Schema):
    user = fields.Nested(UserSchema)
    moved = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={"description": "records handed over, by record type"},
    )


class ProfileSchema(Schema):
    language = fields.String(
        required=True, metadata={"description": "en or zh_Hans_CN"}
    )
    timezone = fields.String(
        required=True, metadata={"description": "an IANA zone, e.g. UTC"}
    )


class AbsenceSchema(Schema):
    id = fields.Integer(dump_only=True)
    user_id = fields.Integer(dump_only=True)
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    note = fields.String(allow_none=True, validate=validate.Length(max=200))


class AbsencePageSchema(Schema):
    items = fields.List(fields.Nested(AbsenceSchema))
    next_cursor = fields.String(allow_none=True)


class AvailabilitySchema(Schema):
    user_id = fields.Integer()
    at = fields.DateTime()
    available = fields.Boolean()


class AvailableUsersSchema(Schema):
    team_id = fields.Integer()
    at = fields.DateTime()
    user_ids = fields.List(fields.Integer())


AT = {
    "in": "query",
    "name": "at",
    "description": "an ISO 8601 moment with its zone; now when left out",
    "schema": {"type": "string", "format": "date-time"},
}


def _user(connection: Connection, user_id: int) -> dict[str, Any]:
    found = user_list(connection, user_id)
    if not found:
        raise NotFound(f"user {user_id} not found")
    return found[0]


def _moment() -> datetime:
    raw = request.args.get("at")
    if not raw:
        return utcnow()
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise BadParameter({"at": ["not an ISO 8601 moment"]}) from None
    if moment.tzinfo is None:
        raise BadParameter({"at": ["give the moment's zone, e.g. 2025-05-01T09:00Z"]})
    return moment


def _own_or(actor: Actor, user_id: int, permission: str) -> None:
    if actor.id != user_id and not actor.can(permission):
        actor.require(permission)


def make_blueprint() -> ApiBlueprint:
    blp = ApiBlueprint(
        "api_users",
        url_prefix="/users",
        description="Users: invitations, deactivation, profile and availability",
    )

    @blp.route("")
    @blp.response(200, UserPageSchema)
    @blp.problems(403)
    def users() -> Response:
        """List every user (needs 'admin.users')"""
        current_actor().require("admin.users")
        with crm_host().db.connect() as connection:
            items = user_list(connection)
        page = {"items": items, "next_cursor": None}
        return json_response(dumper(UserPageSchema).dump(page))

    @blp.route("/invitations", methods=["POST"])
    @blp.doc(
        parameters=[IDEMPOTENCY_KEY],
        requestBody=json_body(InvitationSchema, "Whom to invite"),
    )
    @blp.response(201, UserSchema)
    @blp.problems(403, 422)
    def invite() -> Response:
        """Invite someone by e-mail; they get a link to choose a password

        The e-mail of a user who cannot sign in yet (an agent imported
        without a login) sends that user a new invitation.
        """
        actor = current_actor()
        actor.require("admin.users")
        data = load_input(InvitationSchema(), request_body())

        def write(connection: Connection) -> Response:
            invitation = accounts.invite(connection, actor, secret_key(), data)
            send_invitation(connection, actor, invitation)
            user = _user(connection, invitation.user["id"])
            return json_response(dumper(UserSchema).dump(user), 201)

        return run_post(write)

    @blp.route(f"/<{ID}:user_id>/deactivation", methods=["POST"])
    @blp.doc(
        parameters=[IDEMPOTENCY_KEY],
        requestBody=json_body(DeactivationSchema, "Who takes over the records"),
    )
    @blp.response(200, DeactivatedSchema)
    @blp.problems(403, 404, 422)
    def deactivate(user_id: int) -> Response:
        """Deactivate a user and hand their open records to a colleague"""
        actor = current_actor()
        actor.require("admin.users")
        data = load_input(DeactivationSchema(), request_body())

        def write(connection: Connection) -> Response:
            host = crm_host()
            moved = handover.deactivate(
                host, connection, actor, user_id, data["hand_to"]
            )
            body = {"user": _user(connection, user_id), "moved": moved}
            return json_response(dumper(DeactivatedSchema).dump(body))

        return run_post(write)

    @blp.route("/me")
    class Me(MethodView):
        @blp.response(200, UserSchema)
        def get(self) -> Response:
            """Your own account"""
            actor = current_actor()
            if actor.id is None:
                raise PermissionDenied("the system has no account")
            with crm_host().db.connect() as connection:
                user = _user(connection, actor.id)
            return json_response(dumper(UserSchema).dump(user))

        @blp.doc(requestBody=json_body(ProfileSchema, "Language and time zone"))
        @blp.response(200, UserSchema)
        @blp.problems(422)
        def put(self) -> Response:
            """Set your language and time zone"""
            actor = current_actor()
            data = load_input(ProfileSchema(), request_body())
            with crm_host().db.transaction() as connection:
                accounts.update_profile(connection, actor, data)
                user = _user(connection, actor.id or 0)
            return json_response(dumper(UserSchema).dump(user))

    _absence_routes(blp)
    _availability_routes(blp)
    return blp


def _absence_routes(blp: ApiBlueprint) -> None:
    @blp.route(f"/<{ID}:user_id>/absences")
    class Absences(MethodView):
        @blp.response(200, AbsencePageSchema)
        @blp.problems(403)
        def get(self, user_id: int) -> Response:
            """A user's absences that have not ended (your own, or 'admin.users')"""
            actor = current_actor()
            _own_or(actor, user_id, "admin.users")
            with crm_host().db.connect() as connection:
                since = availability.local_day(utcnow(), "UTC")
                items = availability.absences(connection, user_id, since=since)
            page = {"items": items, "next_cursor": None}
            return json_response(dumper(AbsencePageSchema).dump(page))

        @blp.doc(
            parameters=[IDEMPOTENCY_KEY],
            requestBody=json_body(AbsenceSchema, "The days away, both included"),
        )
        @blp.response(201, AbsenceSchema)
        @blp.problems(403, 404, 422)
        def post(self, user_id: int) -> Response:
            """Record days a user is away (your own, or 'admin.users')"""
            actor = current_actor()
            data = load_input(AbsenceSchema(), request_body())

            def write(connection: Connection) -> Response:
                item = availability.add_absence(connection, actor, user_id, data)
                return json_response(dumper(AbsenceSchema).dump(item), 201)

            return run_post(write)

    @blp.route(f"/absences/<{ID}:absence_id>", methods=["DELETE"])
    @blp.response(204)
    @blp.problems(403, 404)
    def remove_absence(absence_id: int) -> Response:
        """Remove an absence (your own, or any with 'admin.users')"""
        with crm_host().db.transaction() as connection:
            availability.remove_absence(connection, current_actor(), absence_id)
        return Response(status=204)


def _availability_routes(blp: ApiBlueprint) -> None:
    @blp.route(f"/<{ID}:user_id>/availability")
    @blp.doc(parameters=[AT])
    @blp.response(200, AvailabilitySchema)
    @blp.problems(400, 403)
    def user_availability(user_id: int) -> Response:
        """Whether a user is active and not away at a moment"""
        actor = current_actor()
        _own_or(actor, user_id, "customer.assign_owner")
        moment = _moment()
        with crm_host().db.connect() as connection:
            found = availability.is_available(connection, user_id, moment)
        body = {"user_id": user_id, "at": moment, "available": found}
        return json_response(dumper(AvailabilitySchema).dump(body))

    @blp.route(f"/teams/<{ID}:team_id>/available")
    @blp.doc(parameters=[AT])
    @blp.response(200, AvailableUsersSchema)
    @blp.problems(400, 403)
    def available(team_id: int) -> Response:
        """The users of a team (and its sub-teams) who can take work at a moment"""
        current_actor().require("customer.assign_owner")
        moment = _moment()
        with crm_host().db.connect() as connection:
            ids = availability.available_users(connection, team_id, moment)
        body = {"team_id": team_id, "at": moment, "user_ids": ids}
        return json_response(dumper(AvailableUsersSchema).dump(body))
