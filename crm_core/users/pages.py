"""The users service's page blueprints and what their views share.

``users_pages`` holds the signed-in pages (the administrators' user list,
the invitation and deactivation forms, one's own account); ``users_public``
the pages reached from e-mailed links and the sign-in page (accepting an
invitation, asking for and choosing a new password).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from flask import Blueprint, abort, current_app, url_for
from sqlalchemy import Connection, select

from ..auth import current_actor
from ..i18n import (
    DEFAULT_LOCALE,
    format_moment,
    gettext,
    lazy_gettext,
    supported_locale,
)
from ..security import Actor
from ..storage import schema
from ..storage.types import utcnow
from ..web.shell import host
from . import links, mailing
from .accounts import Invitation

users_pages = Blueprint("users_pages", __name__, template_folder="templates")
users_public = Blueprint("users_public", __name__, template_folder="templates")


def secret_key() -> str | bytes:
    """The key links are signed with: the app's secret key."""
    key: str | bytes = current_app.secret_key or ""
    return key


def admin() -> Actor:
    """The acting user, who must hold ``admin.users``."""
    actor = current_actor()
    if not actor.can("admin.users"):
        abort(
            403,
            gettext(
                "Your role does not allow this (it needs '%(permission)s').",
                permission="admin.users",
            ),
        )
    return actor


def active_colleagues(connection: Connection, but: int | None = None) -> list[Any]:
    """Active users by name, as (id, "name <e-mail>") choices."""
    u = schema.user
    query = select(u.c.id, u.c.name, u.c.email).where(u.c.is_active.is_(True))
    if but is not None:
        query = query.where(u.c.id != but)
    rows = connection.execute(query.order_by(u.c.name, u.c.id)).all()
    return [(row.id, f"{row.name} <{row.email}>") for row in rows]


#: The built-in roles' names in the reader's language.
ROLE_LABELS = {
    "admin": lazy_gettext("Administrator"),
    "manager": lazy_gettext("Manager"),
    "agent": lazy_gettext("Agent"),
    "viewer": lazy_gettext("Viewer"),
}


def role_choices(connection: Connection) -> list[tuple[str, str]]:
    """Every role as (name, label), built-in ones in the reader's language."""
    r = schema.role
    rows = connection.execute(select(r.c.name, r.c.label).order_by(r.c.name)).all()
    return [(row.name, str(ROLE_LABELS.get(row.name, row.label))) for row in rows]


def team_choices(connection: Connection) -> list[tuple[int, str]]:
    t = schema.team
    rows = connection.execute(select(t.c.id, t.c.name).order_by(t.c.name)).all()
    return [(row.id, row.name) for row in rows]


def _expiry(purpose: str, issued: datetime, zone: Any, locale: str) -> str:
    return format_moment(issued + links.LIFETIMES[purpose], zone, locale) + " UTC"


def send_invitation(
    connection: Connection, inviter: Actor, invitation: Invitation
) -> None:
    """E-mail the invitation link to the invited user, in their language."""
    user = invitation.user
    locale = supported_locale(user["language"]) or DEFAULT_LOCALE
    link = url_for(
        "users_public.accept_invitation", token=invitation.token, _external=True
    )
    values = {
        "name": user["name"],
        "inviter": inviter.user.name if inviter.user else "Strata CRM",
        "link": link,
        "expires": _expiry(links.INVITATION, utcnow(), None, locale),
    }
    mailing.send_notice(
        host(),
        connection,
        mailing.INVITATION,
        locale=locale,
        values=values,
        to_address=user["email"],
    )


def send_reset(connection: Connection, user: Mapping[str, Any], token: str) -> None:
    """E-mail a password-reset link to ``user``, in their language."""
    locale = supported_locale(user["language"]) or DEFAULT_LOCALE
    link = url_for("users_public.reset_password", token=token, _external=True)
    values = {
        "name": user["name"],
        "link": link,
        "expires": _expiry(links.RESET, utcnow(), None, locale),
    }
    mailing.send_notice(
        host(),
        connection,
        mailing.PASSWORD_RESET,
        locale=locale,
        values=values,
        to_address=user["email"],
    )
