"""Saved views: own and shared views, checked filters, and the list page's tools."""

from __future__ import annotations

import re

import pytest

API = "/api/v1/views"


def test_views_are_private_unless_shared(crm_api):
    """A view is seen by its owner; a shared one by everyone who reads customers."""
    manager, agent = crm_api("manager"), crm_api("agent")
    mine = manager.post(
        API, json={"name": "Leads", "filters": {"lifecycle_stage": "lead"}}
    )
    assert mine.status_code == 201, mine.get_json()
    shared = manager.post(
        API,
        json={
            "name": "Prospects",
            "shared": True,
            "sort": "-display_name",
            "filters": {"lifecycle_stage": "prospect"},
            "columns": ["display_name", "email"],
        },
    )
    assert shared.status_code == 201
    assert [v["name"] for v in manager.get(API).get_json()["items"]] == [
        "Leads",
        "Prospects",
    ]
    assert [v["name"] for v in agent.get(API).get_json()["items"]] == ["Prospects"]
    assert agent.get(f"{API}/{mine.get_json()['id']}").status_code == 404
    view_id = shared.get_json()["id"]
    first = {"If-Match": '"1"'}
    renamed = agent.patch(f"{API}/{view_id}", json={"name": "Mine"}, headers=first)
    assert renamed.status_code == 403
    own = manager.patch(f"{API}/{view_id}", json={"name": "Pros"}, headers=first)
    assert own.get_json()["version"] == 2
    assert agent.post(API, json={"name": "x", "shared": True}).status_code == 403


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ({"name": "x", "filters": {"colour": "red"}}, "filters.colour"),
        (
            {"name": "x", "filters": {"created_at__gt": "yesterday"}},
            "filters.created_at__gt",
        ),
        ({"name": "x", "sort": "colour"}, "sort"),
        ({"name": "x", "columns": ["display_name", "colour"]}, "columns.1"),
    ],
)
def test_filters_sort_and_columns_are_checked_against_the_list(crm_api, body, key):
    """A view the list could not show is refused, naming the part."""
    response = crm_api("admin").post(API, json=body)
    assert response.status_code == 422
    assert key in response.get_json()["errors"]


def test_names_are_unique_per_owner(crm_api):
    """The same user cannot save two views with one name."""
    admin = crm_api("admin")
    assert admin.post(API, json={"name": "Mine"}).status_code == 201
    assert admin.post(API, json={"name": "Mine"}).status_code == 422


def _token(page):
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_the_list_page_saves_and_opens_a_view(crm_client, crm_host):
    """Saving keeps the list's filters; opening the view shows the list with them."""
    client = crm_client("admin")
    page = client.get("/customers?lifecycle_stage=lead&sort=-display_name").get_data(
        as_text=True
    )
    assert 'name="list.lifecycle_stage" value="lead"' in page
    saved = client.post(
        "/customers/views",
        data={
            "csrf_token": _token(page),
            "name": "My leads",
            "list.lifecycle_stage": "lead",
            "list.sort": "-display_name",
        },
    )
    assert saved.status_code == 302
    page = client.get("/customers").get_data(as_text=True)
    link = re.search(r'href="(/customers/views/\d+)">My leads<', page).group(1)
    opened = client.get(link)
    assert opened.headers["Location"].endswith(
        "/customers?lifecycle_stage=lead&sort=-display_name"
    )


def test_the_list_page_applies_a_bulk_action_to_ticked_rows(crm_client, crm_host):
    """Ticked rows get the tag; the page says how many changed."""
    from crm_core.security import SYSTEM

    with crm_host.db.transaction() as connection:
        ids = [
            crm_host.customers.create(connection, SYSTEM, {"name": n})["id"]
            for n in ("Ana", "Bo")
        ]
    client = crm_client("admin")
    page = client.get("/customers").get_data(as_text=True)
    assert f'form="bulk-form" name="ids" value="{ids[0]}"' in page
    done = client.post(
        "/customers/bulk",
        data={
            "csrf_token": _token(page),
            "action": "add_tag",
            "tag": "fair",
            "target": "selected",
            "ids": [str(ids[0])],
        },
        follow_redirects=True,
    )
    assert "1 changed" in done.get_data(as_text=True)
    with crm_host.db.connect() as connection:
        assert crm_host.customers.get(connection, SYSTEM, ids[0])["tags"] == ["fair"]
        assert crm_host.customers.get(connection, SYSTEM, ids[1])["tags"] == []
