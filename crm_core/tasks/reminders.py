"""Reminders: when a task's reminder time comes, tell its assignee.

Each task with a reminder gets a job queued for its reminder instant, so a
worker reminds at that moment (a worker's clock decides, which tests set).
A scheduled sweep catches reminders whose job was lost (or failed) and
tasks stored without one. Either way a task is reminded once per reminder
time: reminding claims the task with a conditional update.

The reminder is recorded in ``core_tasks_reminder``, shown on the "My
tasks" page, sent by e-mail through the mail service (template
``tasks.reminder``, made on first use, editable under mail templates), and
announced to plugins through ``crm_task_reminded``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, exists, insert, or_, select, update

from ..events import PENDING, RUNNING
from ..security import SYSTEM
from ..storage import schema
from ..storage.types import utcnow
from .records import OPEN, public
from .tables import reminder, task
from .times import local_text, zone_named
from .wiring import REMIND_JOB, SWEEP_JOB

if TYPE_CHECKING:
    from ..host import Host

log = logging.getLogger("crm_core.tasks")

__all__ = ["REMIND_JOB", "SWEEP_JOB", "Reminders", "mail_sender"]

EMAIL_SETTING = "tasks.email_reminders"
TEMPLATE = "tasks.reminder"
TEMPLATE_TEXT = {
    "name": TEMPLATE,
    "description": "Sent to a task's assignee when its reminder time comes",
    "subject": "Reminder: {{ task_title }}",
    "text_body": "{{ task_title }} is due {{ due }}.\n\nSee it under My tasks.",
    "html_body": "<p><strong>{{ task_title }}</strong> is due {{ due }}.</p>"
    "<p>See it under My tasks.</p>",
    "variables": ["task_title", "due"],
}
SWEEP_BATCH = 500

Sender = Callable[..., Any]


class Reminders:
    """Finding due reminders and sending them, for one host."""

    def __init__(self, host: Host) -> None:
        self.host = host

    def remind_task(self, task_id: int, remind_at: str) -> bool:
        """Remind one task if its reminder is still ``remind_at`` (the job)."""
        instant = datetime.fromisoformat(remind_at)
        with self.host.db.transaction() as connection:
            done = self._remind(connection, task_id, instant)
        if done is not None:
            self._announce(done)
        return done is not None

    def remind_due(self, now: datetime | None = None) -> int:
        """Remind every task whose reminder time has passed unreminded (the sweep).

        Tasks whose reminder job is still waiting are left to that job.
        """
        moment = now or utcnow()
        job = schema.job
        waiting = exists().where(
            job.c.id == task.c.reminder_job_id, job.c.status.in_((PENDING, RUNNING))
        )
        query = (
            select(task.c.id, task.c.remind_at)
            .where(
                task.c.status == OPEN,
                task.c.deleted_at.is_(None),
                task.c.reminded_at.is_(None),
                task.c.remind_at <= moment,
                or_(task.c.reminder_job_id.is_(None), ~waiting),
            )
            .order_by(task.c.remind_at, task.c.id)
            .limit(SWEEP_BATCH)
        )
        with self.host.db.connect() as connection:
            due = connection.execute(query).all()
        count = 0
        for task_id, instant in due:
            count += self.remind_task(task_id, instant.isoformat())
        return count

    def _remind(
        self, connection: Connection, task_id: int, instant: datetime
    ) -> dict[str, Any] | None:
        claimed = connection.execute(
            update(task)
            .where(
                task.c.id == task_id,
                task.c.status == OPEN,
                task.c.deleted_at.is_(None),
                task.c.reminded_at.is_(None),
                task.c.remind_at == instant,
            )
            .values(reminded_at=utcnow())
        )
        if claimed.rowcount != 1:
            return None
        u = schema.user
        row = (
            connection.execute(
                select(
                    task,
                    u.c.timezone,
                    u.c.email,
                    u.c.name.label("assignee_name"),
                    u.c.is_active,
                )
                .select_from(task.join(u, u.c.id == task.c.assignee_id))
                .where(task.c.id == task_id)
            )
            .mappings()
            .one()
        )
        status, note = self.email(connection, row)
        connection.execute(
            insert(reminder).values(
                task_id=task_id,
                user_id=row["assignee_id"],
                remind_at=instant,
                created_at=utcnow(),
                email_status=status,
                email_note=note,
            )
        )
        return public(row)

    def email(
        self, connection: Connection, row: Mapping[Any, Any]
    ) -> tuple[str, str | None]:
        """E-mail the assignee; returns what became of it and why, if not sent."""
        from ..settings import settings_service

        if not row["is_active"]:
            return "skipped", "the assignee is deactivated"
        if not settings_service(self.host).get(EMAIL_SETTING, connection):
            return "skipped", f"e-mail reminders are turned off ({EMAIL_SETTING})"
        send = mail_sender(self.host)
        if send is None:
            return "unavailable", "the mail service is not available"
        zone = zone_named(row["timezone"])
        context = {"task_title": row["title"], "due": local_text(row["due_at"], zone)}
        try:
            # A failed e-mail leaves the reminder itself recorded.
            with connection.begin_nested():
                _ensure_template(self.host, connection)
                send(
                    connection,
                    to_address=row["email"],
                    template=TEMPLATE,
                    context=context,
                    purpose="transactional",
                )
        except Exception as error:
            log.warning(
                "e-mail reminder of task %s failed (%s)",
                row["id"],
                type(error).__name__,
            )
            return "failed", str(error)[:500]
        return "queued", None

    def _announce(self, task_row: Mapping[Any, Any]) -> None:
        self.host.plugins.notify("crm_task_reminded", task=dict(task_row))


def mail_sender(host: Host) -> Sender | None:
    """The mail service's ``send``, or ``None`` while no mail service is installed."""
    try:
        from ..mail import mail_service
    except ImportError:
        return None
    return mail_service(host).send


def _ensure_template(host: Host, connection: Connection) -> None:
    """Store the reminder template the first time a reminder is e-mailed."""
    from ..customers import NotFound
    from ..mail import mail_service

    templates = mail_service(host).templates
    try:
        templates.named(connection, TEMPLATE)
    except NotFound:
        templates.create(connection, SYSTEM, TEMPLATE_TEXT)
