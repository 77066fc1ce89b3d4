"""The shell every page shares: headers, navigation, the user, static files."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import update

from crm_core.storage import schema
from crm_core.web import CONTENT_SECURITY_POLICY


@pytest.fixture
def ana_id(admin, add_customer):
    return add_customer(admin.user, name="Ana Lima")["id"]


def test_pages_send_a_strict_content_security_policy(admin, crm_app):
    """Page responses allow only this site's own resources and no framing."""
    for client, path in ((admin, "/customers"), (crm_app.test_client(), "/login")):
        headers = client.get(path).headers
        assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
    assert "default-src 'self'" in CONTENT_SECURITY_POLICY


def test_pages_have_no_inline_scripts_styles_or_handlers(admin, read):
    """Nothing on a page needs the CSP to allow inline code."""
    page = read(admin.get("/customers"))
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)
    assert "<style" not in page
    assert not re.search(r'\sstyle="', page)
    assert not re.search(r"\son[a-z]+=", page)


def test_static_files_are_served_without_signing_in(crm_app):
    """The stylesheet and script load on the sign-in page."""
    client = crm_app.test_client()
    css = client.get("/static/crm/crm.css")
    assert css.status_code == 200
    assert css.mimetype == "text/css"
    assert client.get("/static/crm/crm.js").status_code == 200


def test_hook_crm_navigation_entries_follow_permissions(browser_for, read):
    """Entries needing a permission the user lacks, or naming no page, are left out."""
    agent = read(browser_for("agent").get("/customers"))
    assert "Everyone&#39;s page" in agent
    assert "Admin page" not in agent
    assert "Missing page" not in agent
    admin = read(browser_for("admin").get("/customers"))
    assert "Admin page" in admin


def test_the_current_page_is_marked_in_the_navigation(admin, read):
    """The entry for the page being shown carries aria-current."""
    page = read(admin.get("/customers"))
    assert 'href="/customers" aria-current="page">Everyone&#39;s page' in page


def test_the_shell_names_the_user_and_offers_sign_out(admin, read):
    """The header shows who is signed in and a sign-out form with its token."""
    page = read(admin.get("/customers"))
    assert "Ada Admin" in page
    assert 'action="/logout"' in page


def test_the_root_leads_to_the_customers(admin):
    """``/`` opens the customer list."""
    response = admin.get("/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/customers"


def test_unknown_pages_are_not_found_for_signed_in_users(admin):
    """A missing customer answers 404 with the shell around it."""
    response = admin.get("/customers/999999")
    assert response.status_code == 404
    assert "Ada Admin" in response.get_data(as_text=True)


def test_an_unexpected_error_is_logged_and_shown_politely(
    admin, ana_id, monkeypatch, caplog, read
):
    """A failure inside a page answers 500 in the shell and logs the traceback."""

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr("crm_core.web.customer_page.timeline", broken)
    response = admin.get(f"/customers/{ana_id}")
    assert response.status_code == 500
    page = read(response)
    assert "Internal Server Error" in page
    assert "database went away" not in page
    assert "database went away" in caplog.text


def test_times_are_shown_in_the_readers_zone(
    admin, ana_id, crm_host, add_activity, read
):
    """A user in Berlin sees a 12:00 UTC activity at 13:00."""
    with crm_host.db.transaction() as connection:
        connection.execute(
            update(schema.user)
            .where(schema.user.c.id == admin.user["id"])
            .values(timezone="Europe/Berlin")
        )
    add_activity(ana_id, "Winter call", datetime(2024, 1, 10, 12, 0, tzinfo=UTC))
    assert "2024-01-10 13:00" in read(admin.get(f"/customers/{ana_id}"))


def test_hook_crm_page_blueprints_get_the_shell_and_headers(admin, crm_app, read):
    """A plugin's page extending crm/base.html gets the navigation, user and CSP."""
    response = admin.get("/webtest/hello")
    page = read(response)
    assert "<p>Hello</p>" in page
    assert "Ada Admin" in page
    assert "Everyone&#39;s page" in page
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert crm_app.test_client().get("/webtest/hello").status_code == 302


def test_api_responses_keep_their_own_headers(crm_api):
    """The page policy is not added to API responses."""
    response = crm_api("admin").get("/api/v1/customers")
    assert response.status_code == 200
    assert "Content-Security-Policy" not in response.headers
