"""Streaming one worksheet of an ``.xlsx`` workbook as string batches.

Workbooks are opened read-only, so rows are parsed as they are read and a
large sheet never sits in memory whole. Cells become the text a person would
type for them: dates as ISO 8601, numbers without binary float noise.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from .errors import ImportFileError
from .headers import check_header

# Excel keeps 15 significant digits; any further digits are float noise.
EXCEL_DIGITS = 15


def cell_text(value: object) -> str:
    """The text of one cell value as openpyxl returns it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _number_text(value)
    if isinstance(value, datetime):
        if value.time() == time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value)


def _number_text(value: float) -> str:
    if not math.isfinite(value):
        return str(value)
    number = Decimal(format(value, f".{EXCEL_DIGITS}g"))
    if number == number.to_integral_value():
        return str(int(number))
    return format(number.normalize(), "f")


def open_workbook_table(
    path: Path, sheet: str | None, batch_rows: int
) -> tuple[str, tuple[str, ...], Callable[[], Iterator[pd.DataFrame]]]:
    """The chosen sheet's title, its column names and a batch streamer."""
    workbook = _load(path)
    try:
        worksheet = _worksheet(workbook, sheet, path.name)
        title = str(worksheet.title)
        first = next(worksheet.iter_rows(values_only=True), None)
    finally:
        workbook.close()
    source = f"{path.name}, sheet {title!r}"
    if first is None:
        raise ImportFileError(f"{source}: the sheet is empty (expected a header row)")
    columns = check_header(_trim_trailing_empty(first), source)

    def frames() -> Iterator[pd.DataFrame]:
        return _sheet_frames(path, title, columns, batch_rows)

    return title, columns, frames


def _load(path: Path) -> Any:
    try:
        return load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise ImportFileError(
            f"{path.name}: cannot open it as an Excel workbook ({exc})"
        ) from None


def _worksheet(workbook: Any, sheet: str | None, name: str) -> Any:
    sheets = list(workbook.worksheets)
    if not sheets:
        raise ImportFileError(f"{name}: the workbook has no worksheets")
    if sheet is None:
        return sheets[0]
    for candidate in sheets:
        if candidate.title == sheet:
            return candidate
    titles = ", ".join(repr(candidate.title) for candidate in sheets)
    raise ImportFileError(f"{name} has no sheet {sheet!r}; its sheets are {titles}")


def _trim_trailing_empty(cells: Sequence[object]) -> list[object]:
    trimmed = list(cells)
    while trimmed and (trimmed[-1] is None or str(trimmed[-1]).strip() == ""):
        trimmed.pop()
    return trimmed


def _sheet_frames(
    path: Path, title: str, columns: tuple[str, ...], batch_rows: int
) -> Iterator[pd.DataFrame]:
    workbook = _load(path)
    try:
        worksheet = workbook[title]
        worksheet.reset_dimensions()
        rows = worksheet.iter_rows(min_row=2, values_only=True)
        width = len(columns)
        batch: list[list[str]] = []
        for sheet_row, cells in enumerate(rows, start=2):
            texts = [cell_text(value) for value in cells]
            if not any(texts):
                continue
            batch.append(_fit_row(texts, width, path.name, title, sheet_row))
            if len(batch) == batch_rows:
                yield _frame(batch, columns)
                batch = []
        if batch:
            yield _frame(batch, columns)
    finally:
        workbook.close()


def _fit_row(
    texts: list[str], width: int, name: str, title: str, sheet_row: int
) -> list[str]:
    if len(texts) > width:
        extra = next((i for i, t in enumerate(texts[width:], width) if t), None)
        if extra is not None:
            raise ImportFileError(
                f"{name}, sheet {title!r}: row {sheet_row} has a value in "
                f"column {get_column_letter(extra + 1)}, which has no header; "
                f"name the column or clear the cell"
            )
        return texts[:width]
    return texts + [""] * (width - len(texts))


def _frame(rows: list[list[str]], columns: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(columns), dtype=str)
