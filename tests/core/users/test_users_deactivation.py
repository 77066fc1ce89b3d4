"""Deactivating a user: sessions and tokens end, records go to a colleague."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from crm_core.security import SYSTEM
from crm_core.storage import schema
from crm_core.testing import make_plugin
from crm_core.users import Handover

MOVED: list[tuple[int, int]] = []
FAILING: list[bool] = []


def _reassign(connection, from_user_id, to_user_id):
    if FAILING:
        raise RuntimeError("the deals table is locked")
    MOVED.append((from_user_id, to_user_id))
    return [Handover("deal", (7, 8))]


@pytest.fixture
def crm_plugin_names():
    return ("handovertest",)


@pytest.fixture
def crm_extra_plugins():
    return [make_plugin("handovertest", crm_reassign_owner=_reassign)]


@pytest.fixture
def leaving(signed_in, crm_host):
    """A signed-in agent with two customers, one deleted, and an API token."""
    client = signed_in("agent", team="North", name="Leo Leaving")
    with crm_host.db.transaction() as connection:
        actor = crm_host.actor(connection, client.user["id"])
        ids = [
            crm_host.customers.create(connection, actor, {"name": name})["id"]
            for name in ("Kept One", "Kept Two", "Gone")
        ]
    with crm_host.db.transaction() as connection:
        crm_host.customers.delete(connection, SYSTEM, ids[2])
    client.customer_ids = ids
    return client


@pytest.fixture
def colleague(crm_user):
    return crm_user("agent", team="South", name="Cora Colleague")


def owners(crm_host, ids):
    c = schema.customer
    with crm_host.db.connect() as connection:
        rows = connection.execute(
            select(c.c.id, c.c.owner_id).where(c.c.id.in_(ids))
        ).all()
    return {row.id: row.owner_id for row in rows}


def test_hook_crm_reassign_owner_deactivation_hands_everything_over(
    admin, leaving, colleague, crm_app, crm_host, token
):
    """One step: the user is refused next time, and every open record moves."""
    MOVED.clear()
    api = crm_app.test_client()
    api.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {leaving.user['token']}"
    assert api.get("/api/v1/customers").status_code == 200
    path = f"/admin/users/{leaving.user['id']}/deactivate"
    form = admin.get(path).get_data(as_text=True)
    assert "They own 2 customers." in form
    response = admin.post(
        path, data={"hand_to": str(colleague["id"]), "csrf_token": token(admin, path)}
    )
    assert response.status_code == 302
    assert leaving.get("/customers").status_code == 302
    assert api.get("/api/v1/customers").status_code == 401
    kept, kept_too, gone = leaving.customer_ids
    assert owners(crm_host, leaving.customer_ids) == {
        kept: colleague["id"],
        kept_too: colleague["id"],
        gone: leaving.user["id"],
    }
    assert MOVED == [(leaving.user["id"], colleague["id"])]
    a = schema.audit
    with crm_host.db.connect() as connection:
        entries = connection.execute(
            select(a.c.record_type, a.c.record_id, a.c.action, a.c.changes).where(
                a.c.action.in_(["update", "deactivate"]),
                a.c.record_type.in_(["customer", "deal", "user"]),
            )
        ).all()
        team = connection.execute(
            select(schema.customer.c.team_id).where(schema.customer.c.id == kept)
        ).scalar()
    moves = {(r.record_type, r.record_id): r.changes for r in entries}
    assert moves[("customer", str(kept))]["owner_id"] == [
        leaving.user["id"],
        colleague["id"],
    ]
    assert ("deal", "7") in moves and ("deal", "8") in moves
    assert moves[("user", str(leaving.user["id"]))]["is_active"] == [True, False]
    assert team == colleague["team_id"]


def test_deactivation_through_the_api(crm_api, leaving, colleague, crm_events):
    """The API deactivates and says what moved; an event tells subscribers."""
    client = crm_api("admin")
    response = client.post(
        f"/api/v1/users/{leaving.user['id']}/deactivation",
        json={"hand_to": colleague["id"]},
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["moved"] == {"customer": 2, "deal": 2}
    assert body["user"]["status"] == "deactivated"
    [event] = crm_events.events("user.deactivated")
    assert event["payload"]["handed_to"] == colleague["id"]


def test_a_deactivation_needs_an_active_colleague(
    crm_api, leaving, colleague, crm_host
):
    """Handing over to nobody, oneself or an inactive user is refused."""
    client = crm_api("admin")
    path = f"/api/v1/users/{leaving.user['id']}/deactivation"
    assert client.post(path, json={}).status_code == 422
    same = client.post(path, json={"hand_to": leaving.user["id"]})
    assert same.status_code == 422
    with crm_host.db.transaction() as connection:
        connection.execute(
            schema.user.update()
            .where(schema.user.c.id == colleague["id"])
            .values(is_active=False)
        )
    inactive = client.post(path, json={"hand_to": colleague["id"]})
    assert inactive.status_code == 422
    assert leaving.get("/customers").status_code == 200


def test_an_administrator_cannot_deactivate_themselves(crm_api, colleague):
    """Deactivating oneself would lock the last administrator out."""
    client = crm_api("admin")
    response = client.post(
        f"/api/v1/users/{client.user['id']}/deactivation",
        json={"hand_to": colleague["id"]},
    )
    assert response.status_code == 422
    assert "yourself" in response.get_json()["detail"]


def test_a_failing_plugin_undoes_the_whole_deactivation(
    crm_api, leaving, colleague, crm_host
):
    """When a plugin cannot hand over its records, the user stays active."""
    client = crm_api("admin")
    FAILING.append(True)
    try:
        response = client.post(
            f"/api/v1/users/{leaving.user['id']}/deactivation",
            json={"hand_to": colleague["id"]},
        )
    finally:
        FAILING.clear()
    assert response.status_code == 500
    assert leaving.get("/customers").status_code == 200
    assert set(owners(crm_host, leaving.customer_ids[:2]).values()) == {
        leaving.user["id"]
    }


def test_only_administrators_manage_users(signed_in):
    """The user pages need 'admin.users'."""
    manager = signed_in("manager")
    assert manager.get("/admin/users").status_code == 403
    assert manager.get("/admin/users/invite").status_code == 403
