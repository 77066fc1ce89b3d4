"""Activities: logging touchpoints, the timeline, changes, delete and restore, scope."""

from __future__ import annotations

import pytest

API = "/api/v1"


@pytest.fixture
def log(admin, create):
    """Log an activity as an administrator: ``log(customer_id, **fields)``."""

    def make(customer_id, client=None, **body):
        body = {"customer_id": customer_id, "channel": "phone", "kind": "call", **body}
        return create(client or admin, "/activities", body)

    return make


def test_create_answers_201_with_location_etag_and_actor(admin, new_customer):
    """POST /activities stores the activity with the caller as its actor."""
    customer = new_customer()
    response = admin.post(
        f"{API}/activities",
        json={
            "customer_id": customer["id"],
            "channel": "email",
            "kind": "sent",
            "subject": "Welcome",
            "occurred_at": "2024-05-01T09:30:00+02:00",
        },
    )
    body = response.get_json()
    assert response.status_code == 201
    assert response.headers["Location"] == f"{API}/activities/{body['id']}"
    assert response.headers["ETag"] == '"1"'
    assert body["actor_id"] == admin.user["id"]
    assert body["occurred_at"] == "2024-05-01T07:30:00+00:00"
    assert body["subject"] == "Welcome"


def test_create_publishes_activity_created(admin, new_customer, log, crm_events):
    """A logged activity is announced with its id and customer."""
    customer = new_customer()
    activity = log(customer["id"])
    payloads = [e["payload"] for e in crm_events.events("activity.created")]
    assert payloads == [{"activity_id": activity["id"], "customer_id": customer["id"]}]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"channel": "phone", "kind": "call"}, "customer_id"),
        ({"customer_id": 1, "kind": "call"}, "channel"),
        ({"customer_id": 1, "channel": "pigeon", "kind": "x"}, "channel"),
        ({"customer_id": 1, "channel": "web", "kind": ""}, "kind"),
        ({"customer_id": 1, "channel": "web", "kind": "x", "id": 5}, "id"),
        ({"customer_id": 1, "channel": "web", "kind": "x", "actor_id": 5}, "actor_id"),
        (
            {"customer_id": 1, "channel": "web", "kind": "x", "occurred_at": "today"},
            "occurred_at",
        ),
        (
            {
                "customer_id": 1,
                "channel": "web",
                "kind": "x",
                "occurred_at": "2024-05-01T09:30:00",
            },
            "occurred_at",
        ),
    ],
)
def test_bad_bodies_are_422_naming_the_field(admin, new_customer, body, field):
    """Missing, unknown, system and malformed fields are refused by name."""
    new_customer()
    response = admin.post(f"{API}/activities", json=body)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_activity_on_an_unknown_customer_is_422(admin):
    """customer_id must name a customer the caller may see."""
    response = admin.post(
        f"{API}/activities",
        json={"customer_id": 987654, "channel": "web", "kind": "visit"},
    )
    assert response.status_code == 422
    assert "customer_id" in response.get_json()["errors"]


def test_timeline_is_newest_first_and_paged(admin, new_customer, log):
    """GET /customers/{id}/activities pages through the timeline newest first."""
    customer = new_customer()
    other = new_customer(name="Someone Else")
    log(other["id"], occurred_at="2024-01-09T00:00:00+00:00")
    for day in (3, 1, 5, 2, 4):
        log(
            customer["id"],
            subject=f"day {day}",
            occurred_at=f"2024-01-0{day}T12:00:00Z",
        )
    url = f"{API}/customers/{customer['id']}/activities?limit=2"
    first = admin.get(url).get_json()
    second = admin.get(f"{url}&cursor={first['next_cursor']}").get_json()
    third = admin.get(f"{url}&cursor={second['next_cursor']}").get_json()
    subjects = [a["subject"] for p in (first, second, third) for a in p["items"]]
    assert subjects == ["day 5", "day 4", "day 3", "day 2", "day 1"]
    assert third["next_cursor"] is None


