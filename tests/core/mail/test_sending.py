"""Sending: personalised mail through a real SMTP server, consent, retries, limits."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import insert, select

from crm_core.customers import InvalidInput
from crm_core.mail import tables
from crm_core.mail.delivery import DELIVER_JOB, UNKNOWN_OUTCOME
from crm_core.storage import schema
from crm_core.storage.types import utcnow

m = tables.message


def _send(host, mail, **kwargs):
    kwargs.setdefault("template", "news")
    with host.db.transaction() as connection:
        return mail.send(connection, **kwargs)


def _row(host, mail_id):
    with host.db.connect() as connection:
        return connection.execute(select(m).where(m.c.id == mail_id)).mappings().one()


def _consent(host, customer_id, granted, minutes_ago=0):
    with host.db.transaction() as connection:
        connection.execute(
            insert(schema.consent).values(
                customer_id=customer_id,
                purpose="email_marketing",
                granted=granted,
                source="test",
                recorded_at=utcnow() - timedelta(minutes=minutes_ago),
                evidence={},
            )
        )


def test_a_message_arrives_personalised_with_unsubscribe_headers(
    crm_host, mail, news, worker, smtp_server, add_customers
):
    """A message reaches the server once, personalised, with one-click headers."""
    [customer] = add_customers(1)
    mail_id = _send(crm_host, mail, to_customer_id=customer, campaign="spring")
    worker.run_once()
    [message] = smtp_server.messages()
    row = _row(crm_host, mail_id)
    assert row["status"] == "sent" and row["sent_at"] is not None
    assert message["Message-ID"] == row["message_id"]
    assert message["To"] == "c0@example.com"
    assert message["Subject"] == "News for Customer 0"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    header = str(message["List-Unsubscribe"])
    assert "<https://crm.example.com/mail/unsubscribe/" in header
    assert "<mailto:unsubscribe@strata.example?subject=unsubscribe%20" in header
    text = message.get_body(("plain",)).get_content()
    assert "Hello Customer 0!" in text and "https://crm.example.com/mail/" in text
    assert "Hello Customer 0!" in message.get_body(("html",)).get_content()


def test_a_sent_message_is_logged_on_the_customers_timeline(
    crm_host, mail, news, worker, add_customers
):
    """Each message sent to a customer adds an email_sent activity to its timeline."""
    [customer] = add_customers(1)
    mail_id = _send(crm_host, mail, to_customer_id=customer)
    worker.run_once()
    a = schema.activity
    with crm_host.db.connect() as connection:
        activity = (
            connection.execute(select(a).where(a.c.customer_id == customer))
            .mappings()
            .one()
        )
    assert activity["kind"] == "email_sent" and activity["channel"] == "email"
    assert activity["source_id"] == _row(crm_host, mail_id)["message_id"]


def test_fallbacks_fill_in_what_a_customer_lacks(
    crm_host, mail, news, worker, smtp_server, add_customers
):
    """A customer without a name gets the template's default greeting."""
    [customer] = add_customers(1, name=None, display_name="c0@example.com")
    _send(crm_host, mail, to_customer_id=customer)
    worker.run_once()
    [message] = smtp_server.messages()
    assert message["Subject"] == "News for you"
    assert "Hello there!" in message.get_body(("plain",)).get_content()


def test_a_retried_job_of_a_sent_message_does_not_deliver_again(
    crm_host, mail, news, worker, smtp_server, add_customers
):
    """Running the delivery job again for a sent message sends nothing."""
    [customer] = add_customers(1)
    mail_id = _send(crm_host, mail, to_customer_id=customer)
    worker.run_once()
    crm_host.jobs.enqueue(DELIVER_JOB, mail_id=mail_id)
    worker.run_once()
    mail.deliver(mail_id)
    assert len(smtp_server.received) == 1
    assert _row(crm_host, mail_id)["status"] == "sent"


def test_a_crash_after_the_server_took_the_message_never_sends_it_twice(
    crm_host, mail, news, worker, smtp_server, add_customers, monkeypatch
):
    """A worker dying between SMTP success and marking sent leaves 'outcome unknown'."""
    from crm_core.mail import delivery

    [customer] = add_customers(1)
    mail_id = _send(crm_host, mail, to_customer_id=customer)

    def crash(service, row):
        raise RuntimeError("worker stopped")

    monkeypatch.setattr(delivery, "_mark_sent", crash)
    worker.run_once()
    assert _row(crm_host, mail_id)["status"] == "sending"
    monkeypatch.undo()
    worker.run_once(now=utcnow() + timedelta(minutes=5))
    row = _row(crm_host, mail_id)
    assert len(smtp_server.received) == 1
    assert row["status"] == "failed" and row["reason"] == UNKNOWN_OUTCOME


