"""Idempotency-Key on POST: replays, refused reuse, nothing kept on failure."""

from __future__ import annotations

from sqlalchemy import func, select

from crm_core.storage import schema

API = "/api/v1"


def count(crm_host, table):
    with crm_host.db.connect() as connection:
        return connection.execute(select(func.count()).select_from(table)).scalar()


def test_same_key_and_body_replays_the_first_response(admin, crm_host):
    """A retried POST gets the same status, body and Location, and writes once."""
    headers = {"Idempotency-Key": "order-7f3a"}
    body = {"name": "Once Only", "tags": ["a", "b"]}
    first = admin.post(f"{API}/customers", json=body, headers=headers)
    again = admin.post(
        f"{API}/customers", json=dict(reversed(body.items())), headers=headers
    )
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert count(crm_host, schema.customer) == 1


def test_same_key_with_another_body_is_422(admin, crm_host):
    """Reusing a key for a different request is refused, naming the header."""
    headers = {"Idempotency-Key": "k-1"}
    admin.post(f"{API}/customers", json={"name": "First"}, headers=headers)
    response = admin.post(f"{API}/customers", json={"name": "Second"}, headers=headers)
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    assert "Idempotency-Key" in response.get_json()["errors"]
    assert count(crm_host, schema.customer) == 1


def test_same_key_on_another_route_is_422(admin, new_customer):
    """A key belongs to one request: the same key on another path is refused."""
    customer = new_customer()
    headers = {"Idempotency-Key": "k-2"}
    admin.delete(f"{API}/customers/{customer['id']}")
    admin.post(f"{API}/customers/{customer['id']}/restore", headers=headers)
    response = admin.post(f"{API}/customers", json={}, headers=headers)
    assert response.status_code == 422


def test_keys_are_per_user(crm_api, crm_host):
    """Two users may use the same key for their own requests."""
    first, second = crm_api("admin"), crm_api("admin")
    headers = {"Idempotency-Key": "shared"}
    assert (
        first.post(f"{API}/customers", json={"name": "A"}, headers=headers).status_code
        == 201
    )
    assert (
        second.post(f"{API}/customers", json={"name": "B"}, headers=headers).status_code
        == 201
    )
    assert count(crm_host, schema.customer) == 2


def test_a_failed_request_stores_nothing_and_can_be_retried(admin, crm_host):
    """A refused POST leaves no key behind, so the corrected retry is written."""
    headers = {"Idempotency-Key": "retry-me"}
    bad = admin.post(
        f"{API}/customers", json={"name": "x", "kind": "robot"}, headers=headers
    )
    assert bad.status_code == 422
    assert count(crm_host, schema.idempotency) == 0
    good = admin.post(f"{API}/customers", json={"name": "x"}, headers=headers)
    assert good.status_code == 201
    assert count(crm_host, schema.idempotency) == 1


def test_key_and_write_commit_together(admin, crm_host):
    """The stored response matches the stored customer, written in one transaction."""
    response = admin.post(
        f"{API}/customers", json={"name": "Kept"}, headers={"Idempotency-Key": "k-3"}
    )
    with crm_host.db.connect() as connection:
        row = connection.execute(select(schema.idempotency)).mappings().one()
    assert row["status"] == 201
    assert row["user_id"] == admin.user["id"]
    assert row["headers"]["Location"] == response.headers["Location"]
    assert '"name":"Kept"' in row["body"].replace(" ", "")


def test_overlong_key_is_400(admin):
    """A key longer than 200 characters is refused by name."""
    response = admin.post(
        f"{API}/customers", json={"name": "x"}, headers={"Idempotency-Key": "k" * 201}
    )
    assert response.status_code == 400
    assert "Idempotency-Key" in response.get_json()["errors"]


def test_every_post_route_honours_the_key(admin, new_customer):
    """Activities, relationships and fields replay too."""
    person = new_customer()
    firm = new_customer(name="Firm", kind="organisation")
    bodies = {
        "/activities": {"customer_id": person["id"], "channel": "web", "kind": "visit"},
        "/relationships": {"person_id": person["id"], "organisation_id": firm["id"]},
        "/fields": {"name": "segment", "type": "text"},
    }
    for path, body in bodies.items():
        headers = {"Idempotency-Key": f"key{path}"}
        first = admin.post(API + path, json=body, headers=headers)
        again = admin.post(API + path, json=body, headers=headers)
        assert first.status_code == 201, first.get_json()
        assert (again.status_code, again.get_json()) == (201, first.get_json())


def test_a_key_committed_by_a_concurrent_request_is_replayed(
    admin, crm_host, monkeypatch
):
    """When another request commits the key first, its response is replayed."""
    from crm_core.api import idempotency

    headers = {"Idempotency-Key": "raced"}
    first = admin.post(f"{API}/customers", json={"name": "Racer"}, headers=headers)
    real, calls = idempotency._stored, []

    def miss_first(*args):
        calls.append(args)
        return None if len(calls) == 1 else real(*args)

    monkeypatch.setattr(idempotency, "_stored", miss_first)
    again = admin.post(f"{API}/customers", json={"name": "Racer"}, headers=headers)
    assert again.status_code == 201
    assert again.get_json() == first.get_json()
    assert len(calls) == 2
    assert count(crm_host, schema.customer) == 1
