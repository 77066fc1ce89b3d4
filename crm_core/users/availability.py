"""Who is at work: absences by date, and the available people of a team.

An absence covers whole days, both ends included, in the user's own time
zone: someone in Shanghai away on 1 May is away from 1 May 00:00 to 23:59
Shanghai time. Assignment rules ask :func:`available_users` for the people
of a team they may give work to at a moment.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Connection, select

from ..customers import InvalidInput, NotFound
from ..i18n import gettext
from ..security import Actor, PermissionDenied, team_subtree
from ..storage import schema
from ..storage.database import new_id
from ..storage.types import utcnow
from .tables import absence

u = schema.user
#: The longest absence one entry may cover.
LONGEST = timedelta(days=366)


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_day(moment: datetime, zone_name: str | None) -> date:
    """The date ``moment`` falls on in the zone ``zone_name``."""
    if moment.tzinfo is None:
        raise ValueError("the moment needs a time zone")
    return moment.astimezone(_zone(zone_name)).date()


def _absent_users(connection: Connection, user_ids: list[int], around: date) -> Any:
    """Absences of ``user_ids`` that may cover ``around`` in some time zone."""
    return connection.execute(
        select(absence.c.user_id, absence.c.starts_on, absence.c.ends_on).where(
            absence.c.user_id.in_(user_ids),
            absence.c.starts_on <= around + timedelta(days=1),
            absence.c.ends_on >= around - timedelta(days=1),
        )
    ).all()


def _available(
    connection: Connection, users: Sequence[Mapping[Any, Any]], moment: datetime
) -> list[int]:
    if not users:
        return []
    around = moment.astimezone(ZoneInfo("UTC")).date()
    away: dict[int, list[tuple[date, date]]] = {}
    for row in _absent_users(connection, [int(r["id"]) for r in users], around):
        away.setdefault(int(row.user_id), []).append((row.starts_on, row.ends_on))
    found = []
    for user in users:
        day = local_day(moment, user["timezone"])
        spans = away.get(int(user["id"]), [])
        if not any(start <= day <= end for start, end in spans):
            found.append(int(user["id"]))
    return found


def is_available(connection: Connection, user_id: int, moment: datetime) -> bool:
    """Whether ``user_id`` is an active user who is not absent at ``moment``."""
    row = (
        connection.execute(
            select(u.c.id, u.c.timezone).where(
                u.c.id == user_id, u.c.is_active.is_(True)
            )
        )
        .mappings()
        .first()
    )
    return row is not None and _available(connection, [row], moment) == [user_id]


def available_users(
    connection: Connection,
    team_id: int,
    moment: datetime,
    *,
    nested: bool = True,
) -> list[int]:
    """Ids of the active users of ``team_id`` who can sign in and are not away.

    With ``nested`` the teams below ``team_id`` count too. The ids are in
    ascending order, so a round-robin rule gets a stable order.
    """
    teams = team_subtree(connection, team_id) if nested else frozenset({team_id})
    rows = (
        connection.execute(
            select(u.c.id, u.c.timezone)
            .where(
                u.c.team_id.in_(sorted(teams)),
                u.c.is_active.is_(True),
                u.c.can_login.is_(True),
            )
            .order_by(u.c.id)
        )
        .mappings()
        .all()
    )
    return _available(connection, rows, moment)


def _may_manage(actor: Actor, user_id: int) -> None:
    if actor.id != user_id and not actor.can("admin.users"):
        raise PermissionDenied(
            "permission 'admin.users' is needed to change another user's absences"
        )


def absences(
    connection: Connection, user_id: int, since: date | None = None
) -> list[dict[str, Any]]:
    """``user_id``'s absences that end on or after ``since``, soonest first."""
    query = select(absence).where(absence.c.user_id == user_id)
    if since is not None:
        query = query.where(absence.c.ends_on >= since)
    rows = connection.execute(query.order_by(absence.c.starts_on, absence.c.id))
    return [dict(row) for row in rows.mappings()]


def add_absence(
    connection: Connection, actor: Actor, user_id: int, data: Mapping[str, Any]
) -> dict[str, Any]:
    """Record days ``user_id`` is away (``starts_on``, ``ends_on``, ``note``)."""
    _may_manage(actor, user_id)
    starts, ends, note = _absence_values(data)
    exists = connection.execute(select(u.c.id).where(u.c.id == user_id)).first()
    if exists is None:
        raise NotFound(f"user {user_id} not found")
    absence_id = new_id(
        connection.execute(
            absence.insert().values(
                user_id=user_id,
                starts_on=starts,
                ends_on=ends,
                note=note,
                created_at=utcnow(),
                created_by=actor.id,
            )
        )
    )
    row = connection.execute(select(absence).where(absence.c.id == absence_id))
    return dict(row.mappings().one())


def _absence_values(data: Mapping[str, Any]) -> tuple[date, date, str | None]:
    errors: dict[str, list[str]] = {}
    starts = _day(data.get("starts_on"), "starts_on", errors)
    ends = _day(data.get("ends_on"), "ends_on", errors)
    note = str(data.get("note") or "").strip() or None
    if note is not None and len(note) > 200:
        errors["note"] = [gettext("Keep the note under 200 characters.")]
    if starts and ends and ends < starts:
        errors["ends_on"] = [gettext("The last day cannot be before the first.")]
    elif starts and ends and ends - starts > LONGEST:
        errors["ends_on"] = [gettext("One absence may cover a year at most.")]
    if errors or starts is None or ends is None:
        raise InvalidInput(errors)
    return starts, ends, note


def _day(raw: Any, key: str, errors: dict[str, list[str]]) -> date | None:
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw or "").strip())
    except ValueError:
        errors[key] = [gettext("Enter a date such as 2025-05-01.")]
        return None


def remove_absence(connection: Connection, actor: Actor, absence_id: int) -> None:
    """Delete one absence (its user's own, or any with ``admin.users``)."""
    row = connection.execute(
        select(absence.c.user_id).where(absence.c.id == absence_id)
    ).first()
    if row is None:
        raise NotFound(f"absence {absence_id} not found")
    _may_manage(actor, int(row.user_id))
    connection.execute(absence.delete().where(absence.c.id == absence_id))
