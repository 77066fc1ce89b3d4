"""``/api/v1/mail``: templates, previews, the message log and sending."""

from __future__ import annotations

import pytest

API = "/api/v1/mail"
BODY = {
    "name": "welcome",
    "subject": "Welcome {{ customer.name | default('aboard') }}",
    "text_body": "Hello {{ customer.name | default('there') }}",
    "html_body": "<p>Hello {{ customer.name | default('there') }}</p>",
}


@pytest.fixture
def admin(crm_api, mail):
    """An administrator's API client (the mail service started)."""
    return crm_api("admin")


def _template(client, **changes):
    response = client.post(f"{API}/templates", json={**BODY, **changes})
    assert response.status_code == 201, response.get_json()
    return response


def test_templates_are_created_read_changed_and_deleted(admin):
    """The template endpoints work end to end with ETags and Location."""
    created = _template(admin)
    body = created.get_json()
    assert created.headers["Location"].endswith(f"/templates/{body['id']}")
    assert created.headers["ETag"] == '"1"'
    listed = admin.get(f"{API}/templates").get_json()["items"]
    assert [t["name"] for t in listed] == ["welcome"]
    path = f"{API}/templates/{body['id']}"
    assert admin.patch(path, json={"subject": "Hi"}).status_code == 428
    stale = admin.patch(path, json={"subject": "Hi"}, headers={"If-Match": '"7"'})
    assert stale.status_code == 412
    changed = admin.patch(path, json={"subject": "Hi"}, headers={"If-Match": '"1"'})
    assert changed.status_code == 200 and changed.get_json()["version"] == 2
    assert admin.delete(path).status_code == 204
    assert admin.get(path).status_code == 404


def test_a_template_with_an_unknown_field_is_a_422_naming_it(admin):
    """The problem document names the part and the field."""
    response = admin.post(
        f"{API}/templates", json={**BODY, "subject": "{{ customer.nick }}"}
    )
    problem = response.get_json()
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert "customer.nick" in problem["errors"]["subject"][0]
    assert "customer.nick" in problem["detail"]


def test_preview_renders_for_a_customer(admin, crm_api, add_customers):
    """POST .../preview renders the template for the customer asked for."""
    template_id = _template(admin).get_json()["id"]
    [customer] = add_customers(1)
    response = admin.post(
        f"{API}/templates/{template_id}/preview", json={"customer_id": customer}
    )
    assert response.get_json() == {
        "subject": "Welcome Customer 0",
        "html": "<p>Hello Customer 0</p>",
        "text": "Hello Customer 0",
    }
    sample = admin.post(f"{API}/templates/{template_id}/preview", json={})
    assert sample.get_json()["subject"] == "Welcome Ada Lovelace"


def test_sending_and_the_message_log_per_customer(admin, add_customers, worker):
    """A message sent through the API shows in the customer's log with its status."""
    _template(admin)
    first, second = add_customers(2)
    sent = admin.post(
        f"{API}/messages",
        json={
            "to_customer_id": first,
            "template": "welcome",
            "purpose": "transactional",
        },
        headers={"Idempotency-Key": "send-1"},
    )
    assert sent.status_code == 201 and sent.get_json()["status"] == "queued"
    again = admin.post(
        f"{API}/messages",
        json={
            "to_customer_id": first,
            "template": "welcome",
            "purpose": "transactional",
        },
        headers={"Idempotency-Key": "send-1"},
    )
    assert again.get_json()["id"] == sent.get_json()["id"]
    admin.post(
        f"{API}/messages", json={"to_customer_id": second, "template": "welcome"}
    )
    worker.run_once()
    log = admin.get(f"{API}/messages", query_string={"customer_id": first}).get_json()
    assert [(m["customer_id"], m["status"]) for m in log["items"]] == [(first, "sent")]
    one = admin.get(sent.headers["Location"]).get_json()
    assert one["text_body"] == "Hello Customer 0" and one["sent_at"] is not None
    bad = admin.get(f"{API}/messages", query_string={"status": "lost"})
    assert bad.status_code == 400


def test_bad_sends_are_422_with_the_field_named(admin):
    """An invalid address or unknown template is refused; nothing is queued."""
    _template(admin)
    response = admin.post(
        f"{API}/messages", json={"to_address": "nobody", "template": "welcome"}
    )
    assert response.status_code == 422
    assert "to_address" in response.get_json()["errors"]
    response = admin.post(
        f"{API}/messages", json={"to_address": "a@example.com", "template": "gone"}
    )
    assert response.status_code == 422
    assert "template" in response.get_json()["errors"]
    assert admin.get(f"{API}/messages").get_json()["items"] == []


def test_send_test_goes_to_the_address_marked_as_a_test(
    admin, add_customers, worker, smtp_server
):
    """A test send personalises as the customer and marks the subject."""
    template_id = _template(admin).get_json()["id"]
    [customer] = add_customers(1)
    response = admin.post(
        f"{API}/test",
        json={
            "template_id": template_id,
            "to_address": "me@strata.example",
            "customer_id": customer,
        },
    )
    assert response.status_code == 201
    worker.run_once()
    [message] = smtp_server.messages()
    assert message["To"] == "me@strata.example"
    assert message["Subject"] == "[Test] Welcome Customer 0"


def test_roles_without_mail_permissions_are_refused(admin, crm_api, add_customers):
    """A viewer may read the log but not write templates or send."""
    _template(admin)
    viewer = crm_api("viewer")
    assert viewer.get(f"{API}/messages").status_code == 200
    assert (
        viewer.post(f"{API}/templates", json={**BODY, "name": "x"}).status_code == 403
    )
    [customer] = add_customers(1)
    response = viewer.post(
        f"{API}/messages", json={"to_customer_id": customer, "template": "welcome"}
    )
    assert response.status_code == 403
    assert "mail.send" in response.get_json()["detail"]


def test_agents_see_and_mail_only_customers_in_their_scope(
    admin, crm_api, add_customers
):
    """An agent cannot send to or read the log of another team's customer."""
    _template(admin)
    [customer] = add_customers(1)
    admin.post(
        f"{API}/messages", json={"to_customer_id": customer, "template": "welcome"}
    )
    agent = crm_api("agent", team="North")
    response = agent.post(
        f"{API}/messages", json={"to_customer_id": customer, "template": "welcome"}
    )
    assert response.status_code == 404
    assert agent.get(f"{API}/messages").get_json()["items"] == []
