"""Text tables stream as batches of strings, with their delimiter detected."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from crm_core.importing import (
    ImportFileError,
    check_delimiter,
    convert_decimal,
    open_table,
)


def write(tmp_path: Path, text: str, name: str = "contacts.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


def all_rows(path: Path, **options: object) -> pd.DataFrame:
    reader = open_table(path, **options)  # type: ignore[arg-type]
    return pd.concat([batch.frame for batch in reader])


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiter_is_detected(tmp_path, delimiter):
    """Each candidate delimiter is found from the header and the rows."""
    lines = ["name,city,amount", "Anna,Rome,12", "Ben,Oslo,7", "Chloé,Lyon,3"]
    text = "\n".join(line.replace(",", delimiter) for line in lines) + "\n"
    reader = open_table(write(tmp_path, text))
    assert reader.delimiter == delimiter
    assert reader.columns == ("name", "city", "amount")


def test_semicolons_with_decimal_commas(tmp_path):
    """A semicolon file whose numbers use decimal commas splits on semicolons."""
    text = "name;amount;rate\nAnna;1.234,50;0,5\nBen;12,75;1,25\nChloé;3;0,125\n"
    reader = open_table(write(tmp_path, text))
    assert reader.delimiter == ";"
    frame = pd.concat(batch.frame for batch in reader)
    assert frame["amount"].tolist() == ["1.234,50", "12,75", "3"]
    amounts = convert_decimal(frame["amount"], decimal_mark=",", thousands=".")
    assert [str(value) for value in amounts.values] == ["1234.50", "12.75", "3"]


def test_quoted_line_breaks_stay_inside_their_cell(tmp_path):
    """A quoted field may hold line breaks and delimiters."""
    text = (
        'name,note,city\n"Anna","first line\nsecond, with comma",Rome\n'
        'Ben,"one\r\ntwo",Oslo\nChloé,plain,Lyon\n'
    )
    frame = all_rows(write(tmp_path, text))
    assert frame["note"].tolist() == [
        "first line\nsecond, with comma",
        "one\r\ntwo",
        "plain",
    ]
    assert frame.index.tolist() == [1, 2, 3]


def test_cells_stay_strings_with_leading_zeros(tmp_path):
    """Postcodes, phone numbers and ids keep their leading zeros; empties are ''."""
    text = "id,postcode,phone,score\n00017,01234,0049301234,\n00018,99999,07700,1.50\n"
    frame = all_rows(write(tmp_path, text))
    assert frame.to_numpy().tolist() == [
        ["00017", "01234", "0049301234", ""],
        ["00018", "99999", "07700", "1.50"],
    ]
    assert all(pd.api.types.is_string_dtype(dtype) for dtype in frame.dtypes)


def test_words_pandas_would_call_missing_stay_words(tmp_path):
    """NA, null and NaN are text like any other, not missing values."""
    frame = all_rows(write(tmp_path, "code,word\nNA,null\nN/A,NaN\n"))
    assert frame.to_numpy().tolist() == [["NA", "null"], ["N/A", "NaN"]]


def test_batches_are_numbered_from_the_first_data_row(tmp_path):
    """Row 1 is the first row after the header; every batch is indexed by row."""
    text = "n\n" + "".join(f"{i}\n" for i in range(1, 11))
    reader = open_table(write(tmp_path, text), batch_rows=3)
    batches = list(reader)
    assert [batch.first_row for batch in batches] == [1, 4, 7, 10]
    assert [batch.last_row for batch in batches] == [3, 6, 9, 10]
    for batch in batches:
        assert batch.frame.index.tolist() == [int(n) for n in batch.frame["n"]]


def test_a_reader_can_be_read_twice(tmp_path):
    """Iterating again streams the file from the start."""
    reader = open_table(write(tmp_path, "a,b\n1,2\n3,4\n"), batch_rows=1)
    first = [batch.frame.to_numpy().tolist() for batch in reader]
    assert first == [batch.frame.to_numpy().tolist() for batch in reader]


def test_blank_lines_are_skipped_and_not_counted(tmp_path):
    """Empty lines between rows are not rows."""
    frame = all_rows(write(tmp_path, "a,b\r\n1,2\r\n\r\n3,4\r\n\r\n"))
    assert frame.to_numpy().tolist() == [["1", "2"], ["3", "4"]]
    assert frame.index.tolist() == [1, 2]


def test_short_rows_are_padded_with_empty_cells(tmp_path):
    """Missing trailing cells read as empty strings."""
    frame = all_rows(write(tmp_path, "a,b,c\n1,2,3\n4,5\n6,7,8\n"))
    assert frame.loc[2].tolist() == ["4", "5", ""]


def test_long_rows_are_refused_with_their_line(tmp_path):
    """A row with more fields than the header names its line and the delimiter."""
    text = "a,b,c\n" + "1,2,3\n" * 20 + "6,7,8,9\n"
    reader = open_table(write(tmp_path, text))
    with pytest.raises(ImportFileError, match=r"line 22 has 4 fields.*header has 3"):
        list(reader)


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("email,name,email", r"the header names 'email' more than once"),
        ("email,,name", r"column 2 of 3 has no name"),
        (" name ,name", r"the header names 'name' more than once"),
    ],
)
def test_bad_headers_are_named(tmp_path, header, message):
    """Duplicate and empty column names are refused, naming them."""
    path = write(tmp_path, f"{header}\nx,y,z\n")
    with pytest.raises(ImportFileError, match=message):
        open_table(path, delimiter=",")


def test_header_names_lose_surrounding_spaces(tmp_path):
    """Spaces around header names are not part of the names."""
    assert open_table(write(tmp_path, " name , city \nA,B\n")).columns == (
        "name",
        "city",
    )


def test_delimiter_override_is_used(tmp_path):
    """--delimiter takes a character or a name such as tab."""
    path = write(tmp_path, "a;b\tc\n1;2\t3\n")
    assert open_table(path, delimiter="tab").columns == ("a;b", "c")
    assert open_table(path, delimiter=";").columns == ("a", "b\tc")


@pytest.mark.parametrize("bad", ["ab", "\n", '"'])
def test_unusable_delimiters_are_refused(bad):
    """A delimiter must be one usable character or a known name."""
    with pytest.raises(ImportFileError, match="unknown delimiter"):
        check_delimiter(bad)


def test_single_column_files_read(tmp_path):
    """A file with one column and no delimiter at all is fine."""
    reader = open_table(write(tmp_path, "email\na@example.com\nb@example.com\n"))
    assert reader.columns == ("email",)
    assert sum(len(batch.frame) for batch in reader) == 2


def test_whitespace_separated_text(tmp_path):
    """Columns separated by runs of spaces, with leading spaces, read cleanly."""
    text = "  id   name   amount\r\n 001 Anna  12.5\r\n 002  Ben   7\r\n"
    reader = open_table(write(tmp_path, text, "payments.txt"))
    assert reader.delimiter == "whitespace"
    frame = pd.concat(batch.frame for batch in reader)
    assert frame.to_numpy().tolist() == [["001", "Anna", "12.5"], ["002", "Ben", "7"]]


def test_cdnow_master_reads_as_whitespace_separated(shared_data):
    """The CDNOW master log: 69,659 purchases, customer ids keep their zeros."""
    reader = open_table(shared_data / "cdnow" / "CDNOW_master.txt")
    assert reader.delimiter == "whitespace"
    assert reader.encoding == "utf-8"
    assert reader.columns == ("customer_id", "date", "number_of_cds", "dollar_value")
    frame = pd.concat(batch.frame for batch in reader)
    assert len(frame) == 69_659
    assert frame.iloc[0].tolist() == ["00001", "19970101", "1", "11.77"]
    assert frame.iloc[-1].tolist() == ["23570", "19970326", "2", "42.96"]
    assert frame.index[0] == 1 and frame.index[-1] == 69_659


@pytest.mark.parametrize(
    ("relative", "delimiter", "rows", "first_column"),
    [
        ("bank_marketing/bank.csv", ";", 4_521, "age"),
        ("telco_churn/WA_Fn-UseC_-Telco-Customer-Churn.csv", ",", 7_043, "customerID"),
        ("crm_sales_opportunities/accounts.csv", ",", 85, "account"),
        ("service_tickets/helpdesk.csv", ",", 13_710, "CaseID"),
    ],
)
def test_shared_datasets_read(shared_data, relative, delimiter, rows, first_column):
    """The shared datasets open with the right delimiter and row count."""
    reader = open_table(shared_data / relative)
    assert reader.delimiter == delimiter
    assert reader.columns[0] == first_column
    assert sum(len(batch.frame) for batch in reader) == rows


def test_telco_blank_totals_are_kept_as_written(shared_data):
    """TotalCharges' eleven blank cells arrive as the single space they hold."""
    reader = open_table(
        shared_data / "telco_churn/WA_Fn-UseC_-Telco-Customer-Churn.csv"
    )
    totals = pd.concat(batch.frame["TotalCharges"] for batch in reader)
    assert (totals.str.strip() == "").sum() == 11


def test_missing_and_empty_files_are_explained(tmp_path):
    """A missing or empty file is named in the error."""
    with pytest.raises(ImportFileError, match="no such file"):
        open_table(tmp_path / "nothing.csv")
    with pytest.raises(ImportFileError, match="empty"):
        open_table(write(tmp_path, ""))


def test_old_excel_files_are_refused(tmp_path):
    """A binary .xls workbook is refused with a way forward."""
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512)
    with pytest.raises(ImportFileError, match=r"\.xls.*save it as \.xlsx or CSV"):
        open_table(path)


def test_sheet_option_is_for_workbooks_only(tmp_path):
    """--sheet on a text file is an error, not silently ignored."""
    with pytest.raises(ImportFileError, match="--sheet applies to Excel"):
        open_table(write(tmp_path, "a,b\n1,2\n"), sheet="Data")


def test_batch_size_must_be_positive(tmp_path):
    """batch_rows below 1 is refused."""
    with pytest.raises(ImportFileError, match="batch_rows"):
        open_table(write(tmp_path, "a,b\n1,2\n"), batch_rows=0)
