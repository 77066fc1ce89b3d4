"""How the users service plugs into the core: functions named after the hooks they answer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..contributions import MigrationSource, NavItem


def crm_migrations() -> MigrationSource:
    return MigrationSource("core_users", Path(__file__).parent / "migrations")


def crm_tables() -> list[Any]:
    from .tables import TABLES

    return list(TABLES)


def crm_api_blueprints() -> list[Any]:
    from .api import make_blueprint

    return [make_blueprint()]


def crm_page_blueprints() -> list[Any]:
    from . import account_views, admin_views, public_views  # noqa: F401 - routes
    from .pages import users_pages, users_public

    return [users_pages, users_public]


def crm_navigation() -> list[NavItem]:
    return [NavItem("Users", "users_pages.users", "admin.users", order=90)]


def crm_demo_data(demo: Any) -> None:
    """Two demo agents are away for a while, so assignment has someone to skip."""
    from datetime import timedelta

    from ..storage.types import utcnow
    from .availability import add_absence

    agents = [user for user in demo.users if user["role"] == "agent"][:2]
    today = utcnow().date()
    with demo.host.db.transaction() as connection:
        for offset, agent in enumerate(agents):
            first = today + timedelta(days=3 + 7 * offset)
            add_absence(
                connection,
                demo.actor,
                agent["id"],
                {
                    "starts_on": first,
                    "ends_on": first + timedelta(days=4),
                    "note": "Holiday",
                },
            )
