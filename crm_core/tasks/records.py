"""A task as input and as output: what a caller may set, and what is shown."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from marshmallow import RAISE, Schema, fields, validate

from ..linked import ID_RANGE
from .tables import task
from .times import utc_to_local, zone_named

OPEN, DONE, CANCELLED = "open", "done", "cancelled"
STATUSES = (OPEN, DONE, CANCELLED)


class TaskInputSchema(Schema):
    """What a caller may set on a task; everything else is the server's."""

    class Meta:
        unknown = RAISE

    title = fields.String(validate=validate.Length(1, 300))
    notes = fields.String(validate=validate.Length(max=20000))
    customer_id = fields.Integer(allow_none=True, validate=ID_RANGE)
    record_type = fields.String(allow_none=True, validate=validate.Length(1, 80))
    record_id = fields.String(allow_none=True, validate=validate.Length(1, 64))
    assignee_id = fields.Integer(validate=ID_RANGE)
    due_at = fields.AwareDateTime(allow_none=True)
    due_local = fields.NaiveDateTime(allow_none=True)
    remind_before = fields.Integer(
        allow_none=True, validate=validate.Range(0, 60 * 24 * 60)
    )
    status = fields.String(validate=validate.OneOf(STATUSES))


def remind_at(due_at: datetime | None, minutes: int | None) -> datetime | None:
    """The reminder instant: ``minutes`` of elapsed time before ``due_at``."""
    if due_at is None or minutes is None:
        return None
    return due_at - timedelta(minutes=minutes)


def public(row: Mapping[Any, Any]) -> dict[str, Any]:
    """A task as the API and the pages show it, due time also in the assignee's zone."""
    zone = zone_named(row.get("timezone"))
    due = row["due_at"]
    return {
        **{key: row[key] for key in task.c.keys() if key != "reminder_job_id"},
        "assignee_name": row.get("assignee_name"),
        "timezone": zone.key,
        "due_local": utc_to_local(due, zone) if due is not None else None,
    }
