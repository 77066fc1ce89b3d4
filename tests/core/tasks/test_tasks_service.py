"""The tasks service: assignment and scope, the timeline, versions and deletes."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from crm_core.customers import InvalidInput, NotFound, VersionConflict
from crm_core.security import SYSTEM, PermissionDenied
from crm_core.storage import schema


def _timeline(crm_host, customer_id):
    a = schema.activity
    with crm_host.db.connect() as connection:
        rows = connection.execute(
            select(a.c.kind, a.c.subject, a.c.channel, a.c.source_type)
            .where(a.c.customer_id == customer_id)
            .order_by(a.c.id)
        )
        return [tuple(row) for row in rows]


def test_a_task_on_a_customer_appears_on_its_timeline(
    crm_host, person, create, customer_for, tasks
):
    """Creating and finishing a task each add an activity to the customer's timeline."""
    actor = person()
    customer = customer_for(actor)
    made = create(actor, title="Visit", customer_id=customer["id"])
    with crm_host.db.transaction() as connection:
        tasks.update(connection, actor, made["id"], {"status": "done"})
    assert _timeline(crm_host, customer["id"]) == [
        ("task_created", "Visit", "system", "task"),
        ("task_done", "Visit", "system", "task"),
    ]


def test_the_default_reminder_comes_from_the_settings(person, create):
    """Without remind_before the tasks.default_remind_minutes setting applies."""
    made = create(person(), due_at="2030-01-01T10:00:00+00:00")
    assert made["remind_before"] == 30
    assert made["remind_at"].isoformat() == "2030-01-01T09:30:00+00:00"
    quiet = create(person(), due_at="2030-01-01T10:00:00+00:00", remind_before=None)
    assert quiet["remind_at"] is None


def test_agents_see_and_assign_only_their_own_tasks(crm_host, person, create, tasks):
    """An agent's tasks are theirs; assigning to someone else is refused."""
    agent = person("agent", team="north")
    other = person("agent", team="north")
    mine = create(agent)
    theirs = create(other)
    with crm_host.db.connect() as connection:
        assert tasks.get(connection, agent, mine["id"])["assignee_id"] == agent.id
        with pytest.raises(NotFound):
            tasks.get(connection, agent, theirs["id"])
    with pytest.raises(PermissionDenied, match="assign tasks to user"):
        create(agent, assignee_id=other.id)


def test_managers_reach_their_teams_tasks(crm_host, person, create, tasks):
    """The team scope reaches tasks assigned to the manager's team."""
    manager = person("manager", team="north")
    agent = person("agent", team="north")
    outsider = person("agent", team="south")
    delegated = create(manager, assignee_id=agent.id)
    with crm_host.db.transaction() as connection:
        changed = tasks.update(connection, manager, delegated["id"], {"title": "Now"})
    assert changed["title"] == "Now"
    with pytest.raises(PermissionDenied):
        create(manager, assignee_id=outsider.id)


def test_a_task_needs_a_title_and_a_visible_customer(person, create, customer_for):
    """Input is checked field by field."""
    owner = person("agent", team="north")
    stranger = person("agent", team="south")
    customer = customer_for(owner)
    with pytest.raises(InvalidInput) as refused:
        create(stranger, customer_id=customer["id"])
    assert "no customer" in refused.value.errors["customer_id"][0]
    with pytest.raises(InvalidInput, match="title"):
        create(owner, title="")
    with pytest.raises(InvalidInput, match="record_type"):
        create(owner, record_type="acme_widget")
    with pytest.raises(InvalidInput, match="no acme_widget 4"):
        create(owner, record_type="acme_widget", record_id="4")


def test_plugins_create_tasks_as_the_system(crm_host, tasks, person):
    """A plugin's job creates tasks with the system actor, naming the assignee."""
    assignee = person("agent")
    with crm_host.db.transaction() as connection:
        made = tasks.create(
            connection, SYSTEM, {"title": "Renewal due", "assignee_id": assignee.id}
        )
        with pytest.raises(InvalidInput, match="needs an assignee"):
            tasks.create(connection, SYSTEM, {"title": "Nobody's"})
    assert made["created_by"] is None and made["assignee_id"] == assignee.id


def test_a_stale_version_is_refused(crm_host, person, create, tasks):
    """Changing a task read at an older version raises a conflict."""
    actor = person()
    made = create(actor)
    with crm_host.db.transaction() as connection:
        tasks.update(connection, actor, made["id"], {"notes": "first"})
    with crm_host.db.transaction() as connection, pytest.raises(VersionConflict):
        tasks.update(connection, actor, made["id"], {"notes": "second"}, 1)


def test_deleting_a_customer_takes_its_tasks_along(
    crm_host, person, create, customer_for, tasks
):
    """Tasks cascade with their customer's delete and restore."""
    actor = person()
    customer = customer_for(actor)
    made = create(actor, customer_id=customer["id"])
    with crm_host.db.transaction() as connection:
        crm_host.customers.delete(connection, actor, customer["id"])
        with pytest.raises(NotFound):
            tasks.get(connection, actor, made["id"])
        crm_host.customers.restore(connection, actor, customer["id"])
        assert tasks.get(connection, actor, made["id"])["deleted_at"] is None


def test_a_deleted_task_is_gone(crm_host, person, create, tasks):
    """A deleted task cannot be read."""
    actor = person()
    made = create(actor)
    with crm_host.db.transaction() as connection:
        tasks.delete(connection, actor, made["id"])
        with pytest.raises(NotFound):
            tasks.get(connection, actor, made["id"])
