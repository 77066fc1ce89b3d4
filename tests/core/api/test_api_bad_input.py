"""Hostile input: every refusal is a problem naming what was wrong, never a 500."""

from __future__ import annotations

import pytest

API = "/api/v1"
HUGE = 2**70
MEANT = {"customer_id": 1, "channel": "web", "kind": "visit"}


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "named"),
    [
        ("get", f"/customers/{HUGE}", None, 404, None),
        ("get", f"/activities/{HUGE}", None, 404, None),
        ("get", "/customers?q=a%00b", None, 400, "q"),
        ("get", "/customers?name=a%00b", None, 400, "name"),
        ("get", f"/customers?owner_id={HUGE}", None, 400, None),
        ("get", f"/customers?id__in=1,{HUGE}", None, 400, None),
        ("get", f"/activities?customer_id={HUGE}", None, 400, "customer_id"),
        (
            "get",
            "/activities?occurred_at__gte=0001-01-01T00:00:00%2B14:00",
            None,
            400,
            "occurred_at__gte",
        ),
        ("get", "/activities?cursor=WyJ4IiwxXQ", None, 400, "cursor"),
        ("get", "/relationships?cursor=WyJ4Il0", None, 400, "cursor"),
        ("get", "/customers/1/audit?cursor=WyJ4Il0", None, 400, "cursor"),
        ("get", f"/relationships?person_id={HUGE}", None, 400, "person_id"),
        ("post", "/customers", {"name": "a\u0000b"}, 422, "name"),
        ("post", "/customers", {"name": "x", "parent_id": HUGE}, 422, "parent_id"),
        ("post", "/activities", {**MEANT, "customer_id": HUGE}, 422, "customer_id"),
        (
            "post",
            "/activities",
            {**MEANT, "occurred_at": "0001-01-01T00:00:00+14:00"},
            422,
            "occurred_at",
        ),
        ("post", "/activities", {**MEANT, "subject": "a\u0000"}, 422, "subject"),
        (
            "post",
            "/relationships",
            {"person_id": HUGE, "organisation_id": 1},
            422,
            "person_id",
        ),
        (
            "post",
            "/fields",
            {"name": "n", "type": "text", "label": "\u0000"},
            422,
            "label",
        ),
        ("post", "/customers", {"name": {"first": "Ada"}}, 422, "name"),
        (
            "post",
            "/customers",
            {"emails": "ada@example.com", "name": "A"},
            422,
            "emails",
        ),
        ("post", "/customers", {"name": "A", "attributes": []}, 422, "attributes"),
    ],
)
def test_hostile_input_is_refused_by_name(
    admin, new_customer, method, path, body, status, named
):
    """Each refusal has the right status, is a problem, and names its culprit."""
    new_customer()
    response = getattr(admin, method)(API + path, json=body)
    assert response.status_code == status
    assert response.content_type == "application/problem+json"
    if named:
        assert named in response.get_json()["errors"]
