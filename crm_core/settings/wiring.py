"""How the settings service plugs into the core: one function per hook."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..contributions import MigrationSource, NavItem, Permission


def crm_migrations() -> MigrationSource:
    return MigrationSource("core_settings", Path(__file__).parent / "migrations")


def crm_tables() -> list[Any]:
    from .tables import metadata

    return list(metadata.sorted_tables)


def crm_permissions() -> list[Permission]:
    return [
        Permission(
            "settings.read",
            "See the settings (secrets only as set or not set)",
            {"admin": "all", "manager": "all"},
        ),
        Permission("admin.settings", "Change the settings", {"admin": "all"}),
    ]


def crm_api_blueprints() -> list[Any]:
    from .api import make_blueprint

    return [make_blueprint()]


def crm_page_blueprints() -> list[Any]:
    from .pages import pages

    return [pages]


def crm_navigation() -> list[NavItem]:
    return [NavItem("Settings", "settings_pages.edit", "admin.settings", order=90)]
