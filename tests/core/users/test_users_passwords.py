"""Resetting a forgotten password by e-mail."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from crm_core.storage.types import utcnow
from crm_core.users.tables import link


@pytest.fixture
def mira(crm_user):
    return crm_user("agent", email="mira@example.com", name="Mira")


def ask(client, token, email):
    return client.post(
        "/password/forgot",
        data={"email": email, "csrf_token": token(client, "/password/forgot")},
    )


def test_asking_answers_the_same_whether_or_not_the_address_exists(
    crm_app, mira, outbox, token
):
    """Known and unknown addresses get one answer; only the known one gets mail."""
    known = ask(crm_app.test_client(), token, "MIRA@example.com")
    unknown = ask(crm_app.test_client(), token, "nobody@example.com")
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"] == "/login"
    assert [mail["to"] for mail in outbox] == ["mira@example.com"]
    assert outbox[0]["notice"] == "password_reset"


def test_a_reset_sets_the_password_and_ends_other_sessions(
    link_in, crm_app, mira, outbox, token, signed_in, user_row
):
    """The link sets a new password, signs in, and signs out other browsers."""
    elsewhere = crm_app.test_client()
    with elsewhere.session_transaction() as session:
        session.update(uid=mira["id"], epoch=0)
    assert elsewhere.get("/customers").status_code == 200
    ask(crm_app.test_client(), token, "mira@example.com")
    path = link_in(outbox[0])
    browser = crm_app.test_client()
    done = browser.post(
        path,
        data={
            "password": "brand new secret 7",
            "password_again": "brand new secret 7",
            "csrf_token": token(browser, path),
        },
    )
    assert done.status_code == 302
    assert browser.get("/customers").status_code == 200
    assert elsewhere.get("/customers").status_code == 302
    assert user_row(mira["id"])["session_epoch"] == 1
    login = crm_app.test_client()
    response = login.post(
        "/login",
        data={
            "email": "mira@example.com",
            "password": "brand new secret 7",
            "csrf_token": token(login, "/login"),
        },
    )
    assert response.status_code == 302


def test_a_reset_link_works_once(link_in, crm_app, mira, outbox, token):
    """The second use of a reset link is refused."""
    ask(crm_app.test_client(), token, "mira@example.com")
    path = link_in(outbox[0])
    data = {"password": "first new secret", "password_again": "first new secret"}
    first = crm_app.test_client()
    first.post(path, data={**data, "csrf_token": token(first, path)})
    second = crm_app.test_client()
    assert second.get(path).status_code == 410
    response = second.post(path, data={**data, "csrf_token": token(second, "/login")})
    assert response.status_code == 410


def test_an_expired_reset_link_is_refused(
    link_in, crm_app, crm_host, mira, outbox, token
):
    """A link past its expiry is refused and the password stays as it was."""
    ask(crm_app.test_client(), token, "mira@example.com")
    with crm_host.db.transaction() as connection:
        connection.execute(
            update(link).values(expires_at=utcnow() - timedelta(minutes=1))
        )
    response = crm_app.test_client().get(link_in(outbox[0]))
    assert response.status_code == 410
    assert "This link has expired." in response.get_data(as_text=True)


def test_a_new_reset_link_withdraws_the_older_one(
    link_in, crm_app, mira, outbox, token
):
    """Only the newest reset link works."""
    ask(crm_app.test_client(), token, "mira@example.com")
    ask(crm_app.test_client(), token, "mira@example.com")
    old, new = link_in(outbox[0]), link_in(outbox[1])
    assert crm_app.test_client().get(old).status_code == 410
    assert crm_app.test_client().get(new).status_code == 200


def test_a_deactivated_or_login_less_user_gets_no_reset(
    crm_app, crm_host, mira, outbox, token
):
    """Accounts that cannot sign in get no link, and the answer is the same."""
    from crm_core.storage import schema

    with crm_host.db.transaction() as connection:
        connection.execute(
            update(schema.user)
            .where(schema.user.c.id == mira["id"])
            .values(can_login=False)
        )
    assert ask(crm_app.test_client(), token, "mira@example.com").status_code == 302
    assert outbox == []


def test_many_requests_from_one_address_send_no_more_mail(crm_app, mira, outbox, token):
    """Past five requests in the window the answer is the same and nothing is sent."""
    client = crm_app.test_client()
    answers = {ask(client, token, "mira@example.com").status_code for _ in range(7)}
    assert answers == {302}
    assert len(outbox) == 5
