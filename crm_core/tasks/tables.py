"""The tasks service's tables: tasks, and the reminders sent for them."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from ..storage import schema
from ..storage.schema import NAMING
from ..storage.types import Id, UTCDateTime

metadata = MetaData(naming_convention=NAMING)

task = Table(
    "core_tasks_task",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("title", String(300), nullable=False),
    Column("notes", Text, nullable=False, server_default=""),
    Column(
        "customer_id", Id, ForeignKey(schema.customer.c.id), nullable=True, index=True
    ),
    # Another record the task is about (a plugin's: an opportunity, a ticket).
    Column("record_type", String(80), nullable=True),
    Column("record_id", String(64), nullable=True),
    Column("assignee_id", Id, ForeignKey(schema.user.c.id), nullable=False),
    # The assignee's team when the task was assigned, for the team scope.
    Column("team_id", Id, nullable=True),
    Column("created_by", Id, nullable=True),
    Column("status", String(12), nullable=False, server_default="open"),
    Column("due_at", UTCDateTime, nullable=True),
    Column("remind_before", Integer, nullable=True),
    Column("remind_at", UTCDateTime, nullable=True),
    Column("reminded_at", UTCDateTime, nullable=True),
    Column("reminder_job_id", Id, nullable=True),
    Column("completed_at", UTCDateTime, nullable=True),
    Column("version", Integer, nullable=False, server_default="1"),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("deleted_at", UTCDateTime, nullable=True),
    Column("deleted_by_cascade", String(80), nullable=True),
)
Index("ix_core_tasks_task_assignee", task.c.assignee_id, task.c.status, task.c.due_at)
Index("ix_core_tasks_task_reminder", task.c.status, task.c.remind_at)
Index("ix_core_tasks_task_record", task.c.record_type, task.c.record_id)

reminder = Table(
    "core_tasks_reminder",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("task_id", Id, ForeignKey(task.c.id), nullable=False, index=True),
    Column("user_id", Id, nullable=False),
    Column("remind_at", UTCDateTime, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    # queued (with the mail service), skipped, unavailable or failed.
    Column("email_status", String(20), nullable=False),
    Column("email_note", String(500), nullable=True),
)
