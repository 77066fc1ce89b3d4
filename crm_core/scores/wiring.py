"""How the score store plugs into the core: functions named after hooks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from ..contributions import DataSource, MigrationSource
from .tables import TABLES, latest


def crm_migrations() -> MigrationSource:
    return MigrationSource("core_scores", Path(__file__).parent / "migrations")


def crm_tables() -> list[Any]:
    return list(TABLES)


def crm_api_blueprints() -> list[Any]:
    from .api import make_blueprint

    return [make_blueprint()]


def crm_data_sources() -> list[DataSource]:
    return [
        DataSource(
            "core.scores",
            "The latest value of every score of every customer",
            lambda: select(
                latest.c.customer_id,
                latest.c.name,
                latest.c.value,
                latest.c.computed_at,
                latest.c.model_version,
            ),
            {
                "customer_id": "the customer",
                "name": "the score's name",
                "value": "its latest value",
                "computed_at": "when the model computed it",
                "model_version": "the model that computed it",
            },
        )
    ]
