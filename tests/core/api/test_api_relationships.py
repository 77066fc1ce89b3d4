"""Relationships: people at organisations, through the API."""

from __future__ import annotations

import pytest

API = "/api/v1"


@pytest.fixture
def pair(new_customer):
    """A person and an organisation."""
    person = new_customer(name="Ada")
    organisation = new_customer(name="Analytical Engines Ltd", kind="organisation")
    return person, organisation


def test_create_links_a_person_to_an_organisation(admin, pair, crm_events):
    """POST /relationships answers 201 and both customers list the link."""
    person, organisation = pair
    response = admin.post(
        f"{API}/relationships",
        json={
            "person_id": person["id"],
            "organisation_id": organisation["id"],
            "role": "Engineer",
            "started_on": "2020-01-15",
        },
    )
    body = response.get_json()
    assert response.status_code == 201
    assert response.headers["Location"] == f"{API}/relationships/{body['id']}"
    assert response.headers["ETag"] == '"1"'
    assert body["started_on"] == "2020-01-15"
    for customer in pair:
        listed = admin.get(f"{API}/customers/{customer['id']}/relationships")
        assert [r["id"] for r in listed.get_json()["items"]] == [body["id"]]
    assert crm_events.names()[-1] == "relationship.created"


@pytest.mark.parametrize(
    ("swap", "field"),
    [(True, "person_id"), (False, None)],
)
def test_sides_must_have_the_right_kind(admin, pair, swap, field):
    """person_id must be a person and organisation_id an organisation."""
    person, organisation = pair
    body = {"person_id": person["id"], "organisation_id": organisation["id"]}
    if swap:
        body = {"person_id": organisation["id"], "organisation_id": person["id"]}
    response = admin.post(f"{API}/relationships", json=body)
    if field is None:
        assert response.status_code == 201
    else:
        assert response.status_code == 422
        assert field in response.get_json()["errors"]


def test_end_before_start_is_422_naming_ended_on(admin, pair):
    """A relationship cannot end before it starts."""
    person, organisation = pair
    response = admin.post(
        f"{API}/relationships",
        json={
            "person_id": person["id"],
            "organisation_id": organisation["id"],
            "started_on": "2022-01-01",
            "ended_on": "2021-12-31",
        },
    )
    assert response.status_code == 422
    assert "ended_on" in response.get_json()["errors"]


def test_change_delete_and_restore(admin, pair, create):
    """PATCH with If-Match, soft delete and restore, each one version on."""
    person, organisation = pair
    link = create(
        admin,
        "/relationships",
        {"person_id": person["id"], "organisation_id": organisation["id"]},
    )
    url = f"{API}/relationships/{link['id']}"
    assert admin.patch(url, json={"role": "CTO"}).status_code == 428
    changed = admin.patch(url, json={"role": "CTO"}, headers={"If-Match": '"1"'})
    assert changed.get_json()["role"] == "CTO"
    assert admin.delete(url, headers={"If-Match": '"1"'}).status_code == 412
    assert admin.delete(url, headers={"If-Match": '"2"'}).status_code == 204
    assert admin.get(url).status_code == 404
    restored = admin.post(f"{url}/restore")
    assert restored.status_code == 200
    assert restored.get_json()["version"] == 4


def test_deleting_a_side_cascades_and_restoring_it_brings_the_link_back(
    admin, pair, create
):
    """A deleted organisation takes its relationships along, and back on restore."""
    person, organisation = pair
    link = create(
        admin,
        "/relationships",
        {"person_id": person["id"], "organisation_id": organisation["id"]},
    )
    url = f"{API}/relationships/{link['id']}"
    admin.delete(f"{API}/customers/{organisation['id']}")
    assert admin.get(url).status_code == 404
    assert admin.post(f"{url}/restore").status_code == 409
    admin.post(f"{API}/customers/{organisation['id']}/restore")
    assert admin.get(url).status_code == 200


def test_relationship_needs_both_sides_in_scope(crm_api, new_customer, create, admin):
    """An agent seeing only the person does not see its link to another firm."""
    agent = crm_api("agent")
    other = crm_api("agent", team="elsewhere")
    person = new_customer(name="Mine", owner=agent.user["email"])
    firm = new_customer(name="Firm", kind="organisation", owner=other.user["email"])
    link = create(
        admin,
        "/relationships",
        {"person_id": person["id"], "organisation_id": firm["id"]},
    )
    assert agent.get(f"{API}/relationships/{link['id']}").status_code == 404
    listed = agent.get(f"{API}/customers/{person['id']}/relationships").get_json()
    assert listed["items"] == []
    response = agent.post(
        f"{API}/relationships",
        json={"person_id": person["id"], "organisation_id": firm["id"]},
    )
    assert response.status_code == 422
    assert "organisation_id" in response.get_json()["errors"]


def test_list_filters_by_either_side(admin, new_customer, create):
    """customer_id matches either side; person_id and organisation_id one side."""
    ada, bob = new_customer(name="Ada"), new_customer(name="Bob")
    firm = new_customer(name="Firm", kind="organisation")
    for person in (ada, bob):
        create(
            admin,
            "/relationships",
            {"person_id": person["id"], "organisation_id": firm["id"]},
        )

    def people(query):
        items = admin.get(f"{API}/relationships?{query}").get_json()["items"]
        return [item["person_id"] for item in items]

    assert people(f"customer_id={firm['id']}") == [ada["id"], bob["id"]]
    assert people(f"person_id={bob['id']}") == [bob["id"]]
    assert people("limit=1") == [ada["id"]]
