"""How the segment engine plugs into the core: functions named after hooks."""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import Any

from ..contributions import JobSpec, MigrationSource, NavItem, Permission, ScheduleSpec
from .hostref import HostRef
from .service import REFRESH_JOB
from .tables import TABLES

log = logging.getLogger("crm_core.segments")

#: Dynamic segments are refreshed, and their events published, this often.
REFRESH_EVERY = 15 * 60


def crm_migrations() -> MigrationSource:
    return MigrationSource("core_segments", Path(__file__).parent / "migrations")


def crm_tables() -> list[Any]:
    return list(TABLES)


def crm_permissions() -> list[Permission]:
    everyone = {"admin": "all", "manager": "all", "agent": "all", "viewer": "all"}
    return [
        Permission("segment.read", "See segments and count their members", everyone),
        Permission(
            "segment.manage",
            "Create, change and delete segments and lists",
            {"admin": "all", "manager": "all"},
        ),
    ]


def crm_api_blueprints() -> list[Any]:
    from .api import make_blueprint

    return [make_blueprint()]


def crm_page_blueprints() -> list[Any]:
    from .pages import pages

    return [pages]


def crm_navigation() -> list[NavItem]:
    return [NavItem("Segments", "segments_pages.index", "segment.read", order=30)]


def crm_jobs() -> list[JobSpec]:
    return [JobSpec(REFRESH_JOB, functools.partial(refresh, HostRef.of_caller()))]


def crm_schedules() -> list[ScheduleSpec]:
    return [ScheduleSpec(REFRESH_JOB, REFRESH_JOB, every=REFRESH_EVERY)]


def refresh(ref: HostRef, segment_id: int | None = None) -> None:
    """The refresh job: one segment, or every dynamic one."""
    from . import segment_members

    members = segment_members(ref())
    if segment_id is None:
        done = members.refresh_all()
        log.info("refreshed %d dynamic segments", len(done))
        return
    with ref().db.transaction() as connection:
        members.refresh(connection, segment_id)


def crm_demo_data(demo: Any) -> None:
    from .demo import load_demo_segments

    load_demo_segments(demo)
