"""Reminders: at the right UTC instant across summer-time changes, once, by e-mail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, select

from crm_core.mail.tables import message
from crm_core.security import SYSTEM
from crm_core.settings import settings_service
from crm_core.storage import schema
from crm_core.tasks.tables import reminder, task
from crm_core.testing import make_plugin

REMINDED: list[dict] = []


@pytest.fixture
def crm_plugin_names():
    return ("acme",)


@pytest.fixture
def crm_extra_plugins():
    return [make_plugin("acme", crm_task_reminded=lambda task: REMINDED.append(task))]


def _state(crm_host, task_id):
    with crm_host.db.connect() as connection:
        row = connection.execute(select(task).where(task.c.id == task_id)).mappings()
        sent = connection.execute(
            select(reminder).where(reminder.c.task_id == task_id)
        ).mappings()
        return dict(row.one()), [dict(r) for r in sent]


@pytest.mark.parametrize(
    ("due_local", "minutes", "instant"),
    [
        # The day after summer time starts: 09:00 CEST is 07:00 UTC.
        ("2025-03-31T09:00", 60, datetime(2025, 3, 31, 6, 0, tzinfo=UTC)),
        # The day after it ends: 09:00 CET is 08:00 UTC.
        ("2025-10-27T09:00", 60, datetime(2025, 10, 27, 7, 0, tzinfo=UTC)),
        # A day's notice across the change is 24 hours of elapsed time.
        ("2025-03-31T09:00", 24 * 60, datetime(2025, 3, 30, 7, 0, tzinfo=UTC)),
    ],
)
def test_a_reminder_comes_at_the_right_utc_instant(
    crm_host, person, create, worker, due_local, minutes, instant
):
    """The worker reminds exactly when its clock reaches the reminder instant."""
    made = create(person(), due_local=due_local, remind_before=minutes)
    assert made["remind_at"] == instant
    worker.run_once(now=instant - timedelta(seconds=1))
    assert _state(crm_host, made["id"])[0]["reminded_at"] is None
    worker.run_once(now=instant)
    stored, sent = _state(crm_host, made["id"])
    assert stored["reminded_at"] is not None
    assert [r["remind_at"] for r in sent] == [instant]


def test_the_reminder_is_e_mailed_to_the_assignee(crm_host, person, create, worker):
    """The assignee gets a reminder e-mail naming the task and its local due time."""
    assignee = person("agent", "Europe/Berlin", email="mira@example.com")
    made = create(
        assignee, title="Send the offer", due_local="2025-03-31T09:00", remind_before=0
    )
    worker.run_once(now=datetime(2025, 3, 31, 7, 0, tzinfo=UTC))
    _, sent = _state(crm_host, made["id"])
    assert sent[0]["email_status"] == "queued", sent[0]["email_note"]
    with crm_host.db.connect() as connection:
        mail = connection.execute(
            select(message.c.to_address, message.c.subject, message.c.text_body)
        ).one()
    assert mail.to_address == assignee.user.email
    assert mail.subject == "Reminder: Send the offer"
    assert "2025-03-31 09:00 CEST" in mail.text_body


def test_e_mail_reminders_can_be_turned_off(crm_host, person, create, worker):
    """With tasks.email_reminders off, the reminder is still recorded, not mailed."""
    with crm_host.db.transaction() as connection:
        settings_service(crm_host).set(
            connection, SYSTEM, "tasks.email_reminders", False
        )
    made = create(person(), due_local="2025-03-31T09:00", remind_before=0)
    worker.run_once(now=datetime(2025, 3, 31, 8, 0, tzinfo=UTC))
    _, sent = _state(crm_host, made["id"])
    assert sent[0]["email_status"] == "skipped"


def test_hook_crm_task_reminded_tells_plugins_once(crm_host, person, create, worker):
    """Plugins hear of each reminder once, with the task as the API shows it."""
    REMINDED.clear()
    made = create(person(), due_local="2025-03-31T09:00", remind_before=30)
    later = datetime(2025, 3, 31, 9, 0, tzinfo=UTC)
    worker.run_once(now=later)
    worker.run_once(now=later + timedelta(hours=1))
    made_tasks = [t for t in REMINDED if t["id"] == made["id"]]
    assert len(made_tasks) == 1
    assert made_tasks[0]["due_local"] == datetime(2025, 3, 31, 9, 0)
    assert made_tasks[0]["timezone"] == "Europe/Berlin"


def test_moving_the_due_time_moves_the_reminder(
    crm_host, person, create, tasks, worker
):
    """A rescheduled task reminds at its new instant, and only then."""
    actor = person()
    made = create(actor, due_local="2025-03-31T09:00", remind_before=0)
    with crm_host.db.transaction() as connection:
        tasks.update(connection, actor, made["id"], {"due_local": "2025-04-01T09:00"})
    worker.run_once(now=datetime(2025, 3, 31, 12, 0, tzinfo=UTC))
    assert _state(crm_host, made["id"])[1] == []
    worker.run_once(now=datetime(2025, 4, 1, 7, 0, tzinfo=UTC))
    assert len(_state(crm_host, made["id"])[1]) == 1


@pytest.mark.parametrize("change", [{"status": "done"}, {"status": "cancelled"}])
def test_finished_tasks_are_not_reminded(
    crm_host, person, create, tasks, worker, change
):
    """A task done or cancelled before its reminder stays quiet."""
    actor = person()
    made = create(actor, due_local="2025-03-31T09:00", remind_before=0)
    with crm_host.db.transaction() as connection:
        tasks.update(connection, actor, made["id"], change)
    worker.run_once(now=datetime(2025, 4, 1, tzinfo=UTC))
    assert _state(crm_host, made["id"])[1] == []


def test_the_sweep_reminds_tasks_whose_job_was_lost(crm_host, person, create, tasks):
    """Reminders past their time with no waiting job are found by the sweep."""
    made = create(person(), due_local="2025-03-31T09:00", remind_before=0)
    with crm_host.db.transaction() as connection:
        connection.execute(delete(schema.job))
    instant = datetime(2025, 3, 31, 7, 0, tzinfo=UTC)
    assert tasks.reminders.remind_due(now=instant - timedelta(minutes=1)) == 0
    assert tasks.reminders.remind_due(now=instant) == 1
    assert tasks.reminders.remind_due(now=instant + timedelta(days=1)) == 0
    assert len(_state(crm_host, made["id"])[1]) == 1


def test_the_sweep_leaves_waiting_reminders_to_their_job(
    crm_host, person, create, tasks
):
    """A reminder whose job still waits is not taken early by the sweep."""
    made = create(person(), due_local="2025-03-31T09:00", remind_before=0)
    assert tasks.reminders.remind_due() == 0
    assert _state(crm_host, made["id"])[1] == []
