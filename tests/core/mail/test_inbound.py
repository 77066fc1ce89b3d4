"""Receiving: timelines, threads, unknown senders, bounces, unsubscribes, listener."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

import pytest
from sqlalchemy import select

from crm_core.mail import tables
from crm_core.mail.listener import listener
from crm_core.storage import schema

i = tables.inbound


def _mail(
    sender="c0@example.com",
    to="support@strata.example",
    subject="Question about my order",
    body="Where is my parcel?",
    message_id="<q1@customer.example>",
    **headers,
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = message_id
    message["Date"] = "Tue, 03 Dec 2024 10:00:00 +0100"
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message.as_bytes()


def _inbound(host, inbound_id):
    with host.db.connect() as connection:
        return (
            connection.execute(select(i).where(i.c.id == inbound_id)).mappings().one()
        )


def test_a_message_lands_on_the_senders_timeline(
    crm_host, mail, add_customers, crm_events
):
    """The sender's customer gets an email_received activity; mail.received is sent."""
    [customer] = add_customers(1)
    result = mail.receive(_mail(sender="Customer Zero <C0@Example.com>"))
    assert result.kind == "message" and result.customer_id == customer
    a = schema.activity
    with crm_host.db.connect() as connection:
        activity = (
            connection.execute(select(a).where(a.c.customer_id == customer))
            .mappings()
            .one()
        )
    assert activity["kind"] == "email_received" and activity["channel"] == "email"
    assert activity["source_type"] == "mail"
    assert activity["source_id"] == "<q1@customer.example>"
    assert activity["subject"] == "Question about my order"
    assert "Where is my parcel?" in activity["body"]
    assert activity["occurred_at"].isoformat() == "2024-12-03T09:00:00+00:00"
    [event] = crm_events.events("mail.received")
    assert event["payload"] == {
        "inbound_id": result.inbound_id,
        "message_id": "<q1@customer.example>",
        "customer_id": customer,
        "thread_id": "<q1@customer.example>",
        "subject": "Question about my order",
    }


def test_a_reply_joins_the_thread_of_the_message_it_answers(
    crm_host, mail, news, worker, add_customers
):
    """A reply with In-Reply-To shares the outbound message's thread and customer."""
    [customer] = add_customers(1)
    with crm_host.db.transaction() as connection:
        mail_id = mail.send(connection, to_customer_id=customer, template="news")
    worker.run_once()
    with crm_host.db.connect() as connection:
        sent = (
            connection.execute(
                select(tables.message).where(tables.message.c.id == mail_id)
            )
            .mappings()
            .one()
        )
    reply = mail.receive(
        _mail(
            sender="someone.else@example.net",
            subject="Re: News",
            message_id="<r1@customer.example>",
            In_Reply_To=sent["message_id"],
            References=sent["message_id"],
        )
    )
    assert reply.thread_id == sent["thread_id"] == sent["message_id"]
    assert reply.customer_id == customer
    second = mail.receive(
        _mail(
            sender="c0@example.com",
            subject="Re: Re: News",
            message_id="<r2@customer.example>",
            References=f"{sent['message_id']} <r1@customer.example>",
        )
    )
    assert second.thread_id == sent["thread_id"]
    assert _inbound(crm_host, second.inbound_id)["reference_ids"] == [
        sent["message_id"],
        "<r1@customer.example>",
    ]


def test_an_answer_sent_in_reply_keeps_the_thread(crm_host, mail, news, add_customers):
    """Sending with in_reply_to puts the answer in the inbound message's thread."""
    [customer] = add_customers(1)
    first = mail.receive(_mail())
    with crm_host.db.transaction() as connection:
        mail_id = mail.send(
            connection,
            to_customer_id=customer,
            template="news",
            purpose="transactional",
            in_reply_to=first.message_id,
        )
    with crm_host.db.connect() as connection:
        row = (
            connection.execute(
                select(tables.message).where(tables.message.c.id == mail_id)
            )
            .mappings()
            .one()
        )
    assert (
        row["thread_id"] == first.thread_id and row["in_reply_to"] == first.message_id
    )


