"""Customer routes: create, read, change, delete, restore, audit; scope, errors."""

from __future__ import annotations

import pytest

API = "/api/v1"
PROBLEM = "application/problem+json"


def test_create_answers_201_with_location_and_etag(admin):
    """POST /customers stores the customer and answers with its URL and version."""
    response = admin.post(
        f"{API}/customers",
        json={"name": "Grace Hopper", "emails": ["Grace@Example.COM"], "tags": ["vip"]},
    )
    body = response.get_json()
    assert response.status_code == 201
    assert response.headers["Location"] == f"{API}/customers/{body['id']}"
    assert response.headers["ETag"] == '"1"'
    assert body["name"] == "Grace Hopper"
    assert body["email"] == "grace@example.com"
    assert body["tags"] == ["vip"]
    assert body["owner_id"] == admin.user["id"]
    assert body["version"] == 1


def test_create_publishes_customer_created(admin, create, crm_events):
    """A created customer is announced as a customer.created event."""
    body = create(admin, "/customers", {"name": "Alan Turing"})
    events = crm_events.events("customer.created")
    assert [e["payload"]["customer_id"] for e in events] == [body["id"]]


def test_read_sends_the_version_as_a_strong_etag(admin, new_customer):
    """GET /customers/{id} answers with the record and ETag "<version>"."""
    customer = new_customer(name="Edsger Dijkstra")
    response = admin.get(f"{API}/customers/{customer['id']}")
    assert response.status_code == 200
    assert response.headers["ETag"] == '"1"'
    assert response.get_json()["display_name"] == "Edsger Dijkstra"


def test_read_with_matching_if_none_match_is_304(admin, new_customer):
    """A client holding the current version gets 304 Not Modified."""
    customer = new_customer()
    response = admin.get(
        f"{API}/customers/{customer['id']}", headers={"If-None-Match": '"1"'}
    )
    assert response.status_code == 304
    assert response.data == b""


def test_unknown_customer_is_404_problem(admin):
    """A missing customer is a 404 problem document."""
    response = admin.get(f"{API}/customers/999999")
    assert response.status_code == 404
    assert response.content_type == PROBLEM
    assert response.get_json()["title"] == "Not Found"


def test_unknown_api_path_is_a_problem(admin):
    """Even a path no route serves answers in problem+json."""
    response = admin.get(f"{API}/customers/not-a-number")
    assert response.status_code == 404
    assert response.content_type == PROBLEM


def test_patch_without_if_match_is_428(admin, new_customer):
    """A change without If-Match is refused with 428 Precondition Required."""
    customer = new_customer()
    response = admin.patch(f"{API}/customers/{customer['id']}", json={"name": "X"})
    assert response.status_code == 428
    assert response.content_type == PROBLEM
    assert "If-Match" in response.get_json()["detail"]


def test_patch_with_current_version_changes_and_bumps_it(admin, new_customer):
    """PATCH with the current ETag applies the change and returns version 2."""
    customer = new_customer(name="Old Name", tags=["a"])
    response = admin.patch(
        f"{API}/customers/{customer['id']}",
        json={"name": "New Name"},
        headers={"If-Match": '"1"'},
    )
    body = response.get_json()
    assert response.status_code == 200
    assert response.headers["ETag"] == '"2"'
    assert body["name"] == "New Name"
    assert body["tags"] == ["a"]
    assert body["version"] == 2


def test_stale_patch_is_412_with_the_current_record(admin, new_customer):
    """PATCH with an old ETag is refused; the body holds the record as it is now."""
    customer = new_customer(name="First")
    url = f"{API}/customers/{customer['id']}"
    admin.patch(url, json={"name": "Second"}, headers={"If-Match": '"1"'})
    response = admin.patch(url, json={"name": "Third"}, headers={"If-Match": '"1"'})
    body = response.get_json()
    assert response.status_code == 412
    assert response.content_type == PROBLEM
    assert response.headers["ETag"] == '"2"'
    assert body["current"]["name"] == "Second"
    assert body["current"]["version"] == 2
    assert admin.get(url).get_json()["name"] == "Second"


def test_if_match_star_skips_the_version_check(admin, new_customer):
    """If-Match: * changes whatever version is current."""
    customer = new_customer()
    response = admin.patch(
        f"{API}/customers/{customer['id']}",
        json={"lifecycle_stage": "customer"},
        headers={"If-Match": "*"},
    )
    assert response.status_code == 200
    assert response.get_json()["lifecycle_stage"] == "customer"


def test_malformed_if_match_is_400_naming_it(admin, new_customer):
    """An If-Match that is no entity tag is a 400 naming the header."""
    customer = new_customer()
    response = admin.patch(
        f"{API}/customers/{customer['id']}", json={}, headers={"If-Match": "v1"}
    )
    assert response.status_code == 400
    assert "If-Match" in response.get_json()["errors"]


