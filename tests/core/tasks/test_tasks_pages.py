"""Task pages: My tasks with its navigation count, the form, the customer panel."""

from __future__ import annotations

import re
from datetime import timedelta

from crm_core.storage.types import utcnow


def _token(client, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _actor(crm_host, user):
    with crm_host.db.connect() as connection:
        return crm_host.actor(connection, user["id"])


def test_my_tasks_groups_by_urgency_and_counts_in_the_navigation(
    crm_client, crm_host, create
):
    """Overdue and due-soon tasks are listed apart and counted beside My tasks."""
    client = crm_client("agent")
    actor = _actor(crm_host, client.user)
    now = utcnow()
    create(actor, title="Late one", due_at=(now - timedelta(hours=2)).isoformat())
    create(actor, title="Soon one", due_at=(now + timedelta(hours=3)).isoformat())
    create(actor, title="Far one", due_at=(now + timedelta(days=9)).isoformat())
    create(actor, title="Some day")
    page = re.sub(r"\s+", " ", client.get("/tasks").get_data(as_text=True))
    assert "My tasks (2)" in page
    overdue = page.index("Overdue")
    assert overdue < page.index("Late one") < page.index("Due soon")
    assert page.index("Due soon") < page.index("Soon one") < page.index("Later")
    assert page.index("Far one") < page.index("No due time") < page.index("Some day")


def test_the_form_creates_a_task_in_the_assignees_zone(
    crm_client, crm_host, set_zone, tasks
):
    """The due field is read in the chosen assignee's time zone."""
    client = crm_client("admin")
    set_zone(client.user["id"], "America/New_York")
    form = {
        "csrf_token": _token(client, "/tasks/new"),
        "title": "Quarterly review",
        "notes": "",
        "assignee_id": str(client.user["id"]),
        "due_local": "2025-03-31T09:00",
        "remind_before": "15",
    }
    response = client.post("/tasks/new", data=form)
    assert response.status_code == 302
    with crm_host.db.connect() as connection:
        made = tasks.get(connection, _actor(crm_host, client.user), 1)
    assert made["due_at"].isoformat() == "2025-03-31T13:00:00+00:00"
    assert made["remind_before"] == 15


def test_the_form_explains_a_nonexistent_time(crm_client, set_zone):
    """A time skipped by summer time is refused beside the due field."""
    client = crm_client("admin")
    set_zone(client.user["id"], "Europe/Berlin")
    form = {
        "csrf_token": _token(client, "/tasks/new"),
        "title": "Night call",
        "assignee_id": str(client.user["id"]),
        "due_local": "2025-03-30T02:30",
        "remind_before": "",
    }
    response = client.post("/tasks/new", data=form)
    assert response.status_code == 400
    assert "does not exist in Europe/Berlin" in response.get_data(as_text=True)


def test_the_customer_page_shows_its_tasks_and_marks_them_done(
    crm_client, crm_host, create, customer_for
):
    """The Tasks panel lists the customer's tasks with a Done button."""
    client = crm_client("admin")
    actor = _actor(crm_host, client.user)
    customer = customer_for(actor)
    made = create(actor, title="Send brochure", customer_id=customer["id"])
    path = f"/customers/{customer['id']}"
    page = client.get(path).get_data(as_text=True)
    assert "Send brochure" in page and "Add a task" in page
    response = client.post(
        f"/tasks/{made['id']}/status",
        data={"csrf_token": _token(client, path), "status": "done", "next": path},
    )
    assert response.headers["Location"].endswith(path)
    page = client.get(path).get_data(as_text=True)
    assert "Reopen" in page and "task_done" in page


def test_the_edit_form_saves_changes(crm_client, crm_host, create):
    """Editing keeps the version and stores the new values."""
    client = crm_client("admin")
    actor = _actor(crm_host, client.user)
    made = create(actor, title="Draft", due_local="2025-10-26T02:30")
    path = f"/tasks/{made['id']}/edit"
    page = client.get(path).get_data(as_text=True)
    assert 'value="2025-10-26T02:30"' in page
    form = {
        "csrf_token": _token(client, path),
        "title": "Final",
        "notes": "checked",
        "assignee_id": str(client.user["id"]),
        "due_local": "2025-10-26T02:30",
        "remind_before": "",
        "status": "open",
        "version": "1",
    }
    assert client.post(path, data=form).status_code == 302
    assert "Final" in client.get(path).get_data(as_text=True)


def test_the_next_address_must_stay_on_the_site(crm_client, crm_host, create):
    """Only local paths are followed after a status change."""
    client = crm_client("admin")
    made = create(_actor(crm_host, client.user), title="Stay")
    response = client.post(
        f"/tasks/{made['id']}/status",
        data={
            "csrf_token": _token(client, "/tasks"),
            "status": "done",
            "next": "//evil.example/",
        },
    )
    assert response.headers["Location"].endswith("/tasks")


def test_the_task_list_shows_what_the_reader_may_see(crm_client, crm_host, create):
    """Managers list their team's tasks by status; agents only their own."""
    manager = crm_client("manager", team="north")
    agent = crm_client("agent", team="north")
    outsider = crm_client("agent", team="south")
    boss = _actor(crm_host, manager.user)
    create(boss, title="Team call", assignee_id=agent.user["id"])
    create(_actor(crm_host, outsider.user), title="Elsewhere")
    page = manager.get("/tasks/all").get_data(as_text=True)
    assert "Team call" in page and "Elsewhere" not in page
    assert "Team call" in agent.get("/tasks/all").get_data(as_text=True)
    assert "No done tasks." in manager.get("/tasks/all?status=done").get_data(
        as_text=True
    )
    assert manager.get("/tasks/all?status=lost").status_code == 400
