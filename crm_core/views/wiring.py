"""How bulk actions and saved views plug into the core: functions named after hooks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..contributions import MigrationSource, Permission
from .tables import TABLES


def crm_migrations() -> MigrationSource:
    return MigrationSource("core_views", Path(__file__).parent / "migrations")


def crm_tables() -> list[Any]:
    return list(TABLES)


def crm_permissions() -> list[Permission]:
    return [
        Permission(
            "view.share",
            "Share saved views of lists with everyone",
            {"admin": "all", "manager": "all"},
        ),
        Permission(
            "view.manage", "Change and delete anyone's saved views", {"admin": "all"}
        ),
    ]


def crm_api_blueprints() -> list[Any]:
    from .api import make_blueprint

    return [make_blueprint()]


def crm_page_blueprints() -> list[Any]:
    from .pages import pages

    return [pages]


def crm_demo_data(demo: Any) -> None:
    """A shared view of the demo's prospects, saved by the manager."""
    from ..security import load_actor
    from . import saved_views

    manager = next((u for u in demo.users if u["role"] == "manager"), None)
    if manager is None:
        return
    with demo.host.db.transaction() as connection:
        actor = load_actor(connection, manager["id"])
        if actor is None:
            return
        saved_views(demo.host).create(
            connection,
            actor,
            {
                "name": "Prospects by name",
                "shared": True,
                "filters": {"lifecycle_stage": "prospect"},
                "sort": "display_name",
                "columns": ["display_name", "email", "owner_id"],
            },
        )
