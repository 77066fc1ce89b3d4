"""Mappings come from TOML files and CLI arguments, with errors that say where."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from crm_core.importing import (
    ImportMapping,
    MappingError,
    apply_value_map,
    dictionary_labels,
    load_mapping,
    mapping_from_arguments,
    open_table,
    parse_map_arguments,
    parse_set_arguments,
    parse_type_arguments,
)

FULL = """
[columns]
"Company name" = "account"
notes = ""

[values.product]
GTXPro = "GTX Pro"
"MG  Special" = "MG Special"

[constants]
source = "trade fair 2024"
priority = 3
score = 1.50
active = true

[types]
revenue = "decimal"

[labels]
revenue = "Annual revenue"

[format]
encoding = "cp1252"
delimiter = ";"
date_format = "%d.%m.%Y"
timezone = "Europe/Berlin"
decimal_mark = ","
"""


def write(tmp_path: Path, text: str, name: str = "mapping.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_full_mapping_file_loads(tmp_path):
    """Every section reads into the mapping, constants as exact text."""
    mapping = load_mapping(write(tmp_path, FULL))
    assert mapping.columns == {"Company name": "account", "notes": ""}
    assert mapping.values == {
        "product": {"GTXPro": "GTX Pro", "MG  Special": "MG Special"}
    }
    assert mapping.constants == {
        "source": "trade fair 2024",
        "priority": "3",
        "score": "1.50",
        "active": "true",
    }
    assert mapping.types == {"revenue": "decimal"}
    assert mapping.labels == {"revenue": "Annual revenue"}
    assert mapping.options["timezone"] == "Europe/Berlin"


def test_mappings_are_read_only(tmp_path):
    """A loaded mapping cannot be changed behind the pipeline's back."""
    mapping = load_mapping(write(tmp_path, FULL))
    with pytest.raises(TypeError):
        mapping.columns["x"] = "y"  # type: ignore[index]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[colums]\na = 'b'\n", r"unknown section \[colums\]"),
        ("[types]\nrevenue = 'money'\n", r"\[types\] 'revenue': unknown type 'money'"),
        ("[format]\nsheet_name = 'x'\n", r"unknown key 'sheet_name' in \[format\]"),
        ("[constants]\ntags = ['a', 'b']\n", r"\[constants\] 'tags' must be a single"),
        ("columns = 'x'\n", r"\[columns\] must be a table"),
        ("[columns\n", r"not valid TOML"),
    ],
)
def test_bad_mapping_files_say_where(tmp_path, text, message):
    """Errors name the file, the section and the key."""
    with pytest.raises(MappingError, match=message) as caught:
        load_mapping(write(tmp_path, text))
    assert "mapping.toml" in str(caught.value)


def test_missing_mapping_file(tmp_path):
    """A mapping file that is not there is named."""
    with pytest.raises(MappingError, match="no such mapping file"):
        load_mapping(tmp_path / "nope.toml")


def test_cli_arguments_parse():
    """--map, --set and --type take KEY=VALUE with the right side split."""
    assert parse_map_arguments(["Full name = name", "a=b=c"]) == {
        "Full name": "name",
        "a=b": "c",
    }
    assert parse_set_arguments(["note=a=b", "tag="]) == {"note": "a=b", "tag": ""}
    assert parse_type_arguments(["revenue=decimal"]) == {"revenue": "decimal"}


@pytest.mark.parametrize(
    ("parse", "argument", "message"),
    [
        (parse_map_arguments, "email", r"--map 'email': expected COLUMN=FIELD"),
        (parse_set_arguments, "=x", r"--set '=x': the part before '=' is empty"),
        (parse_type_arguments, "revenue=money", r"--type revenue=money: unknown type"),
        (parse_type_arguments, "revenue", r"--type 'revenue': expected COLUMN=TYPE"),
    ],
)
def test_bad_cli_arguments_name_the_option(parse, argument, message):
    """Each error names the option, the argument and the expected shape."""
    with pytest.raises(MappingError, match=message):
        parse([argument])


