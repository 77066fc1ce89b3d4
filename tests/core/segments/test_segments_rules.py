"""Segment rules: operators per field type, and mistakes refused with their path."""

from __future__ import annotations

import pytest

from crm_core.security import SYSTEM
from crm_core.segments import RuleError


@pytest.fixture
def people(add):
    """Four customers with custom fields, tags and stages."""
    return {
        "ana": add(
            name="Ana Lima",
            emails=["ana@example.com"],
            tags=["vip", "berlin"],
            lifecycle_stage="customer",
            attributes={
                "plan": "pro",
                "seats": 12,
                "budget": "1500.50",
                "vip": True,
                "renewal": "2024-06-30",
                "city": "Berlin",
            },
        ),
        "bo": add(
            name="Bo Berg",
            tags=["berlin"],
            attributes={
                "plan": "basic",
                "seats": 3,
                "budget": "99.99",
                "vip": False,
                "renewal": "2025-01-15",
                "city": "berlin-mitte",
            },
        ),
        "cy": add(name="Cy Chen", attributes={"plan": "enterprise", "seats": 250}),
        "org": add(kind="organisation", name="Acme Ltd", lifecycle_stage="prospect"),
    }


def only(rule):
    return {"all": [rule]}


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ({"field": "plan", "op": "eq", "value": "pro"}, {"ana"}),
        ({"field": "plan", "op": "in", "value": ["pro", "basic"]}, {"ana", "bo"}),
        ({"field": "plan", "op": "ne", "value": "pro"}, {"bo", "cy", "org"}),
        ({"field": "seats", "op": "gte", "value": 12}, {"ana", "cy"}),
        ({"field": "seats", "op": "between", "value": [3, 12]}, {"ana", "bo"}),
        ({"field": "budget", "op": "lt", "value": "100"}, {"bo"}),
        ({"field": "budget", "op": "is_not_set"}, {"cy", "org"}),
        ({"field": "vip", "op": "eq", "value": False}, {"bo"}),
        ({"field": "renewal", "op": "lt", "value": "2025-01-01"}, {"ana"}),
        ({"field": "city", "op": "contains", "value": "BERLIN"}, {"ana", "bo"}),
        ({"field": "city", "op": "starts_with", "value": "berlin-"}, {"bo"}),
        (
            {"field": "city", "op": "not_contains", "value": "mitte"},
            {"ana", "cy", "org"},
        ),
        ({"field": "name", "op": "eq", "value": "ana lima"}, {"ana"}),
        ({"field": "kind", "op": "eq", "value": "organisation"}, {"org"}),
        (
            {"field": "lifecycle_stage", "op": "in", "value": ["customer", "prospect"]},
            {"ana", "org"},
        ),
        ({"field": "email", "op": "is_set"}, {"ana"}),
        ({"field": "tags", "op": "has", "value": "berlin"}, {"ana", "bo"}),
        ({"field": "tags", "op": "has_not", "value": "vip"}, {"bo", "cy", "org"}),
        (
            {"field": "created_at", "op": "in_last_days", "value": 1},
            {"ana", "bo", "cy", "org"},
        ),
        ({"field": "created_at", "op": "before_last_days", "value": 1}, set()),
    ],
)
def test_operators_select_the_expected_customers(people, matching, rule, expected):
    """Each operator compares as the field's type says; negations include the unset."""
    assert matching(only(rule)) == {people[key] for key in expected}


def test_empty_groups_match_everyone_or_nobody(people, matching):
    """An empty "all" holds for every customer, an empty "any" for none."""
    assert matching({"all": []}) == set(people.values())
    assert matching({"any": []}) == set()


@pytest.mark.parametrize(
    ("rules", "path", "message"),
    [
        (
            {
                "all": [
                    {"field": "plan", "op": "eq", "value": "pro"},
                    {"field": "name", "op": "is_set"},
                    {"field": "seats", "op": "lt", "value": "abc"},
                ]
            },
            "rules.all[2].value",
            "'abc' is not a number for seats",
        ),
        (
            {"all": [{"any": [{"field": "colour", "op": "eq", "value": "red"}]}]},
            "rules.all[0].any[0].field",
            "no field 'colour'",
        ),
        (
            {"any": [{"field": "seats", "op": "contains", "value": 3}]},
            "rules.any[0].op",
            "'contains' is not an operator for seats (integer)",
        ),
        (
            {"all": [{"field": "plan", "op": "eq", "value": "gold"}]},
            "rules.all[0].value",
            "'gold' is not one of basic, pro, enterprise for plan",
        ),
        (
            {"all": [{"field": "renewal", "op": "gt", "value": "30/06/2024"}]},
            "rules.all[0].value",
            "is not a date (YYYY-MM-DD) for renewal",
        ),
        (
            {"all": [{"field": "activities", "op": "exists", "where": {"days": -3}}]},
            "rules.all[0].where.days",
            "-3 is not a number of days",
        ),
        ({"every": []}, "rules", 'expected a group: {"all": [...]} or {"any": [...]}'),
        (
            {"all": [{"field": "tags", "op": "has"}]},
            "rules.all[0].value",
            "'has' needs a value",
        ),
        (
            {"all": [{"field": "organisation.parent.name", "op": "eq", "value": "x"}]},
            "rules.all[0].field",
            "no field 'organisation.parent.name'",
        ),
    ],
)
def test_bad_rules_are_refused_naming_the_path(
    crm_host, segments, declared, rules, path, message
):
    """Every mistake is reported at its path, with what was expected."""
    with crm_host.db.connect() as connection, pytest.raises(RuleError) as caught:
        segments.count(connection, SYSTEM, rules)
    assert path in caught.value.errors
    assert any(message in text for text in caught.value.errors[path])
    assert f"{path}: " in str(caught.value)


def test_the_message_names_path_value_and_field(crm_host, segments, declared):
    """The refusal reads like "rules.all[2].value: 'abc' is not a number for seats"."""
    rules = {
        "all": [
            {"field": "name", "op": "is_set"},
            {"field": "name", "op": "is_set"},
            {"field": "seats", "op": "lt", "value": "abc"},
        ]
    }
    with crm_host.db.connect() as connection, pytest.raises(RuleError) as caught:
        segments.count(connection, SYSTEM, rules)
    assert str(caught.value) == "rules.all[2].value: 'abc' is not a number for seats"


def test_sensitive_fields_need_the_right_to_see_them(
    crm_host, segments, declared, crm_actor
):
    """A rule on a sensitive field is refused for a role that may not read it."""
    rules = {"all": [{"field": "tax_id", "op": "is_set"}]}
    with crm_host.db.connect() as connection:
        assert segments.count(connection, crm_actor("manager"), rules) == 0
        with pytest.raises(RuleError, match="no field 'tax_id'"):
            segments.count(connection, crm_actor("agent"), rules)
