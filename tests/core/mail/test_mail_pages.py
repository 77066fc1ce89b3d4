"""Mail pages: the log, the template editor and preview, the public unsubscribe page."""

from __future__ import annotations

from sqlalchemy import select

from crm_core.mail import tables
from crm_core.security import SYSTEM
from crm_core.storage import schema


def _template(host, mail):
    with host.db.transaction() as connection:
        return mail.templates.create(
            connection,
            SYSTEM,
            {
                "name": "hello",
                "subject": "Hi {{ customer.name }}",
                "text_body": "Hello {{ customer.name }}",
                "html_body": "<p>Hello {{ customer.name }}</p><script>x()</script>",
            },
        )


def test_the_editor_refuses_an_unknown_field_and_saves_a_good_template(
    browser_for, crm_host, csrf_token
):
    """Saving shows the field-named error on the form, then saves once fixed."""
    client = browser_for("admin")
    token = csrf_token(client, "/mail/templates/new")
    form = {
        "csrf_token": token,
        "name": "promo",
        "subject": "Hi {{ customer.nickname }}",
        "text_body": "Body",
        "html_body": "",
        "description": "",
        "variables": "",
    }
    refused = client.post("/mail/templates/new", data=form)
    assert refused.status_code == 400
    assert "customer.nickname" in refused.get_data(as_text=True)
    form["subject"] = "Hi {{ customer.nickname | default('you') }}"
    saved = client.post("/mail/templates/new", data=form)
    assert saved.status_code == 302
    listing = client.get("/mail/templates").get_data(as_text=True)
    assert "promo" in listing


def test_saving_over_a_newer_version_is_refused(
    browser_for, crm_host, mail, csrf_token
):
    """A form read at version 1 cannot overwrite version 2."""
    made = _template(crm_host, mail)
    with crm_host.db.transaction() as connection:
        mail.templates.update(connection, SYSTEM, made.id, {"subject": "Changed"})
    client = browser_for("admin")
    path = f"/mail/templates/{made.id}"
    form = {
        "csrf_token": csrf_token(client, path),
        "version": "1",
        "name": "hello",
        "subject": "Mine",
        "text_body": "Body",
        "html_body": "",
        "description": "",
        "variables": "",
    }
    response = client.post(path, data=form)
    assert response.status_code == 409
    assert "Someone else saved this template" in response.get_data(as_text=True)
    form["version"] = "2"
    assert client.post(path, data=form).status_code == 302


def test_the_preview_frames_the_html_in_a_sandbox(browser_for, crm_host, mail):
    """The preview page shows the subject; the HTML comes sandboxed, scripts off."""
    made = _template(crm_host, mail)
    client = browser_for("admin")
    page = client.get(f"/mail/templates/{made.id}/preview")
    assert page.status_code == 200
    assert "Hi Ada Lovelace" in page.get_data(as_text=True)
    framed = client.get(f"/mail/templates/{made.id}/preview/html")
    policy = framed.headers["Content-Security-Policy"]
    assert "sandbox" in policy and "default-src 'none'" in policy
    assert "script-src" not in policy
    assert framed.headers["X-Frame-Options"] == "SAMEORIGIN"


def test_the_message_log_lists_messages_and_filters_by_status(
    browser_for, crm_host, mail, news, add_customers
):
    """The log shows messages in the reader's scope; a bad filter is explained."""
    [customer] = add_customers(1)
    with crm_host.db.transaction() as connection:
        mail.send(connection, to_customer_id=customer, template="news", campaign="june")
    page = browser_for("admin").get("/mail/").get_data(as_text=True)
    assert "News for Customer 0" in page and "june" in page and "queued" in page
    client = browser_for("manager")
    assert "No messages match." in client.get("/mail/").get_data(as_text=True)
    assert client.get("/mail/?status=lost").status_code == 400


def test_pages_need_the_mail_permissions(browser_for, crm_host, mail):
    """A viewer may read the log but not open the template editor."""
    client = browser_for("viewer")
    assert client.get("/mail/").status_code == 200
    assert client.get("/mail/templates/new").status_code == 403


def test_the_unsubscribe_page_confirms_before_it_records(
    crm_app,
    crm_host,
    mail,
    news,
    worker,
    smtp_server,
    add_customers,
    public_unsubscribe,
    unsubscribe_path,
):
    """GET asks without changing anything; POST records the withdrawal once."""
    [customer] = add_customers(1)
    with crm_host.db.transaction() as connection:
        mail.send(connection, to_customer_id=customer, template="news")
    worker.run_once()
    [message] = smtp_server.messages()
    path = unsubscribe_path(message)
    client = crm_app.test_client()
    c = schema.consent
    page = client.get(path)
    assert page.status_code == 200 and 'method="post"' in page.get_data(as_text=True)
    with crm_host.db.connect() as connection:
        assert connection.execute(select(c.c.id)).first() is None
    done = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    assert "You are unsubscribed" in done.get_data(as_text=True)
    client.post(path)
    with crm_host.db.connect() as connection:
        rows = connection.execute(select(c)).mappings().all()
    assert len(rows) == 1
    assert rows[0]["source"] == "unsubscribe link" and rows[0]["granted"] is False
    assert rows[0]["evidence"]["method"] == "one-click"


def test_a_forged_unsubscribe_token_changes_nothing(
    crm_app, crm_host, mail, public_unsubscribe
):
    """A token that was not signed by this installation is a 404."""
    client = crm_app.test_client()
    assert client.get("/mail/unsubscribe/abc.def").status_code == 404
    assert client.post("/mail/unsubscribe/abc.def").status_code == 404
    with crm_host.db.connect() as connection:
        assert connection.execute(select(tables.suppression.c.address)).first() is None