@pytest.mark.parametrize(
    "field", ["id", "version", "created_at", "updated_at", "deleted_at"]
)
def test_system_fields_are_refused_on_create_and_change(admin, new_customer, field):
    """System fields in a body are refused with 422 naming the field."""
    response = admin.post(f"{API}/customers", json={"name": "Eve", field: 7})
    assert response.status_code == 422
    assert "set by the server" in response.get_json()["errors"][field][0]
    customer = new_customer()
    response = admin.patch(
        f"{API}/customers/{customer['id']}",
        json={field: 7},
        headers={"If-Match": '"1"'},
    )
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_unknown_field_is_refused_naming_it(admin):
    """A field the API does not know is a 422 naming it."""
    response = admin.post(f"{API}/customers", json={"name": "Eve", "colour": "red"})
    assert response.status_code == 422
    assert "colour" in response.get_json()["errors"]
    assert "colour" in response.get_json()["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Eve", "emails": ["not an address"]}, "emails.0"),
        ({"name": "Eve", "kind": "robot"}, "kind"),
        ({"name": "x" * 301}, "name"),
        ({"name": "Eve", "addresses": [{"planet": "Mars"}]}, "addresses.0.planet"),
        ({"tags": ["a"]}, "_record"),
        ({"name": "Eve", "attributes": {"nope": 1}}, "attributes.nope"),
    ],
)
def test_bad_values_are_422_naming_the_field(admin, body, field):
    """Each refused value comes back under its own field name."""
    response = admin.post(f"{API}/customers", json=body)
    assert response.status_code == 422
    assert response.content_type == PROBLEM
    assert field in response.get_json()["errors"]


def test_body_that_is_not_json_is_400(admin):
    """A body that does not parse as JSON is a 400 naming the body."""
    response = admin.post(
        f"{API}/customers", data="{name:", content_type="application/json"
    )
    assert response.status_code == 400
    assert "_body" in response.get_json()["errors"]


def test_body_that_is_not_an_object_is_422(admin):
    """A JSON list where an object belongs is refused."""
    response = admin.post(f"{API}/customers", json=["Eve"])
    assert response.status_code == 422
    assert "_body" in response.get_json()["errors"]


def test_taken_external_id_is_422_naming_it(admin, new_customer):
    """Two customers cannot share an external id."""
    new_customer(external_id="ERP-1")
    response = admin.post(
        f"{API}/customers", json={"name": "Other", "external_id": "ERP-1"}
    )
    assert response.status_code == 422
    assert "external_id" in response.get_json()["errors"]


def test_unknown_parent_is_422_naming_it(admin):
    """A parent organisation that does not exist is refused by name."""
    response = admin.post(
        f"{API}/customers",
        json={"name": "Branch", "kind": "organisation", "parent_id": 424242},
    )
    assert response.status_code == 422
    assert "parent_id" in response.get_json()["errors"]


def test_delete_is_soft_and_restore_brings_it_back(admin, new_customer, crm_events):
    """DELETE hides the customer; POST .../restore brings it back, one version on."""
    customer = new_customer()
    url = f"{API}/customers/{customer['id']}"
    assert admin.delete(url).status_code == 204
    assert admin.get(url).status_code == 404
    response = admin.post(f"{url}/restore")
    assert response.status_code == 200
    assert response.get_json()["deleted_at"] is None
    assert response.get_json()["version"] == 3
    assert admin.get(url).status_code == 200
    assert crm_events.names()[-2:] == ["customer.deleted", "customer.restored"]


def test_delete_with_stale_if_match_is_412(admin, new_customer):
    """DELETE honours If-Match when it is sent."""
    customer = new_customer()
    url = f"{API}/customers/{customer['id']}"
    admin.patch(url, json={"name": "Changed"}, headers={"If-Match": '"1"'})
    response = admin.delete(url, headers={"If-Match": '"1"'})
    assert response.status_code == 412
    assert response.get_json()["current"]["version"] == 2
    assert admin.delete(url, headers={"If-Match": '"2"'}).status_code == 204


def test_restoring_a_live_customer_is_409(admin, new_customer):
    """Only a deleted customer can be restored."""
    customer = new_customer()
    response = admin.post(f"{API}/customers/{customer['id']}/restore")
    assert response.status_code == 409
    assert "not deleted" in response.get_json()["detail"]


def test_agent_does_not_see_another_teams_customer(crm_api, new_customer):
    """An agent gets 404 for a customer outside their team, and no list entry."""
    north = crm_api("agent", team="north")
    south = crm_api("agent", team="south")
    theirs = new_customer(name="South Ltd", owner=south.user["email"])
    response = north.get(f"{API}/customers/{theirs['id']}")
    assert response.status_code == 404
    listed = north.get(f"{API}/customers").get_json()["items"]
    assert theirs["id"] not in [item["id"] for item in listed]
    assert south.get(f"{API}/customers/{theirs['id']}").status_code == 200


