"""Imports of the shared real datasets, checked against values computed from the files."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest
from sqlalchemy import func, select

from crm_core.storage import schema

c = schema.customer

pytestmark = pytest.mark.slow


def telco(shared_data):
    return shared_data / "telco_churn" / "WA_Fn-UseC_-Telco-Customer-Churn.csv"


def test_telco_import_creates_typed_fields_and_is_idempotent(
    run, crm_host, shared_data
):
    """7,043 customers with typed custom fields; blanks stay empty; a rerun changes nothing."""
    first = run(
        "customers",
        telco(shared_data),
        maps=["customerID=external_id"],
        keys=("external_id",),
        create_fields=True,
    )
    assert (first.created, first.updated, first.error_count) == (7043, 0, 0)
    types = {f["name"]: f["type"] for f in first.fields_created}
    assert types["SeniorCitizen"] == "boolean" and types["tenure"] == "integer"
    assert types["MonthlyCharges"] == types["TotalCharges"] == "decimal"
    assert types["Contract"] == "choice"
    contract = next(f for f in first.fields_created if f["name"] == "Contract")
    assert contract["choices"] == ["Month-to-month", "One year", "Two year"]
    with crm_host.db.connect() as connection:
        rows = connection.execute(select(c.c.external_id, c.c.attributes)).all()
    stored = {external: attrs for external, attrs in rows}
    frame = pd.read_csv(telco(shared_data), dtype=str, keep_default_na=False)
    blanks = frame.loc[frame["TotalCharges"].str.strip() == "", "customerID"]
    assert len(blanks) == 11
    assert all("TotalCharges" not in stored[external] for external in blanks)
    sample = frame.iloc[1]
    assert stored[sample["customerID"]]["MonthlyCharges"] == Decimal(
        sample["MonthlyCharges"]
    )
    assert stored[sample["customerID"]]["tenure"] == int(sample["tenure"])
    again = run(
        "customers",
        telco(shared_data),
        maps=["customerID=external_id"],
        keys=("external_id",),
        create_fields=True,
    )
    assert (again.created, again.updated, again.unchanged) == (0, 0, 7043)


def test_accounts_import_links_subsidiaries_to_parents(run, crm_host, shared_data):
    """85 organisations; each subsidiary_of names a parent linked wherever it stands."""
    path = shared_data / "crm_sales_opportunities" / "accounts.csv"
    report = run(
        "customers",
        path,
        maps=["account=name", "subsidiary_of=parent"],
        sets=["kind=organisation"],
        keys=("name",),
        create_fields=True,
    )
    assert (report.created, report.error_count) == (85, 0)
    revenue = next(f for f in report.fields_created if f["name"] == "revenue")
    assert revenue["type"] == "decimal"
    assert revenue["label"] == "Annual revenue (in millions of USD)"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    expected = {
        (r.account, r.subsidiary_of) for r in frame.itertuples() if r.subsidiary_of
    }
    parent = c.alias("parent")
    with crm_host.db.connect() as connection:
        linked = set(
            connection.execute(
                select(c.c.name, parent.c.name).join(
                    parent, parent.c.id == c.c.parent_id
                )
            ).all()
        )
        kinds = connection.execute(
            select(c.c.kind, func.count()).group_by(c.c.kind)
        ).all()
    assert linked == expected and len(expected) > 10
    assert kinds == [("organisation", 85)]
    again = run(
        "customers",
        path,
        maps=["account=name", "subsidiary_of=parent"],
        sets=["kind=organisation"],
        keys=("name",),
        create_fields=True,
    )
    assert (again.created, again.updated, again.unchanged) == (0, 0, 85)
