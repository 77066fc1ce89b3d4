"""Fixtures for the segment tests: customers, fields, relations and activities."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from crm_core import FieldSpec
from crm_core.importing import mapping_from_arguments
from crm_core.importing.pipeline import ImportRequest, run_import
from crm_core.security import SYSTEM
from crm_core.segments import segment_members, segment_service
from crm_core.storage import schema

FIELDS = [
    FieldSpec("plan", "choice", choices=("basic", "pro", "enterprise")),
    FieldSpec("seats", "integer"),
    FieldSpec("budget", "decimal"),
    FieldSpec("vip", "boolean"),
    FieldSpec("renewal", "date"),
    FieldSpec("city", "text"),
    FieldSpec("tax_id", "text", sensitive=True),
]


@pytest.fixture
def declared(crm_host) -> None:
    """The custom fields above, declared on customers."""
    with crm_host.db.transaction() as connection:
        for spec in FIELDS:
            crm_host.fields.declare(connection, spec, "test")


@pytest.fixture
def add(crm_host, declared) -> Callable[..., int]:
    """Create a customer as the system (or ``actor``); returns its id."""

    def make(actor: Any = SYSTEM, **data: Any) -> int:
        with crm_host.db.transaction() as connection:
            return int(crm_host.customers.create(connection, actor, data)["id"])

    return make


@pytest.fixture
def employ(crm_host) -> Callable[..., None]:
    """Record a person working at an organisation (``ended_on`` optional)."""

    def make(person: int, organisation: int, ended_on: str | None = None) -> None:
        now = datetime.now(UTC)
        with crm_host.db.transaction() as connection:
            connection.execute(
                schema.relationship.insert().values(
                    person_id=person,
                    organisation_id=organisation,
                    ended_on=ended_on,
                    created_at=now,
                    updated_at=now,
                )
            )

    return make


@pytest.fixture
def log_activity(crm_host) -> Callable[..., None]:
    """Put an activity on a customer's timeline ``days_ago`` days back."""

    def make(
        customer: int, kind: str, channel: str = "email", days_ago: int = 1
    ) -> None:
        now = datetime.now(UTC)
        with crm_host.db.transaction() as connection:
            connection.execute(
                schema.activity.insert().values(
                    customer_id=customer,
                    channel=channel,
                    kind=kind,
                    occurred_at=now - timedelta(days=days_ago),
                    created_at=now,
                    updated_at=now,
                )
            )

    return make


@pytest.fixture
def matching(crm_host) -> Callable[..., set[int]]:
    """The ids ``rules`` match for ``actor`` (the system by default)."""

    def ids(rules: Any, actor: Any = SYSTEM) -> set[int]:
        service = segment_service(crm_host)
        with crm_host.db.connect() as connection:
            query = service.matching(connection, actor, rules)
            return set(connection.execute(query).scalars())

    return ids


@pytest.fixture
def segments(crm_host) -> Any:
    """The segment service of the test host."""
    return segment_service(crm_host)


@pytest.fixture
def members(crm_host) -> Any:
    """Members and snapshots of the test host's segments."""
    return segment_members(crm_host)


@pytest.fixture
def import_file(crm_host, crm_actor) -> Callable[..., Any]:
    """Import a customer file through the real pipeline, as an administrator."""
    admin = crm_actor("admin")

    def go(path: Any, *, maps: tuple[str, ...] = (), keys: tuple[str, ...] = ()) -> Any:
        request = ImportRequest(
            record_type="customers",
            path=path,
            mapping=mapping_from_arguments(maps),
            keys=keys,
            create_fields=True,
        )
        return run_import(crm_host, admin, request)

    return go
