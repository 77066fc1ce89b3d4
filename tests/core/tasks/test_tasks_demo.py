"""The demo data includes tasks for the demo agents."""

from __future__ import annotations

from sqlalchemy import func, select

from crm_core import demo
from crm_core.tasks.tables import task


def test_the_demo_gives_agents_tasks_on_customers(crm_host):
    """Loading the demo creates open tasks with due times and reminders."""
    demo.load(crm_host)
    with crm_host.db.connect() as connection:
        count, reminders = connection.execute(
            select(func.count(), func.count(task.c.remind_at)).where(
                task.c.customer_id.is_not(None)
            )
        ).one()
    assert count == 40 and reminders == 40
