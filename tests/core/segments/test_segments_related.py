"""Conditions on related customers, the timeline, scores and plugin fields."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from crm_core import FieldType
from crm_core.scores import Score, score_store
from crm_core.segments import SegmentField, SegmentFieldError
from crm_core.storage import schema


@pytest.fixture
def firms(add, employ):
    """Two organisations (one a subsidiary) and three people working at them."""
    acme = add(
        kind="organisation",
        name="Acme",
        lifecycle_stage="customer",
        attributes={"seats": 500},
    )
    sub = add(
        kind="organisation",
        name="Acme Labs",
        parent_id=acme,
        lifecycle_stage="prospect",
    )
    beta = add(
        kind="organisation",
        name="Beta",
        lifecycle_stage="prospect",
        attributes={"seats": 20},
    )
    ana, bo, cy = add(name="Ana"), add(name="Bo"), add(name="Cy")
    employ(ana, acme)
    employ(bo, beta)
    employ(cy, acme, ended_on="2001-01-31")
    employ(cy, beta)
    return {"acme": acme, "sub": sub, "beta": beta, "ana": ana, "bo": bo, "cy": cy}


def test_organisation_fields_reach_a_persons_current_employer(firms, matching):
    """organisation.<field> tests where a person works now, not where they worked."""
    rule = {
        "all": [
            {"field": "organisation.lifecycle_stage", "op": "eq", "value": "customer"}
        ]
    }
    assert matching(rule) == {firms["ana"]}
    big = {"all": [{"field": "organisation.seats", "op": "gt", "value": 100}]}
    assert matching(big) == {firms["ana"]}


def test_parent_fields_reach_the_parent_organisation(firms, matching):
    """parent.<field> tests the organisation a subsidiary belongs to."""
    rule = {"all": [{"field": "parent.name", "op": "eq", "value": "Acme"}]}
    assert matching(rule) == {firms["sub"]}


def test_activity_conditions_count_and_test_the_timeline(firms, matching, log_activity):
    """activities counts timeline entries, filtered by kind, channel and age."""
    ana, bo, cy = firms["ana"], firms["bo"], firms["cy"]
    for days in (1, 5, 40):
        log_activity(ana, "call", "phone", days_ago=days)
    log_activity(bo, "call", "phone", days_ago=200)
    log_activity(cy, "email_sent", "email", days_ago=2)
    calls = {"kind": "call", "channel": "phone", "days": 30}

    def rule(op, value=None, where=calls):
        condition = {"field": "activities", "op": op, "where": where}
        if value is not None:
            condition["value"] = value
        return {"all": [condition, {"field": "kind", "op": "eq", "value": "person"}]}

    assert matching(rule("gte", 2)) == {ana}
    assert matching(rule("exists", where={"kind": "call"})) == {ana, bo}
    assert matching(rule("not_exists", where={"days": 30})) == {bo}
    assert matching(rule("eq", 0)) == {bo, cy}


def test_score_conditions_use_the_latest_value(crm_host, firms, matching):
    """score.<name> compares the newest value written for each customer."""
    with crm_host.db.transaction() as connection:
        score_store(crm_host).write(
            connection,
            [
                Score(firms["ana"], "churn_risk", "0.9"),
                Score(firms["bo"], "churn_risk", "0.2"),
            ],
        )
    with crm_host.db.transaction() as connection:
        score_store(crm_host).write(
            connection, [Score(firms["ana"], "churn_risk", "0.1")]
        )
    high = {"all": [{"field": "score.churn_risk", "op": "gte", "value": 0.15}]}
    assert matching(high) == {firms["bo"]}
    unscored = {
        "all": [
            {"field": "score.churn_risk", "op": "is_not_set"},
            {"field": "kind", "op": "eq", "value": "person"},
        ]
    }
    assert matching(unscored) == {firms["cy"]}


def _activity_count(customer):
    a = schema.activity
    return (
        select(func.count()).where(a.c.customer_id == customer.c.id).scalar_subquery()
    )


@pytest.fixture
def crm_extra_plugins(crm_temp_plugin):
    field = SegmentField("acme.touches", "Touches", FieldType.INTEGER, _activity_count)
    return [crm_temp_plugin("acme", crm_segment_fields=lambda: [field])]


@pytest.fixture
def crm_plugin_names():
    return ("acme",)


def test_hook_crm_segment_fields_adds_a_field_computed_in_sql(
    firms, matching, log_activity
):
    """A plugin's field joins the rules, on the customer and on related customers."""
    log_activity(firms["acme"], "call")
    log_activity(firms["acme"], "call")
    log_activity(firms["bo"], "call")
    assert matching({"all": [{"field": "acme.touches", "op": "gte", "value": 1}]}) == {
        firms["acme"],
        firms["bo"],
    }
    employer = {"all": [{"field": "organisation.acme.touches", "op": "eq", "value": 2}]}
    assert matching(employer) == {firms["ana"]}


def test_hook_crm_segment_fields_refuses_a_field_outside_the_plugins_name():
    """A plugin's field must be named after the plugin."""
    from crm_core.contract import Contribution
    from crm_core.segments.catalogue import plugin_fields

    field = SegmentField("touches", "Touches", FieldType.INTEGER, _activity_count)
    with pytest.raises(SegmentFieldError, match="name it 'acme.<name>'"):
        plugin_fields([Contribution("acme", field)])
