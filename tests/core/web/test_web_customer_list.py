"""The customer list: search, filters, sorting and pages."""

from __future__ import annotations

import re

import pytest


@pytest.fixture
def sample(admin, add_customer):
    """Four customers owned by the admin."""
    me = admin.user
    return {
        "ana": add_customer(
            me,
            name="Ana Lima",
            emails=["ana@example.com"],
            phones=["+12025550101"],
            lifecycle_stage="customer",
            attributes={"tier": "gold", "vip": True},
        ),
        "bo": add_customer(
            me, name="Bo Berg", emails=["bo@example.com"], attributes={"tier": "bronze"}
        ),
        "acme": add_customer(
            me, kind="organisation", name="Acme Ltd", lifecycle_stage="prospect"
        ),
        "zed": add_customer(me, name="Zed Zorn", attributes={"vip": False}),
    }


def names_in(page: str) -> list[str]:
    """The customer names in the list's table, in order."""
    return re.findall(r'<td><a href="/customers/\d+">([^<]+)</a></td>', page)


def test_the_list_shows_the_main_columns(admin, sample, read):
    """Each row has the name, kind, e-mail, phone, owner and stage."""
    page = read(admin.get("/customers"))
    assert names_in(page) == ["Acme Ltd", "Ana Lima", "Bo Berg", "Zed Zorn"]
    row = re.search(r"<tr> <td><a [^>]+>Ana Lima</a>.*?</tr>", page).group(0)
    for shown in ("person", "ana@example.com", "+12025550101", "Ada Admin"):
        assert shown in row
    assert "customer" in row


def test_search_finds_by_name_or_email(admin, sample, read):
    """``q`` matches part of the name or the e-mail address."""
    assert names_in(read(admin.get("/customers?q=lima"))) == ["Ana Lima"]
    assert names_in(read(admin.get("/customers?q=bo%40example"))) == ["Bo Berg"]
    assert 'value="lima"' in read(admin.get("/customers?q=lima"))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("kind=organisation", ["Acme Ltd"]),
        ("lifecycle_stage=customer", ["Ana Lima"]),
        ("tier=bronze", ["Bo Berg"]),
        ("vip=true", ["Ana Lima"]),
        ("kind=&lifecycle_stage=&tier=gold", ["Ana Lima"]),
    ],
)
def test_filters_narrow_the_list(admin, sample, read, query, expected):
    """Core and custom-field filters apply; empty choices mean "any"."""
    assert names_in(read(admin.get(f"/customers?{query}"))) == expected


def test_owner_filter_uses_the_user_list(admin, sample, browser_for, read):
    """Filtering by owner shows only that user's customers."""
    browser_for("admin", name="Other Owner")
    page = read(admin.get(f"/customers?owner_id={admin.user['id']}"))
    assert len(names_in(page)) == 4
    assert ">Other Owner</option>" in page
    assert f'<option value="{admin.user["id"]}" selected>' in page


def test_custom_fields_of_choice_and_boolean_type_are_filters(admin, sample, read):
    """The filter form offers choice and yes/no fields, but not free text ones."""
    page = read(admin.get("/customers"))
    assert 'name="tier"' in page
    assert 'name="vip"' in page
    assert 'name="seats"' not in page
    assert 'name="tax_id"' not in page


def test_columns_sort_both_ways(admin, sample, read):
    """A column heading sorts by it; a second click reverses the order."""
    page = read(admin.get("/customers?sort=-display_name"))
    assert names_in(page) == ["Zed Zorn", "Bo Berg", "Ana Lima", "Acme Ltd"]
    assert 'aria-sort="descending"' in page
    assert 'href="/customers?sort=display_name"' in page
    ascending = read(admin.get("/customers?sort=display_name"))
    assert 'href="/customers?sort=-display_name"' in ascending


def test_pages_follow_the_cursor(admin, sample, read):
    """With a small page size, "Next page" leads on and "First page" back."""
    first = read(admin.get("/customers?limit=3"))
    assert names_in(first) == ["Acme Ltd", "Ana Lima", "Bo Berg"]
    link = re.search(r'rel="next" href="([^"]+)"', first).group(1)
    second = read(admin.get(link.replace("&amp;", "&")))
    assert names_in(second) == ["Zed Zorn"]
    assert "First page" in second
    assert 'rel="next"' not in second


def test_a_bad_parameter_is_explained(admin, sample, read):
    """An unknown filter or sort answers 400 and names the parameter."""
    response = admin.get("/customers?sort=shoe_size")
    assert response.status_code == 400
    page = read(response)
    assert "<code>sort</code>" in page
    assert "cannot sort by" in page


def test_agents_see_only_their_own_customers(
    admin, sample, browser_for, add_customer, read
):
    """The list applies the reader's scope."""
    agent = browser_for("agent")
    add_customer(agent.user, name="Agent's Own")
    assert names_in(read(agent.get("/customers"))) == ["Agent&#39;s Own"]


def test_names_are_escaped(admin, add_customer, read):
    """Markup in a name is shown as text, never run."""
    add_customer(admin.user, name="<script>alert(1)</script>")
    page = read(admin.get("/customers"))
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_new_buttons_only_for_those_who_may_create(browser_for, read):
    """Viewers see no "New person" button."""
    assert "New person" not in read(browser_for("viewer").get("/customers"))
    assert "New person" in read(browser_for("agent").get("/customers"))
