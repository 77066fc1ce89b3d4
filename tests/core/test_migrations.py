"""Migrations: every revision rolls back, and the tables match what the revisions build."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, inspect

from crm_core.storage import migrations


def test_core_downgrades_to_nothing_and_upgrades_again(crm_host):
    """The core's revisions roll back to an empty database and apply again."""
    source = crm_host.migration_sources()[0]
    migrations.downgrade(crm_host.db, source)
    left = set(inspect(crm_host.db.engine).get_table_names()) - {source.version_table}
    assert left == set()
    crm_host.upgrade()
    assert "core_customer" in inspect(crm_host.db.engine).get_table_names()
    assert crm_host.pending_migrations() == []


def test_table_definitions_match_the_migrated_database(crm_host):
    """No table, column, index or type differs between crm_tables and the revisions."""
    metadata = MetaData()
    for table in crm_host.tables.values():
        table.to_metadata(metadata)
    owned = set(crm_host.tables)

    def include(obj, name, kind, reflected, other):
        if kind == "table":
            return name in owned
        # The GIN index on customer attributes exists on PostgreSQL only, by design.
        return not (kind == "index" and name == "ix_core_customer_attributes")

    with crm_host.db.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"include_object": include, "compare_type": True}
        )
        differences = compare_metadata(context, metadata)
    assert differences == []
