"""Fixtures for the page tests: a plugin with custom fields, signed-in clients."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Blueprint, render_template_string
from markupsafe import escape
from sqlalchemy import select

from crm_core import CustomerPanel, FieldSpec, NavItem
from crm_core.storage import schema
from crm_core.testing import make_plugin

FIELDS = [
    FieldSpec("tier", "choice", label="Tier", choices=("bronze", "silver", "gold")),
    FieldSpec("vip", "boolean", label="VIP"),
    FieldSpec("renewal", "date", label="Renewal date"),
    FieldSpec("seats", "integer", label="Seats"),
    FieldSpec("budget", "decimal", label="Budget"),
    FieldSpec("tax_id", "text", label="Tax number", sensitive=True),
    FieldSpec("next_call", "datetime", label="Next call"),
]


def _panel(customer: Any, actor: Any) -> str:
    return f"<p class='sample'>Orders of {escape(customer['display_name'])}</p>"


def _broken_panel(customer: Any, actor: Any) -> str:
    raise RuntimeError("the panel's data source is down")


def _navigation() -> list[NavItem]:
    return [
        NavItem("Everyone's page", "pages.customers", order=5),
        NavItem("Admin page", "pages.customers", "admin.users", order=6),
        NavItem("Missing page", "nowhere.view", order=7),
    ]


sample_pages = Blueprint("webtest_pages", __name__)


@sample_pages.route("/webtest/hello")
def hello() -> str:
    return render_template_string(
        '{% extends "crm/base.html" %}{% block content %}<p>Hello</p>{% endblock %}'
    )


def _panels() -> list[CustomerPanel]:
    return [
        CustomerPanel("Orders", _panel, order=10),
        CustomerPanel("Broken", _broken_panel, order=20),
        CustomerPanel("Secret", _panel, "admin.users", order=30),
    ]


@pytest.fixture
def crm_plugin_names() -> tuple[str, ...]:
    """Only the sample plugin below is enabled beside the core."""
    return ("webtest",)


@pytest.fixture
def crm_extra_plugins() -> list[object]:
    return [
        make_plugin(
            "webtest",
            crm_custom_fields=lambda: FIELDS,
            crm_navigation=_navigation,
            crm_customer_panels=_panels,
            crm_page_blueprints=lambda: [sample_pages],
        )
    ]


def csrf_token(client: Any, path: str = "/login") -> str:
    """The CSRF token of the form on ``path``."""
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


@pytest.fixture
def browser_for(
    crm_app: Any, crm_host: Any, crm_user: Callable[..., dict[str, Any]]
) -> Any:
    """A test client signed in as a new user of ``role``: ``browser_for("agent")``."""

    def make(role: str = "admin", **user: Any) -> Any:
        who = crm_user(role, **user)
        client = crm_app.test_client()
        # The sign-in form has its own tests; here the session is set
        # directly, sparing a password check per test.
        with crm_host.db.connect() as connection:
            epoch = connection.execute(
                select(schema.user.c.session_epoch).where(schema.user.c.id == who["id"])
            ).scalar()
        with client.session_transaction() as session:
            session.update(uid=who["id"], epoch=epoch)
        client.user = who
        return client

    return make


@pytest.fixture
def admin(browser_for: Any) -> Any:
    """A client signed in as an administrator named Ada Admin."""
    return browser_for("admin", name="Ada Admin")


@pytest.fixture
def add_customer(crm_host: Any) -> Callable[..., dict[str, Any]]:
    """Create a customer through the service, as ``user`` (a crm_user dict)."""

    def make(user: dict[str, Any], **data: Any) -> dict[str, Any]:
        with crm_host.db.transaction() as connection:
            actor = crm_host.actor(connection, user["id"])
            return dict(crm_host.customers.create(connection, actor, data))

    return make


@pytest.fixture
def add_activity(crm_host: Any) -> Callable[..., None]:
    """Put an activity on a customer's timeline."""

    def make(customer_id: int, subject: str, when: datetime, **extra: Any) -> None:
        now = datetime.now(UTC)
        with crm_host.db.transaction() as connection:
            connection.execute(
                schema.activity.insert().values(
                    customer_id=customer_id,
                    channel=extra.pop("channel", "email"),
                    kind=extra.pop("kind", "note"),
                    occurred_at=when,
                    subject=subject,
                    created_at=now,
                    updated_at=now,
                    **extra,
                )
            )

    return make


@pytest.fixture
def add_relationship(crm_host: Any) -> Callable[..., None]:
    """Record a person working at an organisation."""

    def make(person_id: int, organisation_id: int, role: str | None = None) -> None:
        now = datetime.now(UTC)
        with crm_host.db.transaction() as connection:
            connection.execute(
                schema.relationship.insert().values(
                    person_id=person_id,
                    organisation_id=organisation_id,
                    role=role,
                    created_at=now,
                    updated_at=now,
                )
            )

    return make


@pytest.fixture
def read() -> Callable[[Any], str]:
    """A response's HTML with runs of white space folded, for simple assertions."""

    def text_of(response: Any) -> str:
        return re.sub(r"\s+", " ", response.get_data(as_text=True))

    return text_of


@pytest.fixture
def token() -> Callable[..., str]:
    """The CSRF token of the form on a page: ``token(client, "/customers/new")``."""
    return csrf_token
