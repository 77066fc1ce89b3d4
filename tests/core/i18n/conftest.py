"""Fixtures for the language tests: a plugin with a catalogue, money and dates."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from markupsafe import escape
from sqlalchemy import select, update

from crm_core import CustomerPanel, FieldSpec, NavItem
from crm_core.i18n import format_money, gettext
from crm_core.storage import schema
from crm_core.testing import make_plugin

TRANSLATIONS = Path(__file__).parent / "translations"


def _value_panel(customer: Any, actor: Any) -> str:
    amount = format_money(Decimal("1234.50"), "CNY")
    return f"<p class='value'>{escape(gettext('Lifetime value'))}: {escape(amount)}</p>"


@pytest.fixture
def crm_plugin_names() -> tuple[str, ...]:
    return ("i18ntest",)


@pytest.fixture
def crm_extra_plugins() -> list[object]:
    return [
        make_plugin(
            "i18ntest",
            crm_custom_fields=lambda: [
                FieldSpec("budget", "decimal", label="Budget"),
                FieldSpec("renewal", "date", label="Renewal date"),
            ],
            crm_customer_panels=lambda: [CustomerPanel("Value", _value_panel)],
            crm_navigation=lambda: [NavItem("Orders", "pages.customers", order=50)],
            crm_translations=lambda: [("i18ntest", TRANSLATIONS)],
        )
    ]


@pytest.fixture
def signed_in(
    crm_app: Any, crm_host: Any, crm_user: Callable[..., dict[str, Any]]
) -> Callable[..., Any]:
    """A client signed in as a new user: ``signed_in(language="zh_Hans_CN")``."""

    def make(role: str = "admin", **settings: Any) -> Any:
        who = crm_user(role, name="Lin Wei")
        with crm_host.db.transaction() as connection:
            if settings:
                connection.execute(
                    update(schema.user)
                    .where(schema.user.c.id == who["id"])
                    .values(**settings)
                )
            epoch = connection.execute(
                select(schema.user.c.session_epoch).where(schema.user.c.id == who["id"])
            ).scalar()
        client = crm_app.test_client()
        with client.session_transaction() as session:
            session.update(uid=who["id"], epoch=epoch)
        client.user = who
        return client

    return make


def csrf(client: Any, path: str = "/login") -> str:
    """The CSRF token of the form on ``path``."""
    page = client.get(path).get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


@pytest.fixture
def token() -> Callable[..., str]:
    return csrf
