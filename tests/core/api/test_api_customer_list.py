"""Listing customers: cursor pages, the page-size cap, sort, search and filters."""

from __future__ import annotations

import pytest

API = "/api/v1"


@pytest.fixture
def many(crm_host, crm_actor):
    """Store customers straight through the service: ``many([{...}, ...])``."""

    def store(bodies):
        actor = crm_actor("admin")
        with crm_host.db.transaction() as connection:
            return [
                crm_host.customers.create(connection, actor, body)["id"]
                for body in bodies
            ]

    return store


def pages(client, query):
    """Every page of ``GET /customers?query``, following next_cursor."""
    found, cursor = [], None
    while True:
        url = f"{API}/customers?{query}" + (f"&cursor={cursor}" if cursor else "")
        response = client.get(url)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        found.append(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return found


def test_paging_returns_each_customer_once_in_stable_order(admin, many):
    """250 customers in pages of 100: 100, 100, 50, none twice, by name then id."""
    ids = many([{"name": f"Customer {i % 30:02d}"} for i in range(250)])
    found = pages(admin, "limit=100")
    assert [len(page) for page in found] == [100, 100, 50]
    items = [item for page in found for item in page]
    assert sorted(item["id"] for item in items) == sorted(ids)
    keys = [(item["display_name"], item["id"]) for item in items]
    assert keys == sorted(keys)


def test_paging_sorted_descending_on_a_custom_field(admin, many, declare):
    """Sorting by -score pages through every customer, highest score first."""
    declare("score", "integer")
    many([{"name": f"C{i}", "attributes": {"score": i % 7}} for i in range(45)])
    items = [i for page in pages(admin, "limit=10&sort=-score") for i in page]
    assert len({item["id"] for item in items}) == 45
    scores = [item["attributes"]["score"] for item in items]
    assert scores == sorted(scores, reverse=True)


def test_limit_over_the_cap_is_400_naming_limit(admin, crm_host):
    """A page size above page_size_max is refused, naming the parameter."""
    cap = crm_host.config.page_size_max
    response = admin.get(f"{API}/customers?limit={cap + 1}")
    assert response.status_code == 400
    assert response.content_type == "application/problem+json"
    assert "limit" in response.get_json()["errors"]
    assert admin.get(f"{API}/customers?limit={cap}").status_code == 200


@pytest.mark.parametrize("limit", ["0", "-1", "ten", "1.5"])
def test_bad_limit_is_400_naming_limit(admin, limit):
    """A page size that is not a whole number from 1 up is refused."""
    response = admin.get(f"{API}/customers?limit={limit}")
    assert response.status_code == 400
    assert "limit" in response.get_json()["errors"]


def test_sort_with_sql_in_it_is_400_naming_sort(admin, many):
    """sort=name;DROP TABLE x is refused, and the table is still there."""
    many([{"name": "Still Here"}])
    response = admin.get(f"{API}/customers?sort=name;DROP TABLE core_customer")
    assert response.status_code == 400
    assert "sort" in response.get_json()["errors"]
    items = admin.get(f"{API}/customers").get_json()["items"]
    assert [item["name"] for item in items] == ["Still Here"]


def test_unknown_filter_is_400_naming_it(admin):
    """A filter on a field lists cannot filter on is refused by name."""
    response = admin.get(f"{API}/customers?password__gt=a")
    assert response.status_code == 400
    assert "password__gt" in response.get_json()["errors"]


def test_bad_cursor_is_400_naming_cursor(admin):
    """A cursor that this list did not make is refused."""
    response = admin.get(f"{API}/customers?cursor=bm90LWEtY3Vyc29y")
    assert response.status_code == 400
    assert "cursor" in response.get_json()["errors"]


def test_search_matches_name_email_and_phone(admin, many):
    """q finds customers by part of the name, e-mail or phone, ignoring case."""
    many(
        [
            {"name": "Marie Curie"},
            {"name": "Pierre", "emails": ["pierre@curie.example"]},
            {"name": "Someone Else", "phones": ["+1 415 555 0100"]},
        ]
    )
    names = {
        i["name"] for i in admin.get(f"{API}/customers?q=CURIE").get_json()["items"]
    }
    assert names == {"Marie Curie", "Pierre"}
    phone = admin.get(f"{API}/customers?q=5550100").get_json()["items"]
    assert [item["name"] for item in phone] == ["Someone Else"]


def test_core_field_filters(admin, many):
    """Core columns filter with equality, __in and __ne."""
    many(
        [
            {"name": "A", "lifecycle_stage": "lead"},
            {"name": "B", "lifecycle_stage": "customer"},
            {"name": "C", "lifecycle_stage": "former", "kind": "organisation"},
        ]
    )

    def names(query):
        items = admin.get(f"{API}/customers?{query}").get_json()["items"]
        return sorted(item["name"] for item in items)

    assert names("lifecycle_stage=customer") == ["B"]
    assert names("lifecycle_stage__in=lead,former") == ["A", "C"]
    assert names("kind__ne=organisation") == ["A", "B"]


@pytest.mark.parametrize(
    ("field", "type", "choices", "values", "query", "expected"),
    [
        ("employees", "integer", (), [5, 50, 500, None], "employees__gte=50", [1, 2]),
        ("employees", "integer", (), [5, 50, 500, None], "employees=5", [0]),
        (
            "revenue",
            "decimal",
            (),
            ["10.25", "100.50", "1000", None],
            "revenue__lt=100.5",
            [0],
        ),
        (
            "revenue",
            "decimal",
            (),
            ["10.25", "100.50", "1000", None],
            "revenue__gt=100.49",
            [1, 2],
        ),
        ("vip", "boolean", (), [True, False, True, None], "vip=true", [0, 2]),
        ("vip", "boolean", (), [True, False, True, None], "vip=false", [1]),
        (
            "tier",
            "choice",
            ("gold", "silver", "bronze"),
            ["gold", "silver", "bronze", None],
            "tier__in=gold,bronze",
            [0, 2],
        ),
        (
            "tier",
            "choice",
            ("gold", "silver", "bronze"),
            ["gold", "silver", "bronze", None],
            "tier=silver",
            [1],
        ),
    ],
)
def test_custom_field_filters(
    admin, many, declare, field, type, choices, values, query, expected
):
    """Integer, decimal, boolean and choice custom fields filter by value."""
    declare(field, type, choices=choices)
    ids = many(
        [
            {"name": f"N{index}", "attributes": {field: value}}
            for index, value in enumerate(values)
        ]
    )
    items = admin.get(f"{API}/customers?{query}").get_json()["items"]
    assert sorted(item["id"] for item in items) == [ids[i] for i in expected]


def test_custom_field_filter_with_a_bad_value_is_400(admin, declare):
    """A filter value the field's type cannot hold is refused by parameter."""
    declare("employees", "integer")
    response = admin.get(f"{API}/customers?employees__gt=many")
    assert response.status_code == 400
    assert "employees__gt" in response.get_json()["errors"]


def test_decimals_come_back_as_exact_strings(admin, many, declare):
    """A decimal custom field is sent as a string, digit for digit."""
    declare("revenue", "decimal")
    many([{"name": "Exact", "attributes": {"revenue": "1234567.89"}}])
    item = admin.get(f"{API}/customers").get_json()["items"][0]
    assert item["attributes"]["revenue"] == "1234567.89"


def test_list_applies_scope(crm_api, many):
    """An agent without a team lists only the customers they own."""
    agent = crm_api("agent")
    many([{"name": "Theirs"}, {"name": "Mine", "owner": agent.user["email"]}])
    items = agent.get(f"{API}/customers").get_json()["items"]
    assert [item["name"] for item in items] == ["Mine"]
