"""Forms made by administrators, and copies embedded on other sites."""

from __future__ import annotations

import re

import pytest

from crm_core.forms.spec import FormSpec
from crm_core.storage import schema
from crm_core.testing import make_plugin


def embed_code(admin_api, name):
    response = admin_api.get(f"/api/v1/forms/{name}/embed")
    assert response.status_code == 200
    return response.get_json()["html"]


def fields_of(code):
    token = re.search(r'name="form_token" value="([^"]+)"', code).group(1)
    action = re.search(r'action="([^"]+)"', code).group(1)
    return action, token


@pytest.fixture
def stored(crm_api):
    """An administrator's form, made through the API."""
    client = crm_api("admin")
    response = client.post(
        "/api/v1/forms",
        json={
            "name": "webinar",
            "title": "Webinar sign-up",
            "fields": [{"name": "email"}, {"name": "name", "required": True}],
            "constants": {"tags": "webinar"},
            "redirect_url": "https://www.example.com/see-you",
        },
    )
    assert response.status_code == 201, response.get_json()
    client.form = response.get_json()
    return client


def test_an_embedded_copy_posts_from_another_site(stored, crm_app, customers):
    """The pasted HTML posts its token without cookies and returns to the site."""
    code = embed_code(stored, "webinar")
    assert "<script" not in code and "style=" not in code
    action, token = fields_of(code)
    assert action == "http://localhost/f/webinar"
    response = crm_app.test_client().post(
        "/f/webinar",
        data={
            "form_token": token,
            "website": "",
            "email": "sam@example.com",
            "name": "Sam",
        },
        headers={"Origin": "https://www.example.com"},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "https://www.example.com/see-you"
    [customer] = customers()
    assert customer["tags"] == ["webinar"]


def test_a_signed_in_visitor_posts_a_copy_without_the_session_token(
    stored, crm_app, crm_user, customers
):
    """Staff signed in to the CRM can use the website's copy too."""
    _action, token = fields_of(embed_code(stored, "webinar"))
    staff = crm_user("agent")
    client = crm_app.test_client()
    with client.session_transaction() as session:
        session.update(uid=staff["id"], epoch=0)
    response = client.post(
        "/f/webinar",
        data={"form_token": token, "email": "staff@example.com", "name": "Staff"},
    )
    assert response.status_code == 303
    assert len(customers()) == 1


def test_a_new_key_stops_old_copies(stored, crm_app, crm_host, customers):
    """After the key is renewed, a copy with the old token is refused."""
    _action, old = fields_of(embed_code(stored, "webinar"))
    from crm_core.forms import registry
    from crm_core.security import SYSTEM

    with crm_host.db.transaction() as connection:
        registry.renew_key(connection, SYSTEM, "webinar")
    data = {"email": "old@example.com", "name": "Old"}
    refused = crm_app.test_client().post("/f/webinar", data={**data, "form_token": old})
    assert refused.status_code == 400
    _action, new = fields_of(embed_code(stored, "webinar"))
    accepted = crm_app.test_client().post(
        "/f/webinar", data={**data, "form_token": new}
    )
    assert accepted.status_code == 303


def test_stored_forms_are_checked_like_declared_ones(crm_api):
    """Unknown fields, owner fields and taken names are refused, by field."""
    client = crm_api("admin")
    unknown = client.post(
        "/api/v1/forms", json={"name": "bad", "fields": [{"name": "shoe_size"}]}
    )
    assert unknown.status_code == 422
    assert "shoe_size" in unknown.get_json()["detail"]
    owner = client.post(
        "/api/v1/forms", json={"name": "bad", "fields": [{"name": "owner"}]}
    )
    assert owner.status_code == 422
    declared = client.post(
        "/api/v1/forms", json={"name": "contact", "fields": [{"name": "email"}]}
    )
    assert declared.status_code == 422
    assert crm_api("manager").get("/api/v1/forms").status_code == 403


def test_the_forms_pages_list_and_edit_forms(crm_app, crm_user, stored):
    """Administrators see every form and change stored ones on the pages."""
    admin = crm_user("admin")
    client = crm_app.test_client()
    with client.session_transaction() as session:
        session.update(uid=admin["id"], epoch=0)
    listing = client.get("/admin/forms").get_data(as_text=True)
    assert "Contact us" in listing and "Webinar sign-up" in listing
    detail = client.get("/admin/forms/webinar").get_data(as_text=True)
    assert "&lt;form method=&#34;post&#34;" in detail
    page = client.get("/admin/forms/webinar/edit").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    saved = client.post(
        "/admin/forms/webinar/edit",
        data={
            "csrf_token": csrf,
            "name": "webinar",
            "title": "Webinar, renamed",
            "record_type": "customers",
            "use-email": "on",
            "use-phone": "on",
            "required-phone": "on",
            "label-phone": "Mobile",
        },
    )
    assert saved.status_code == 302
    public = client.get("/f/webinar").get_data(as_text=True)
    assert "Webinar, renamed" in public and "Mobile" in public
    assert client.get("/admin/forms/contact/edit").status_code == 404


def _write_tickets(ctx, batch):
    WRITTEN.extend(batch.frame.to_dict("records"))


WRITTEN: list[dict] = []


def test_forms_feed_other_record_types_through_their_import_writer(
    crm_host, crm_temp_plugin
):
    """A plugin's record type gets a form's submission as a one-row import batch."""
    WRITTEN.clear()
    from marshmallow import Schema, fields, validate

    from crm_core.forms.intake import check, form_rules
    from crm_core.forms.records import write
    from crm_core.importing.records import RecordType

    class TicketSchema(Schema):
        email = fields.Email(required=True)
        subject = fields.String(validate=validate.Length(max=20))

    tickets = RecordType("tickets", TicketSchema, _write_tickets, keys=("email",))
    crm_host.record_types = lambda: {"tickets": tickets}
    spec = FormSpec(name="help", record_type="tickets", fields=["email", "subject"])
    with crm_host.db.transaction() as connection:
        form = form_rules(crm_host, connection, spec)
        values, errors = check(form, {"email": "A@Example.com", "subject": "Printer"})
        assert errors == {}
        write(crm_host, connection, spec, form, values)
        _values, too_long = check(form, {"email": "a@b.example", "subject": "x" * 30})
        assert too_long == {"subject": ["Use at most 20 characters."]}
        runs = connection.execute(schema.import_run.select()).mappings().all()
    assert WRITTEN == [{"email": "a@example.com", "subject": "Printer"}]
    assert [run["file_name"] for run in runs] == ["form:help"]


def test_two_plugins_declaring_one_form_name_stop_the_host(crm_host):
    """A clash of form names is reported with both plugins."""
    from crm_core.forms.registry import declared
    from crm_core.host import HostError

    clash = make_plugin(
        "formclash", crm_forms=lambda: [FormSpec(name="contact", fields=["email"])]
    )
    crm_host.plugins.pluggy.register(clash, name="formclash")
    crm_host.extensions.pop("forms.declared", None)
    with pytest.raises(HostError, match="'contact'"):
        declared(crm_host)


def test_the_forms_own_page_keeps_visitors_on_the_site(stored, submit, read_page):
    """Submitted from its own page, a form thanks on this site and links onwards."""
    response = submit("webinar", email="page@example.com", name="Page")
    assert response.headers["Location"] == "/f/webinar/thanks"
    thanks = read_page(response.headers["Location"])
    assert 'href="https://www.example.com/see-you"' in thanks


def test_the_public_page_needs_no_inline_code(crm_app):
    """The form page works under the strict policy: no inline scripts or styles."""
    response = crm_app.test_client().get("/f/contact")
    page = response.get_data(as_text=True)
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)
    assert "<style" not in page and not re.search(r'\sstyle="', page)
    assert not re.search(r"\son[a-z]+=", page)
    assert re.search(r'<div hidden>\s*<label for="f-website">', page)