def test_a_temporary_failure_is_retried_later(
    crm_host, mail, news, worker, smtp_server, add_customers
):
    """A 4xx reply puts the message back in the queue; the retry delivers it."""
    [customer] = add_customers(1)
    mail_id = _send(crm_host, mail, to_customer_id=customer)
    smtp_server.data_reply = "451 4.3.0 try again later"
    worker.run_once()
    row = _row(crm_host, mail_id)
    assert row["status"] == "queued" and "451" in row["reason"]
    smtp_server.data_reply = None
    worker.run_once(now=utcnow() + timedelta(minutes=5))
    assert _row(crm_host, mail_id)["status"] == "sent"
    assert len(smtp_server.received) == 1


def test_a_permanent_refusal_fails_the_message_without_retry(
    crm_host, mail, news, worker, smtp_server, add_customers
):
    """A 5xx reply to the recipient marks the message failed with the code."""
    [customer] = add_customers(1)
    smtp_server.refuse["c0@example.com"] = "550 5.1.1 no such user"
    mail_id = _send(crm_host, mail, to_customer_id=customer)
    worker.run_once()
    row = _row(crm_host, mail_id)
    assert row["status"] == "failed"
    assert row["reason"] == "RCPT TO refused with 550 5.1.1"


def test_an_unreachable_server_is_a_temporary_failure(
    crm_host, mail, news, worker, add_customers, monkeypatch
):
    """With no server listening the message waits in the queue for the next try."""
    import attrs

    [customer] = add_customers(1)
    mail_id = _send(crm_host, mail, to_customer_id=customer)
    mail.transport.settings = attrs.evolve(mail.settings, smtp_port=1)
    worker.run_once()
    row = _row(crm_host, mail_id)
    assert row["status"] == "queued" and "cannot reach" in row["reason"]


def test_marketing_follows_the_latest_consent_record(
    crm_host, mail, news, worker, smtp_server, add_customers
):
    """No record sends (opt-out); a later withdrawal skips; a later grant sends."""
    never, withdrew, came_back = add_customers(3)
    _consent(crm_host, withdrew, True, minutes_ago=10)
    _consent(crm_host, withdrew, False)
    _consent(crm_host, came_back, False, minutes_ago=10)
    _consent(crm_host, came_back, True)
    ids = [
        _send(crm_host, mail, to_customer_id=c) for c in (never, withdrew, came_back)
    ]
    worker.run_once()
    statuses = [_row(crm_host, i)["status"] for i in ids]
    assert statuses == ["sent", "skipped", "sent"]
    assert (
        _row(crm_host, ids[1])["reason"]
        == "the customer withdrew e-mail marketing consent"
    )


def test_transactional_mail_ignores_marketing_consent(
    crm_host, mail, news, worker, add_customers
):
    """A receipt still reaches a customer who withdrew marketing consent."""
    [customer] = add_customers(1)
    _consent(crm_host, customer, False)
    mail_id = _send(crm_host, mail, to_customer_id=customer, purpose="transactional")
    worker.run_once()
    assert _row(crm_host, mail_id)["status"] == "sent"


def test_opt_in_model_needs_a_granted_record(
    crm_host, mail, news, worker, add_customers
):
    """Under the opt-in model a customer without any record is skipped."""
    import attrs

    mail.settings = attrs.evolve(mail.settings, marketing_consent="opt-in")
    silent, granted = add_customers(2)
    _consent(crm_host, granted, True)
    ids = [_send(crm_host, mail, to_customer_id=c) for c in (silent, granted)]
    assert [_row(crm_host, i)["status"] for i in ids] == ["skipped", "queued"]
    assert "opt-in" in _row(crm_host, ids[0])["reason"]


def test_consent_withdrawn_after_queueing_is_honoured_at_delivery(
    crm_host, mail, news, worker, smtp_server, add_customers
):
    """A withdrawal between queueing and delivery stops the message."""
    [customer] = add_customers(1)
    mail_id = _send(crm_host, mail, to_customer_id=customer)
    _consent(crm_host, customer, False)
    worker.run_once()
    assert _row(crm_host, mail_id)["status"] == "skipped"
    assert smtp_server.received == []


