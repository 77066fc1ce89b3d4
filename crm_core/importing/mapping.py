"""Saying how a file's columns become fields: mapping files and CLI arguments.

A saved mapping is a TOML file; every section is optional::

    [columns]            # file column = field ("" skips the column)
    "Company name" = "account"

    [values.product]     # per field: value in the file = value to store
    GTXPro = "GTX Pro"

    [constants]          # field = value set on every imported row
    source = "trade fair 2024"

    [types]              # file column = type of the field it creates
    revenue = "decimal"

    [labels]             # file column = label of the field it creates
    revenue = "Annual revenue"

    [format]             # how the file is written
    encoding = "cp1252"
    delimiter = ";"
    date_format = "%d.%m.%Y"
    timezone = "Europe/Berlin"
    decimal_mark = ","
    phone_region = "DE"

The command line says the same with ``--map COLUMN=FIELD``, ``--set
FIELD=VALUE`` and ``--type COLUMN=TYPE``; they win over the file.
Columns not named under ``[columns]`` go to the field of the same name.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from os import PathLike
from pathlib import Path
from types import MappingProxyType
from typing import Any

import attrs
import pandas as pd

from .errors import ImportFileError, MappingError
from .reading import open_table
from .values import VALUE_KINDS

SECTIONS = ("columns", "values", "constants", "types", "labels", "format")
FORMAT_KEYS = (
    "encoding",
    "delimiter",
    "sheet",
    "date_format",
    "datetime_format",
    "timezone",
    "ambiguous",
    "nonexistent",
    "decimal_mark",
    "thousands",
    "phone_region",
)
DICTIONARY_NAME = "data_dictionary.csv"


def _frozen(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(value))


def _frozen_nested(value: Mapping[str, Mapping[str, str]]) -> Mapping[str, Any]:
    return MappingProxyType({key: _frozen(inner) for key, inner in value.items()})


@attrs.frozen
class ImportMapping:
    """Everything a user said about how to import a file; see the module notes."""

    columns: Mapping[str, str] = attrs.field(factory=dict, converter=_frozen)
    values: Mapping[str, Mapping[str, str]] = attrs.field(
        factory=dict, converter=_frozen_nested
    )
    constants: Mapping[str, str] = attrs.field(factory=dict, converter=_frozen)
    types: Mapping[str, str] = attrs.field(factory=dict, converter=_frozen)
    labels: Mapping[str, str] = attrs.field(factory=dict, converter=_frozen)
    options: Mapping[str, str] = attrs.field(factory=dict, converter=_frozen)

    def updated(self, other: ImportMapping) -> ImportMapping:
        """This mapping with ``other``'s entries winning, section by section."""
        values = {field: dict(table) for field, table in self.values.items()}
        for field, table in other.values.items():
            values.setdefault(field, {}).update(table)
        return ImportMapping(
            columns={**self.columns, **other.columns},
            values=values,
            constants={**self.constants, **other.constants},
            types={**self.types, **other.types},
            labels={**self.labels, **other.labels},
            options={**self.options, **other.options},
        )

    def resolve(self, file_columns: Sequence[str]) -> dict[str, str]:
        """The field of every imported column, checked against the file's header.

        Skipped columns are left out. Raises :class:`MappingError` when the
        mapping names a column the file lacks, or two columns (or a column
        and a constant) would fill the same field.
        """
        present = set(file_columns)
        for section in ("columns", "types", "labels"):
            for column in getattr(self, section):
                if column not in present:
                    raise MappingError(_unknown_column(section, column, file_columns))
        fields: dict[str, str] = {}
        filled_by: dict[str, str] = {}
        for column in file_columns:
            field = self.columns.get(column, column)
            if not field:
                continue
            if field in filled_by:
                raise MappingError(
                    f"columns {filled_by[field]!r} and {column!r} both go to field "
                    f"{field!r}; map one of them elsewhere or skip it with "
                    f"--map {column!r}="
                )
            if field in self.constants:
                raise MappingError(
                    f"field {field!r} is both filled from column {column!r} and "
                    f"set to a constant; drop one of the two"
                )
            filled_by[field] = column
            fields[column] = field
        return fields


def _unknown_column(section: str, column: str, file_columns: Sequence[str]) -> str:
    listed = ", ".join(repr(name) for name in file_columns)
    return (
        f"the mapping's {section} name column {column!r}, but the file has no "
        f"such column; its columns are {listed}"
    )


def load_mapping(path: str | PathLike[str]) -> ImportMapping:
    """Read a saved mapping file; errors name the file, section and key."""
    source = Path(path)
    try:
        with source.open("rb") as stream:
            document = tomllib.load(stream, parse_float=Decimal)
    except FileNotFoundError:
        raise MappingError(f"{source}: no such mapping file") from None
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(f"{source}: not valid TOML ({exc})") from None
    return mapping_from_document(document, source.name)