def test_an_unknown_sender_is_stored_without_a_customer(crm_host, mail, crm_events):
    """Mail from an address no customer has is kept, with no timeline entry."""
    result = mail.receive(_mail(sender="stranger@example.org"))
    row = _inbound(crm_host, result.inbound_id)
    assert row["customer_id"] is None and row["activity_id"] is None
    assert row["from_address"] == "stranger@example.org"
    assert crm_events.events("mail.received")[0]["payload"]["customer_id"] is None


def test_mail_a_user_sent_a_customer_with_the_crm_in_copy_finds_the_customer(
    crm_host, mail, add_customers
):
    """When the sender is not a customer, a recipient who is decides."""
    [customer] = add_customers(1)
    result = mail.receive(
        _mail(
            sender="agent@strata.example", to="c0@example.com", Cc="crm@strata.example"
        )
    )
    assert result.customer_id == customer


def test_the_same_message_twice_is_stored_once(
    crm_host, mail, add_customers, crm_events
):
    """A sender's retry with the same Message-ID adds nothing."""
    add_customers(1)
    first = mail.receive(_mail())
    again = mail.receive(_mail())
    assert again.kind == "duplicate" and again.inbound_id == first.inbound_id
    assert len(crm_events.events("mail.received")) == 1


def test_attachments_are_described_not_kept(crm_host, mail):
    """Each attachment's name, type and size are recorded."""
    message = EmailMessage()
    message["From"] = "c9@example.com"
    message["To"] = "support@strata.example"
    message["Subject"] = "Invoice"
    message["Message-ID"] = "<att@example.com>"
    message.set_content("See attached.")
    message.add_attachment(
        b"%PDF-1.4 fake", maintype="application", subtype="pdf", filename="invoice.pdf"
    )
    result = mail.receive(message.as_bytes())
    assert _inbound(crm_host, result.inbound_id)["attachments"] == [
        {"name": "invoice.pdf", "type": "application/pdf", "size": 13}
    ]


def test_html_only_mail_gets_a_text_version(crm_host, mail):
    """An HTML-only message is stored with text made from it, scripts dropped."""
    message = EmailMessage()
    message["From"] = "c9@example.com"
    message["Subject"] = "Hi"
    message["Message-ID"] = "<html@example.com>"
    message.set_content(
        "<p>Hello &amp; welcome</p><script>alert(1)</script><p>Bye</p>", subtype="html"
    )
    row = _inbound(crm_host, mail.receive(message.as_bytes()).inbound_id)
    assert row["text_body"] == "Hello & welcome Bye"
    assert "<script>" in row["html_body"]


def test_a_message_without_a_message_id_gets_one(crm_host, mail):
    """Missing Message-IDs are made up, so every stored message has one."""
    raw = b"From: c9@example.com\r\nSubject: hi\r\n\r\nhello\r\n"
    result = mail.receive(raw)
    assert result.message_id.endswith("@strata.example>")


def _dsn(address, status, original):
    action = "failed" if status.startswith("5") else "delayed"
    return (
        "From: MAILER-DAEMON@mx.example.org\r\nTo: crm@strata.example\r\n"
        "Subject: Undelivered\r\nMessage-ID: <dsn@mx.example.org>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: multipart/report; report-type=delivery-status; "
        'boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nIt failed.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.org\r\n\r\n"
        f"Final-Recipient: rfc822; {address}\r\n"
        f"Action: {action}\r\nStatus: {status}\r\n"
        "\r\n--B\r\nContent-Type: message/rfc822\r\n\r\n"
        f"Message-ID: {original}\r\nSubject: News\r\n\r\nbody\r\n"
        "--B--\r\n"
    ).encode()


