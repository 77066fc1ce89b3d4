"""Stored segments: scope of counts and members, snapshots, events and static lists."""

from __future__ import annotations

import pytest

from crm_core.jobs import Worker
from crm_core.security import SYSTEM

LEADS = {"all": [{"field": "lifecycle_stage", "op": "eq", "value": "lead"}]}


@pytest.fixture
def teams(crm_actor, add):
    """Two agents of different teams, each owning two leads; a manager over all."""
    north, south = crm_actor("agent", team="North"), crm_actor("agent", team="South")
    return {
        "north": north,
        "south": south,
        "north_ids": [add(north, name=f"North {i}") for i in range(2)],
        "south_ids": [add(south, name=f"South {i}") for i in range(2)],
    }


def moved(crm_events, name):
    return [e["payload"]["customer_ids"] for e in crm_events.events(name)]


def test_counts_and_members_stay_within_the_readers_scope(
    crm_host, teams, segments, members
):
    """An agent counts and lists only their team's customers; the system sees all."""
    with crm_host.db.transaction() as connection:
        made = segments.create(connection, SYSTEM, {"name": "Leads", "rules": LEADS})
    north = teams["north"]
    with crm_host.db.connect() as connection:
        assert segments.count(connection, north, LEADS) == 2
        assert segments.count(connection, SYSTEM, LEADS) == 4
        items, _ = members.page(connection, north, made["id"], None, 10)
    assert [item["id"] for item in items] == teams["north_ids"]


def test_refresh_publishes_who_entered_and_who_left(
    crm_host, teams, segments, members, crm_events
):
    """A refresh stores the members and names the customers that entered and left."""
    with crm_host.db.transaction() as connection:
        made = segments.create(connection, SYSTEM, {"name": "Leads", "rules": LEADS})
        first = members.refresh(connection, made["id"])
    everyone = sorted(teams["north_ids"] + teams["south_ids"])
    assert first.entered == everyone and first.left == []
    gone = teams["south_ids"][0]
    with crm_host.db.transaction() as connection:
        crm_host.customers.update(
            connection, SYSTEM, gone, {"lifecycle_stage": "customer"}
        )
        second = members.refresh(connection, made["id"])
        again = members.refresh(connection, made["id"])
    assert (second.entered, second.left) == ([], [gone])
    assert (again.entered, again.left) == ([], [])
    assert moved(crm_events, "segment.entered") == [everyone]
    assert moved(crm_events, "segment.left") == [[gone]]
    with crm_host.db.connect() as connection:
        assert segments.get(connection, SYSTEM, made["id"])["member_count"] == 3


def test_saving_a_segment_queues_its_refresh_for_the_worker(
    crm_host, teams, segments, crm_events
):
    """The refresh job runs in the worker, as the system, and publishes the events."""
    with crm_host.db.transaction() as connection:
        made = segments.create(connection, SYSTEM, {"name": "Leads", "rules": LEADS})
    Worker(crm_host.db, crm_host.events, crm_host.jobs).run_once()
    with crm_host.db.connect() as connection:
        assert segments.get(connection, SYSTEM, made["id"])["member_count"] == 4
    assert len(moved(crm_events, "segment.entered")[0]) == 4


def test_static_lists_take_only_customers_the_user_may_read(
    crm_host, teams, segments, members, crm_actor, crm_events
):
    """Adding refuses customers out of scope, and adding twice changes nothing."""
    manager = crm_actor("manager", team="North")
    with crm_host.db.transaction() as connection:
        fair = segments.create(connection, manager, {"name": "Fair", "kind": "static"})
        ids = teams["north_ids"] + teams["south_ids"][:1]
        added = members.add(connection, manager, fair["id"], ids)
        twice = members.add(connection, manager, fair["id"], ids)
        removed = members.remove(
            connection, manager, fair["id"], teams["north_ids"][:1]
        )
    assert (added.entered, added.refused) == (teams["north_ids"], 1)
    assert (twice.entered, twice.refused) == ([], 1)
    assert removed.left == teams["north_ids"][:1]
    assert moved(crm_events, "segment.entered") == [teams["north_ids"]]
    with crm_host.db.connect() as connection:
        items, _ = members.page(connection, SYSTEM, fair["id"], None, 10)
    assert [item["id"] for item in items] == teams["north_ids"][1:]


def test_a_deleted_customer_leaves_at_the_next_refresh(
    crm_host, teams, segments, members, crm_events
):
    """Soft-deleted customers drop out of the segment."""
    gone = teams["north_ids"][1]
    with crm_host.db.transaction() as connection:
        made = segments.create(connection, SYSTEM, {"name": "Leads", "rules": LEADS})
        members.refresh(connection, made["id"])
        crm_host.customers.delete(connection, SYSTEM, gone)
        assert members.refresh(connection, made["id"]).left == [gone]