def test_agent_cannot_change_a_teammates_customer(crm_api, new_customer):
    """An agent reads a teammate's customer but may change only their own."""
    mine = crm_api("agent", team="north")
    teammate = crm_api("agent", team="north")
    customer = new_customer(owner=teammate.user["email"])
    url = f"{API}/customers/{customer['id']}"
    assert mine.get(url).status_code == 200
    response = mine.patch(url, json={"name": "Mine"}, headers={"If-Match": '"1"'})
    assert response.status_code == 403
    assert "customer.update" in response.get_json()["detail"]


def test_viewer_cannot_write(crm_api, new_customer):
    """A viewer reads customers, and every write is a 403 naming the permission."""
    viewer = crm_api("viewer")
    customer = new_customer()
    url = f"{API}/customers/{customer['id']}"
    assert viewer.get(url).status_code == 200
    response = viewer.post(f"{API}/customers", json={"name": "Nope"})
    assert response.status_code == 403
    assert "customer.create" in response.get_json()["detail"]
    response = viewer.patch(url, json={"name": "Nope"}, headers={"If-Match": '"1"'})
    assert response.status_code == 403
    assert "customer.update" in response.get_json()["detail"]
    response = viewer.delete(url)
    assert response.status_code == 403
    assert "customer.delete" in response.get_json()["detail"]


def test_sensitive_field_is_hidden_without_read_sensitive(
    crm_api, new_customer, declare
):
    """A sensitive custom field is shown to a manager and hidden from an agent."""
    declare("income", "decimal", sensitive=True)
    declare("segment", "text")
    agent = crm_api("agent", team="north")
    manager = crm_api("manager", team="north")
    customer = new_customer(
        owner=agent.user["email"],
        attributes={"income": "85000.50", "segment": "retail"},
    )
    url = f"{API}/customers/{customer['id']}"
    assert agent.get(url).get_json()["attributes"] == {"segment": "retail"}
    assert manager.get(url).get_json()["attributes"] == {
        "income": "85000.50",
        "segment": "retail",
    }
    listed = agent.get(f"{API}/customers").get_json()["items"]
    assert listed[0]["attributes"] == {"segment": "retail"}


def test_audit_shows_field_level_before_and_after(admin, new_customer):
    """GET .../audit lists each change with the field's old and new value."""
    customer = new_customer(name="Before")
    url = f"{API}/customers/{customer['id']}"
    admin.patch(url, json={"name": "After", "tags": ["x"]}, headers={"If-Match": '"1"'})
    response = admin.get(f"{url}/audit")
    entries = response.get_json()["items"]
    assert response.status_code == 200
    assert [e["action"] for e in entries] == ["create", "update"]
    changes = {c["field"]: c for c in entries[1]["changes"]}
    assert changes["name"]["before"] == "Before"
    assert changes["name"]["after"] == "After"
    assert changes["tags"] == {"field": "tags", "before": [], "after": ["x"]}
    assert entries[1]["actor_id"] == admin.user["id"]
    assert entries[1]["actor_name"]


def test_audit_needs_audit_read(crm_api, new_customer):
    """An agent who may read the customer still may not read its history."""
    agent = crm_api("agent")
    customer = new_customer(owner=agent.user["email"])
    response = agent.get(f"{API}/customers/{customer['id']}/audit")
    assert response.status_code == 403
    assert "audit.read" in response.get_json()["detail"]


def test_audit_hides_sensitive_values_from_auditors_without_read_sensitive(
    crm_host, crm_api, admin, new_customer, declare
):
    """History shows no sensitive field to a role that may not read it."""
    from crm_core.storage import schema

    with crm_host.db.transaction() as connection:
        connection.execute(
            schema.role.insert().values(
                name="auditor",
                label="Auditor",
                grants={"customer.read": "all", "audit.read": "all"},
                builtin=False,
            )
        )
    declare("income", "integer", sensitive=True)
    declare("segment", "text")
    auditor = crm_api("auditor")
    customer = new_customer(attributes={"income": 1, "segment": "retail"})
    entries = auditor.get(f"{API}/customers/{customer['id']}/audit").get_json()
    changes = {c["field"]: c for c in entries["items"][0]["changes"]}
    assert changes["attributes"]["after"] == {"segment": "retail"}
    entries = admin.get(f"{API}/customers/{customer['id']}/audit").get_json()
    changes = {c["field"]: c for c in entries["items"][0]["changes"]}
    assert changes["attributes"]["after"] == {"income": 1, "segment": "retail"}
