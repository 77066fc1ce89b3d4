"""Double opt-in: consent is recorded only after the e-mailed link is confirmed."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from crm_core.forms.tables import submission
from crm_core.storage.types import utcnow


def test_consent_is_recorded_only_after_confirmation(
    submit, crm_app, outbox, customers, consents, link_in, crm_events
):
    """A ticked box holds the submission; confirming stores both, with evidence."""
    response = submit("newsletter", email="zoe@example.com", name="Zoe", consent="yes")
    assert response.status_code == 303
    assert response.headers["Location"] == "/f/newsletter/thanks?pending=1"
    assert customers() == [] and consents() == []
    [mail] = outbox
    assert mail["to"] == "zoe@example.com"
    assert mail["subject"] == "Please confirm: news and offers by e-mail"
    path = link_in(mail)
    visitor = crm_app.test_client()
    shown = visitor.get(path)
    assert shown.status_code == 200
    assert consents() == [], "opening the link alone records nothing"
    page = shown.get_data(as_text=True)
    csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
    confirmed = visitor.post(
        path, data={"csrf_token": csrf}, environ_base={"REMOTE_ADDR": "192.0.2.44"}
    )
    assert confirmed.status_code == 200
    [customer] = customers()
    assert customer["email"] == "zoe@example.com"
    [consent] = consents()
    assert consent["customer_id"] == customer["id"]
    assert consent["purpose"] == "email_marketing" and consent["granted"] is True
    assert consent["source"] == "form:newsletter"
    evidence = consent["evidence"]
    assert evidence["form"] == "newsletter"
    assert evidence["submitted_from"] == "203.0.113.7"
    assert evidence["confirmed_from"] == "192.0.2.44"
    assert evidence["submitted_at"] and evidence["confirmed_at"]
    again = crm_app.test_client().get(path)
    assert again.status_code == 410
    [event] = crm_events.events("form.submitted")
    assert event["payload"]["consent_purpose"] == "email_marketing"


def test_a_sign_up_form_needs_the_box_ticked(submit, customers, outbox):
    """A form requiring consent refuses a submission without it."""
    response = submit("newsletter", email="no@example.com", name="No")
    assert response.status_code == 400
    assert "Tick this box to go on." in response.get_data(as_text=True)
    assert customers() == [] and outbox == []


def test_without_the_box_the_submission_is_stored_at_once(
    submit, customers, consents, outbox
):
    """Consent is optional on the contact form; unticked, nothing waits."""
    submit("contact", name="Quick", email="quick@example.com")
    assert [c["email"] for c in customers()] == ["quick@example.com"]
    assert consents() == [] and outbox == []


def test_an_expired_confirmation_is_refused(
    submit, crm_app, crm_host, outbox, customers, link_in
):
    """A held submission past its time cannot be confirmed any more."""
    submit("newsletter", email="late@example.com", name="Late", consent="yes")
    with crm_host.db.transaction() as connection:
        connection.execute(
            update(submission).values(expires_at=utcnow() - timedelta(seconds=1))
        )
    response = crm_app.test_client().get(link_in(outbox[0]))
    assert response.status_code == 410
    assert customers() == []


def test_the_confirmation_e_mail_is_in_the_visitors_language(submit, outbox):
    """A visitor reading Chinese gets the confirmation e-mail in Chinese."""
    submit(
        "newsletter",
        language="zh-CN,zh;q=0.9",
        email="wang@example.com",
        name="Wang",
        consent="yes",
    )
    assert outbox[0]["subject"] == "请确认：通过电子邮件接收资讯和优惠"
    assert "表单“Our newsletter”" in outbox[0]["text"]
