"""Fixtures for the tasks tests: users in a time zone, customers, a bound worker."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from crm_core.jobs import Worker
from crm_core.outbound import wiring as outbound_wiring
from crm_core.storage import schema
from crm_core.tasks import tasks_service
from crm_core.tasks import wiring as tasks_wiring


@pytest.fixture
def set_zone(crm_host: Any) -> Callable[[int, str], None]:
    """Give a user a time zone: ``set_zone(user_id, "Europe/Berlin")``."""

    def store(user_id: int, zone: str) -> None:
        with crm_host.db.transaction() as connection:
            connection.execute(
                schema.user.update()
                .where(schema.user.c.id == user_id)
                .values(timezone=zone)
            )

    return store


@pytest.fixture
def person(
    crm_host: Any, crm_user: Callable[..., dict[str, Any]], set_zone: Any
) -> Any:
    """The actor of a new user in a zone: ``person("agent", "Europe/Berlin")``."""

    def make(role: str = "admin", zone: str = "Europe/Berlin", **user: Any) -> Any:
        made = crm_user(role, **user)
        set_zone(made["id"], zone)
        with crm_host.db.connect() as connection:
            return crm_host.actor(connection, made["id"])

    return make


@pytest.fixture
def tasks(crm_host: Any) -> Any:
    return tasks_service(crm_host)


@pytest.fixture
def create(crm_host: Any, tasks: Any) -> Callable[..., dict[str, Any]]:
    """Create a task through the service: ``create(actor, title="Call", ...)``."""

    def make(actor: Any, **data: Any) -> dict[str, Any]:
        data.setdefault("title", "Call back")
        with crm_host.db.transaction() as connection:
            return dict(tasks.create(connection, actor, data))

    return make


@pytest.fixture
def customer_for(crm_host: Any) -> Callable[..., dict[str, Any]]:
    """A customer created by ``actor``."""

    def make(actor: Any, name: str = "Grace Hopper") -> dict[str, Any]:
        with crm_host.db.transaction() as connection:
            return dict(crm_host.customers.create(connection, actor, {"name": name}))

    return make


@pytest.fixture
def worker(crm_host: Any) -> Worker:
    """A worker for the test host, with the shared services bound to it."""
    for wiring in (outbound_wiring, tasks_wiring):
        wiring.crm_host_started(crm_host)
    return Worker(crm_host.db, crm_host.events, crm_host.jobs)
