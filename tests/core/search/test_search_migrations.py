"""The migrations of search, segments, scores and views roll back and apply again."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

from crm_core.search import search_index
from crm_core.security import SYSTEM
from crm_core.storage import migrations

OWNERS = ("core_search", "core_segments", "core_scores", "core_views")


@pytest.mark.parametrize("owner", OWNERS)
def test_a_service_downgrades_to_nothing_and_upgrades_again(crm_host, owner):
    """Each service's revisions drop its tables (and full-text index) and rebuild."""
    source = next(s for s in crm_host.migration_sources() if s.owner == owner)
    prefix = f"{owner}_"
    migrations.downgrade(crm_host.db, source)
    left = [
        name
        for name in inspect(crm_host.db.engine).get_table_names()
        if name.startswith(prefix) and name != source.version_table
    ]
    assert left == []
    if owner == "core_search":
        assert "core_search_fts" not in inspect(crm_host.db.engine).get_table_names()
    crm_host.upgrade()
    assert crm_host.pending_migrations() == []


def test_the_full_text_index_works_after_a_fresh_upgrade(crm_host):
    """After rolling back and upgrading, entries are indexed by the triggers again."""
    source = next(s for s in crm_host.migration_sources() if s.owner == "core_search")
    migrations.downgrade(crm_host.db, source)
    crm_host.upgrade()
    with crm_host.db.transaction() as connection:
        made = crm_host.customers.create(connection, SYSTEM, {"name": "Zoë Quist"})
        search_index(crm_host).refresh(connection, "customer", [made["id"]])
    with crm_host.db.connect() as connection:
        hits = search_index(crm_host).search(connection, SYSTEM, "zoe qui")
    assert [hit.record_id for hit in hits] == [made["id"]]
