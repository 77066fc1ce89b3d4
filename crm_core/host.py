"""The host: configuration, database, loaded plugins and the services built on them.

One :class:`Host` serves a web process, a worker process or a CLI command;
the Flask app (:func:`crm_core.app.create_app`) is a thin layer over it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Table, select

from . import core_plugin
from .config import Config
from .contract import Contribution
from .contributions import MigrationSource, Permission
from .customers import CustomerService
from .events import EventBus
from .fields import FieldRegistry
from .jobs import JobQueue
from .plugins import Candidate, PluginManager, discover, module_candidate
from .relations import Relations
from .security import BUILTIN_ROLES, Actor, load_actor, role_grants
from .storage import migrations, schema
from .storage.database import Database

log = logging.getLogger("crm_core")


class HostError(RuntimeError):
    """The installation cannot start as configured; the message says why."""


class Host:
    """Everything one Strata installation is made of."""

    def __init__(
        self,
        config: Config,
        *,
        plugins: Sequence[object] = (),
        use_installed: bool = True,
    ) -> None:
        self.config = config
        self.db = Database(config.database_url)
        self.plugins = PluginManager(
            strict=config.strict_plugins, trace=config.trace_hooks
        )
        candidates: list[Candidate] = [module_candidate(core_plugin, "core")]
        if use_installed:
            candidates += discover()
        candidates += [module_candidate(plugin) for plugin in plugins]
        self.plugins.load(candidates, enabled=config.plugins)
        self.tables = self._owned_tables()
        self.permissions = self._permissions()
        self.fields = FieldRegistry(
            (c.plugin, c.value) for c in self.plugins.collect("crm_custom_fields")
        )
        self.relations = Relations(
            [c.value for c in self.plugins.collect("crm_relation_policies")],
            self.tables.values(),
        )
        self.events = EventBus(
            self.db, self._claimed("crm_event_subscriptions", "name")
        )
        self.jobs = JobQueue(
            self.db,
            {spec.name: spec for spec in self._claimed("crm_jobs", "name")},
            self._claimed("crm_schedules", "name"),
        )
        self.customers = CustomerService(self)
        #: Shared services keep their per-host state here, keyed by service name.
        self.extensions: dict[str, Any] = {}
        self.plugins.notify("crm_host_started", base_first=True, host=self)

    # -- plugin contributions ---------------------------------------------

    def _claimed(self, hook: str, key: str) -> list[Any]:
        """Contributions of ``hook``, refusing two plugins claiming one ``key``."""
        return [
            c.value
            for c in self.unique(
                self.plugins.collect(hook), lambda v: getattr(v, key), hook
            )
        ]

    @staticmethod
    def unique(
        found: list[Contribution], key: Callable[[Any], str], what: str
    ) -> list[Contribution]:
        seen: dict[str, str] = {}
        for contribution in found:
            name = key(contribution.value)
            if name in seen:
                raise HostError(
                    f"plugins {seen[name]!r} and {contribution.plugin!r} both claim "
                    f"{name!r} ({what}); disable one of them"
                )
            seen[name] = contribution.plugin
        return found

    def _owned_tables(self) -> dict[str, Table]:
        found = self.unique(
            self.plugins.collect("crm_tables"), lambda t: t.name, "table"
        )
        for contribution in found:
            prefix = f"{contribution.plugin}_"
            if not contribution.value.name.startswith(prefix):
                raise HostError(
                    f"plugin {contribution.plugin!r} declares table "
                    f"{contribution.value.name!r}; its tables must start with {prefix!r}"
                )
        return {c.value.name: c.value for c in found}

    def _permissions(self) -> dict[str, Permission]:
        found = self.unique(
            self.plugins.collect("crm_permissions"), lambda p: p.name, "permission"
        )
        return {c.value.name: c.value for c in found}

    def migration_sources(self) -> list[MigrationSource]:
        """Every owner's revisions: the core's first, then plugins in load order."""
        by_plugin: dict[str, list[MigrationSource]] = {}
        for contribution in self.plugins.collect("crm_migrations"):
            by_plugin.setdefault(contribution.plugin, []).append(contribution.value)
        return [
            source for name in self.plugins.order for source in by_plugin.get(name, [])
        ]

    # -- database ------------------------------------------------------------

    def upgrade(self) -> list[str]:
        """Migrate core then plugins, and refresh the built-in roles' grants."""
        done = migrations.upgrade(self.db, self.migration_sources())
        with self.db.transaction() as connection:
            self.sync_roles(connection)
        return done

    def pending_migrations(self) -> list[str]:
        return migrations.pending(self.db, self.migration_sources())

    def sync_roles(self, connection: Connection) -> None:
        """Give built-in roles the default grants plugins declare; custom roles are kept."""
        grants = role_grants(self.permissions.values())
        r = schema.role
        existing = {row.name for row in connection.execute(select(r.c.name))}
        for name, label in BUILTIN_ROLES.items():
            values = {"label": label, "grants": grants.get(name, {}), "builtin": True}
            if name in existing:
                connection.execute(r.update().where(r.c.name == name).values(**values))
            else:
                connection.execute(r.insert().values(name=name, **values))

    def actor(self, connection: Connection, user_id: int) -> Actor | None:
        return load_actor(connection, user_id)

    def record_types(self) -> dict[str, Any]:
        found = self.unique(
            self.plugins.collect("crm_record_types"), lambda r: r.name, "record type"
        )
        return {c.value.name: c.value for c in found}

    def close(self) -> None:
        self.db.dispose()


def iter_values(found: Iterable[Contribution]) -> list[Any]:
    return [c.value for c in found]