def test_a_customer_without_an_address_is_skipped(crm_host, mail, news, add_customers):
    """No address is a skip with a reason, not an error, so campaigns carry on."""
    [customer] = add_customers(1, email=None)
    mail_id = _send(crm_host, mail, to_customer_id=customer)
    row = _row(crm_host, mail_id)
    assert row["status"] == "skipped"
    assert row["reason"] == "the recipient has no e-mail address"


def test_sending_to_an_address_finds_its_customer(crm_host, mail, news, add_customers):
    """A message to a bare address is linked to the customer with that e-mail."""
    [customer] = add_customers(1)
    mail_id = _send(crm_host, mail, to_address="C0@Example.com")
    row = _row(crm_host, mail_id)
    assert row["customer_id"] == customer and row["to_address"] == "c0@example.com"


@pytest.mark.parametrize(
    ("kwargs", "field", "words"),
    [
        ({"to_address": "not an address"}, "to_address", "not an e-mail address"),
        (
            {"to_address": "a@example.com", "template": "nope"},
            "template",
            "no mail template is named 'nope'",
        ),
        ({}, "to", "exactly one of"),
        (
            {"to_address": "a@example.com", "purpose": "spam"},
            "purpose",
            "'spam' is not one of",
        ),
        (
            {"to_address": "a@example.com", "context": {"customer": 1}},
            "context",
            "customer is set by the mail service",
        ),
    ],
)
def test_bad_send_requests_are_refused_naming_the_field(
    crm_host, mail, news, kwargs, field, words
):
    """Unusable input raises InvalidInput that names the field and the problem."""
    with pytest.raises(InvalidInput) as caught:
        _send(crm_host, mail, **kwargs)
    assert words in " ".join(caught.value.errors[field])
    with crm_host.db.connect() as connection:
        assert connection.execute(select(m.c.id)).first() is None


def test_a_template_variable_must_be_passed(crm_host, mail):
    """A template declaring a variable refuses a send without it."""
    from crm_core.security import SYSTEM

    with crm_host.db.transaction() as connection:
        mail.templates.create(
            connection,
            SYSTEM,
            {
                "name": "receipt",
                "subject": "Order {{ order.number }}",
                "text_body": "Thanks",
                "variables": ["order"],
            },
        )
    with pytest.raises(InvalidInput) as caught:
        _send(crm_host, mail, to_address="a@example.com", template="receipt")
    assert caught.value.errors["context"] == [
        "template 'receipt' needs order; pass them in context"
    ]
    mail_id = _send(
        crm_host,
        mail,
        to_address="a@example.com",
        template="receipt",
        context={"order": {"number": 42}},
    )
    assert _row(crm_host, mail_id)["subject"] == "Order 42"


def test_the_rate_limit_defers_what_exceeds_it(
    crm_host, mail, news, worker, smtp_server, add_customers
):
    """With 3 per minute, 5 messages go 3 now and 2 a minute later."""
    import attrs

    mail.settings = attrs.evolve(mail.settings, rate_per_minute=3)
    ids = [_send(crm_host, mail, to_customer_id=c) for c in add_customers(5)]
    worker.run_once()
    assert len(smtp_server.received) == 3
    assert (
        sorted(_row(crm_host, i)["status"] for i in ids)
        == ["queued"] * 2 + ["sent"] * 3
    )
    with crm_host.db.transaction() as connection:
        # A minute passes: the three sent messages leave the window.
        earlier = utcnow() - timedelta(seconds=61)
        connection.execute(
            m.update().where(m.c.sent_at.is_not(None)).values(sent_at=earlier)
        )
    worker.run_once(now=utcnow() + timedelta(seconds=61))
    assert len(smtp_server.received) == 5


def test_a_rolled_back_send_leaves_no_message_and_no_job(
    crm_host, mail, news, add_customers
):
    """The message row and its job live and die with the caller's transaction."""
    [customer] = add_customers(1)
    with pytest.raises(RuntimeError):
        with crm_host.db.transaction() as connection:
            mail.send(connection, to_customer_id=customer, template="news")
            raise RuntimeError("the caller's change failed")
    with crm_host.db.connect() as connection:
        assert connection.execute(select(m.c.id)).first() is None
        jobs = connection.execute(
            select(schema.job.c.id).where(schema.job.c.name == DELIVER_JOB)
        ).all()
    assert jobs == []
