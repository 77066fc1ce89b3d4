"""How the files service plugs into the core: one function per hook."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..contributions import (
    CustomerPanel,
    MigrationSource,
    OnDelete,
    Permission,
    RelationPolicy,
)
from ..settings.specs import SettingSpec


def crm_migrations() -> MigrationSource:
    return MigrationSource("core_files", Path(__file__).parent / "migrations")


def crm_tables() -> list[Any]:
    from .tables import metadata

    return list(metadata.sorted_tables)


def crm_permissions() -> list[Permission]:
    return [
        Permission(
            "file.read",
            "Download the files of records one may see",
            {"admin": "all", "manager": "all", "agent": "all", "viewer": "all"},
        ),
        Permission(
            "file.upload",
            "Attach files to records one may see",
            {"admin": "all", "manager": "all", "agent": "all"},
        ),
        Permission(
            "file.delete",
            "Delete files (own: only those one uploaded)",
            {"admin": "all", "manager": "team", "agent": "own"},
        ),
    ]


def crm_settings() -> list[SettingSpec]:
    return [
        SettingSpec(
            "files.max_upload_mb",
            "integer",
            default=25,
            label="Largest file upload (MB)",
            help="Uploads over this size are refused. The web server accepts "
            "at most 50 MB per request.",
            minimum=1,
            maximum=50,
        )
    ]


def crm_api_blueprints() -> list[Any]:
    from .api import make_blueprint

    return [make_blueprint()]


def crm_page_blueprints() -> list[Any]:
    from .pages import pages

    return [pages]


def crm_customer_panels() -> list[CustomerPanel]:
    from .pages import customer_files_panel

    return [CustomerPanel("Files", customer_files_panel, "file.read", order=40)]


def crm_relation_policies() -> list[RelationPolicy]:
    return [RelationPolicy("core_files_file", "customer_id", OnDelete.CASCADE, "files")]