@pytest.mark.parametrize(
    ("status", "message_status", "suppressed"),
    [("5.1.1", "bounced", "hard_bounce"), ("4.2.2", "sent", None)],
)
def test_bounces_suppress_only_when_permanent(
    crm_host,
    mail,
    news,
    worker,
    add_customers,
    crm_events,
    status,
    message_status,
    suppressed,
):
    """A 5.x.x report suppresses the address and marks the message; 4.x.x is noted."""
    [customer] = add_customers(1)
    with crm_host.db.transaction() as connection:
        mail_id = mail.send(connection, to_customer_id=customer, template="news")
    worker.run_once()
    with crm_host.db.connect() as connection:
        message_id = connection.execute(
            select(tables.message.c.message_id).where(tables.message.c.id == mail_id)
        ).scalar_one()
    assert mail.receive(_dsn("C0@example.com", status, message_id)).kind == "bounce"
    s, b, m = tables.suppression, tables.bounce, tables.message
    with crm_host.db.connect() as connection:
        reason = connection.execute(
            select(s.c.reason).where(s.c.address == "c0@example.com")
        ).scalar()
        bounce = connection.execute(select(b)).mappings().one()
        now = connection.execute(select(m.c.status).where(m.c.id == mail_id)).scalar()
    assert reason == suppressed and now == message_status
    assert bounce["message_id"] == message_id and bounce["status_code"] == status
    assert bounce["permanent"] is (suppressed is not None)
    events = crm_events.events("mail.bounced")
    assert len(events) == (1 if suppressed else 0)


def test_a_bounce_for_an_unknown_message_still_suppresses_the_address(crm_host, mail):
    """A hard bounce naming no message we know suppresses the address anyway."""
    mail.receive(_dsn("gone@example.org", "5.1.1", "<unknown@elsewhere>"))
    with crm_host.db.connect() as connection:
        reason = connection.execute(
            select(tables.suppression.c.reason).where(
                tables.suppression.c.address == "gone@example.org"
            )
        ).scalar()
    assert reason == "hard_bounce"


def test_a_mailto_unsubscribe_withdraws_consent(
    crm_host, mail, news, worker, add_customers, smtp_server
):
    """Mail to the List-Unsubscribe address with the token records a withdrawal."""
    [customer] = add_customers(1)
    with crm_host.db.transaction() as connection:
        mail.send(connection, to_customer_id=customer, template="news")
    worker.run_once()
    [sent] = smtp_server.messages()
    header = str(sent["List-Unsubscribe"])
    token = header.split("subject=unsubscribe%20")[1].rstrip(">")
    request = _mail(
        to="unsubscribe@strata.example",
        subject=f"unsubscribe {token}",
        message_id="<u1@customer.example>",
    )
    assert mail.receive(request).kind == "unsubscribe"
    c = schema.consent
    with crm_host.db.connect() as connection:
        row = (
            connection.execute(select(c).where(c.c.customer_id == customer))
            .mappings()
            .one()
        )
    assert row["granted"] is False and row["source"] == "unsubscribe link"
    assert row["evidence"]["method"] == "mailto"


def test_the_smtp_listener_receives_over_a_real_connection(
    crm_host, mail, add_customers, unused_port
):
    """A message sent with smtplib to the listener is stored for its customer."""
    [customer] = add_customers(1)
    controller = listener(mail, unused_port)
    controller.start()
    try:
        with smtplib.SMTP("127.0.0.1", unused_port, timeout=10) as client:
            client.sendmail("c0@example.com", ["support@strata.example"], _mail())
    finally:
        controller.stop()
    # The listener answers only once the message is stored.
    with crm_host.db.connect() as connection:
        stored = connection.execute(select(i.c.customer_id, i.c.subject)).one()
    assert stored == (customer, "Question about my order")


def test_malformed_headers_do_not_stop_a_message(crm_host, mail):
    """Broken ids, dates and encodings are read leniently, and the message is kept."""
    raw = (
        b"From: =?bogus?q?x?= <c9@example.com>\r\n"
        b"Subject: =?utf-8?b?not base64?=\r\n"
        b"Message-ID: <<>>\r\n"
        b"Date: yesterday-ish\r\n"
        b"Content-Type: text/plain; charset=x-unknown\r\n\r\n"
        b"\xe9t\xe9\r\n"
    )
    result = mail.receive(raw)
    row = _inbound(crm_host, result.inbound_id)
    assert result.kind == "message" and row["from_address"] == "c9@example.com"
    assert row["sent_at"] is None and row["text_body"]
