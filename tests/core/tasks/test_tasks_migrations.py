"""The tasks service's revisions roll back to nothing and apply again."""

from __future__ import annotations

from sqlalchemy import inspect

from crm_core.storage import migrations


def test_tasks_tables_downgrade_and_upgrade_again(crm_host):
    """Downgrading removes the service's tables; upgrading brings them back."""
    source = next(s for s in crm_host.migration_sources() if s.owner == "core_tasks")
    owned = {name for name in crm_host.tables if name.startswith("core_tasks_")}
    migrations.downgrade(crm_host.db, source)
    assert owned.isdisjoint(inspect(crm_host.db.engine).get_table_names())
    crm_host.upgrade()
    assert owned <= set(inspect(crm_host.db.engine).get_table_names())
    assert crm_host.pending_migrations() == []
