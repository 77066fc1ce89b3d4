"""Administrators' pages: the user list, inviting, and deactivating with hand-over."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import Connection, func, select
from werkzeug.wrappers import Response

from ..customers import InvalidInput, NotFound
from ..i18n import LANGUAGES, current_locale, gettext
from ..storage import schema
from ..storage.types import utcnow
from ..web.shell import host
from . import accounts, handover
from .pages import (
    active_colleagues,
    admin,
    role_choices,
    secret_key,
    send_invitation,
    team_choices,
    users_pages,
)
from .tables import link

u = schema.user


def user_list(
    connection: Connection, user_id: int | None = None
) -> list[dict[str, Any]]:
    """Every user (or one) with their team's name and a status word."""
    t = schema.team
    pending = (
        select(link.c.user_id, func.count().label("links"))
        .where(
            link.c.purpose == "invitation",
            link.c.used_at.is_(None),
            link.c.expires_at > utcnow(),
        )
        .group_by(link.c.user_id)
        .subquery()
    )
    shown = [column for column in u.c if column.name != "password_hash"]
    query = (
        select(
            *shown,
            u.c.password_hash.is_not(None).label("has_password"),
            t.c.name.label("team_name"),
            pending.c.links,
        )
        .select_from(
            u.outerjoin(t, t.c.id == u.c.team_id).outerjoin(
                pending, pending.c.user_id == u.c.id
            )
        )
        .order_by(u.c.is_active.desc(), u.c.name, u.c.id)
    )
    if user_id is not None:
        query = query.where(u.c.id == user_id)
    rows = connection.execute(query).mappings()
    return [{**row, "status": status(row)} for row in rows]


def status(row: Any) -> str:
    """``active``, ``invited``, ``no_login`` or ``deactivated``."""
    if not row["is_active"]:
        return "deactivated"
    if row["can_login"] and row["has_password"]:
        return "active"
    return "invited" if row["links"] else "no_login"


@users_pages.route("/admin/users")
def users() -> str:
    """All users, active ones first, with what an administrator can do to each."""
    actor = admin()
    with host().db.connect() as connection:
        listed = user_list(connection)
        roles = dict(role_choices(connection))
    return render_template(
        "crm/users/list.html", users=listed, me=actor.id, roles=roles
    )


@users_pages.route("/admin/users/invite", methods=["GET", "POST"])
def invite() -> Any:
    """Invite someone by e-mail, with a role and a team."""
    actor = admin()
    values = {
        "email": "",
        "name": "",
        "role": "agent",
        "team_id": "",
        "language": current_locale(),
    }
    if request.method == "GET":
        return _invite_form(values, {})
    values.update({key: request.form.get(key, "").strip() for key in values})
    data = {**values, "team_id": _int_or_none(values["team_id"])}
    try:
        with host().db.transaction() as connection:
            invitation = accounts.invite(connection, actor, secret_key(), data)
            send_invitation(connection, actor, invitation)
    except InvalidInput as error:
        return _invite_form(values, error.errors), 400
    flash(
        gettext("An invitation was sent to %(email)s.", email=invitation.user["email"]),
        "success",
    )
    return redirect(url_for("users_pages.users"))


def _invite_form(values: dict[str, Any], errors: dict[str, Any]) -> str:
    with host().db.connect() as connection:
        roles, teams = role_choices(connection), team_choices(connection)
    return render_template(
        "crm/users/invite.html",
        values=values,
        errors=errors,
        conflict={},
        roles=roles,
        teams=[(str(i), name) for i, name in teams],
        languages=list(LANGUAGES.items()),
    )


def _int_or_none(text: str) -> int | None:
    return int(text) if text.isdigit() else None


@users_pages.route("/admin/users/<int:user_id>/invite", methods=["POST"])
def invite_again(user_id: int) -> Response:
    """Send a new invitation (to an agent imported without a login, say)."""
    actor = admin()
    try:
        with host().db.transaction() as connection:
            invitation = accounts.invite_again(connection, actor, secret_key(), user_id)
            send_invitation(connection, actor, invitation)
    except NotFound:
        abort(404, gettext("There is no such user."))
    except InvalidInput as error:
        flash(" ".join(str(m) for ms in error.errors.values() for m in ms), "error")
        return redirect(url_for("users_pages.users"))
    flash(
        gettext("An invitation was sent to %(email)s.", email=invitation.user["email"]),
        "success",
    )
    return redirect(url_for("users_pages.users"))


@users_pages.route("/admin/users/<int:user_id>/deactivate", methods=["GET", "POST"])
def deactivate(user_id: int) -> Any:
    """Deactivate a user, choosing who takes over their records."""
    actor = admin()
    with host().db.connect() as connection:
        try:
            leaving = accounts.user_row(connection, user_id)
        except NotFound:
            abort(404, gettext("There is no such user."))
        owned = _owned_customers(connection, user_id)
        colleagues = active_colleagues(connection, but=user_id)
    chosen = request.form.get("hand_to", "")
    context = {
        "leaving": leaving,
        "owned": owned,
        "colleagues": [(str(i), label) for i, label in colleagues],
        "values": {"hand_to": chosen},
        "errors": {},
        "conflict": {},
    }
    if request.method == "GET":
        return render_template("crm/users/deactivate.html", **context)
    try:
        with host().db.transaction() as connection:
            moved = handover.deactivate(
                host(), connection, actor, user_id, _int_or_none(chosen)
            )
    except InvalidInput as error:
        context["errors"] = error.errors
        return render_template("crm/users/deactivate.html", **context), 400
    flash(
        gettext(
            "%(name)s is deactivated; %(count)d customers were handed over.",
            name=leaving["name"],
            count=moved.get("customer", 0),
        ),
        "success",
    )
    return redirect(url_for("users_pages.users"))


def _owned_customers(connection: Connection, user_id: int) -> int:
    c = schema.customer
    return int(
        connection.execute(
            select(func.count()).where(
                c.c.owner_id == user_id, c.c.deleted_at.is_(None)
            )
        ).scalar_one()
    )
