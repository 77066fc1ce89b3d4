"""Fixtures for the mail tests: a real SMTP server on 127.0.0.1 and the service."""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Callable, Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser
from email.policy import compat32
from typing import Any

import attrs
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import insert, select

from crm_core import auth
from crm_core.jobs import JobQueue, Worker
from crm_core.mail import MailService, MailTemplate, mail_service
from crm_core.mail.delivery import DELIVER_JOB
from crm_core.security import SYSTEM
from crm_core.storage import schema
from crm_core.storage.types import utcnow

NEWSLETTER = {
    "name": "news",
    "subject": "News for {{ customer.name | default('you') }}",
    "text_body": (
        "Hello {{ customer.name | default('there') }}!\nLeave: {{ unsubscribe_url }}\n"
    ),
    "html_body": '<p>Hello {{ customer.name | default("there") }}!</p>'
    '<p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>',
}


class SmtpSink:
    """An SMTP handler that keeps what it receives and can refuse on request."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], bytes]] = []
        self.refuse: dict[str, str] = {}
        self.data_reply: str | None = None
        self.port = 0
        self._lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, options) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.data_reply:
            return self.data_reply
        with self._lock:
            self.received.append((list(envelope.rcpt_tos), envelope.original_content))
        return "250 Message accepted"

    def messages(self) -> list[EmailMessage]:
        with self._lock:
            raw = [data for _to, data in self.received]
        return [message_from_bytes(data, policy=policy.default) for data in raw]

    def headers(self) -> list[Message]:
        """The headers of each message only: quicker to read for many messages."""
        with self._lock:
            raw = [data for _to, data in self.received]
        parser = BytesHeaderParser(policy=compat32)
        return [parser.parsebytes(data) for data in raw]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def unused_port() -> int:
    """A TCP port on 127.0.0.1 nothing listens on (at the time of asking)."""
    return free_port()


@pytest.fixture
def smtp_server() -> Iterator[SmtpSink]:
    """A real SMTP server on 127.0.0.1 that collects every message."""
    sink = SmtpSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    sink.port = controller.port
    yield sink
    controller.stop()


@pytest.fixture
def crm_config(crm_config: Any, smtp_server: SmtpSink) -> Any:
    """The test host's configuration: mail through ``smtp_server``, no limit."""
    extra = {
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp_server.port,
        "mail_from": "Strata CRM <crm@strata.example>",
        "base_url": "https://crm.example.com",
        "mail_rate_per_minute": 0,
    }
    return attrs.evolve(crm_config, extra={**crm_config.extra, **extra})


@pytest.fixture
def mail(crm_host: Any) -> Iterator[MailService]:
    """The mail service of the test host."""
    service = mail_service(crm_host)
    yield service
    service.close()


@pytest.fixture
def worker(crm_host: Any, mail: MailService) -> Worker:
    """A worker running mail deliveries only; call ``run_once()`` to deliver.

    Other services' schedules are left out so their work does not mix in.
    """
    queue = JobQueue(crm_host.db, {DELIVER_JOB: crm_host.jobs.specs[DELIVER_JOB]})
    return Worker(crm_host.db, crm_host.events, queue, job_batch_size=200)


@pytest.fixture
def news(crm_host: Any, mail: MailService) -> MailTemplate:
    """A marketing template with a personal greeting and an unsubscribe link."""
    with crm_host.db.transaction() as connection:
        return mail.templates.create(connection, SYSTEM, NEWSLETTER)


@pytest.fixture
def add_customers(crm_host: Any) -> Callable[..., list[int]]:
    """Insert ``count`` customers named "Customer <n>" at c<n>@example.com."""

    def make(count: int, start: int = 0, **values: Any) -> list[int]:
        now = utcnow()
        c = schema.customer
        rows = [
            {
                "kind": "person",
                "external_id": f"test-{n}",
                "name": f"Customer {n}",
                "display_name": f"Customer {n}",
                "email": f"c{n}@example.com",
                "emails": [f"c{n}@example.com"],
                "phones": [],
                "addresses": [],
                "tags": [],
                "preferences": {},
                "attributes": {},
                "created_at": now,
                "updated_at": now,
                **values,
            }
            for n in range(start, start + count)
        ]
        with crm_host.db.transaction() as connection:
            connection.execute(insert(c), rows)
            wanted = [row["external_id"] for row in rows]
            found = connection.execute(
                select(c.c.id, c.c.external_id).where(c.c.external_id.in_(wanted))
            ).all()
        ids = {key: customer_id for customer_id, key in found}
        return [ids[key] for key in wanted]

    return make


@pytest.fixture
def public_unsubscribe(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let the unsubscribe page through sign-in, as the host's public list does."""
    if "mail_pages.unsubscribe" not in auth.PUBLIC_ENDPOINTS:
        monkeypatch.setattr(
            auth, "PUBLIC_ENDPOINTS", auth.PUBLIC_ENDPOINTS | {"mail_pages.unsubscribe"}
        )


def _unsubscribe_path(message: Message) -> str:
    found = re.search(
        r"<https://crm\.example\.com(/[^>]+)>", str(message["List-Unsubscribe"])
    )
    assert found, message["List-Unsubscribe"]
    return found.group(1)


@pytest.fixture
def unsubscribe_path() -> Callable[[Message], str]:
    """The path of the https link in a message's List-Unsubscribe header."""
    return _unsubscribe_path


@pytest.fixture
def browser_for(
    crm_app: Any, crm_host: Any, crm_user: Callable[..., dict[str, Any]], mail: Any
) -> Callable[..., Any]:
    """A test client signed in to the pages as a new user of ``role``."""

    def make(role: str = "admin", **user: Any) -> Any:
        who = crm_user(role, **user)
        client = crm_app.test_client()
        with crm_host.db.connect() as connection:
            epoch = connection.execute(
                select(schema.user.c.session_epoch).where(schema.user.c.id == who["id"])
            ).scalar()
        with client.session_transaction() as session:
            session.update(uid=who["id"], epoch=epoch)
        return client

    return make


def form_token(client: Any, path: str) -> str:
    """The CSRF token of the form on ``path``."""
    page = client.get(path).get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


@pytest.fixture
def csrf_token() -> Callable[[Any, str], str]:
    """Read the CSRF token of a page's form: ``csrf_token(client, path)``."""
    return form_token
