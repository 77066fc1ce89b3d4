"""Excel workbooks stream one sheet as strings written the way people type them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from openpyxl import Workbook

from crm_core.importing import ImportFileError, cell_text, open_table


def workbook(tmp_path: Path, sheets: Mapping[str, Sequence[Sequence[Any]]]) -> Path:
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    path = tmp_path / "customers.xlsx"
    book.save(path)
    return path


CUSTOMERS: list[list[Any]] = [
    ["name", "postcode", "revenue", "since", "last_call", "active", "calls"],
    ["Anna", "01234", 1100.04, date(2019, 3, 1), datetime(2024, 5, 6, 14, 30), True, 3],
    ["Ben", "99999", 0.1 + 0.2, date(2020, 2, 29), datetime(2024, 5, 6), False, None],
    [None, None, None, None, None, None, None],
    ["Chloé", None, 1e20, None, None, None, 0],
]


def test_first_sheet_reads_with_faithful_text(tmp_path):
    """Dates become ISO, floats lose their binary noise, empties become ''."""
    path = workbook(tmp_path, {"Customers": CUSTOMERS, "Notes": [["text"], ["x"]]})
    reader = open_table(path)
    assert reader.sheet == "Customers"
    assert reader.encoding is None and reader.delimiter is None
    assert reader.columns == tuple(CUSTOMERS[0])
    frame = pd.concat(batch.frame for batch in reader)
    assert frame.to_numpy().tolist() == [
        ["Anna", "01234", "1100.04", "2019-03-01", "2024-05-06 14:30:00", "true", "3"],
        ["Ben", "99999", "0.3", "2020-02-29", "2024-05-06", "false", ""],
        ["Chloé", "", "100000000000000000000", "", "", "", "0"],
    ]
    assert frame.index.tolist() == [1, 2, 3]


def test_sheet_is_chosen_by_name(tmp_path):
    """sheet= picks a worksheet other than the first."""
    path = workbook(tmp_path, {"Customers": CUSTOMERS, "Notes": [["text"], ["x"]]})
    reader = open_table(path, sheet="Notes")
    assert reader.columns == ("text",)
    assert [batch.frame["text"].tolist() for batch in reader] == [["x"]]


def test_unknown_sheet_lists_the_sheets(tmp_path):
    """Asking for a missing sheet names the sheets there are."""
    path = workbook(tmp_path, {"Customers": CUSTOMERS, "Notes": [["text"]]})
    with pytest.raises(ImportFileError, match="no sheet 'Leads'.*'Customers', 'Notes'"):
        open_table(path, sheet="Leads")


def test_batches_are_numbered_across_the_sheet(tmp_path):
    """Rows are numbered from 1 after the header, batch after batch."""
    rows: list[list[Any]] = [["n"], *([i] for i in range(1, 8))]
    reader = open_table(workbook(tmp_path, {"Data": rows}), batch_rows=3)
    batches = list(reader)
    assert [batch.first_row for batch in batches] == [1, 4, 7]
    assert pd.concat(b.frame for b in batches)["n"].tolist() == [
        str(i) for i in range(1, 8)
    ]


def test_trailing_empty_header_cells_are_ignored(tmp_path):
    """Formatting beyond the last named column does not create columns."""
    rows: list[list[Any]] = [["a", "b", None, None], [1, 2, None, None]]
    reader = open_table(workbook(tmp_path, {"Data": rows}))
    assert reader.columns == ("a", "b")
    assert [batch.frame.to_numpy().tolist() for batch in reader] == [[["1", "2"]]]


def test_values_without_a_header_are_refused(tmp_path):
    """A value in a column without a name points at its sheet row and column."""
    rows: list[list[Any]] = [["a", "b"], [1, 2], [3, 4, "stray"]]
    reader = open_table(workbook(tmp_path, {"Data": rows}))
    with pytest.raises(ImportFileError, match="row 3 has a value in column C"):
        list(reader)


def test_duplicate_sheet_headers_are_named(tmp_path):
    """The header rules of text files hold for sheets too."""
    rows = [["email", "name", "email"], ["a", "b", "c"]]
    with pytest.raises(ImportFileError, match="sheet 'Data'.*'email' more than once"):
        open_table(workbook(tmp_path, {"Data": rows}))


def test_text_options_are_refused_for_workbooks(tmp_path):
    """--encoding and --delimiter make no sense for a workbook."""
    path = workbook(tmp_path, {"Data": [["a"], [1]]})
    with pytest.raises(ImportFileError, match="apply to text files"):
        open_table(path, delimiter=";")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (True, "true"),
        (42, "42"),
        (2.5, "2.5"),
        (1e-7, "0.0000001"),
        (0.1 + 0.7, "0.8"),
        (-3.0, "-3"),
        (date(2024, 2, 29), "2024-02-29"),
        (datetime(2024, 2, 29, 23, 59, 59, 500000), "2024-02-29 23:59:59.500000"),
        (time(8, 15), "08:15:00"),
        ("00042", "00042"),
    ],
)
def test_cell_text(value, text):
    """Each kind of cell value has one faithful text form."""
    assert cell_text(value) == text
