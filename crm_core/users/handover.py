"""Deactivating a user and handing their open records to a colleague.

Everything happens in the caller's transaction: the account is marked
inactive and its session epoch moves (every open session ends on its next
request), its API tokens and unused links are revoked, its live customers
move to the chosen colleague, and every plugin moves its own records
through the ``crm_reassign_owner`` hook. Each moved record gets an audit
entry. A plugin that fails rolls the whole deactivation back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs
from sqlalchemy import Connection, select

from .. import audit
from ..customers import CustomerUpdated, InvalidInput, NotFound
from ..events import Event, event_type
from ..i18n import gettext
from ..storage import schema
from ..storage.types import utcnow
from . import links

if TYPE_CHECKING:
    from ..host import Host
    from ..security import Actor

u = schema.user
c = schema.customer


@attrs.frozen
class Handover:
    """Records a plugin moved to the new owner: their record type and ids."""

    record_type: str
    ids: tuple[Any, ...] = attrs.field(converter=tuple)


@event_type("user.deactivated")
class UserDeactivated(Event):
    """A user was deactivated and their records handed to ``handed_to``."""

    user_id: int
    handed_to: int
    moved: dict[str, int]


def deactivate(
    host: Host, connection: Connection, actor: Actor, user_id: int, hand_to: Any
) -> dict[str, int]:
    """Deactivate ``user_id``; returns how many records of each type moved."""
    actor.require("admin.users")
    leaving = _locked(connection, user_id)
    colleague = _colleague(connection, leaving, hand_to, actor)
    _close_account(connection, leaving)
    moved = {"customer": _move_customers(host, connection, actor, user_id, colleague)}
    found = host.plugins.collect(
        "crm_reassign_owner",
        connection=connection,
        from_user_id=user_id,
        to_user_id=colleague["id"],
    )
    for contribution in found:
        handover = _handover(contribution.value, contribution.plugin)
        _audit_moves(connection, actor, handover, user_id, colleague["id"])
        moved[handover.record_type] = moved.get(handover.record_type, 0) + len(
            handover.ids
        )
    audit.record(
        connection,
        actor,
        "user",
        user_id,
        "deactivate",
        {"is_active": [True, False], "handed_to": [None, colleague["id"]]},
    )
    host.events.publish(
        connection,
        UserDeactivated(user_id=user_id, handed_to=colleague["id"], moved=moved),
    )
    return moved


def _locked(connection: Connection, user_id: int) -> dict[str, Any]:
    query = select(u).where(u.c.id == user_id)
    if connection.dialect.name == "postgresql":
        query = query.with_for_update()
    row = connection.execute(query).mappings().first()
    if row is None:
        raise NotFound(f"user {user_id} not found")
    if not row["is_active"]:
        raise InvalidInput({"user": [gettext("This user is deactivated already.")]})
    return dict(row)


def _colleague(
    connection: Connection, leaving: dict[str, Any], hand_to: Any, actor: Actor
) -> dict[str, Any]:
    if leaving["id"] == actor.id:
        raise InvalidInput({"user": [gettext("You cannot deactivate yourself.")]})
    if not isinstance(hand_to, int) or hand_to == leaving["id"]:
        raise InvalidInput(
            {"hand_to": [gettext("Choose the colleague who takes over the records.")]}
        )
    row = (
        connection.execute(
            select(u.c.id, u.c.team_id, u.c.is_active).where(u.c.id == hand_to)
        )
        .mappings()
        .first()
    )
    if row is None or not row["is_active"]:
        raise InvalidInput(
            {"hand_to": [gettext("The colleague must be an active user.")]}
        )
    return dict(row)


def _close_account(connection: Connection, leaving: dict[str, Any]) -> None:
    now = utcnow()
    connection.execute(
        u.update()
        .where(u.c.id == leaving["id"])
        .values(
            is_active=False,
            session_epoch=leaving["session_epoch"] + 1,
            updated_at=now,
        )
    )
    t = schema.api_token
    connection.execute(
        t.update()
        .where(t.c.user_id == leaving["id"], t.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    links.withdraw(connection, leaving["id"])


def _move_customers(
    host: Host,
    connection: Connection,
    actor: Actor,
    user_id: int,
    colleague: dict[str, Any],
) -> int:
    rows = connection.execute(
        select(c.c.id, c.c.team_id).where(
            c.c.owner_id == user_id, c.c.deleted_at.is_(None)
        )
    ).all()
    if not rows:
        return 0
    new_team = colleague["team_id"]
    connection.execute(
        c.update()
        .where(c.c.id.in_([row.id for row in rows]))
        .values(
            owner_id=colleague["id"],
            team_id=new_team,
            version=c.c.version + 1,
            updated_at=utcnow(),
        )
    )
    entries = []
    for row in rows:
        changes: dict[str, Any] = {"owner_id": [user_id, colleague["id"]]}
        if row.team_id != new_team:
            changes["team_id"] = [row.team_id, new_team]
        entries.append((row.id, "update", changes))
    audit.record_many(connection, actor, "customer", entries)
    host.events.publish_many(
        connection,
        [
            CustomerUpdated(customer_id=int(row.id), fields=sorted(changes))
            for row, (_id, _action, changes) in zip(rows, entries, strict=True)
        ],
    )
    return len(rows)


def _handover(value: Any, plugin: str) -> Handover:
    if isinstance(value, Handover):
        return value
    raise TypeError(
        f"plugin {plugin!r} answered crm_reassign_owner with {value!r}; "
        "return Handover(record_type, ids) objects"
    )


def _audit_moves(
    connection: Connection,
    actor: Actor,
    handover: Handover,
    from_user_id: int,
    to_user_id: int,
) -> None:
    change = {"owner_id": [from_user_id, to_user_id]}
    audit.record_many(
        connection,
        actor,
        handover.record_type,
        [(record_id, "update", change) for record_id in handover.ids],
    )
