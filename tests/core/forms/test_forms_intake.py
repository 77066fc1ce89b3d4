"""Form submissions become customers, checked by the import rules."""

from __future__ import annotations

import re
from decimal import Decimal

from sqlalchemy import select

from crm_core.storage import schema


def test_hook_crm_forms_a_submission_creates_a_customer(
    submit, customers, consents, crm_host, crm_events
):
    """A declared form's submission becomes a lead with a timeline entry."""
    response = submit(
        "contact",
        name="Li Na",
        email="Li.Na@Example.com",
        phone="+86 10 6552 9988",
        budget="2500.00",
        newsletter_topic="Sales",
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/f/contact/thanks"
    [customer] = customers()
    assert customer["name"] == "Li Na"
    assert customer["email"] == "li.na@example.com"
    assert customer["phone"] == "+861065529988"
    assert customer["lifecycle_stage"] == "lead" and customer["tags"] == ["website"]
    assert customer["attributes"] == {
        "budget": Decimal("2500.00"),
        "newsletter_topic": "sales",
    }
    assert consents() == []
    with crm_host.db.connect() as connection:
        activity = connection.execute(
            select(schema.activity.c.kind, schema.activity.c.body).where(
                schema.activity.c.customer_id == customer["id"]
            )
        ).one()
    assert activity.kind == "form_submission" and "Budget: 2500.00" in activity.body
    [event] = crm_events.events("form.submitted")
    assert event["payload"]["record_id"] == str(customer["id"])


def test_a_known_address_only_fills_gaps(submit, customers, crm_host, crm_actor):
    """A submission for an existing e-mail adds what is missing, overwriting nothing."""
    owner = crm_actor("agent")
    with crm_host.db.transaction() as connection:
        crm_host.customers.create(
            connection, owner, {"name": "Ana Lima", "emails": ["ana@example.com"]}
        )
    submit(
        "contact", name="Someone Else", email="ANA@example.com", phone="+12025550101"
    )
    [customer] = customers()
    assert customer["name"] == "Ana Lima"
    assert customer["phones"] == ["+12025550101"]
    assert customer["owner_id"] == owner.id


def test_bad_values_are_named_next_to_their_fields(submit, customers):
    """Each bad field gets its own message; nothing is stored."""
    response = submit(
        "contact",
        name="",
        email="not-an-address",
        phone="12",
        budget="12,5",
        newsletter_topic="gardening",
    )
    assert response.status_code == 400
    page = re.sub(r"\s+", " ", response.get_data(as_text=True))
    for field, message in [
        ("name", "This field is required."),
        ("email", "Enter an e-mail address such as name@example.com."),
        ("phone", "Enter a phone number"),
        ("budget", "Enter a number such as 1234.50."),
        ("newsletter_topic", "Choose one of the options offered."),
    ]:
        assert re.search(rf'id="f-{field}-error">{re.escape(message)}', page), field
    assert 'value="not-an-address"' in page
    assert customers() == []


def test_field_messages_follow_the_visitors_language(submit):
    """A Chinese browser reads the form and its messages in Chinese."""
    response = submit("contact", language="zh-CN", name="", email="x")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "此项为必填项。" in page
    assert "请输入电子邮件地址，例如 name@example.com。" in page
    assert "电子邮件地址" in page


def test_the_honeypot_and_a_missing_token_are_refused(submit, crm_app, customers):
    """A filled hidden field or a post without the form's token stores nothing."""
    robot = submit(
        "contact", name="Bot", email="bot@example.com", website="http://spam"
    )
    assert robot.status_code == 400
    blind = crm_app.test_client().post(
        "/f/contact", data={"name": "Bot", "email": "bot@example.com"}
    )
    assert blind.status_code == 400
    forged = crm_app.test_client().post(
        "/f/contact",
        data={"name": "Bot", "email": "bot@example.com", "form_token": "forged"},
    )
    assert forged.status_code == 400
    assert customers() == []


def test_too_many_submissions_from_one_address_are_refused(
    submit, customers, monkeypatch
):
    """Past the limit an address is told to wait; another address is not."""
    from datetime import timedelta

    from crm_core.forms import submissions

    monkeypatch.setattr(submissions, "_limits", lambda host: (2, timedelta(minutes=10)))
    for number in range(2):
        ok = submit("contact", name=f"P{number}", email=f"p{number}@example.com")
        assert ok.status_code == 303
    refused = submit("contact", name="P3", email="p3@example.com")
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "600"
    other = submit("contact", name="P4", email="p4@example.com", address="198.51.100.9")
    assert other.status_code == 303
    assert [c["email"] for c in customers()] == [
        "p0@example.com",
        "p1@example.com",
        "p4@example.com",
    ]


def test_the_rate_window_is_shared_through_the_database(crm_host):
    """Counts of one client grow across connections and reset in a new window."""
    from datetime import UTC, datetime, timedelta

    from crm_core.forms.ratelimit import hit

    window = timedelta(minutes=10)
    moment = datetime(2025, 1, 1, 12, 3, tzinfo=UTC)
    for expected in (1, 2, 3):
        with crm_host.db.transaction() as connection:
            assert hit(connection, "client-a", window, moment) == expected
    with crm_host.db.transaction() as connection:
        assert hit(connection, "client-a", window, moment + window) == 1
        assert hit(connection, "client-b", window, moment) == 1
