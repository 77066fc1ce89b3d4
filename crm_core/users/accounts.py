"""Accounts: inviting people, accepting invitations, resetting passwords, profiles.

An invited person gets a user row at once (``can_login`` false, no
password), so they can own records before they first sign in; an agent
imported without a login is invited the same way. Accepting the invitation
sets the password and allows sign-in. A password reset also ends every
other session of the account, by moving its session epoch.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs
from sqlalchemy import Connection, func, select

from .. import audit
from ..contactpoints import ContactPointError, normalise_email
from ..customers import InvalidInput, NotFound
from ..i18n import LANGUAGES, gettext, supported_locale
from ..security import SYSTEM, Actor, hash_password, load_actor
from ..storage import schema
from ..storage.database import new_id
from ..storage.types import utcnow
from . import links

u = schema.user
PASSWORD_MIN = 10
PASSWORD_MAX = 1000


@attrs.frozen
class Invitation:
    """An invited user and the token of their link (sent, never stored)."""

    user: dict[str, Any]
    token: str


def user_row(connection: Connection, user_id: int) -> dict[str, Any]:
    """One user's row without the password hash, or :class:`NotFound`."""
    row = connection.execute(select(u).where(u.c.id == user_id)).mappings().first()
    if row is None:
        raise NotFound(f"user {user_id} not found")
    return {k: v for k, v in row.items() if k != "password_hash"} | {
        "has_password": row["password_hash"] is not None
    }


def invite(
    connection: Connection,
    actor: Actor,
    secret_key: str | bytes,
    data: Mapping[str, Any],
) -> Invitation:
    """Invite ``data["email"]`` with a role and team; a no-login user is reused."""
    actor.require("admin.users")
    values = _invitation_values(connection, data)
    existing = (
        connection.execute(select(u).where(func.lower(u.c.email) == values["email"]))
        .mappings()
        .first()
    )
    if existing is None:
        user_id = _new_user(connection, actor, values)
    else:
        user_id = _reuse(connection, actor, existing, values)
    token = links.issue(connection, secret_key, links.INVITATION, user_id, actor.id)
    return Invitation(user_row(connection, user_id), token)


def invite_again(
    connection: Connection, actor: Actor, secret_key: str | bytes, user_id: int
) -> Invitation:
    """A new invitation for a user who cannot sign in yet (an imported agent)."""
    actor.require("admin.users")
    row = user_row(connection, user_id)
    if not row["is_active"]:
        raise InvalidInput({"user": [gettext("This user is deactivated.")]})
    if row["can_login"] and row["has_password"]:
        raise InvalidInput({"user": [gettext("This user can already sign in.")]})
    token = links.issue(connection, secret_key, links.INVITATION, user_id, actor.id)
    return Invitation(row, token)


def _invitation_values(
    connection: Connection, data: Mapping[str, Any]
) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    try:
        email = normalise_email(str(data.get("email") or ""))
    except ContactPointError:
        errors["email"] = [gettext("Enter a valid e-mail address.")]
        email = ""
    name = str(data.get("name") or "").strip()
    if not name or len(name) > 200:
        errors["name"] = [gettext("Enter a name of up to 200 characters.")]
    role = str(data.get("role") or "")
    roles = {r for (r,) in connection.execute(select(schema.role.c.name))}
    if role not in roles:
        errors["role"] = [gettext("Choose one of the roles offered.")]
    team_id = data.get("team_id")
    if team_id is not None and not _team_exists(connection, team_id):
        errors["team_id"] = [gettext("Choose one of the teams offered.")]
    language = supported_locale(data.get("language") or "en")
    if language is None:
        errors["language"] = [gettext("Choose one of the languages offered.")]
    if errors:
        raise InvalidInput(errors)
    return {
        "email": email,
        "name": name,
        "role": role,
        "team_id": team_id,
        "language": language,
    }


def _team_exists(connection: Connection, team_id: Any) -> bool:
    if not isinstance(team_id, int):
        return False
    t = schema.team
    return (
        connection.execute(select(t.c.id).where(t.c.id == team_id)).first() is not None
    )


def _new_user(connection: Connection, actor: Actor, values: dict[str, Any]) -> int:
    now = utcnow()
    user_id = new_id(
        connection.execute(
            u.insert().values(
                **values,
                can_login=False,
                password_hash=None,
                created_at=now,
                updated_at=now,
            )
        )
    )
    audit.record(connection, actor, "user", user_id, "invite", audit.diff({}, values))
    return user_id


