"""What needs attention: a user's open tasks by urgency, and their count."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, func, select

from ..security import Actor
from ..storage.types import utcnow
from .records import OPEN, public
from .tables import task

if TYPE_CHECKING:
    from ..host import Host

DUE_SOON_SETTING = "tasks.due_soon_hours"
AGENDA_LIMIT = 200
GROUPS = ("overdue", "due_soon", "later", "undated")


def due_soon_window(host: Host, connection: Connection) -> timedelta:
    """How far ahead "due soon" reaches (the ``tasks.due_soon_hours`` setting)."""
    from ..settings import settings_service

    hours = settings_service(host).get(DUE_SOON_SETTING, connection)
    return timedelta(hours=int(hours))


def attention_count(
    host: Host, connection: Connection, actor: Actor, now: datetime | None = None
) -> int:
    """Open tasks assigned to ``actor`` that are overdue or due soon."""
    horizon = (now or utcnow()) + due_soon_window(host, connection)
    query = select(func.count()).where(
        task.c.assignee_id == actor.id,
        task.c.status == OPEN,
        task.c.deleted_at.is_(None),
        task.c.due_at <= horizon,
    )
    return int(connection.execute(query).scalar_one())


def my_agenda(
    host: Host, connection: Connection, actor: Actor, now: datetime | None = None
) -> dict[str, list[dict[str, Any]]]:
    """``actor``'s open tasks, grouped: overdue, due soon, later, and undated."""
    from . import tasks_service

    moment = now or utcnow()
    horizon = moment + due_soon_window(host, connection)
    query = (
        tasks_service(host)
        .query(actor)
        .where(task.c.assignee_id == actor.id, task.c.status == OPEN)
        .order_by(task.c.due_at.is_(None), task.c.due_at, task.c.id)
        .limit(AGENDA_LIMIT)
    )
    groups: dict[str, list[dict[str, Any]]] = {name: [] for name in GROUPS}
    for row in connection.execute(query).mappings():
        due = row["due_at"]
        if due is None:
            name = "undated"
        elif due < moment:
            name = "overdue"
        else:
            name = "due_soon" if due <= horizon else "later"
        groups[name].append(public(row))
    return groups


def customer_tasks(
    host: Host, connection: Connection, actor: Actor, customer_id: int
) -> list[dict[str, Any]]:
    """The tasks on a customer the actor may read: open ones first, by due time."""
    from . import tasks_service

    query = (
        tasks_service(host)
        .query(actor)
        .where(task.c.customer_id == customer_id)
        .order_by(
            task.c.status != OPEN, task.c.due_at.is_(None), task.c.due_at, task.c.id
        )
        .limit(AGENDA_LIMIT)
    )
    return [public(row) for row in connection.execute(query).mappings()]


def visible_tasks(
    host: Host, connection: Connection, actor: Actor, status: str
) -> list[dict[str, Any]]:
    """The tasks of ``status`` the actor may read, by due time (undated last)."""
    from . import tasks_service

    query = (
        tasks_service(host)
        .query(actor)
        .where(task.c.status == status)
        .order_by(task.c.due_at.is_(None), task.c.due_at, task.c.id)
        .limit(AGENDA_LIMIT)
    )
    return [public(row) for row in connection.execute(query).mappings()]
