"""The segment compiler against pandas on the imported IBM Telco file."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import select

from crm_core.security import SYSTEM
from crm_core.storage import schema

pytestmark = pytest.mark.slow

THREE_CONDITIONS = {
    "all": [
        {"field": "Contract", "op": "eq", "value": "Month-to-month"},
        {"field": "tenure", "op": "lt", "value": 12},
        {"field": "MonthlyCharges", "op": "gt", "value": 70},
    ]
}

NESTED = {
    "any": [
        {
            "all": [
                {"field": "Contract", "op": "eq", "value": "Two year"},
                {"field": "TotalCharges", "op": "gte", "value": "8000"},
            ]
        },
        {
            "all": [
                {"field": "PaymentMethod", "op": "eq", "value": "Electronic check"},
                {"field": "SeniorCitizen", "op": "eq", "value": True},
                {
                    "any": [
                        {
                            "field": "InternetService",
                            "op": "eq",
                            "value": "Fiber optic",
                        },
                        {"field": "tenure", "op": "between", "value": [60, 62]},
                    ]
                },
            ]
        },
    ]
}


@pytest.fixture
def telco(shared_data, import_file, crm_host):
    """The Telco file imported with typed fields, and the file as a pandas frame."""
    path = shared_data / "telco_churn" / "WA_Fn-UseC_-Telco-Customer-Churn.csv"
    report = import_file(path, maps=("customerID=external_id",), keys=("external_id",))
    assert (report.created, report.error_count) == (7043, 0)
    frame = pd.read_csv(path)
    frame["TotalCharges"] = pd.to_numeric(frame["TotalCharges"], errors="coerce")
    return frame


def external_ids(crm_host, ids):
    c = schema.customer
    with crm_host.db.connect() as connection:
        rows = connection.execute(select(c.c.external_id).where(c.c.id.in_(ids)))
        return {row[0] for row in rows}


def test_three_condition_segment_matches_pandas(telco, crm_host, matching, segments):
    """Month-to-month, tenure < 12, MonthlyCharges > 70: the same ids as pandas."""
    f = telco
    expected = set(
        f.loc[
            (f.Contract == "Month-to-month")
            & (f.tenure < 12)
            & (f.MonthlyCharges > 70),
            "customerID",
        ]
    )
    found = matching(THREE_CONDITIONS)
    assert len(expected) > 500
    assert external_ids(crm_host, found) == expected
    with crm_host.db.connect() as connection:
        assert segments.count(connection, SYSTEM, THREE_CONDITIONS) == len(expected)


def test_nested_and_or_groups_match_pandas(telco, crm_host, matching):
    """all/any groups nested three deep select what the same pandas filter does."""
    f = telco
    two_year = (f.Contract == "Two year") & (f.TotalCharges >= 8000)
    senior = (
        (f.PaymentMethod == "Electronic check")
        & (f.SeniorCitizen == 1)
        & ((f.InternetService == "Fiber optic") | f.tenure.between(60, 62))
    )
    expected = set(f.loc[two_year | senior, "customerID"])
    assert len(expected) > 100
    assert external_ids(crm_host, matching(NESTED)) == expected
