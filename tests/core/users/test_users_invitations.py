"""Inviting people: the admin's form and API, and accepting the e-mailed link."""

from __future__ import annotations

from sqlalchemy import func, select

from crm_core.security import check_password
from crm_core.storage import schema


def test_an_invitation_is_accepted_with_a_new_password(
    link_in, admin, crm_app, outbox, user_row, token
):
    """The invited person chooses a password through the link and is signed in."""
    response = admin.post(
        "/admin/users/invite",
        data={
            "email": "Mei.Chen@Example.com",
            "name": "Mei Chen",
            "role": "agent",
            "team_id": "",
            "language": "zh_Hans_CN",
            "csrf_token": token(admin, "/admin/users/invite"),
        },
    )
    assert response.status_code == 302
    [mail] = outbox
    assert mail["to"] == "mei.chen@example.com"
    assert mail["subject"] == "Ada Admin 邀请您使用 Strata CRM"
    path = link_in(mail)
    guest = crm_app.test_client()
    page = guest.get(path)
    assert page.status_code == 200
    assert "mei.chen@example.com" in page.get_data(as_text=True)
    accepted = guest.post(
        path,
        data={
            "password": "a long secret 42",
            "password_again": "a long secret 42",
            "csrf_token": token(guest, path),
        },
    )
    assert accepted.status_code == 302
    assert guest.get("/customers").status_code == 200
    with guest.application.extensions["crm"].db.connect() as connection:
        user_id = connection.execute(
            select(schema.user.c.id).where(
                schema.user.c.email == "mei.chen@example.com"
            )
        ).scalar()
    stored = user_row(user_id)
    assert stored["can_login"] and stored["role"] == "agent"
    assert check_password(stored["password_hash"], "a long secret 42")


def test_an_invitation_link_works_once(link_in, admin, crm_app, outbox, token):
    """A used invitation link is refused, as is one with an altered signature."""
    admin.post(
        "/admin/users/invite",
        data={
            "email": "once@example.com",
            "name": "Once",
            "role": "viewer",
            "language": "en",
            "csrf_token": token(admin, "/admin/users/invite"),
        },
    )
    path = link_in(outbox[0])
    guest = crm_app.test_client()
    data = {"password": "correct horse 99", "password_again": "correct horse 99"}
    guest.post(path, data={**data, "csrf_token": token(guest, path)})
    again = crm_app.test_client()
    assert again.get(path).status_code == 410
    assert again.get(path[:-3] + "abc").status_code == 410


def test_a_short_or_mismatched_password_is_refused(
    link_in, admin, crm_app, outbox, token
):
    """The password rules are shown next to the fields; the link stays usable."""
    admin.post(
        "/admin/users/invite",
        data={
            "email": "short@example.com",
            "name": "Short",
            "role": "agent",
            "language": "en",
            "csrf_token": token(admin, "/admin/users/invite"),
        },
    )
    path = link_in(outbox[0])
    guest = crm_app.test_client()
    short = guest.post(
        path,
        data={
            "password": "short",
            "password_again": "short",
            "csrf_token": token(guest, path),
        },
    )
    assert short.status_code == 400
    assert "Use at least 10 characters." in short.get_data(as_text=True)
    differ = guest.post(
        path,
        data={
            "password": "long enough one",
            "password_again": "long enough two",
            "csrf_token": token(guest, path),
        },
    )
    assert "The two passwords differ." in differ.get_data(as_text=True)
    assert guest.get(path).status_code == 200


def test_an_agent_imported_without_login_is_invited_later(
    link_in, admin, crm_host, crm_user, crm_app, outbox, token, user_row
):
    """A user who cannot sign in gets an invitation from the user list."""
    agent = crm_user("agent", name="Nils North")
    with crm_host.db.transaction() as connection:
        connection.execute(
            schema.user.update()
            .where(schema.user.c.id == agent["id"])
            .values(can_login=False, password_hash=None)
        )
    listing = admin.get("/admin/users").get_data(as_text=True)
    assert f"/admin/users/{agent['id']}/invite" in listing
    response = admin.post(
        f"/admin/users/{agent['id']}/invite",
        data={"csrf_token": token(admin, "/admin/users")},
    )
    assert response.status_code == 302
    path = link_in(outbox[0])
    guest = crm_app.test_client()
    guest.post(
        path,
        data={
            "password": "nils is here 2025",
            "password_again": "nils is here 2025",
            "csrf_token": token(guest, path),
        },
    )
    assert user_row(agent["id"])["can_login"] is True
    assert guest.get("/customers").status_code == 200


def test_someone_who_can_sign_in_is_not_invited_again(admin, crm_user, outbox, token):
    """Inviting an existing account's address is refused, naming the field."""
    existing = crm_user("agent")
    response = admin.post(
        "/admin/users/invite",
        data={
            "email": existing["email"],
            "name": "Again",
            "role": "agent",
            "language": "en",
            "csrf_token": token(admin, "/admin/users/invite"),
        },
    )
    assert response.status_code == 400
    assert 'id="err-email"' in response.get_data(as_text=True)
    assert outbox == []


def test_invitations_through_the_api(crm_api, crm_host, outbox):
    """An administrator invites by API; the new user cannot sign in until accepting."""
    client = crm_api("admin")
    response = client.post(
        "/api/v1/users/invitations",
        json={"email": "api@example.com", "name": "Api Person", "role": "manager"},
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["status"] == "invited" and body["can_login"] is False
    assert outbox[0]["to"] == "api@example.com"
    refused = crm_api("manager").post(
        "/api/v1/users/invitations",
        json={"email": "x@example.com", "name": "X", "role": "agent"},
    )
    assert refused.status_code == 403
    bad = client.post(
        "/api/v1/users/invitations",
        json={"email": "not an address", "name": "Y", "role": "nope"},
    )
    assert bad.status_code == 422
    assert set(bad.get_json()["errors"]) == {"email", "role"}
    with crm_host.db.connect() as connection:
        count = connection.execute(
            select(func.count()).where(schema.audit.c.action == "invite")
        ).scalar()
    assert count == 1


def test_the_invitation_goes_out_through_the_mail_service(crm_api, crm_host):
    """Without capturing, the e-mail is queued with the mail service in its frame."""
    from crm_core.mail.tables import message

    client = crm_api("admin")
    client.post(
        "/api/v1/users/invitations",
        json={"email": "queued@example.com", "name": "Queued", "role": "agent"},
    )
    with crm_host.db.connect() as connection:
        row = connection.execute(
            select(message.c.template, message.c.subject, message.c.text_body).where(
                message.c.to_address == "queued@example.com"
            )
        ).one()
    assert row.template == "core.notice"
    assert "invited you to Strata CRM" in row.subject
    assert "/invitation/" in row.text_body
