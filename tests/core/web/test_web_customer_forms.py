"""Creating and editing customers through the forms."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from crm_core import audit
from crm_core.storage import schema


def form_data(page: str) -> dict[str, str]:
    """The named text inputs, selects and ticked boxes of a rendered form."""
    data: dict[str, str] = {}
    for tag in re.findall(r"<input [^>]+>", page):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name is None or ('type="checkbox"' in tag and " checked" not in tag):
            continue
        data[name.group(1)] = value.group(1) if value else ""
    selects = re.findall(r'<select [^>]*name="([^"]+)"[^>]*>(.*?)</select>', page, re.S)
    for name, body in selects:
        chosen = re.search(r'<option value="([^"]*)" selected>', body)
        data[name] = chosen.group(1) if chosen else ""
    areas = re.findall(
        r'<textarea [^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', page, re.S
    )
    for name, body in areas:
        data[name] = body
    return data


@pytest.fixture
def ana(admin, add_customer):
    return add_customer(
        admin.user,
        name="Ana Lima",
        emails=["ana@example.com"],
        attributes={"tier": "silver"},
    )


def test_the_new_form_renders_custom_fields_by_type(admin, read):
    """Choice is a select, yes/no a checkbox, a date a date input."""
    page = read(admin.get("/customers/new?kind=organisation"))
    assert "<h1>New organisation</h1>" in page
    assert re.search(r'<select id="f-attr-tier" name="attr-tier"', page)
    assert '<option value="gold">gold</option>' in page
    assert re.search(r'name="attr-vip" type="checkbox"', page)
    assert re.search(r'name="attr-renewal" type="date"', page)
    assert re.search(r'name="attr-seats" type="number"', page)
    assert 'name="attr-tax_id"' in page
    assert '<option value="organisation" selected>' in page


def test_creating_a_person_stores_every_field(admin, token, crm_host):
    """A filled-in form creates the customer and opens its page."""
    response = admin.post(
        "/customers/new",
        data={
            "csrf_token": token(admin, "/customers/new"),
            "kind": "person",
            "name": "Bea Costa",
            "emails": "Bea@Example.com\nbea.costa@example.com",
            "phones": "+1 202 555 0199",
            "lifecycle_stage": "prospect",
            "tags": "trade fair, 2024",
            "owner": admin.user["email"],
            "addr-0-street": "2 High St",
            "addr-0-city": "Leeds",
            "addr-1-street": "",
            "attr-tier": "gold",
            "attr-vip": "on",
            "attr-renewal": "2025-01-31",
            "attr-seats": "40",
            "attr-budget": "1200.50",
        },
    )
    assert response.status_code == 302
    new_id = int(response.headers["Location"].rsplit("/", 1)[1])
    with crm_host.db.connect() as connection:
        actor = crm_host.actor(connection, admin.user["id"])
        saved = crm_host.customers.get(connection, actor, new_id)
    assert saved["emails"] == ["bea@example.com", "bea.costa@example.com"]
    assert saved["phones"] == ["+12025550199"]
    assert saved["tags"] == ["trade fair", "2024"]
    assert saved["addresses"][0]["city"] == "Leeds"
    assert len(saved["addresses"]) == 1
    assert saved["attributes"]["vip"] is True
    assert saved["attributes"]["seats"] == 40
    assert saved["attributes"]["renewal"] == "2025-01-31"
    assert str(saved["attributes"]["budget"]) == "1200.50"
    assert "Bea Costa was created." in admin.get(f"/customers/{new_id}").get_data(
        as_text=True
    )


def test_service_errors_are_shown_next_to_their_fields(admin, token, read):
    """A bad e-mail and a bad number are explained beside those fields."""
    response = admin.post(
        "/customers/new",
        data={
            "csrf_token": token(admin, "/customers/new"),
            "kind": "person",
            "name": "Cal",
            "emails": "not-an-address",
            "attr-seats": "many",
        },
    )
    assert response.status_code == 400
    page = read(response)
    assert re.search(r'<p class="field-error" id="err-attr-seats">.*whole number', page)
    assert 'aria-invalid="true"' in page
    response = admin.post(
        "/customers/new",
        data={
            "csrf_token": token(admin, "/customers/new"),
            "kind": "person",
            "name": "Cal",
            "emails": "not-an-address",
        },
    )
    page = read(response)
    assert re.search(r'id="err-emails">.*not-an-address.*is not an e-mail', page)
    assert 'value="Cal"' in page


def test_a_record_level_error_is_shown_above_the_form(admin, token, read):
    """A customer with nothing to name it by is refused with the reason."""
    response = admin.post(
        "/customers/new",
        data={"csrf_token": token(admin, "/customers/new"), "kind": "person"},
    )
    assert response.status_code == 400
    assert "needs at least one of name" in read(response)


def test_editing_saves_and_records_history(admin, ana, token, crm_host):
    """The edit form shows the current values; saving changes them and audits it."""
    page = admin.get(f"/customers/{ana['id']}/edit").get_data(as_text=True)
    data = form_data(page)
    assert data["name"] == "Ana Lima"
    assert data["attr-tier"] == "silver"
    assert data["version"] == "1"
    data.update({"name": "Ana Souza", "attr-tier": "gold"})
    response = admin.post(f"/customers/{ana['id']}/edit", data=data)
    assert response.status_code == 302
    with crm_host.db.connect() as connection:
        entries = audit.history(connection, "customer", ana["id"])
    changes = entries[-1]["changes"]
    assert changes["name"] == ["Ana Lima", "Ana Souza"]
    assert changes["attributes"][1]["tier"] == "gold"
    assert "vip" not in changes["attributes"][1]


def test_saving_unchanged_values_changes_nothing(admin, ana, crm_host, read):
    """An untouched form, including empty yes/no fields, makes no history."""
    data = form_data(admin.get(f"/customers/{ana['id']}/edit").get_data(as_text=True))
    response = admin.post(
        f"/customers/{ana['id']}/edit", data=data, follow_redirects=True
    )
    assert "Nothing was changed." in read(response)
    with crm_host.db.connect() as connection:
        assert len(audit.history(connection, "customer", ana["id"])) == 1


def test_a_stale_form_is_refused_with_the_saved_values(admin, ana, crm_host, read):
    """Saving over a newer change answers 409, keeps my input and shows theirs."""
    data = form_data(admin.get(f"/customers/{ana['id']}/edit").get_data(as_text=True))
    with crm_host.db.transaction() as connection:
        actor = crm_host.actor(connection, admin.user["id"])
        crm_host.customers.update(connection, actor, ana["id"], {"name": "Ana Ribeiro"})
    data["name"] = "Ana Souza"
    response = admin.post(f"/customers/{ana['id']}/edit", data=data)
    assert response.status_code == 409
    page = read(response)
    assert "Someone else saved this customer" in page
    assert 'value="Ana Souza"' in page
    assert "Saved now: <span>Ana Ribeiro</span>" in page
    assert 'name="version" value="2"' in page
    retry = form_data(response.get_data(as_text=True))
    assert admin.post(f"/customers/{ana['id']}/edit", data=retry).status_code == 302
    with crm_host.db.connect() as connection:
        actor = crm_host.actor(connection, admin.user["id"])
        assert (
            crm_host.customers.get(connection, actor, ana["id"])["name"] == "Ana Souza"
        )


def test_a_form_without_the_csrf_token_is_refused(admin, ana, crm_host):
    """A POST without the token answers 400 and changes nothing."""
    data = form_data(admin.get(f"/customers/{ana['id']}/edit").get_data(as_text=True))
    del data["csrf_token"]
    data["name"] = "Forged"
    assert admin.post(f"/customers/{ana['id']}/edit", data=data).status_code == 400
    assert admin.post("/customers/new", data={"name": "Forged"}).status_code == 400
    with crm_host.db.connect() as connection:
        actor = crm_host.actor(connection, admin.user["id"])
        assert (
            crm_host.customers.get(connection, actor, ana["id"])["name"] == "Ana Lima"
        )


def test_a_form_without_its_version_is_refused(admin, ana, token):
    """The version is required, so no save can skip the conflict check."""
    response = admin.post(
        f"/customers/{ana['id']}/edit",
        data={"csrf_token": token(admin, "/customers/new"), "name": "X"},
    )
    assert response.status_code == 400


def test_agents_cannot_choose_owners_and_edit_only_their_own(
    ana, browser_for, add_customer, read
):
    """No owner field for an agent; another owner's customer cannot be edited."""
    agent = browser_for("agent")
    page = read(agent.get("/customers/new"))
    assert 'name="owner"' not in page
    assert agent.get(f"/customers/{ana['id']}/edit").status_code == 404
    mine = add_customer(agent.user, name="Mine")
    data = form_data(agent.get(f"/customers/{mine['id']}/edit").get_data(as_text=True))
    data["name"] = "Still mine"
    assert agent.post(f"/customers/{mine['id']}/edit", data=data).status_code == 302


