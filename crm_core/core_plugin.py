"""The core's own contributions, registered like any plugin under the name ``core``.

The shared services (mail, segments, search, ...) live in their own packages;
each has a ``wiring`` module whose functions are named after the hooks they
answer (``crm_tables``, ``crm_jobs``, ...). The core's hook implementations
add their answers to the core's own, so a service is added by listing its
wiring module in :data:`SERVICES`.
"""

from __future__ import annotations

import importlib
import inspect
from functools import cache
from pathlib import Path
from types import ModuleType
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

#: Wiring modules of the shared services, in the order their migrations run.
SERVICES: tuple[str, ...] = tuple(
    f"crm_core.{name}.wiring"
    for name in (
        "settings",
        "files",
        "outbound",
        "mail",
        "tasks",
        "scores",
        "segments",
        "search",
        "views",
        "i18n",
        "users",
        "forms",
    )
)


@cache
def _services() -> tuple[ModuleType, ...]:
    return tuple(importlib.import_module(name) for name in SERVICES)


def _gather(hook: str, **kwargs: Any) -> list[Any]:
    """Every service's answer to ``hook``, flattened."""
    found: list[Any] = []
    for module in _services():
        function = getattr(module, hook, None)
        if function is None:
            continue
        wanted = inspect.signature(function).parameters
        result = function(**{k: v for k, v in kwargs.items() if k in wanted})
        if result is None:
            continue
        found.extend(result if isinstance(result, list | tuple) else [result])
    return found


def _notify(hook: str, **kwargs: Any) -> None:
    """Call every service's ``hook`` function, in service order."""
    for module in _services():
        function = getattr(module, hook, None)
        if function is not None:
            function(**kwargs)


@hookimpl
def crm_migrations() -> Any:
    return [
        MigrationSource("core", Path(__file__).parent / "migrations"),
        *_gather("crm_migrations"),
    ]


@hookimpl
def crm_tables() -> Any:
    return [*schema.metadata.sorted_tables, *_gather("crm_tables")]


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
        *_gather("crm_permissions"),
    ]


@hookimpl
def crm_api_blueprints() -> Any:
    from .api import blueprints

    return [*blueprints(), *_gather("crm_api_blueprints")]


@hookimpl
def crm_page_blueprints() -> Any:
    from .web import blueprints

    return [*blueprints(), *_gather("crm_page_blueprints")]


@hookimpl
def crm_navigation() -> Any:
    return [
        NavItem("Customers", "pages.customers", "customer.read", order=10),
        *_gather("crm_navigation"),
    ]


@hookimpl
def crm_record_types() -> Any:
    from .importing.activity_records import ACTIVITIES
    from .importing.customer_records import CUSTOMERS

    return [CUSTOMERS, ACTIVITIES, *_gather("crm_record_types")]


@hookimpl
def crm_demo_data(demo: Any) -> None:
    from .demo import core_demo_data

    core_demo_data(demo)
    _notify("crm_demo_data", demo=demo)


@hookimpl
def crm_relation_policies() -> Any:
    return [*CORE_POLICIES, *_gather("crm_relation_policies")]


@hookimpl
def crm_jobs() -> Any:
    return _gather("crm_jobs")


@hookimpl
def crm_schedules() -> Any:
    return _gather("crm_schedules")


@hookimpl
def crm_event_subscriptions() -> Any:
    return _gather("crm_event_subscriptions")


@hookimpl
def crm_cli_commands() -> Any:
    return _gather("crm_cli_commands")


@hookimpl
def crm_data_sources() -> Any:
    return _gather("crm_data_sources")


@hookimpl
def crm_settings() -> Any:
    return _gather("crm_settings")


@hookimpl
def crm_customer_panels() -> Any:
    return _gather("crm_customer_panels")


@hookimpl
def crm_host_started(host: Any) -> None:
    _notify("crm_host_started", host=host)
