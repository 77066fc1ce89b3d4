"""How the tasks service plugs into the core: one function per hook."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..contributions import (
    CustomerPanel,
    JobSpec,
    MigrationSource,
    NavItem,
    OnDelete,
    Permission,
    RelationPolicy,
    ScheduleSpec,
)
from ..settings.specs import SettingSpec

if TYPE_CHECKING:
    from ..host import Host

REMIND_JOB = "core.tasks.remind"
SWEEP_JOB = "core.tasks.sweep"


def crm_migrations() -> MigrationSource:
    return MigrationSource("core_tasks", Path(__file__).parent / "migrations")


def crm_tables() -> list[Any]:
    from .tables import metadata

    return list(metadata.sorted_tables)


def crm_permissions() -> list[Permission]:
    def scoped(agent: str) -> dict[str, str]:
        return {"admin": "all", "manager": "team", "agent": agent}

    return [
        Permission(
            "task.read",
            "See tasks (own: assigned to or made by oneself)",
            {**scoped("own"), "viewer": "all"},
        ),
        Permission(
            "task.create", "Create tasks (own: only for oneself)", scoped("own")
        ),
        Permission("task.update", "Change and finish tasks", scoped("own")),
        Permission("task.delete", "Delete tasks", scoped("own")),
    ]


def crm_settings() -> list[SettingSpec]:
    return [
        SettingSpec(
            "tasks.default_remind_minutes",
            "integer",
            default=30,
            label="Default reminder (minutes before due)",
            help="Used when a task is created without saying when to remind.",
            minimum=0,
            maximum=60 * 24 * 60,
        ),
        SettingSpec(
            "tasks.due_soon_hours",
            "integer",
            default=24,
            label="Due soon (hours ahead)",
            help="Open tasks due within this many hours count as due soon.",
            minimum=1,
            maximum=24 * 30,
        ),
        SettingSpec(
            "tasks.email_reminders",
            "boolean",
            default=True,
            label="E-mail reminders",
            help="Besides the My tasks page, e-mail the assignee when a "
            "reminder is due.",
        ),
    ]


def crm_jobs() -> list[JobSpec]:
    return [
        JobSpec(REMIND_JOB, _not_bound, max_attempts=5),
        JobSpec(SWEEP_JOB, _not_bound, max_attempts=1),
    ]


def crm_schedules() -> list[ScheduleSpec]:
    return [ScheduleSpec("core.tasks.reminders", SWEEP_JOB, every=300)]


def _not_bound(**_args: Any) -> None:
    raise RuntimeError(
        "the tasks service is not bound to this host; call "
        "crm_core.tasks.wiring.crm_host_started(host) once the host is made"
    )


def crm_host_started(host: Host) -> None:
    """Bind the reminder jobs to ``host`` (workers call this when they start)."""
    from . import tasks_service

    tasks_service(host)


def crm_api_blueprints() -> list[Any]:
    from .api import make_blueprint

    return [make_blueprint()]


def crm_page_blueprints() -> list[Any]:
    from .pages import pages

    return [pages]


def crm_navigation() -> list[NavItem]:
    from .pages import MyTasksLabel

    return [NavItem(MyTasksLabel("My tasks"), "tasks_pages.mine", "task.read", 20)]


def crm_customer_panels() -> list[CustomerPanel]:
    from .pages import customer_tasks_panel

    return [CustomerPanel("Tasks", customer_tasks_panel, "task.read", order=30)]


def crm_relation_policies() -> list[RelationPolicy]:
    return [RelationPolicy("core_tasks_task", "customer_id", OnDelete.CASCADE, "tasks")]


def crm_demo_data(demo: Any) -> None:
    from .demo import demo_tasks

    demo_tasks(demo)
