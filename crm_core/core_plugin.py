"""The core's own contributions, registered like any plugin under the name ``core``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .contract import PluginInfo, hookimpl
from .contributions import MigrationSource, NavItem, Permission
from .relations import CORE_POLICIES
from .storage import schema

PLUGIN = PluginInfo(
    name="core",
    version="0.1.0",
    hook_api=">=1,<2",
    description="Customers, relationships, the timeline, users and the shared services.",
)

_ALL = {"admin": "all"}


@hookimpl
def crm_migrations() -> Any:
    return MigrationSource("core", Path(__file__).parent / "migrations")


@hookimpl
def crm_tables() -> Any:
    return list(schema.metadata.sorted_tables)


@hookimpl
def crm_permissions() -> Any:
    def everyone(agent: str) -> dict[str, str]:
        return {"admin": "all", "manager": "team", "agent": agent, "viewer": "all"}

    return [
        Permission(
            "customer.read", "See customers and their timeline", everyone("team")
        ),
        Permission(
            "customer.create",
            "Create customers",
            {"admin": "all", "manager": "team", "agent": "own"},
        ),
        Permission(
            "customer.update",
            "Change customers",
            {"admin": "all", "manager": "team", "agent": "own"},
        ),
        Permission(
            "customer.delete",
            "Delete and restore customers",
            {"admin": "all", "manager": "team"},
        ),
        Permission(
            "customer.assign_owner",
            "Choose a customer's owner",
            {"admin": "all", "manager": "team"},
        ),
        Permission(
            "customer.read_sensitive",
            "See fields marked sensitive",
            {"admin": "all", "manager": "team"},
        ),
        Permission(
            "customer.import",
            "Import customers and activities",
            {"admin": "all", "manager": "team"},
        ),
        Permission(
            "customer.export",
            "Export customers and activities",
            {"admin": "all", "manager": "team"},
        ),
        Permission(
            "audit.read", "See change history", {"admin": "all", "manager": "team"}
        ),
        Permission("admin.users", "Manage users, teams and tokens", _ALL),
        Permission("admin.fields", "Declare custom fields", _ALL),
    ]


@hookimpl
def crm_api_blueprints() -> Any:
    from .api import blueprints

    return blueprints()


@hookimpl
def crm_page_blueprints() -> Any:
    from .web import blueprints

    return blueprints()


@hookimpl
def crm_navigation() -> Any:
    return [NavItem("Customers", "pages.customers", "customer.read", order=10)]


@hookimpl
def crm_record_types() -> Any:
    from .importing.activity_records import ACTIVITIES
    from .importing.customer_records import CUSTOMERS

    return [CUSTOMERS, ACTIVITIES]


@hookimpl
def crm_demo_data(demo: Any) -> None:
    from .demo import core_demo_data

    core_demo_data(demo)


@hookimpl
def crm_relation_policies() -> Any:
    return list(CORE_POLICIES)