def _reuse(
    connection: Connection,
    actor: Actor,
    existing: Mapping[Any, Any],
    values: dict[str, Any],
) -> int:
    if not existing["is_active"]:
        raise InvalidInput({"email": [gettext("This user is deactivated.")]})
    if existing["can_login"] and existing["password_hash"]:
        raise InvalidInput(
            {
                "email": [
                    gettext("Someone with this e-mail address can already sign in.")
                ]
            }
        )
    change = {k: values[k] for k in ("role", "team_id", "language")}
    before = {k: existing[k] for k in change}
    connection.execute(
        u.update().where(u.c.id == existing["id"]).values(**change, updated_at=utcnow())
    )
    audit.record(
        connection, actor, "user", existing["id"], "invite", audit.diff(before, change)
    )
    return int(existing["id"])


def password_errors(password: str, again: str) -> dict[str, list[str]]:
    """What is wrong with a new password and its repetition, by form field."""
    if len(password) < PASSWORD_MIN:
        message = gettext("Use at least %(count)d characters.", count=PASSWORD_MIN)
        return {"password": [message]}
    if len(password) > PASSWORD_MAX:
        return {"password": [gettext("That password is too long.")]}
    if password != again:
        return {"password_again": [gettext("The two passwords differ.")]}
    return {}


def accept_invitation(
    connection: Connection,
    secret_key: str | bytes,
    token: str,
    password: str,
    again: str,
) -> tuple[int, int]:
    """Set the invited user's password; returns the user id and session epoch."""
    errors = password_errors(password, again)
    if errors:
        raise InvalidInput(errors)
    holder = links.use(connection, secret_key, links.INVITATION, token)
    row = user_row(connection, holder.user_id)
    connection.execute(
        u.update()
        .where(u.c.id == holder.user_id)
        .values(
            password_hash=hash_password(password), can_login=True, updated_at=utcnow()
        )
    )
    who = load_actor(connection, holder.user_id) or SYSTEM
    audit.record(
        connection,
        who,
        "user",
        holder.user_id,
        "update",
        {"can_login": [row["can_login"], True]},
    )
    return holder.user_id, int(row["session_epoch"])


def request_reset(
    connection: Connection, secret_key: str | bytes, email: str
) -> tuple[dict[str, Any], str] | None:
    """A reset link for the account that can sign in with ``email``, if there is one."""
    try:
        address = normalise_email(email)
    except ContactPointError:
        return None
    row = (
        connection.execute(
            select(u.c.id).where(
                func.lower(u.c.email) == address,
                u.c.is_active.is_(True),
                u.c.can_login.is_(True),
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        return None
    token = links.issue(connection, secret_key, links.RESET, row["id"], None)
    return user_row(connection, row["id"]), token


def reset_password(
    connection: Connection,
    secret_key: str | bytes,
    token: str,
    password: str,
    again: str,
) -> tuple[int, int]:
    """Set a new password through a reset link; other sessions end."""
    errors = password_errors(password, again)
    if errors:
        raise InvalidInput(errors)
    holder = links.use(connection, secret_key, links.RESET, token)
    epoch = int(user_row(connection, holder.user_id)["session_epoch"]) + 1
    connection.execute(
        u.update()
        .where(u.c.id == holder.user_id)
        .values(
            password_hash=hash_password(password),
            session_epoch=epoch,
            updated_at=utcnow(),
        )
    )
    links.withdraw(connection, holder.user_id, links.RESET)
    who = load_actor(connection, holder.user_id) or SYSTEM
    audit.record(
        connection, who, "user", holder.user_id, "update", {"password": ["", "reset"]}
    )
    return holder.user_id, epoch


def update_profile(
    connection: Connection, actor: Actor, data: Mapping[str, Any]
) -> dict[str, Any]:
    """Change the acting user's language and time zone."""
    if actor.id is None:
        raise NotFound("the system has no profile")
    change: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    if "language" in data:
        change["language"] = supported_locale(data["language"])
        if change["language"] is None:
            offered = ", ".join(LANGUAGES)
            errors["language"] = [
                gettext("Choose one of: %(offered)s.", offered=offered)
            ]
    if "timezone" in data:
        change["timezone"] = str(data["timezone"] or "")
        if not valid_zone(change["timezone"]):
            errors["timezone"] = [gettext("Choose a time zone such as Asia/Shanghai.")]
    if errors:
        raise InvalidInput(errors)
    before = user_row(connection, actor.id)
    changes = audit.diff({k: before[k] for k in change}, change)
    if changes:
        connection.execute(
            u.update().where(u.c.id == actor.id).values(**change, updated_at=utcnow())
        )
        audit.record(connection, actor, "user", actor.id, "update", changes)
    return user_row(connection, actor.id)


def valid_zone(name: str) -> bool:
    """Whether ``name`` is an IANA time zone."""
    if not name or name != name.strip():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True
