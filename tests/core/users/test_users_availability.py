"""Absences, availability for assignment, and one's own profile."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import update

from crm_core.storage import schema
from crm_core.users import available_users, is_available
from crm_core.users.availability import add_absence


@pytest.fixture
def team(crm_user, crm_host):
    """Three agents of North (one in Shanghai) and one of a sub-team, North East."""
    north = [crm_user("agent", team="North") for _ in range(3)]
    east = crm_user("agent", team="North East")
    with crm_host.db.transaction() as connection:
        t = schema.team
        north_id = north[0]["team_id"]
        connection.execute(
            update(t).where(t.c.id == east["team_id"]).values(parent_id=north_id)
        )
        connection.execute(
            update(schema.user)
            .where(schema.user.c.id == north[0]["id"])
            .values(timezone="Asia/Shanghai")
        )
    return {"north": north, "east": east, "team_id": north_id}


def away(crm_host, user_id, first, last):
    with crm_host.db.transaction() as connection:
        actor = crm_host.actor(connection, user_id)
        add_absence(connection, actor, user_id, {"starts_on": first, "ends_on": last})


def test_an_absence_covers_whole_days_in_the_users_zone(crm_host, team):
    """Away on 1 May in Shanghai starts at 16:00 UTC on 30 April."""
    shanghai = team["north"][0]["id"]
    away(crm_host, shanghai, "2025-05-01", "2025-05-01")
    with crm_host.db.connect() as connection:
        before = datetime(2025, 4, 30, 15, 59, tzinfo=UTC)
        start = datetime(2025, 4, 30, 16, 0, tzinfo=UTC)
        end = datetime(2025, 5, 1, 15, 59, tzinfo=UTC)
        after = datetime(2025, 5, 1, 16, 0, tzinfo=UTC)
        assert is_available(connection, shanghai, before)
        assert not is_available(connection, shanghai, start)
        assert not is_available(connection, shanghai, end)
        assert is_available(connection, shanghai, after)


def test_available_users_of_a_team_leave_out_the_absent_and_inactive(crm_host, team):
    """Sub-teams count; absent, deactivated and login-less users do not."""
    first, second, third = (user["id"] for user in team["north"])
    east = team["east"]["id"]
    moment = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)
    away(crm_host, second, "2025-06-01", "2025-06-05")
    with crm_host.db.transaction() as connection:
        connection.execute(
            update(schema.user).where(schema.user.c.id == third).values(is_active=False)
        )
    with crm_host.db.connect() as connection:
        assert available_users(connection, team["team_id"], moment) == [first, east]
        assert available_users(connection, team["team_id"], moment, nested=False) == [
            first
        ]
        assert not is_available(connection, third, moment)


def test_absences_through_the_api(crm_api, crm_host):
    """A user records, lists and removes their own absences; others' need admin."""
    agent = crm_api("agent")
    me = agent.user["id"]
    created = agent.post(
        f"/api/v1/users/{me}/absences",
        json={"starts_on": "2099-07-01", "ends_on": "2099-07-14", "note": "Holiday"},
    )
    assert created.status_code == 201, created.get_json()
    listed = agent.get(f"/api/v1/users/{me}/absences").get_json()["items"]
    assert [(a["starts_on"], a["ends_on"]) for a in listed] == [
        ("2099-07-01", "2099-07-14")
    ]
    at = "2099-07-03T10:00:00+00:00"
    check = agent.get(f"/api/v1/users/{me}/availability", query_string={"at": at})
    assert check.get_json()["available"] is False
    other = crm_api("agent")
    assert other.get(f"/api/v1/users/{me}/absences").status_code == 403
    wrong = agent.post(
        f"/api/v1/users/{me}/absences",
        json={"starts_on": "2099-07-14", "ends_on": "2099-07-01"},
    )
    assert wrong.status_code == 422
    assert "ends_on" in wrong.get_json()["errors"]
    gone = agent.delete(f"/api/v1/users/absences/{created.get_json()['id']}")
    assert gone.status_code == 204
    assert agent.get(f"/api/v1/users/{me}/absences").get_json()["items"] == []


def test_available_users_through_the_api(crm_api, team):
    """Assignment rules elsewhere can ask who of a team can take work."""
    manager = crm_api("manager")
    response = manager.get(
        f"/api/v1/users/teams/{team['team_id']}/available",
        query_string={"at": "2025-06-02T09:00:00Z"},
    )
    assert response.status_code == 200
    assert len(response.get_json()["user_ids"]) == 4
    naive = manager.get(
        f"/api/v1/users/teams/{team['team_id']}/available",
        query_string={"at": "2025-06-02T09:00:00"},
    )
    assert naive.status_code == 400


def test_the_profile_page_sets_language_zone_and_absences(signed_in, token, user_row):
    """A user changes their language and time zone and records an absence."""
    client = signed_in("agent")
    saved = client.post(
        "/account",
        data={
            "language": "zh_Hans_CN",
            "timezone": "Asia/Shanghai",
            "csrf_token": token(client, "/account"),
        },
    )
    assert saved.status_code == 302
    stored = user_row(client.user["id"])
    assert (stored["language"], stored["timezone"]) == ("zh_Hans_CN", "Asia/Shanghai")
    page = client.get("/account").get_data(as_text=True)
    assert "您的设置已保存。" in page
    added = client.post(
        "/account/absences",
        data={
            "starts_on": date.today().replace(year=date.today().year + 1).isoformat(),
            "ends_on": date.today().replace(year=date.today().year + 1).isoformat(),
            "note": "Dentist",
            "csrf_token": token(client, "/account"),
        },
    )
    assert added.status_code == 302
    assert "Dentist" in client.get("/account").get_data(as_text=True)
    bad = client.post(
        "/account",
        data={
            "language": "en",
            "timezone": "Mars/Olympus",
            "csrf_token": token(client, "/account"),
        },
    )
    assert bad.status_code == 400


def test_profile_through_the_api(crm_api):
    """GET and PUT /users/me read and set one's own language and zone."""
    client = crm_api("viewer")
    assert client.get("/api/v1/users/me").get_json()["language"] == "en"
    changed = client.put(
        "/api/v1/users/me", json={"language": "zh-CN", "timezone": "Europe/Berlin"}
    )
    assert changed.status_code == 200
    assert changed.get_json()["language"] == "zh_Hans_CN"
    refused = client.put("/api/v1/users/me", json={"language": "fr", "timezone": "UTC"})
    assert refused.status_code == 422
