"""The customer page: contact points, fields, links, timeline, panels, history."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime

import pytest


@pytest.fixture
def ana(admin, add_customer):
    return add_customer(
        admin.user,
        name="Ana Lima",
        emails=["ana@example.com", "ana.lima@work.example.com"],
        phones=["+12025550101"],
        addresses=[{"street": "1 Main St", "city": "Springfield", "label": "home"}],
        tags=["vip", "newsletter"],
        lifecycle_stage="customer",
        attributes={"tier": "gold", "vip": True, "seats": 12, "tax_id": "DE-123"},
    )


def test_contact_points_and_management_fields_are_shown(admin, ana, read):
    """E-mails, phones, addresses, owner, stage and tags are on the page."""
    page = read(admin.get(f"/customers/{ana['id']}"))
    assert '<a href="mailto:ana@example.com">ana@example.com</a>' in page
    assert "ana.lima@work.example.com" in page
    assert '<a href="tel:+12025550101">' in page
    assert "1 Main St" in page and "Springfield" in page
    assert "Ada Admin" in page
    assert '<span class="tag">vip</span>' in page
    assert "customer" in page


def test_custom_fields_are_shown_with_their_labels(admin, ana, read):
    """Each custom field appears under its label, formatted by type."""
    page = read(admin.get(f"/customers/{ana['id']}"))
    assert re.search(r"<dt>Tier</dt> <dd>gold</dd>", page)
    assert re.search(r"<dt>VIP</dt> <dd>Yes</dd>", page)
    assert re.search(r"<dt>Seats</dt> <dd>12</dd>", page)
    assert re.search(r"<dt>Renewal date</dt> <dd>—</dd>", page)


def test_sensitive_fields_only_for_readers_allowed(
    admin, ana, browser_for, crm_host, read
):
    """A manager sees the tax number; a viewer sees neither value nor label."""
    assert "DE-123" in read(admin.get(f"/customers/{ana['id']}"))
    viewer = read(browser_for("viewer").get(f"/customers/{ana['id']}"))
    assert "DE-123" not in viewer
    assert "Tax number" not in viewer


def test_a_customer_outside_the_scope_is_not_found(ana, browser_for):
    """An agent cannot open another owner's customer."""
    assert browser_for("agent").get(f"/customers/{ana['id']}").status_code == 404


def test_relationships_both_ways_and_the_organisation_tree(
    admin, add_customer, add_relationship, read
):
    """People at an organisation, a person's employer, parent and subsidiaries."""
    me = admin.user
    group = add_customer(me, kind="organisation", name="Acme Group")
    acme = add_customer(me, kind="organisation", name="Acme Ltd", parent_id=group["id"])
    labs = add_customer(me, kind="organisation", name="Acme Labs", parent_id=acme["id"])
    ana = add_customer(me, name="Ana Lima")
    add_relationship(ana["id"], acme["id"], "Buyer")
    org_page = read(admin.get(f"/customers/{acme['id']}"))
    assert f'<a href="/customers/{ana["id"]}">Ana Lima</a>' in org_page
    assert "Buyer" in org_page
    assert f'<a href="/customers/{group["id"]}">Acme Group</a>' in org_page
    assert f'<a href="/customers/{labs["id"]}">Acme Labs</a>' in org_page
    person_page = read(admin.get(f"/customers/{ana['id']}"))
    assert "Works at" in person_page
    assert f'<a href="/customers/{acme["id"]}">Acme Ltd</a>' in person_page


def test_related_customers_out_of_scope_are_left_out(
    browser_for, add_customer, add_relationship, read
):
    """A link to a customer the reader may not see is not shown."""
    agent = browser_for("agent")
    other = browser_for("agent")
    mine = add_customer(agent.user, kind="organisation", name="Mine Inc")
    theirs = add_customer(other.user, name="Their Contact")
    add_relationship(theirs["id"], mine["id"], "Spy")
    page = read(agent.get(f"/customers/{mine['id']}"))
    assert "Their Contact" not in page
    assert "No one recorded." in page


def test_the_timeline_lists_the_newest_first(admin, ana, add_activity, read):
    """Activities appear newest first, with their channel and subject."""
    add_activity(ana["id"], "First call", datetime(2024, 1, 5, 9, 0, tzinfo=UTC))
    add_activity(ana["id"], "Latest mail", datetime(2024, 3, 1, 12, 0, tzinfo=UTC))
    add_activity(
        ana["id"],
        "Removed",
        datetime(2024, 2, 1, tzinfo=UTC),
        deleted_at=datetime.now(UTC),
    )
    page = read(admin.get(f"/customers/{ana['id']}"))
    assert page.index("Latest mail") < page.index("First call")
    assert "Removed" not in page
    assert "2024-03-01 12:00" in page


def test_hook_crm_customer_panels_by_permission_and_failures_skipped(
    ana, browser_for, read, caplog
):
    """A panel needing a permission hides from others; a failing panel is logged."""
    caplog.set_level(logging.ERROR, logger="crm_core.web")
    viewer = browser_for("viewer")
    page = read(viewer.get(f"/customers/{ana['id']}"))
    assert "<p class='sample'>Orders of Ana Lima</p>" in page
    assert "This panel could not be shown." in page
    assert page.index("Orders of Ana Lima") < page.index("could not be shown")
    assert "Secret" not in page
    assert "webtest" in caplog.text


def test_history_shows_who_changed_what(admin, ana, crm_host, read):
    """Each change lists the field, the old and the new value, and who made it."""
    with crm_host.db.transaction() as connection:
        actor = crm_host.actor(connection, admin.user["id"])
        crm_host.customers.update(
            connection,
            actor,
            ana["id"],
            {"name": "Ana Souza", "attributes": {"tier": "silver"}},
        )
    page = read(admin.get(f"/customers/{ana['id']}"))
    assert re.search(
        r'Name:</span> <span class="change-before">Ana Lima</span> → '
        r'<span class="change-after">Ana Souza</span>',
        page,
    )
    assert re.search(r"Tier:</span> .*?gold</span> → .*?silver</span>", page)
    assert "Ada Admin · update" in page


def test_history_hides_sensitive_values_and_needs_permission(
    admin, ana, crm_host, browser_for, read
):
    """A manager sees only that a sensitive field changed; a viewer sees no history."""
    with crm_host.db.transaction() as connection:
        actor = crm_host.actor(connection, admin.user["id"])
        crm_host.customers.update(
            connection, actor, ana["id"], {"attributes": {"tax_id": "DE-999"}}
        )
    assert "DE-999" in read(admin.get(f"/customers/{ana['id']}"))
    viewer = read(browser_for("viewer").get(f"/customers/{ana['id']}"))
    assert "History" not in viewer
    assert "DE-999" not in viewer


def test_edit_button_only_for_those_who_may_change_it(ana, browser_for, read):
    """A viewer sees no Edit button."""
    assert "/edit" not in read(browser_for("viewer").get(f"/customers/{ana['id']}"))
