"""Demo tasks: follow-ups for the demo agents, some overdue, most due soon."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from ..security import SYSTEM
from ..storage.types import utcnow

TITLES = (
    "Call back about the offer",
    "Send the signed contract",
    "Prepare the renewal meeting",
    "Check the delivery date",
    "Follow up on the support case",
)


def demo_tasks(demo: Any, count: int = 40) -> None:
    """Tasks on demo customers, assigned to the demo agents."""
    from . import tasks_service

    agents = [user for user in demo.users if user["role"] == "agent"]
    if not agents or not demo.customers:
        return
    rng, service, now = demo.random, tasks_service(demo.host), utcnow()
    with demo.host.db.transaction() as connection:
        for index in range(count):
            due = now + timedelta(hours=rng.randint(-48, 14 * 24))
            service.create(
                connection,
                SYSTEM,
                {
                    "title": TITLES[index % len(TITLES)],
                    "assignee_id": rng.choice(agents)["id"],
                    "customer_id": rng.choice(demo.customers),
                    "due_at": due.replace(
                        minute=0, second=0, microsecond=0
                    ).isoformat(),
                    "remind_before": 30,
                },
            )
