"""Signed, expiring, single-use links: invitations and password resets.

A link carries the id of its row in ``core_users_link``, signed with the
installation's secret key (itsdangerous) for its purpose, so a link cannot
be forged, altered, or used for the other purpose. The row says whether it
was used, and when it expires; using it marks it in the same transaction
that sets the password, with a conditional update, so two tabs racing with
one link cannot both succeed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import attrs
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import Connection, select

from ..i18n import gettext
from ..storage import schema
from ..storage.database import new_id
from ..storage.types import utcnow
from .tables import link

INVITATION = "invitation"
RESET = "reset"

#: How long each kind of link stays usable.
LIFETIMES: Mapping[str, timedelta] = {
    INVITATION: timedelta(days=7),
    RESET: timedelta(hours=2),
}


class LinkInvalid(ValueError):
    """The link is unknown, altered, expired, already used or withdrawn."""


@attrs.frozen
class LinkHolder:
    """The user a valid link is for."""

    link_id: int
    user_id: int
    email: str
    name: str
    language: str


def _serializer(secret_key: str | bytes, purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=f"crm.users.{purpose}")


def issue(
    connection: Connection,
    secret_key: str | bytes,
    purpose: str,
    user_id: int,
    created_by: int | None,
) -> str:
    """A new link for ``user_id``; earlier unused links of ``purpose`` stop working."""
    now = utcnow()
    withdraw(connection, user_id, purpose)
    link_id = new_id(
        connection.execute(
            link.insert().values(
                user_id=user_id,
                purpose=purpose,
                created_at=now,
                expires_at=now + LIFETIMES[purpose],
                created_by=created_by,
            )
        )
    )
    return str(_serializer(secret_key, purpose).dumps(link_id))


def withdraw(connection: Connection, user_id: int, purpose: str | None = None) -> None:
    """Make every unused link of ``user_id`` (of ``purpose``, or any) unusable."""
    query = link.update().where(link.c.user_id == user_id, link.c.used_at.is_(None))
    if purpose is not None:
        query = query.where(link.c.purpose == purpose)
    connection.execute(query.values(used_at=utcnow()))


def check(
    connection: Connection, secret_key: str | bytes, purpose: str, token: str
) -> LinkHolder:
    """The holder of a usable link, or :class:`LinkInvalid`; nothing is changed."""
    link_id = _link_id(secret_key, purpose, token)
    u = schema.user
    row = (
        connection.execute(
            select(link, u.c.email, u.c.name, u.c.language, u.c.is_active)
            .select_from(link.join(u, u.c.id == link.c.user_id))
            .where(link.c.id == link_id, link.c.purpose == purpose)
        )
        .mappings()
        .first()
    )
    if row is None or row["used_at"] is not None or not row["is_active"]:
        raise LinkInvalid(gettext("This link has already been used or was withdrawn."))
    if row["expires_at"] <= utcnow():
        raise LinkInvalid(gettext("This link has expired."))
    return LinkHolder(
        link_id, row["user_id"], row["email"], row["name"], row["language"]
    )


def use(
    connection: Connection, secret_key: str | bytes, purpose: str, token: str
) -> LinkHolder:
    """Check the link and mark it used, in the caller's transaction."""
    holder = check(connection, secret_key, purpose, token)
    marked = connection.execute(
        link.update()
        .where(link.c.id == holder.link_id, link.c.used_at.is_(None))
        .values(used_at=utcnow())
    )
    if marked.rowcount != 1:
        raise LinkInvalid(gettext("This link has already been used."))
    return holder


def _link_id(secret_key: str | bytes, purpose: str, token: str) -> int:
    max_age = int(LIFETIMES[purpose].total_seconds())
    try:
        found: Any = _serializer(secret_key, purpose).loads(token, max_age=max_age)
    except BadSignature:
        raise LinkInvalid(gettext("This link is not valid or has expired.")) from None
    if not isinstance(found, int):
        raise LinkInvalid(gettext("This link is not valid."))
    return found
