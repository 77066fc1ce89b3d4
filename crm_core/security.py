"""Who may do what: roles, record scope, passwords and API tokens.

Scope is applied where records are read and written (see
:func:`scope_clause`), so every route, export, search and job gets the same
answer to "may this person see this record?".
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import attrs
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import (
    ColumnElement,
    Connection,
    Table,
    bindparam,
    false,
    or_,
    select,
    true,
)

from .contributions import Permission
from .entities import Role, Scope, User
from .storage import schema
from .storage.types import utcnow

BUILTIN_ROLES = {
    "admin": "Administrator",
    "manager": "Manager",
    "agent": "Agent",
    "viewer": "Viewer",
}

_hasher = PasswordHasher()


class PermissionDenied(PermissionError):
    """The acting user lacks a permission; the message names it."""


@attrs.frozen
class Actor:
    """The user on whose behalf something runs, with what their role allows.

    ``teams`` holds the user's team and every team nested below it, which is
    what the ``team`` scope reaches.
    """

    user: User | None
    role: Role
    teams: frozenset[int] = frozenset()
    session_epoch: int = 0

    @property
    def id(self) -> int | None:
        return self.user.id if self.user else None

    @property
    def label(self) -> str:
        return f"user {self.user.id}" if self.user else "system"

    def scope(self, permission: str) -> Scope | None:
        return self.role.scope_for(permission)

    def can(self, permission: str) -> bool:
        return self.scope(permission) is not None

    def require(self, permission: str) -> Scope:
        scope = self.scope(permission)
        if scope is None:
            raise PermissionDenied(
                f"permission {permission!r} is needed; role {self.role.name!r} lacks it"
            )
        return scope


SYSTEM = Actor(user=None, role=Role("system", "System", {"*": "all"}))


def scope_clause(actor: Actor, permission: str, table: Table) -> ColumnElement[bool]:
    """A WHERE clause limiting ``table`` (with owner_id, team_id) to what ``actor`` may reach."""
    scope = actor.scope(permission)
    if scope is None:
        return false()
    if scope is Scope.ALL:
        return true()
    own = table.c.owner_id == actor.id
    if scope is Scope.OWN or not actor.teams:
        return own
    return or_(own, table.c.team_id.in_(sorted(actor.teams)))


def in_scope(actor: Actor, permission: str, record: Mapping[Any, Any]) -> bool:
    """Whether one loaded record (with owner_id, team_id) is within ``actor``'s scope."""
    scope = actor.scope(permission)
    if scope is None:
        return False
    if scope is Scope.ALL:
        return True
    if record.get("owner_id") == actor.id and actor.id is not None:
        return True
    return scope is Scope.TEAM and record.get("team_id") in actor.teams


def role_grants(permissions: Iterable[Permission]) -> dict[str, dict[str, str]]:
    """The built-in roles' grants, assembled from what plugins declare."""
    grants: dict[str, dict[str, str]] = {name: {} for name in BUILTIN_ROLES}
    grants["admin"]["*"] = "all"
    for permission in permissions:
        for role_name, scope in permission.defaults.items():
            Scope(scope)  # refuses a misspelt scope where the plugin declared it
            grants.setdefault(role_name, {})[permission.name] = scope
    return grants


def team_subtree(connection: Connection, team_id: int | None) -> frozenset[int]:
    """``team_id`` and every team nested below it."""
    if team_id is None:
        return frozenset()
    rows = connection.execute(select(schema.team.c.id, schema.team.c.parent_id)).all()
    children: dict[int | None, list[int]] = {}
    for child, parent in rows:
        children.setdefault(parent, []).append(child)
    found, todo = {team_id}, [team_id]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return frozenset(found)


def load_user(row: Mapping[Any, Any]) -> User:
    return User(
        id=row["id"],
        email=row["email"],
        name=row["name"],
        role=row["role"],
        team_id=row["team_id"],
        is_active=bool(row["is_active"]),
        timezone=row["timezone"],
        language=row["language"],
    )


def _actor_query() -> Any:
    u, r = schema.user, schema.role
    return select(
        u, r.c.label.label("role_label"), r.c.grants.label("role_grants")
    ).join(r, r.c.name == u.c.role)


def _actor(connection: Connection, row: Mapping[Any, Any] | None) -> Actor | None:
    if row is None or not row["is_active"]:
        return None
    role = Role(row["role"], row["role_label"], row["role_grants"])
    # The team subtree costs a query; only roles with a team-wide grant need it.
    needs_teams = any(scope == Scope.TEAM.value for scope in role.grants.values())
    teams = team_subtree(connection, row["team_id"]) if needs_teams else frozenset()
    return Actor(load_user(row), role, teams, int(row["session_epoch"]))


# Built once: every request runs one of these, and building the expression
# costs more than executing the cached compiled statement.
_BY_USER = _actor_query().where(schema.user.c.id == bindparam("user_id"))
_BY_TOKEN = (
    _actor_query()
    .add_columns(schema.api_token.c.expires_at.label("token_expires_at"))
    .join(schema.api_token, schema.api_token.c.user_id == schema.user.c.id)
    .where(
        schema.api_token.c.digest == bindparam("digest"),
        schema.api_token.c.revoked_at.is_(None),
    )
)


def load_actor(connection: Connection, user_id: int) -> Actor | None:
    """The actor for an active user, or ``None`` when unknown or deactivated."""
    row = connection.execute(_BY_USER, {"user_id": user_id}).mappings().first()
    return _actor(connection, row)


def actor_for_token(connection: Connection, token: str) -> Actor | None:
    """The actor of a valid, unrevoked, unexpired API token, in one query."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    parameters = {"digest": token_digest(token)}
    row = connection.execute(_BY_TOKEN, parameters).mappings().first()
    if row is not None and row["token_expires_at"] is not None:
        if row["token_expires_at"] <= utcnow():
            return None
    return _actor(connection, row)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(stored_hash: str | None, password: str) -> bool:
    if not stored_hash:
        return False
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


TOKEN_PREFIX = "crm_"


def token_digest(token: str) -> bytes:
    """The stored form of an API token: a SHA-256 digest, looked up by index.

    Tokens carry 256 random bits, so a fast digest is safe here; a password
    hash per request would only slow every call down.
    """
    return hashlib.sha256(token.encode("utf-8")).digest()


def issue_token(
    connection: Connection, user_id: int, name: str, expires_at: datetime | None = None
) -> str:
    """Create an API token for ``user_id``; the plain token is returned once."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    connection.execute(
        schema.api_token.insert().values(
            user_id=user_id,
            name=name,
            digest=token_digest(token),
            created_at=utcnow(),
            expires_at=expires_at,
        )
    )
    return token


def user_id_for_token(connection: Connection, token: str) -> int | None:
    """The user a valid, unrevoked, unexpired token belongs to."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    t = schema.api_token
    row = connection.execute(
        select(t.c.user_id, t.c.expires_at, t.c.revoked_at).where(
            t.c.digest == token_digest(token)
        )
    ).first()
    if row is None or row.revoked_at is not None:
        return None
    if row.expires_at is not None and row.expires_at <= utcnow():
        return None
    return int(row.user_id)
