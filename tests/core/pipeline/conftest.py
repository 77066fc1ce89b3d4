"""Fixtures for running imports as a user would, through the pipeline."""

from __future__ import annotations

import pytest

from crm_core.importing import mapping_from_arguments
from crm_core.importing.pipeline import ImportRequest, run_import


@pytest.fixture
def run(crm_host, crm_actor):
    """Import a file: ``run("customers", path, maps=[...], sets=[...], keys=[...], ...)``."""
    admin = crm_actor("admin")

    def go(record_type, path, *, maps=(), sets=(), types=(), actor=None, **options):
        request = ImportRequest(
            record_type=record_type,
            path=path,
            mapping=mapping_from_arguments(maps, sets, types),
            **options,
        )
        return run_import(crm_host, actor or admin, request)

    return go
