"""The tasks API: create with local or absolute due times, read, change, list."""

from __future__ import annotations

API = "/api/v1/tasks"


def test_a_task_is_created_and_read_back_with_its_etag(crm_api, set_zone):
    """POST answers 201 with the task, its ETag and Location."""
    client = crm_api("admin")
    set_zone(client.user["id"], "Europe/Berlin")
    response = client.post(
        API, json={"title": "Call Ada", "due_local": "2025-10-27T09:00"}
    )
    assert response.status_code == 201, response.get_json()
    made = response.get_json()
    assert made["due_at"] == "2025-10-27T08:00:00+00:00"
    assert made["due_local"] == "2025-10-27T09:00:00"
    assert made["timezone"] == "Europe/Berlin"
    read = client.get(response.headers["Location"])
    assert read.headers["ETag"] == '"1"'
    again = client.get(response.headers["Location"], headers={"If-None-Match": '"1"'})
    assert again.status_code == 304


def test_a_nonexistent_local_time_answers_422(crm_api, set_zone):
    """The refusal names due_local and the missing hour."""
    client = crm_api("admin")
    set_zone(client.user["id"], "Europe/Berlin")
    response = client.post(API, json={"title": "x", "due_local": "2025-03-30T02:30"})
    assert response.status_code == 422
    assert (
        "does not exist in Europe/Berlin"
        in response.get_json()["errors"]["due_local"][0]
    )


def test_unknown_and_system_fields_are_refused(crm_api):
    """Only the documented fields may be sent."""
    response = crm_api("admin").post(API, json={"title": "x", "reminded_at": None})
    assert response.status_code == 422
    assert "reminded_at" in response.get_json()["errors"]


def test_patch_checks_if_match_and_finishes_tasks(crm_api):
    """A stale If-Match is refused with the current task; status done completes it."""
    client = crm_api("admin")
    made = client.post(API, json={"title": "Write"}).get_json()
    path = f"{API}/{made['id']}"
    assert client.patch(path, json={"status": "done"}).status_code == 428
    done = client.patch(path, json={"status": "done"}, headers={"If-Match": '"1"'})
    assert done.status_code == 200
    assert done.get_json()["completed_at"] is not None
    stale = client.patch(path, json={"title": "Again"}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    assert stale.get_json()["current"]["status"] == "done"


def test_the_list_filters_and_pages(crm_api):
    """Tasks are listed by id with filters and a cursor."""
    client = crm_api("admin")
    for title in ("a", "b", "c"):
        client.post(API, json={"title": title})
    first_id = client.get(API).get_json()["items"][0]["id"]
    client.patch(
        f"{API}/{first_id}", json={"status": "cancelled"}, headers={"If-Match": "*"}
    )
    page = client.get(f"{API}?status=open&mine=true&limit=1").get_json()
    following = client.get(
        f"{API}?status=open&mine=true&limit=1&cursor={page['next_cursor']}"
    ).get_json()
    assert [t["title"] for t in page["items"] + following["items"]] == ["b", "c"]
    assert client.get(f"{API}?status=later").status_code == 400


def test_delete_removes_a_task(crm_api):
    """DELETE answers 204 and the task is gone."""
    client = crm_api("admin")
    made = client.post(API, json={"title": "Temp"}).get_json()
    stale = client.delete(f"{API}/{made['id']}", headers={"If-Match": '"7"'})
    assert stale.status_code == 412
    assert client.delete(f"{API}/{made['id']}").status_code == 204
    assert client.get(f"{API}/{made['id']}").status_code == 404


def test_viewers_read_but_do_not_create(crm_api):
    """Creating needs task.create."""
    response = crm_api("viewer").post(API, json={"title": "x"})
    assert response.status_code == 403