def mapping_from_document(document: Mapping[str, Any], name: str) -> ImportMapping:
    """Check a parsed mapping document and build the :class:`ImportMapping`."""
    unknown = [key for key in document if key not in SECTIONS]
    if unknown:
        raise MappingError(
            f"{name}: unknown section [{unknown[0]}] (expected any of "
            f"{', '.join(SECTIONS)})"
        )
    values = _table(document, "values", name)
    mapping = ImportMapping(
        columns=_strings(document, "columns", name),
        values={
            field: _strings(values, field, name, f"values.{field}") for field in values
        },
        constants=_strings(document, "constants", name),
        types=_strings(document, "types", name),
        labels=_strings(document, "labels", name),
        options=_strings(document, "format", name),
    )
    for column, kind in mapping.types.items():
        _check_kind(kind, f"{name}: [types] {column!r}")
    for key in mapping.options:
        if key not in FORMAT_KEYS:
            raise MappingError(
                f"{name}: unknown key {key!r} in [format] (expected any of "
                f"{', '.join(FORMAT_KEYS)})"
            )
    return mapping


def _table(document: Mapping[str, Any], key: str, name: str) -> Mapping[str, Any]:
    table = document.get(key, {})
    if not isinstance(table, Mapping):
        raise MappingError(f"{name}: [{key}] must be a table of key = value lines")
    return table


def _strings(
    document: Mapping[str, Any], key: str, name: str, label: str | None = None
) -> dict[str, str]:
    section = label or key
    table = _table(document, key, name)
    strings: dict[str, str] = {}
    for entry, value in table.items():
        text = _scalar_text(value)
        if text is None:
            raise MappingError(
                f"{name}: [{section}] {entry!r} must be a single value such as "
                f"a string or a number, not {type(value).__name__}"
            )
        strings[str(entry)] = text
    return strings


def _scalar_text(value: object) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | Decimal):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return None


def _check_kind(kind: str, where: str) -> None:
    if kind not in VALUE_KINDS:
        raise MappingError(
            f"{where}: unknown type {kind!r} (expected one of {', '.join(VALUE_KINDS)})"
        )


def _split(argument: str, option: str, shape: str, *, last: bool) -> tuple[str, str]:
    if "=" not in argument:
        raise MappingError(f"{option} {argument!r}: expected {shape}")
    key, value = argument.rsplit("=", 1) if last else argument.split("=", 1)
    if not key.strip():
        raise MappingError(
            f"{option} {argument!r}: the part before '=' is empty (expected {shape})"
        )
    return key.strip(), value.strip()


def _assignments(
    arguments: Iterable[str], option: str, shape: str, *, last: bool
) -> dict[str, str]:
    result: dict[str, str] = {}
    for argument in arguments:
        key, value = _split(argument, option, shape, last=last)
        if key in result:
            raise MappingError(f"{option} names {key!r} twice; give it once")
        result[key] = value
    return result


def parse_map_arguments(arguments: Iterable[str]) -> dict[str, str]:
    """``--map COLUMN=FIELD`` values; an empty FIELD skips the column."""
    return _assignments(arguments, "--map", "COLUMN=FIELD", last=True)


def parse_set_arguments(arguments: Iterable[str]) -> dict[str, str]:
    """``--set FIELD=VALUE`` values; the value may itself contain '='."""
    return _assignments(arguments, "--set", "FIELD=VALUE", last=False)


def parse_type_arguments(arguments: Iterable[str]) -> dict[str, str]:
    """``--type COLUMN=TYPE`` values, each type one of the known kinds."""
    types = _assignments(arguments, "--type", "COLUMN=TYPE", last=True)
    for column, kind in types.items():
        _check_kind(kind, f"--type {column}={kind}")
    return types


def mapping_from_arguments(
    maps: Iterable[str] = (), sets: Iterable[str] = (), types: Iterable[str] = ()
) -> ImportMapping:
    """An :class:`ImportMapping` from repeated ``--map``, ``--set``, ``--type``."""
    return ImportMapping(
        columns=parse_map_arguments(maps),
        constants=parse_set_arguments(sets),
        types=parse_type_arguments(types),
    )


def apply_value_map(cells: pd.Series, table: Mapping[str, str]) -> pd.Series:
    """Replace cells whose stripped text is a key of ``table``; others stay."""
    if not table:
        return cells
    replaced = cells.str.strip().map(dict(table))
    return cells.where(replaced.isna(), replaced)


def dictionary_labels(data_file: str | PathLike[str]) -> dict[str, str]:
    """Column labels from a ``data_dictionary.csv`` lying beside ``data_file``.

    The dictionary has columns Table, Field and Description (any case); rows
    whose Table is the data file's name without its suffix label the columns
    named in Field. No dictionary, one of another shape or one that cannot be
    read gives no labels: labels are a convenience, not worth failing for.
    """
    path = Path(data_file)
    dictionary = path.with_name(DICTIONARY_NAME)
    if not dictionary.is_file() or dictionary.resolve() == path.resolve():
        return {}
    try:
        reader = open_table(dictionary)
    except ImportFileError:
        return {}
    names = {column.casefold(): column for column in reader.columns}
    if not {"table", "field", "description"} <= names.keys():
        return {}
    table, field, description = (
        names[key] for key in ("table", "field", "description")
    )
    labels: dict[str, str] = {}
    for batch in reader:
        frame = batch.frame
        rows = frame[frame[table].str.strip() == path.stem]
        for name, text in zip(rows[field], rows[description], strict=True):
            if name.strip() and text.strip():
                labels[name.strip()] = text.strip()
    return labels
