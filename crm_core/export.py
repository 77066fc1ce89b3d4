"""Exporting a record type to CSV or Excel, safe to open in a spreadsheet.

Text that a spreadsheet would run as a formula (starting with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return) is written with a leading
apostrophe, so an exported file never executes what a customer typed.
Numbers, dates and booleans keep their type.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class ExportError(ValueError):
    """An export that cannot be written as asked."""


def neutralise(value: Any) -> Any:
    """``value`` made safe for a spreadsheet cell."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return neutralise(", ".join(str(v) for v in value))
    if isinstance(value, dict):
        return neutralise(", ".join(f"{k}={v}" for k, v in value.items()))
    if isinstance(value, bool | int | float | Decimal):
        return value
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, dt.date):
        return value
    return neutralise(str(value))


def write_rows(rows: Iterable[Mapping[str, Any]], path: Path) -> int:
    """Write ``rows`` to ``path`` (``.csv`` or ``.xlsx``); returns the row count.

    Columns are the union of the rows' keys in order of first appearance.
    """
    materialised = list(rows)
    columns: dict[str, None] = {}
    for row in materialised:
        columns.update(dict.fromkeys(row))
    suffix = path.suffix.lower()
    if suffix == ".csv":
        _write_csv(materialised, list(columns), path)
    elif suffix == ".xlsx":
        _write_xlsx(materialised, list(columns), path)
    else:
        raise ExportError(
            f"{path.name}: export to .csv or .xlsx, not {suffix or 'no extension'}"
        )
    return len(materialised)


def _write_csv(rows: list[Mapping[str, Any]], columns: list[str], path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_csv_text(_cell(row.get(column))) for column in columns])


def _csv_text(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ") + "Z"
    return value


def _write_xlsx(rows: list[Mapping[str, Any]], columns: list[str], path: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("export")
    sheet.append(columns)
    for row in rows:
        # openpyxl writes Decimal, int, date and datetime cells as numbers and dates.
        sheet.append([_cell(row.get(column)) for column in columns])
    workbook.save(path)
