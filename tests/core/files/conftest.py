"""Fixtures for the files tests: a data folder per test, customers and sample bytes."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import pytest

from crm_core.files import files_service

API = "/api/v1/files"


@pytest.fixture
def crm_config(crm_config: Any, tmp_path: Path) -> Any:
    """Every test keeps its files in its own data folder."""
    return attrs.evolve(crm_config, data_dir=tmp_path / "data")


@pytest.fixture
def files(crm_host: Any) -> Any:
    return files_service(crm_host)


@pytest.fixture
def customer_of(crm_host: Any) -> Callable[..., dict[str, Any]]:
    """Create a customer owned by ``user`` (a crm_user dict)."""

    def make(user: dict[str, Any], name: str = "Ada Lovelace") -> dict[str, Any]:
        with crm_host.db.transaction() as connection:
            actor = crm_host.actor(connection, user["id"])
            return dict(crm_host.customers.create(connection, actor, {"name": name}))

    return make


@pytest.fixture
def upload(crm_api: Any) -> Callable[..., Any]:
    """POST a file to a record: ``upload(client, 7, "a.pdf", b"...")``."""

    def post(
        client: Any,
        record_id: Any,
        name: str,
        data: bytes,
        record_type: str = "customer",
    ) -> Any:
        form = {
            "record_type": record_type,
            "record_id": str(record_id),
            "file": (io.BytesIO(data), name),
        }
        return client.post(API, data=form, content_type="multipart/form-data")

    return post
