"""Tasks: something a user should do by a time, often about a customer.

Any plugin creates tasks through :meth:`TaskService.create`. A task is seen
by its assignee and its creator, by the assignee's team leads (``team``
scope) and by those with the ``all`` scope. Creating and finishing a task
on a customer puts an activity on that customer's timeline.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Connection, false, or_, select, true

from .. import audit
from ..customers import InvalidInput, NotFound, VersionConflict
from ..entities import Scope
from ..files.access import customer_visible, record_visible
from ..linked import load_input
from ..security import Actor, PermissionDenied
from ..storage import schema
from ..storage.database import new_id
from ..storage.types import utcnow
from .records import DONE, OPEN, TaskInputSchema, public, remind_at
from .tables import task
from .times import NonexistentLocalTime, local_to_utc, zone_named

if TYPE_CHECKING:
    from ..host import Host

DEFAULT_REMIND_SETTING = "tasks.default_remind_minutes"
_AUDITED = (
    "title",
    "notes",
    "customer_id",
    "record_type",
    "record_id",
    "assignee_id",
    "status",
    "due_at",
    "remind_before",
)
u = schema.user


def task_scope(actor: Actor, permission: str) -> ColumnElement[bool]:
    """Tasks within ``actor``'s scope: assigned to or made by them, or their team's."""
    scope = actor.scope(permission)
    if scope is None:
        return false()
    if scope is Scope.ALL:
        return true()
    own = or_(task.c.assignee_id == actor.id, task.c.created_by == actor.id)
    if scope is Scope.OWN or not actor.teams:
        return own
    return or_(own, task.c.team_id.in_(sorted(actor.teams)))


class TaskService:
    """Creating, changing and reading tasks for one host."""

    def __init__(self, host: Host) -> None:
        from .reminders import Reminders

        self.host = host
        self.reminders = Reminders(host)

    # -- reading ---------------------------------------------------------

    def query(self, actor: Actor, *, include_deleted: bool = False) -> Any:
        """A select of the tasks ``actor`` may read, with the assignee's zone."""
        query = (
            select(task, u.c.timezone, u.c.name.label("assignee_name"))
            .select_from(task.join(u, u.c.id == task.c.assignee_id))
            .where(task_scope(actor, "task.read"))
        )
        return query if include_deleted else query.where(task.c.deleted_at.is_(None))

    def get(
        self,
        connection: Connection,
        actor: Actor,
        task_id: int,
        *,
        include_deleted: bool = False,
    ) -> dict[str, Any]:
        """One task the actor may read."""
        query = self.query(actor, include_deleted=include_deleted)
        row = connection.execute(query.where(task.c.id == task_id)).mappings().first()
        if row is None:
            raise NotFound(f"task {task_id} not found")
        return public(row)

    # -- writing ---------------------------------------------------------

    def create(
        self, connection: Connection, actor: Actor, data: Mapping[Any, Any]
    ) -> dict[str, Any]:
        """Check and store a new task; returns it as :meth:`get` would.

        ``due_at`` is an instant with its offset; ``due_local`` a wall-clock
        time in the assignee's zone. ``remind_before`` (minutes) defaults to
        the ``tasks.default_remind_minutes`` setting.
        """
        actor.require("task.create")
        values = load_input(TaskInputSchema(), data)
        if "title" not in values:
            raise InvalidInput({"title": ["a task needs a title"]})
        values.setdefault("assignee_id", actor.id)
        if values["assignee_id"] is None:
            raise InvalidInput({"assignee_id": ["a task needs an assignee"]})
        if "remind_before" not in values:
            values["remind_before"] = self._default_reminder(connection)
        values.pop("status", None)
        assignee = self._assignee(
            connection, actor, values["assignee_id"], "task.create"
        )
        self._check_links(connection, actor, values)
        self._resolve_due(values, assignee["timezone"])
        now = utcnow()
        row = {
            "notes": "",
            **values,
            "team_id": assignee["team_id"],
            "created_by": actor.id,
            "status": OPEN,
            "remind_at": remind_at(values.get("due_at"), values.get("remind_before")),
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
        task_id = new_id(connection.execute(task.insert().values(**row)))
        audit.record(connection, actor, "task", task_id, "create", _diff({}, row))
        self._schedule_reminder(connection, task_id, row["remind_at"])
        if row.get("customer_id"):
            self._timeline(connection, actor, task_id, row, "task_created")
        return self.get(connection, actor, task_id)

    def update(
        self,
        connection: Connection,
        actor: Actor,
        task_id: int,
        data: Mapping[Any, Any],
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        """Apply a partial change; a stale ``expected_version`` is refused."""
        before = self._writable(connection, actor, task_id, "task.update")
        if expected_version is not None and before["version"] != expected_version:
            raise VersionConflict(public(before))
        values = load_input(TaskInputSchema(), data, partial=True)
        if "assignee_id" in values and values["assignee_id"] != before["assignee_id"]:
            assignee = self._assignee(
                connection, actor, values["assignee_id"], "task.update"
            )
            values["team_id"] = assignee["team_id"]
            zone_name = assignee["timezone"]
        else:
            zone_name = before["timezone"]
        self._check_links(connection, actor, values)
        self._resolve_due(values, zone_name)
        merged = {**_stored(before), **values}
        merged["remind_at"] = remind_at(merged["due_at"], merged["remind_before"])
        self._status_change(merged, before["status"])
        changes = _diff(_stored(before), merged)
        if not changes:
            return public(before)
        self._write(connection, task_id, merged, before)
        audit.record(connection, actor, "task", task_id, "update", changes)
        if merged["remind_at"] != before["remind_at"]:
            self._schedule_reminder(connection, task_id, merged["remind_at"])
        if merged["status"] == DONE != before["status"] and merged["customer_id"]:
            self._timeline(connection, actor, task_id, merged, "task_done")
        return self.get(connection, actor, task_id)

    def delete(
        self,
        connection: Connection,
        actor: Actor,
        task_id: int,
        expected_version: int | None = None,
    ) -> None:
        """Mark a task deleted; it no longer appears or reminds."""
        before = self._writable(connection, actor, task_id, "task.delete")
        if expected_version is not None and before["version"] != expected_version:
            raise VersionConflict(public(before))
        now = utcnow()
        connection.execute(
            task.update()
            .where(task.c.id == task_id)
            .values(deleted_at=now, updated_at=now, version=task.c.version + 1)
        )
        audit.record(
            connection, actor, "task", task_id, "delete", {"deleted_at": [None, now]}
        )

    # -- checks ----------------------------------------------------------

    def _writable(
        self, connection: Connection, actor: Actor, task_id: int, permission: str
    ) -> Mapping[Any, Any]:
        actor.require(permission)
        row = (
            connection.execute(
                self.query(actor).where(task.c.id == task_id).with_for_update(of=task)
            )
            .mappings()
            .first()
        )
        if row is None:
            raise NotFound(f"task {task_id} not found")
        allowed = connection.execute(
            select(task.c.id).where(task.c.id == task_id, task_scope(actor, permission))
        ).first()
        if allowed is None:
            raise PermissionDenied(
                f"permission {permission!r} does not reach task {task_id}"
            )
        return row

    def _assignee(
        self, connection: Connection, actor: Actor, user_id: int, permission: str
    ) -> Mapping[Any, Any]:
        row = (
            connection.execute(
                select(u.c.id, u.c.team_id, u.c.timezone, u.c.is_active).where(
                    u.c.id == user_id
                )
            )
            .mappings()
            .first()
        )
        if row is None or not row["is_active"]:
            raise InvalidInput({"assignee_id": [f"no active user {user_id}"]})
        scope = actor.require(permission)
        reaches = (
            scope is Scope.ALL
            or user_id == actor.id
            or (scope is Scope.TEAM and row["team_id"] in actor.teams)
        )
        if not reaches:
            raise PermissionDenied(
                f"permission {permission!r} does not let you assign tasks to "
                f"user {user_id}"
            )
        return row

    def _check_links(
        self, connection: Connection, actor: Actor, values: Mapping[Any, Any]
    ) -> None:
        customer_id = values.get("customer_id")
        if customer_id is not None and not customer_visible(
            connection, actor, customer_id
        ):
            raise InvalidInput(
                {"customer_id": [f"no customer {customer_id} that you may see"]}
            )
        record_type, record_id = values.get("record_type"), values.get("record_id")
        if (record_type is None) != (record_id is None):
            raise InvalidInput(
                {"record_id": ["give record_type and record_id together, or neither"]}
            )
        if record_type is not None and not record_visible(
            self.host, connection, actor, record_type, record_id
        ):
            raise InvalidInput(
                {"record_id": [f"no {record_type} {record_id} that you may see"]}
            )

    def _resolve_due(self, values: dict[str, Any], zone_name: str | None) -> None:
        """Turn ``due_local`` (the assignee's wall clock) into ``due_at`` (UTC)."""
        if "due_local" not in values:
            return
        local = values.pop("due_local")
        if "due_at" in values:
            raise InvalidInput({"due_local": ["give due_at or due_local, not both"]})
        if local is None:
            values["due_at"] = None
            return
        try:
            values["due_at"] = local_to_utc(local, zone_named(zone_name))
        except NonexistentLocalTime as error:
            raise InvalidInput({"due_local": [str(error)]}) from None

    def _status_change(self, merged: dict[str, Any], before: str) -> None:
        if merged["status"] == before:
            return
        merged["completed_at"] = utcnow() if merged["status"] == DONE else None

    def _default_reminder(self, connection: Connection) -> int | None:
        from ..settings import settings_service

        minutes = settings_service(self.host).get(DEFAULT_REMIND_SETTING, connection)
        return int(minutes) if minutes is not None else None

    # -- storing ---------------------------------------------------------

    def _write(
        self,
        connection: Connection,
        task_id: int,
        merged: Mapping[Any, Any],
        before: Mapping[Any, Any],
    ) -> None:
        values = {key: merged[key] for key in _stored(before)}
        if merged["remind_at"] != before["remind_at"]:
            values["reminded_at"] = None
        values.update(version=before["version"] + 1, updated_at=utcnow())
        connection.execute(task.update().where(task.c.id == task_id).values(**values))

    def _schedule_reminder(
        self, connection: Connection, task_id: int, when: datetime | None
    ) -> None:
        """Queue the task's reminder job for its instant (a moved one is re-queued)."""
        from .reminders import REMIND_JOB

        job_id = None
        if when is not None:
            job_id = self.host.jobs.enqueue(
                REMIND_JOB,
                when,
                connection=connection,
                task_id=task_id,
                remind_at=when.isoformat(),
            )
        connection.execute(
            task.update().where(task.c.id == task_id).values(reminder_job_id=job_id)
        )

    def _timeline(
        self,
        connection: Connection,
        actor: Actor,
        task_id: int,
        row: Mapping[Any, Any],
        kind: str,
    ) -> None:
        now = utcnow()
        connection.execute(
            schema.activity.insert().values(
                customer_id=row["customer_id"],
                channel="system",
                kind=kind,
                occurred_at=now,
                actor_id=actor.id,
                subject=row["title"],
                source_type="task",
                source_id=str(task_id),
                version=1,
                created_at=now,
                updated_at=now,
            )
        )


def _stored(row: Mapping[Any, Any]) -> dict[str, Any]:
    keep = (*_AUDITED, "team_id", "remind_at", "completed_at")
    return {key: row[key] for key in keep}


def _diff(before: Mapping[Any, Any], after: Mapping[Any, Any]) -> dict[str, Any]:
    return audit.diff(
        {k: before.get(k) for k in _AUDITED if k in before},
        {k: after.get(k) for k in _AUDITED},
    )
