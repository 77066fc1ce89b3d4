"""Bulk actions: scope, audit, events and refusals; by ids and by list filter."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from crm_core import FieldSpec
from crm_core.customers import InvalidInput
from crm_core.security import SYSTEM, PermissionDenied
from crm_core.storage import schema
from crm_core.views import bulk_actions

API = "/api/v1/customers/bulk"


@pytest.fixture
def book(crm_host, crm_actor, crm_user):
    """Customers of two agents of team North and one of team South; a custom field."""
    with crm_host.db.transaction() as connection:
        crm_host.fields.declare(connection, FieldSpec("seats", "integer"), "test")
    north, south = crm_actor("agent", team="North"), crm_actor("agent", team="South")
    colleague = crm_actor("agent", team="North")
    made = {"north": north, "south": south, "colleague": colleague}
    with crm_host.db.transaction() as connection:
        for key, actor in (
            ("n1", north),
            ("n2", north),
            ("n3", north),
            ("s1", south),
            ("s2", south),
        ):
            made[key] = crm_host.customers.create(
                connection,
                actor,
                {"name": key.upper(), "tags": ["old"] if key == "n1" else []},
            )["id"]
    return made


def run(crm_host, actor, **data):
    with crm_host.db.transaction() as connection:
        return bulk_actions(crm_host).run(connection, actor, data)


def rows(crm_host, ids, *columns):
    c = schema.customer
    with crm_host.db.connect() as connection:
        query = select(c.c.id, *[c.c[name] for name in columns]).where(c.c.id.in_(ids))
        return {row[0]: tuple(row[1:]) for row in connection.execute(query)}


def audit_entries(crm_host, action):
    a = schema.audit
    with crm_host.db.connect() as connection:
        query = select(a.c.record_id, a.c.actor_id, a.c.changes).where(
            a.c.action == action
        )
        return connection.execute(query.order_by(a.c.id)).all()


def test_a_tag_is_added_only_where_the_actor_may_update(crm_host, book, crm_events):
    """An agent's bulk touches their team's customers; others count as missing."""
    ids = [book[k] for k in ("n1", "n2", "s1")]
    result = run(crm_host, book["north"], action="add_tag", ids=ids, tag="vip")
    assert (result.matched, result.changed, result.missing) == (2, 2, 1)
    tags = rows(crm_host, ids, "tags")
    assert tags[book["n1"]] == (["old", "vip"],) and tags[book["s1"]] == ([],)
    assert [
        e["payload"]["customer_id"] for e in crm_events.events("customer.updated")
    ] == [
        book["n1"],
        book["n2"],
    ]


def test_changes_are_audited_with_before_and_after(crm_host, book):
    """Each changed customer gets an audit entry naming the actor and the values."""
    run(
        crm_host,
        book["north"],
        action="set_field",
        ids=[book["n2"]],
        field="seats",
        value=12,
    )
    entries = [
        e for e in audit_entries(crm_host, "update") if e.record_id == str(book["n2"])
    ]
    assert len(entries) == 1
    assert entries[0].actor_id == book["north"].id
    assert entries[0].changes == {"attributes": [{}, {"seats": 12}]}


def test_readable_but_not_updatable_customers_are_refused(crm_host, book):
    """An agent reads the team's customers but changes only their own."""
    with crm_host.db.transaction() as connection:
        theirs = crm_host.customers.create(
            connection, book["colleague"], {"name": "C1"}
        )
    ids = [book["n1"], theirs["id"]]
    result = run(crm_host, book["north"], action="add_tag", ids=ids, tag="vip")
    assert (result.matched, result.changed, result.refused) == (2, 1, 1)
    assert rows(crm_host, [theirs["id"]], "tags") == {theirs["id"]: ([],)}


def test_a_list_filter_selects_like_the_list(crm_host, book):
    """The filter uses the list's syntax: here, names containing "n"."""
    result = run(
        crm_host,
        SYSTEM,
        action="set_field",
        filter={"name__contains": "n"},
        field="lifecycle_stage",
        value="customer",
    )
    assert (result.matched, result.changed) == (3, 3)
    stages = rows(crm_host, [book["n1"], book["s1"]], "lifecycle_stage")
    assert stages == {book["n1"]: ("customer",), book["s1"]: ("lead",)}
    again = run(
        crm_host,
        SYSTEM,
        action="set_field",
        filter={"name__contains": "n"},
        field="lifecycle_stage",
        value="customer",
    )
    assert (again.changed, again.unchanged) == (0, 3)


def test_bulk_delete_soft_deletes_audits_and_publishes(
    crm_host, book, crm_actor, crm_events
):
    """Deleting needs customer.delete; deleted customers can be restored one by one."""
    manager = crm_actor("manager", team="North")
    result = run(crm_host, manager, action="delete", ids=[book["n1"], book["s1"]])
    assert (result.changed, result.missing) == (1, 1)
    assert rows(crm_host, [book["n1"]], "deleted_at")[book["n1"]][0] is not None
    assert [e.record_id for e in audit_entries(crm_host, "delete")] == [str(book["n1"])]
    assert len(crm_events.events("customer.deleted")) == 1
    with pytest.raises(PermissionDenied):
        run(crm_host, book["north"], action="delete", ids=[book["n2"]])


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"action": "add_tag", "ids": [1]}, "tag"),
        (
            {"action": "set_field", "ids": [1], "field": "seats", "value": "many"},
            "value",
        ),
        (
            {"action": "set_field", "ids": [1], "field": "colour", "value": "red"},
            "field",
        ),
        (
            {
                "action": "set_field",
                "ids": [1],
                "field": "lifecycle_stage",
                "value": "x",
            },
            "value",
        ),
        ({"action": "assign_owner", "ids": [1], "owner_id": 99999}, "owner_id"),
        ({"action": "add_tag", "tag": "x"}, "ids"),
        (
            {"action": "add_tag", "tag": "x", "filter": {"colour": "red"}},
            "filter.colour",
        ),
        ({"action": "explode", "ids": [1]}, "action"),
    ],
)
def test_bad_requests_are_refused_by_name_and_change_nothing(crm_host, book, data, key):
    """A bad action, value, field, owner or filter names what is wrong."""
    with pytest.raises(InvalidInput) as caught:
        run(crm_host, SYSTEM, **data)
    assert key in caught.value.errors


def test_the_api_reports_counts(crm_api, book):
    """POST /api/v1/customers/bulk answers with what it did."""
    agent = crm_api("agent")
    admin = crm_api("admin")
    body = admin.post(
        API,
        json={
            "action": "add_tag",
            "tag": "fair",
            "ids": [book["n1"], book["s1"], 424242],
        },
    )
    assert body.status_code == 200, body.get_json()
    assert body.get_json() == {
        "matched": 2,
        "changed": 2,
        "unchanged": 0,
        "refused": 0,
        "missing": 1,
        "blocked": 0,
    }
    refused = agent.post(
        API, json={"action": "add_tag", "tag": "x", "ids": [book["n1"]]}
    )
    assert refused.get_json()["missing"] == 1
    assert admin.post(API, json={"action": "add_tag", "ids": [1]}).status_code == 422
