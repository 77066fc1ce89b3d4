"""Fixtures for the API tests: clients by role, customers and custom fields."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from crm_core import FieldSpec

API = "/api/v1"


@pytest.fixture
def create() -> Callable[[Any, str, dict[str, Any]], dict[str, Any]]:
    """POST a body and return the created record, failing on anything but 201."""

    def post(client: Any, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = client.post(API + path, json=body)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return post


@pytest.fixture
def admin(crm_api: Callable[..., Any]) -> Any:
    """A client with an administrator's token."""
    return crm_api("admin")


@pytest.fixture
def new_customer(admin: Any, create: Any) -> Callable[..., dict[str, Any]]:
    """Create a customer through the API as an administrator."""

    def make(client: Any = None, **body: Any) -> dict[str, Any]:
        body.setdefault("name", "Ada Lovelace")
        return create(client or admin, "/customers", body)

    return make


@pytest.fixture
def declare(crm_host: Any) -> Callable[..., None]:
    """Declare a custom field of customers: ``declare("tier", "text")``."""

    def make(name: str, type: str, **options: Any) -> None:
        with crm_host.db.transaction() as connection:
            crm_host.fields.declare(
                connection, FieldSpec(name=name, type=type, **options), "test"
            )

    return make
