"""The segment API and pages: CRUD, the live count, fields, members and the editor."""

from __future__ import annotations

import json
import re

import pytest

API = "/api/v1/segments"
PROS = {"all": [{"field": "lifecycle_stage", "op": "eq", "value": "prospect"}]}
PROS_TEXT = json.dumps(PROS)


@pytest.fixture
def prospects(add):
    return [add(name=f"Pro {i}", lifecycle_stage="prospect") for i in range(3)]


def test_create_read_change_and_delete_a_segment(crm_api, prospects):
    """A manager keeps a segment; a viewer may read it but not change it."""
    manager = crm_api("manager")
    made = manager.post(API, json={"name": "Prospects", "rules": PROS})
    assert made.status_code == 201, made.get_json()
    segment = made.get_json()
    assert made.headers["Location"].endswith(f"/segments/{segment['id']}")
    viewer = crm_api("viewer")
    assert viewer.get(f"{API}/{segment['id']}").get_json()["name"] == "Prospects"
    first = {"If-Match": '"1"'}
    url = f"{API}/{segment['id']}"
    assert viewer.patch(url, json={"name": "x"}, headers=first).status_code == 403
    assert manager.patch(url, json={"name": "x"}).status_code == 428
    changed = manager.patch(url, json={"name": "Hot prospects"}, headers=first)
    assert changed.get_json()["version"] == 2 and changed.headers["ETag"] == '"2"'
    stale = manager.patch(url, json={"name": "Cold"}, headers=first)
    assert stale.status_code == 412
    assert stale.get_json()["current"]["name"] == "Hot prospects"
    assert [s["name"] for s in viewer.get(API).get_json()["items"]] == ["Hot prospects"]
    assert manager.delete(f"{API}/{segment['id']}").status_code == 204
    assert manager.get(f"{API}/{segment['id']}").status_code == 404


def test_bad_rules_are_422_naming_the_path(crm_api, declared):
    """The API refuses a bad rule with the path and the reason in ``errors``."""
    rules = {"all": [{"field": "seats", "op": "lt", "value": "abc"}]}
    response = crm_api("admin").post(f"{API}/count", json={"rules": rules})
    assert response.status_code == 422
    body = response.get_json()
    assert body["errors"] == {"rules.all[0].value": ["'abc' is not a number for seats"]}
    saved = crm_api("admin").post(API, json={"name": "Bad", "rules": rules})
    assert (
        saved.status_code == 422 and "rules.all[0].value" in saved.get_json()["errors"]
    )


def test_the_live_count_and_the_members(crm_api, prospects):
    """POST /count counts without saving; members page by id."""
    admin = crm_api("admin")
    assert admin.post(f"{API}/count", json={"rules": PROS}).get_json() == {"count": 3}
    made = admin.post(API, json={"name": "Prospects", "rules": PROS}).get_json()
    page = admin.get(f"{API}/{made['id']}/members?limit=2").get_json()
    assert [item["id"] for item in page["items"]] == prospects[:2]
    rest = admin.get(f"{API}/{made['id']}/members?cursor={page['next_cursor']}")
    assert [item["id"] for item in rest.get_json()["items"]] == prospects[2:]


def test_fields_list_operators_per_type(crm_api, declared):
    """GET /fields offers core and custom fields, tags, activities and relations."""
    items = {
        f["name"]: f for f in crm_api("admin").get(f"{API}/fields").get_json()["items"]
    }
    assert items["seats"]["operators"][:3] == ["eq", "ne", "lt"]
    assert items["plan"]["choices"] == ["basic", "pro", "enterprise"]
    assert items["tags"]["operators"] == ["has", "has_not"]
    assert "organisation.lifecycle_stage" in items and "parent.plan" in items
    assert "tax_id" in items and "tax_id" not in {
        f["name"] for f in crm_api("agent").get(f"{API}/fields").get_json()["items"]
    }


def test_static_lists_through_the_api(crm_api, prospects):
    """Members are added and removed by id; unknown ids are counted as refused."""
    admin = crm_api("admin")
    made = admin.post(API, json={"name": "Fair", "kind": "static"}).get_json()
    added = admin.post(
        f"{API}/{made['id']}/members", json={"ids": [prospects[0], 999999]}
    )
    assert added.get_json() == {"entered": [prospects[0]], "left": [], "refused": 1}
    removed = admin.post(
        f"{API}/{made['id']}/members/remove", json={"ids": [prospects[0]]}
    )
    assert removed.get_json()["left"] == [prospects[0]]
    refused = admin.post(API, json={"name": "Odd", "kind": "static", "rules": PROS})
    assert refused.status_code == 422


def test_the_editor_page_saves_rules_and_uses_no_inline_script(crm_client, prospects):
    """The editor renders with a static script and CSRF meta tag, and saves by form."""
    client = crm_client("admin")
    page = client.get("/segments/new").get_data(as_text=True)
    assert 'src="/static/crm-segments/segments.js"' in page
    assert "<script>" not in page and "style=" not in page
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    saved = client.post(
        "/segments/new",
        data={
            "csrf_token": token,
            "name": "Prospects",
            "kind": "dynamic",
            "rules": PROS_TEXT,
        },
    )
    assert saved.status_code == 302
    editor = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert "Pro 0" in editor and "Prospects" in editor
    listing = client.get("/segments").get_data(as_text=True)
    assert "Prospects" in listing


def test_the_editor_shows_rule_errors_by_path(crm_client, declared):
    """A bad rule is shown with its path and nothing is saved."""
    client = crm_client("admin")
    page = client.get("/segments/new").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    response = client.post(
        "/segments/new",
        data={
            "csrf_token": token,
            "name": "Bad",
            "kind": "dynamic",
            "rules": '{"all": [{"field": "seats", "op": "lt", "value": "abc"}]}',
        },
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "rules.all[0].value" in text and "is not a number for seats" in text


def test_the_count_endpoint_takes_the_pages_session_with_its_csrf_header(
    crm_client, prospects
):
    """The editor's script counts through the API with the session and X-CSRFToken."""
    client = crm_client("admin")
    page = client.get("/segments/new").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    assert client.post(f"{API}/count", json={"rules": PROS}).status_code == 400
    counted = client.post(
        f"{API}/count", json={"rules": PROS}, headers={"X-CSRFToken": token}
    )
    assert counted.get_json() == {"count": 3}
