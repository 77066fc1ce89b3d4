"""Signing in and out of the pages."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from crm_core.storage import schema
from crm_core.web.login import WRONG, safe_next


def test_pages_need_a_signed_in_user(crm_app):
    """An anonymous page request goes to the sign-in form, remembering where."""
    response = crm_app.test_client().get("/customers?kind=person")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    assert response.headers["Location"] == "/login?next=/customers?kind%3Dperson"


def test_login_form_renders_with_a_csrf_token(crm_app, read):
    """The sign-in page has e-mail and password fields and a CSRF token."""
    page = read(crm_app.test_client().get("/login"))
    assert 'name="email"' in page
    assert 'type="password"' in page
    assert 'name="csrf_token"' in page


def test_signing_in_goes_back_to_the_page_asked_for(crm_app, crm_user, token):
    """A good sign-in redirects to the local ``next`` path."""
    user = crm_user("agent")
    client = crm_app.test_client()
    response = client.post(
        "/login",
        data={
            "email": user["email"].upper(),
            "password": user["password"],
            "next": "/customers?q=ana",
            "csrf_token": token(client),
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/customers?q=ana"
    assert client.get("/customers").status_code == 200


@pytest.mark.parametrize("email_known", [True, False])
def test_a_wrong_sign_in_says_the_same_either_way(
    crm_app, crm_user, token, read, email_known
):
    """A wrong password and an unknown e-mail get one message; accounts stay hidden."""
    user = crm_user("agent")
    client = crm_app.test_client()
    email = user["email"] if email_known else "nobody@example.test"
    response = client.post(
        "/login",
        data={"email": email, "password": "wrong", "csrf_token": token(client)},
    )
    assert response.status_code == 401
    page = read(response)
    assert WRONG in page
    assert f'value="{email}"' in page
    assert client.get("/customers").status_code == 302


def test_a_deactivated_user_cannot_sign_in(crm_app, crm_host, crm_user, token):
    """An inactive account is refused even with the right password."""
    user = crm_user("agent")
    with crm_host.db.transaction() as connection:
        connection.execute(
            update(schema.user)
            .where(schema.user.c.id == user["id"])
            .values(is_active=False)
        )
    client = crm_app.test_client()
    response = client.post(
        "/login",
        data={
            "email": user["email"],
            "password": user["password"],
            "csrf_token": token(client),
        },
    )
    assert response.status_code == 401


def test_sign_in_without_the_csrf_token_is_refused(crm_app, crm_user):
    """The sign-in form is CSRF-protected too, against forced sign-ins."""
    user = crm_user("agent")
    client = crm_app.test_client()
    response = client.post(
        "/login", data={"email": user["email"], "password": user["password"]}
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/path",
        "/\\evil.example",
        "javascript:alert(1)",
        "customers",
        "/ok\r\nLocation: https://evil.example/",
    ],
)
def test_next_only_leads_to_local_paths(crm_app, crm_user, token, target):
    """A ``next`` pointing anywhere but a local path is ignored."""
    user = crm_user("agent")
    client = crm_app.test_client()
    response = client.post(
        "/login",
        data={
            "email": user["email"],
            "password": user["password"],
            "next": target,
            "csrf_token": token(client),
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_safe_next_keeps_paths_with_queries():
    """A path with a query string is a fine place to return to."""
    assert safe_next("/customers/3?tab=history") == "/customers/3?tab=history"
    assert safe_next(None) is None


def test_a_signed_in_user_is_not_shown_the_form(admin):
    """Opening the sign-in page while signed in goes on to the pages."""
    response = admin.get("/login?next=/customers")
    assert response.status_code == 302
    assert response.headers["Location"] == "/customers"


def test_signing_out_ends_the_session(admin, token, read):
    """Sign out is a POST with the token; afterwards pages ask to sign in again."""
    response = admin.post("/logout", data={"csrf_token": token(admin, "/customers")})
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert "You are signed out." in read(admin.get("/login"))
    assert admin.get("/customers").status_code == 302


def test_signing_out_without_the_token_is_refused(admin):
    """A cross-site form cannot sign a user out."""
    assert admin.post("/logout").status_code == 400
    assert admin.get("/customers").status_code == 200


def test_a_changed_session_epoch_signs_the_browser_out(admin, crm_host):
    """Raising the user's session epoch ends the sessions already handed out."""
    with crm_host.db.transaction() as connection:
        connection.execute(
            update(schema.user)
            .where(schema.user.c.id == admin.user["id"])
            .values(session_epoch=schema.user.c.session_epoch + 1)
        )
    assert admin.get("/customers").status_code == 302


def test_signed_in_client_fixture_opens_pages_by_role(crm_client):
    """crm_client gives a page session for a role; viewers read but cannot create."""
    viewer = crm_client("viewer")
    assert viewer.get("/customers").status_code == 200
    assert viewer.get("/customers/new").status_code == 403
