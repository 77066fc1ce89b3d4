"""A campaign of 1,000 personalised messages, end to end through a real SMTP server."""

from __future__ import annotations

import time
from collections import Counter

from sqlalchemy import func, select

from crm_core.mail import tables
from crm_core.storage import schema

AUDIENCE = 1000
m = tables.message


def _dsn(address: str, status: str, original: str) -> bytes:
    action = "failed" if status.startswith("5") else "delayed"
    return (
        "From: MAILER-DAEMON@mx.example.org\r\n"
        "To: crm@strata.example\r\n"
        "Subject: Delivery Status Notification\r\n"
        f"Message-ID: <dsn-{address}@mx.example.org>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n'
        "\r\n--B\r\nContent-Type: text/plain\r\n\r\n"
        "Delivery to the recipient failed.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.org\r\n\r\n"
        f"Final-Recipient: rfc822; {address}\r\n"
        f"Action: {action}\r\nStatus: {status}\r\n"
        f"Diagnostic-Code: smtp; {status} mailbox trouble\r\n"
        "\r\n--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"Message-ID: {original}\r\nSubject: News\r\n"
        "\r\n--B--\r\n"
    ).encode()


def _send_all(crm_host, mail, customers):
    with crm_host.db.transaction() as connection:
        for customer_id in customers:
            mail.send(
                connection,
                to_customer_id=customer_id,
                template="news",
                campaign="spring",
            )


def _statuses(crm_host):
    with crm_host.db.connect() as connection:
        rows = connection.execute(select(m.c.status, func.count()).group_by(m.c.status))
        return dict(rows.all())


def test_a_campaign_reaches_everyone_once_and_respects_unsubscribes_and_bounces(
    crm_host,
    crm_app,
    mail,
    news,
    worker,
    smtp_server,
    add_customers,
    public_unsubscribe,
    unsubscribe_path,
):
    """1,000 messages arrive once each; then unsubscribed and bounced are skipped."""
    started = time.monotonic()
    customers = add_customers(AUDIENCE)
    _send_all(crm_host, mail, customers)
    worker.run_once()

    received = smtp_server.headers()
    ids = Counter(str(message["Message-ID"]) for message in received)
    assert len(received) == AUDIENCE and len(ids) == AUDIENCE
    assert set(ids.values()) == {1}
    assert {str(message["Subject"]) for message in received} == {
        f"News for Customer {n}" for n in range(AUDIENCE)
    }
    assert _statuses(crm_host) == {"sent": AUDIENCE}

    client = crm_app.test_client()
    leaving = set()
    for n, message in enumerate(received):
        path = unsubscribe_path(message)
        page = client.get(path)
        assert page.status_code == 200 and b"Unsubscribe" in page.data
        if n % 10 == 0:
            form = {"List-Unsubscribe": "One-Click"} if n % 20 == 0 else {}
            assert client.post(path, data=form).status_code == 200
            leaving.add(str(message["To"]))

    by_address = {
        str(message["To"]): str(message["Message-ID"]) for message in received
    }
    bouncing = sorted(set(by_address) - leaving)[:5]
    delayed = sorted(set(by_address) - leaving - set(bouncing))[0]
    for address in bouncing:
        assert (
            mail.receive(_dsn(address, "5.1.1", by_address[address])).kind == "bounce"
        )
    mail.receive(_dsn(delayed, "4.2.2", by_address[delayed]))
    assert _statuses(crm_host) == {"sent": AUDIENCE - 5, "bounced": 5}

    smtp_server.received.clear()
    _send_all(crm_host, mail, customers)
    worker.run_once()
    second = {str(message["To"]) for message in smtp_server.headers()}
    assert second == set(by_address) - leaving - set(bouncing)
    assert delayed in second
    with crm_host.db.connect() as connection:
        c = schema.consent
        withdrawals = connection.execute(
            select(func.count()).where(
                c.c.granted.is_(False), c.c.source == "unsubscribe link"
            )
        ).scalar_one()
        skipped = connection.execute(
            select(m.c.reason, func.count())
            .where(m.c.status == "skipped")
            .group_by(m.c.reason)
        ).all()
    assert withdrawals == len(leaving) == AUDIENCE // 10
    assert dict(skipped) == {
        "the customer withdrew e-mail marketing consent": len(leaving),
        "the address bounced permanently and is suppressed": 5,
    }
    assert time.monotonic() - started < 60
