"""Fixtures for the web form tests: declared forms, captured e-mails, submitting."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from crm_core import FieldSpec
from crm_core.forms import FormField, FormSpec
from crm_core.storage import schema
from crm_core.testing import make_plugin
from crm_core.users import mailing

CONTACT = FormSpec(
    name="contact",
    title="Contact us",
    fields=[
        FormField("name", "Your name", required=True),
        "email",
        "phone",
        FormField("budget", "Budget"),
        FormField("newsletter_topic", "Topic"),
    ],
    constants={"lifecycle_stage": "lead", "tags": "website"},
    consent_purpose="email_marketing",
)
NEWSLETTER = FormSpec(
    name="newsletter",
    title="Our newsletter",
    fields=["email", "name"],
    consent_purpose="email_marketing",
    consent_required=True,
)


@pytest.fixture
def crm_plugin_names() -> tuple[str, ...]:
    return ("formtest",)


@pytest.fixture
def crm_extra_plugins() -> list[object]:
    return [
        make_plugin(
            "formtest",
            crm_forms=lambda: [CONTACT, NEWSLETTER],
            crm_custom_fields=lambda: [
                FieldSpec("budget", "decimal", label="Budget"),
                FieldSpec("newsletter_topic", "choice", choices=("sales", "service")),
            ],
        )
    ]


@pytest.fixture
def outbox(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The core e-mails sent during the test."""
    sent: list[dict[str, Any]] = []

    def capture(host, connection, message, *, to_address, to_customer_id=None):
        sent.append(
            {"to": to_address, "subject": message.subject, "text": message.text}
        )

    monkeypatch.setattr(mailing, "deliver", capture)
    return sent


@pytest.fixture
def submit(crm_app: Any) -> Callable[..., Any]:
    """Post ``fields`` to ``form`` as a visitor would, its token included."""

    def post(
        form: str,
        client: Any = None,
        address: str = "203.0.113.7",
        language: str = "en",
        **fields: Any,
    ) -> Any:
        client = client or crm_app.test_client()
        headers = {"Accept-Language": language}
        page = client.get(f"/f/{form}", headers=headers).get_data(as_text=True)
        hidden = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', page))
        data = {**hidden, "website": "", **fields}
        return client.post(
            f"/f/{form}",
            data=data,
            headers=headers,
            environ_base={"REMOTE_ADDR": address},
        )

    return post


@pytest.fixture
def customers(crm_host: Any) -> Callable[[], list[dict[str, Any]]]:
    """Every customer row."""

    def read() -> list[dict[str, Any]]:
        with crm_host.db.connect() as connection:
            rows = connection.execute(
                select(schema.customer).order_by(schema.customer.c.id)
            )
            return [dict(row) for row in rows.mappings()]

    return read


@pytest.fixture
def consents(crm_host: Any) -> Callable[[], list[dict[str, Any]]]:
    def read() -> list[dict[str, Any]]:
        with crm_host.db.connect() as connection:
            rows = connection.execute(select(schema.consent))
            return [dict(row) for row in rows.mappings()]

    return read


@pytest.fixture
def link_in() -> Callable[[dict[str, Any]], str]:
    def find(mail: dict[str, Any]) -> str:
        found = re.search(r"https?://[^/\s]+(/\S+)", mail["text"])
        assert found, mail["text"]
        return found.group(1)

    return find


@pytest.fixture
def read_page(crm_app: Any) -> Callable[[str], str]:
    """The HTML of a page as an anonymous visitor sees it."""
    return lambda path: crm_app.test_client().get(path).get_data(as_text=True)
