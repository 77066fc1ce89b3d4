"""Tasks and reminders: to-dos on the timeline, due in the assignee's time zone.

Plugins create tasks with ``tasks_service(host).create(connection, actor,
{...})``; the assignee is reminded when the reminder time comes, by e-mail
and on the "My tasks" page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .times import NonexistentLocalTime, local_to_utc

if TYPE_CHECKING:
    from ..host import Host
    from .service import TaskService

__all__ = ["NonexistentLocalTime", "local_to_utc", "tasks_service"]


def tasks_service(host: Host) -> TaskService:
    """The tasks service of ``host``, made (and its jobs bound) on first use."""
    found = host.extensions.get("tasks")
    if found is None:
        import attrs

        from .reminders import REMIND_JOB, SWEEP_JOB
        from .service import TaskService

        found = host.extensions["tasks"] = TaskService(host)
        jobs: dict[str, Callable[..., Any]] = {
            REMIND_JOB: found.reminders.remind_task,
            SWEEP_JOB: found.reminders.remind_due,
        }
        for name, run in jobs.items():
            spec = host.jobs.specs.get(name)
            if spec is not None:
                host.jobs.specs[name] = attrs.evolve(spec, run=run)
    return found