def test_an_argument_given_twice_is_refused():
    """Two --map for the same column are a mistake, not a silent override."""
    with pytest.raises(MappingError, match="--map names 'email' twice"):
        parse_map_arguments(["email=email", "email=work_email"])


def test_cli_arguments_win_over_the_file(tmp_path):
    """Arguments update the saved mapping, section by section."""
    saved = load_mapping(write(tmp_path, FULL))
    given = mapping_from_arguments(
        maps=["Company name=name"], sets=["source=web"], types=["revenue=integer"]
    )
    merged = saved.updated(given)
    assert merged.columns["Company name"] == "name"
    assert merged.columns["notes"] == ""
    assert merged.constants["source"] == "web"
    assert merged.constants["priority"] == "3"
    assert merged.types["revenue"] == "integer"
    assert merged.values == saved.values


def test_resolve_maps_columns_to_fields():
    """Unmapped columns keep their name; an empty field skips the column."""
    mapping = ImportMapping(columns={"Company name": "account", "notes": ""})
    fields = mapping.resolve(["Company name", "notes", "revenue"])
    assert fields == {"Company name": "account", "revenue": "revenue"}


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        (ImportMapping(columns={"Compnay": "account"}), r"column 'Compnay'.*'account'"),
        (ImportMapping(types={"x": "integer"}), r"types name column 'x'"),
        (ImportMapping(columns={"revenue": "account"}), r"both go to field 'account'"),
        (ImportMapping(constants={"revenue": "1"}), r"'revenue' is both filled"),
    ],
)
def test_resolve_refuses_conflicts(mapping, message):
    """Unknown columns and two sources for one field are named."""
    with pytest.raises(MappingError, match=message):
        mapping.resolve(["account", "revenue"])


def test_value_maps_replace_exact_values_only():
    """GTXPro becomes GTX Pro; other values, and near misses, stay as they are."""
    cells = pd.Series(["GTXPro", " GTXPro ", "GTX Pro", "gtxpro", ""], dtype=str)
    mapped = apply_value_map(cells, {"GTXPro": "GTX Pro"})
    assert mapped.tolist() == ["GTX Pro", "GTX Pro", "GTX Pro", "gtxpro", ""]


def test_value_map_on_the_sales_pipeline(shared_data):
    """The misspelt product in the sales pipeline is corrected by a value map."""
    path = shared_data / "crm_sales_opportunities" / "sales_pipeline.csv"
    products = pd.concat(batch.frame["product"] for batch in open_table(path))
    fixed = apply_value_map(products, {"GTXPro": "GTX Pro"})
    assert "GTXPro" in set(products) and "GTXPro" not in set(fixed)
    assert (fixed == "GTX Pro").sum() == (products.isin(["GTXPro", "GTX Pro"])).sum()


def test_data_dictionary_labels_the_columns(shared_data):
    """accounts.csv takes its labels from the data dictionary beside it."""
    labels = dictionary_labels(shared_data / "crm_sales_opportunities" / "accounts.csv")
    assert labels["revenue"] == "Annual revenue (in millions of USD)"
    assert labels["employees"] == "Number of employees"
    assert set(labels) == {
        "account",
        "sector",
        "year_established",
        "revenue",
        "employees",
        "office_location",
        "subsidiary_of",
    }


def test_data_dictionary_rows_are_trimmed(shared_data, tmp_path):
    """Descriptions lose stray spaces, and rows for other tables are ignored."""
    source = shared_data / "crm_sales_opportunities"
    shutil.copy(source / "data_dictionary.csv", tmp_path)
    data = tmp_path / "sales_teams.csv"
    data.write_text("sales_agent,manager\n", encoding="utf-8")
    assert dictionary_labels(data) == {
        "sales_agent": "Sales agent",
        "manager": "Respective sales manager",
        "regional_office": "Regional office",
    }


def test_no_dictionary_means_no_labels(tmp_path):
    """Without a data dictionary, or with one of another shape, there are no labels."""
    data = write(tmp_path, "a,b\n1,2\n", "people.csv")
    assert dictionary_labels(data) == {}
    write(tmp_path, "name,meaning\na,b\n", "data_dictionary.csv")
    assert dictionary_labels(data) == {}