def test_viewers_cannot_open_the_forms(ana, browser_for):
    """A role without create or update permission gets 403."""
    viewer = browser_for("viewer")
    assert viewer.get("/customers/new").status_code == 403
    assert viewer.get(f"/customers/{ana['id']}/edit").status_code == 403


def test_sensitive_fields_are_kept_when_the_editor_cannot_see_them(
    browser_for, add_customer, crm_host
):
    """An agent's save leaves a sensitive value it never saw untouched."""
    agent = browser_for("agent")
    mine = add_customer(agent.user, name="Mine", attributes={"tax_id": "DE-1"})
    page = agent.get(f"/customers/{mine['id']}/edit").get_data(as_text=True)
    assert "attr-tax_id" not in page
    data = form_data(page)
    data["name"] = "Renamed"
    assert agent.post(f"/customers/{mine['id']}/edit", data=data).status_code == 302
    with crm_host.db.connect() as connection:
        stored = connection.execute(
            select(schema.customer.c.attributes).where(
                schema.customer.c.id == mine["id"]
            )
        ).scalar()
    assert stored["tax_id"] == "DE-1"


def test_emptying_a_field_clears_it(admin, ana, crm_host):
    """A custom field emptied on the form is removed from the customer."""
    data = form_data(admin.get(f"/customers/{ana['id']}/edit").get_data(as_text=True))
    data["attr-tier"] = ""
    assert admin.post(f"/customers/{ana['id']}/edit", data=data).status_code == 302
    with crm_host.db.connect() as connection:
        actor = crm_host.actor(connection, admin.user["id"])
        saved = crm_host.customers.get(connection, actor, ana["id"])
    assert saved["attributes"].get("tier") is None


