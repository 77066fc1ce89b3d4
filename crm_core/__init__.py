"""Strata CRM core: the customer, the hook API, events, storage and the host.

Plugins import what they need from here and from :mod:`crm_core.hookspecs`;
everything else in the package is private to the core.
"""

from .contract import (
    HOOK_API_VERSION,
    Contribution,
    HookKind,
    PluginInfo,
    Problem,
    hookimpl,
    hookspec,
)
from .contributions import (
    CustomerPanel,
    DataSource,
    FieldSpec,
    FieldType,
    JobSpec,
    MigrationSource,
    NavItem,
    OnDelete,
    Permission,
    RelationPolicy,
    ScheduleSpec,
    Subscription,
)
from .entities import Activity, Customer, CustomerKind, Relationship, Scope

__version__ = "0.1.0"

__all__ = [
    "HOOK_API_VERSION",
    "Activity",
    "Contribution",
    "Customer",
    "CustomerKind",
    "CustomerPanel",
    "DataSource",
    "FieldSpec",
    "FieldType",
    "HookKind",
    "JobSpec",
    "MigrationSource",
    "NavItem",
    "OnDelete",
    "Permission",
    "PluginInfo",
    "Problem",
    "RelationPolicy",
    "Relationship",
    "ScheduleSpec",
    "Scope",
    "Subscription",
    "hookimpl",
    "hookspec",
]
