"""Fixtures for the user lifecycle tests: captured e-mails, signed-in clients."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from crm_core.storage import schema
from crm_core.users import mailing


@pytest.fixture
def outbox(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The core e-mails sent during the test, captured before the mail service."""
    sent: list[dict[str, Any]] = []

    def capture(host, connection, message, *, to_address, to_customer_id=None):
        sent.append(
            {
                "to": to_address,
                "notice": message.notice,
                "subject": message.subject,
                "text": message.text,
            }
        )

    monkeypatch.setattr(mailing, "deliver", capture)
    return sent


def _link_in(mail: dict[str, Any]) -> str:
    found = re.search(r"https?://[^/\s]+(/\S+)", mail["text"])
    assert found, f"no link in {mail['text']!r}"
    return found.group(1)


@pytest.fixture
def link_in() -> Callable[[dict[str, Any]], str]:
    """The path of the link in a captured e-mail's text."""
    return _link_in


@pytest.fixture
def signed_in(
    crm_app: Any, crm_host: Any, crm_user: Callable[..., dict[str, Any]]
) -> Callable[..., Any]:
    """A client signed in as a new user of ``role``."""

    def make(role: str = "admin", **user: Any) -> Any:
        who = crm_user(role, **user)
        client = crm_app.test_client()
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
def admin(signed_in: Callable[..., Any]) -> Any:
    return signed_in("admin", name="Ada Admin")


def csrf(client: Any, path: str) -> str:
    """The CSRF token of the form on ``path``."""
    page = client.get(path).get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


@pytest.fixture
def token() -> Callable[[Any, str], str]:
    return csrf


@pytest.fixture
def user_row(crm_host: Any) -> Callable[[int], dict[str, Any]]:
    """A user's stored row."""

    def read(user_id: int) -> dict[str, Any]:
        with crm_host.db.connect() as connection:
            row = connection.execute(
                select(schema.user).where(schema.user.c.id == user_id)
            ).mappings()
            return dict(row.one())

    return read