def test_address_errors_land_on_the_address_shown(admin, token, read):
    """An error in an address is shown next to that address's field."""
    response = admin.post(
        "/customers/new",
        data={
            "csrf_token": token(admin, "/customers/new"),
            "kind": "person",
            "name": "Dee",
            "addr-0-street": "",
            "addr-1-street": "3 Long Rd",
            "addr-1-postcode": "X" * 30,
        },
    )
    assert response.status_code == 400
    page = read(response)
    assert 'id="err-addr-0-postcode"' in page
    assert 'value="3 Long Rd"' in page


def test_date_and_time_fields_use_the_readers_zone(admin, ana, crm_host, read):
    """A local time typed in Berlin is stored in UTC and shown back as typed."""
    with crm_host.db.transaction() as connection:
        connection.execute(
            schema.user.update()
            .where(schema.user.c.id == admin.user["id"])
            .values(timezone="Europe/Berlin")
        )
    data = form_data(admin.get(f"/customers/{ana['id']}/edit").get_data(as_text=True))
    data["attr-next_call"] = "2024-05-01T09:30"
    assert admin.post(f"/customers/{ana['id']}/edit", data=data).status_code == 302
    with crm_host.db.connect() as connection:
        stored = connection.execute(
            select(schema.customer.c.attributes).where(
                schema.customer.c.id == ana["id"]
            )
        ).scalar()
    assert stored["next_call"] == "2024-05-01T07:30:00+00:00"
    again = form_data(admin.get(f"/customers/{ana['id']}/edit").get_data(as_text=True))
    assert again["attr-next_call"] == "2024-05-01T09:30"
    assert "2024-05-01 09:30 CEST" in read(admin.get(f"/customers/{ana['id']}"))
