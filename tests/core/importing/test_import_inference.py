"""Field types are inferred from every row of a file, batch by batch."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm_core import FieldType
from crm_core.importing import (
    ColumnProfile,
    TableProfile,
    convert,
    infer_fields,
    open_table,
)

TELCO = "telco_churn/WA_Fn-UseC_-Telco-Customer-Churn.csv"


def profile(values: list[str], batch: int = 1_000, **options: Any) -> ColumnProfile:
    column = ColumnProfile("x", **options)
    series = pd.Series(values, dtype=str)
    for start in range(0, len(series), batch):
        column.add(series.iloc[start : start + batch])
    return column


def test_telco_churn_columns(shared_data):
    """Telco: booleans, integers, decimals with blanks, and small choices."""
    reader = open_table(shared_data / TELCO, batch_rows=2_000)
    fields = infer_fields(reader, reader.columns)
    types = {column: field.type for column, field in fields.items()}
    assert types["SeniorCitizen"] is FieldType.BOOLEAN
    assert types["Partner"] is FieldType.BOOLEAN
    assert types["tenure"] is FieldType.INTEGER
    assert types["MonthlyCharges"] is FieldType.DECIMAL
    assert types["TotalCharges"] is FieldType.DECIMAL
    assert types["customerID"] is FieldType.TEXT
    assert fields["Contract"].type is FieldType.CHOICE
    assert fields["Contract"].choices == ("Month-to-month", "One year", "Two year")
    assert fields["gender"].choices == ("Female", "Male")


def test_telco_total_charges_blanks_are_empty_not_errors(shared_data):
    """The 11 blank TotalCharges cells convert to None under the inferred type."""
    reader = open_table(shared_data / TELCO)
    field = infer_fields(reader, reader.columns)["TotalCharges"]
    totals = pd.concat(batch.frame["TotalCharges"] for batch in reader)
    result = convert(totals, field.column_format())
    assert not result.invalid.any()
    assert result.values.isna().sum() == 11


def test_accounts_columns(shared_data):
    """Accounts (85 rows): numbers by kind, and no choices in a small file."""
    reader = open_table(shared_data / "crm_sales_opportunities" / "accounts.csv")
    types = {c: f.type for c, f in infer_fields(reader, reader.columns).items()}
    assert types["revenue"] is FieldType.DECIMAL
    assert types["year_established"] is FieldType.INTEGER
    assert types["employees"] is FieldType.INTEGER
    assert types["sector"] is FieldType.TEXT


def test_helpdesk_timestamps_are_date_times(shared_data):
    """ISO timestamps infer as date-times; the ids beside them as integers."""
    reader = open_table(shared_data / "service_tickets" / "helpdesk.csv")
    fields = infer_fields(reader, reader.columns)
    assert fields["CompleteTimestamp"].type is FieldType.DATETIME
    assert fields["CaseID"].type is FieldType.INTEGER


def test_cdnow_ids_stay_text_and_compact_dates_are_dates(shared_data):
    """Zero-padded ids are text; %Y%m%d dates are dates when declared."""
    reader = open_table(shared_data / "cdnow" / "CDNOW_master.txt")
    fields = infer_fields(reader, reader.columns, date_format="%Y%m%d")
    assert [fields[c].type for c in reader.columns] == [
        FieldType.TEXT,
        FieldType.DATE,
        FieldType.INTEGER,
        FieldType.DECIMAL,
    ]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["0", "1", "1", ""], FieldType.BOOLEAN),
        (["Yes", "no", "YES"], FieldType.BOOLEAN),
        (["true", "False"], FieldType.BOOLEAN),
        (["1", "1"], FieldType.BOOLEAN),
        (["yes", "0"], FieldType.TEXT),
        (["12", "-3", "0"], FieldType.INTEGER),
        (["12", "0.5", "-3"], FieldType.DECIMAL),
        (["00001", "00002"], FieldType.TEXT),
        (["01.5", "2.5"], FieldType.TEXT),
        (["2024-01-31", "1999-12-01"], FieldType.DATE),
        (["2024-01-31", "2024-02-30"], FieldType.TEXT),
        (["2012-01-11 02:07:40", "2012-01-12T10:00+01:00"], FieldType.DATETIME),
        (["2012-01-11 02:07:40", "2012-01-12"], FieldType.DATETIME),
        (["2012-01-11 25:07:40"], FieldType.TEXT),
        (["", "  ", ""], FieldType.TEXT),
        ([], FieldType.TEXT),
    ],
)
def test_rules_on_small_columns(values, expected):
    """Each rule decides on the non-empty cells of the column."""
    assert profile(values).infer().type is expected


def test_choices_need_a_thousand_rows():
    """Few distinct values make a choice only in a file of 1,000 rows or more."""
    values = ["red", "green", "blue"]
    assert profile(values * 333).infer().type is FieldType.TEXT
    field = profile(values * 334, batch=100).infer()
    assert field.type is FieldType.CHOICE
    assert field.choices == ("blue", "green", "red")


def test_twenty_one_distinct_values_are_text():
    """More than 20 distinct values are too many for a choice."""
    values = [f"v{i % 21}" for i in range(2_100)]
    assert profile(values).infer().type is FieldType.TEXT
    twenty = [f"v{i % 20}" for i in range(2_100)]
    assert len(profile(twenty).infer().choices) == 20


def test_choice_spellings_merge_by_case():
    """Values differing in case are one choice, spelled as most rows spell it."""
    values = ["Gold"] * 600 + ["GOLD"] * 10 + ["silver"] * 500
    assert profile(values).infer().choices == ("Gold", "silver")


def test_profiles_count_rows_and_filled_cells():
    """A profile counts every row and the non-empty ones."""
    column = profile(["a", "", " ", "b"])
    assert (column.rows, column.filled) == (4, 2)


def test_table_profile_feeds_every_column():
    """A TableProfile takes whole batches and infers all columns in order."""
    table = TableProfile(["n", "flag"])
    table.add(pd.DataFrame({"n": ["1", "2"], "flag": ["yes", "no"]}, dtype=str))
    table.add(pd.DataFrame({"n": ["3.5"], "flag": ["no"]}, dtype=str))
    inferred = table.infer()
    assert list(inferred) == ["n", "flag"]
    assert inferred["n"].type is FieldType.DECIMAL
    assert inferred["flag"].type is FieldType.BOOLEAN


def test_inferred_fields_give_a_column_format():
    """An inferred field converts its column with the options added."""
    field = profile(["a", "b"] * 600).infer()
    fmt = field.column_format(required=True)
    assert (fmt.kind, fmt.choices, fmt.required) == ("choice", ("a", "b"), True)


@given(
    st.lists(st.sampled_from(["1", "0", "7", "2.5", "", "x", "yes", "007"])),
    st.integers(min_value=1, max_value=7),
)
def test_batch_size_does_not_change_the_inference(values, batch):
    """Streaming in batches infers what one batch of the whole column would."""
    assert profile(values, batch=batch).infer() == profile(values, batch=10**6).infer()