def test_timeline_keeps_activities_at_the_same_moment_apart(admin, new_customer, log):
    """Activities sharing a time are paged by id, none lost or repeated."""
    customer = new_customer()
    ids = [
        log(customer["id"], occurred_at="2024-02-01T00:00:00Z")["id"] for _ in range(5)
    ]
    url = f"{API}/customers/{customer['id']}/activities?limit=2"
    seen, cursor = [], None
    while True:
        body = admin.get(url + (f"&cursor={cursor}" if cursor else "")).get_json()
        seen += [a["id"] for a in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(ids, reverse=True)


def test_timeline_of_a_customer_out_of_scope_is_404(crm_api, new_customer):
    """The timeline of a customer the caller may not see does not exist for them."""
    agent = crm_api("agent")
    customer = new_customer()
    response = agent.get(f"{API}/customers/{customer['id']}/activities")
    assert response.status_code == 404


def test_list_filters_by_customer_channel_and_time(admin, new_customer, log):
    """GET /activities filters on customer_id, channel and occurred_at bounds."""
    first, second = new_customer(), new_customer(name="Second")
    log(first["id"], channel="email", occurred_at="2024-03-01T00:00:00Z")
    log(first["id"], channel="phone", occurred_at="2024-03-02T00:00:00Z")
    log(second["id"], channel="email", occurred_at="2024-03-03T00:00:00Z")

    def found(query):
        items = admin.get(f"{API}/activities?{query}").get_json()["items"]
        return [(a["customer_id"], a["channel"]) for a in items]

    assert found(f"customer_id={first['id']}") == [
        (first["id"], "phone"),
        (first["id"], "email"),
    ]
    assert found("channel=email") == [(second["id"], "email"), (first["id"], "email")]
    assert found(
        "occurred_at__gte=2024-03-02T00:00:00Z&occurred_at__lt=2024-03-03T00:00:00Z"
    ) == [(first["id"], "phone")]


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("channel=pigeon", "channel"),
        ("customer_id=abc", "customer_id"),
        ("limit=100000", "limit"),
        ("cursor=zzz", "cursor"),
        ("colour=red", "colour"),
    ],
)
def test_bad_list_parameters_are_400_naming_them(admin, query, parameter):
    """Each refused query parameter is named in the problem."""
    response = admin.get(f"{API}/activities?{query}")
    assert response.status_code == 400
    assert parameter in response.get_json()["errors"]


def test_patch_needs_if_match_and_refuses_a_stale_one(admin, new_customer, log):
    """A change needs the current ETag; a stale one gets 412 and the record."""
    activity = log(new_customer()["id"], subject="First")
    url = f"{API}/activities/{activity['id']}"
    assert admin.patch(url, json={"subject": "x"}).status_code == 428
    ok = admin.patch(url, json={"subject": "Second"}, headers={"If-Match": '"1"'})
    assert ok.status_code == 200
    assert ok.headers["ETag"] == '"2"'
    stale = admin.patch(url, json={"subject": "Third"}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    assert stale.get_json()["current"]["subject"] == "Second"


def test_activity_changes_are_audited(admin, new_customer, log, crm_host):
    """An activity's change is recorded with its old and new value."""
    from crm_core import audit

    activity = log(new_customer()["id"], subject="Before")
    admin.patch(
        f"{API}/activities/{activity['id']}",
        json={"subject": "After"},
        headers={"If-Match": '"1"'},
    )
    with crm_host.db.connect() as connection:
        entries = audit.history(connection, "activity", activity["id"])
    assert [e["action"] for e in entries] == ["create", "update"]
    assert entries[1]["changes"] == {"subject": ["Before", "After"]}


def test_delete_and_restore(admin, new_customer, log, crm_events):
    """DELETE hides an activity from reads and the timeline; restore brings it back."""
    customer = new_customer()
    activity = log(customer["id"])
    url = f"{API}/activities/{activity['id']}"
    assert admin.delete(url).status_code == 204
    assert admin.get(url).status_code == 404
    timeline = admin.get(f"{API}/customers/{customer['id']}/activities").get_json()
    assert timeline["items"] == []
    restored = admin.post(f"{url}/restore")
    assert restored.status_code == 200
    assert restored.get_json()["version"] == 3
    assert admin.get(url).status_code == 200
    assert crm_events.names()[-2:] == ["activity.deleted", "activity.restored"]


def test_deleting_the_customer_takes_its_timeline_along(admin, new_customer, log):
    """Deleting a customer hides its activities; restoring it brings them back."""
    customer = new_customer()
    activity = log(customer["id"])
    url = f"{API}/activities/{activity['id']}"
    admin.delete(f"{API}/customers/{customer['id']}")
    assert admin.get(url).status_code == 404
    response = admin.post(f"{url}/restore")
    assert response.status_code == 409
    assert "restore the customer" in response.get_json()["detail"]
    admin.post(f"{API}/customers/{customer['id']}/restore")
    assert admin.get(url).status_code == 200


def test_agent_sees_and_changes_only_their_customers_activities(
    crm_api, new_customer, log
):
    """Another team's activity is 404 for an agent; logging on it is refused."""
    north = crm_api("agent", team="north")
    south = crm_api("agent", team="south")
    theirs = new_customer(owner=south.user["email"])
    activity = log(theirs["id"])
    assert north.get(f"{API}/activities/{activity['id']}").status_code == 404
    assert north.get(f"{API}/activities").get_json()["items"] == []
    response = north.post(
        f"{API}/activities",
        json={"customer_id": theirs["id"], "channel": "phone", "kind": "call"},
    )
    assert response.status_code == 422
    assert "customer_id" in response.get_json()["errors"]
    assert south.get(f"{API}/activities/{activity['id']}").status_code == 200


def test_viewer_cannot_log_activities(crm_api, new_customer):
    """A viewer's write is a 403 naming the permission it lacks."""
    viewer = crm_api("viewer")
    customer = new_customer()
    response = viewer.post(
        f"{API}/activities",
        json={"customer_id": customer["id"], "channel": "phone", "kind": "call"},
    )
    assert response.status_code == 403
    assert "customer.update" in response.get_json()["detail"]
