"""Fixtures for the settings tests: a plugin declaring one setting of each type."""

from __future__ import annotations

from typing import Any

import pytest

from crm_core.security import SYSTEM
from crm_core.settings import SettingSpec, settings_service
from crm_core.testing import make_plugin

SPECS = [
    SettingSpec("acme.greeting", "text", default="Hello", label="Greeting"),
    SettingSpec("acme.seats", "integer", default=5, minimum=1, maximum=100),
    SettingSpec("acme.rate", "decimal", default="0.25"),
    SettingSpec("acme.enabled", "boolean", default=False),
    SettingSpec("acme.colour", "choice", default="red", choices=("red", "green")),
    SettingSpec("acme.api_key", "secret", label="API key"),
    SettingSpec("acme.partners", "hosts"),
]


@pytest.fixture
def crm_plugin_names() -> tuple[str, ...]:
    return ("acme",)


@pytest.fixture
def crm_extra_plugins() -> list[object]:
    return [make_plugin("acme", crm_settings=lambda: SPECS)]


@pytest.fixture
def settings(crm_host: Any) -> Any:
    """The settings service of the test host."""
    return settings_service(crm_host)


@pytest.fixture
def change(crm_host: Any, settings: Any) -> Any:
    """Store values as the system: ``change({"acme.seats": 7})``."""

    def store(values: dict[str, Any], actor: Any = SYSTEM) -> list[str]:
        with crm_host.db.transaction() as connection:
            return list(settings.update(connection, actor, values))

    return store
