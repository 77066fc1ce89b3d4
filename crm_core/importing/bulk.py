"""Writing many rows at once through the database driver.

Imports write hundreds of thousands of rows; building an ORM object or even a
SQLAlchemy parameter dictionary per row would cost more than the insert. Rows
here are tuples already in the driver's form, sent with one ``executemany``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Table

from ..storage.types import dumps

SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"


def insert_rows(
    connection: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    *,
    skip_conflicts_on: str | None = None,
) -> int:
    """Insert ``rows`` (tuples in ``columns`` order); returns how many were written.

    With ``skip_conflicts_on`` a row whose value in that unique column exists
    already is skipped, which is how re-imports create nothing new.
    """
    if not rows:
        return 0
    dialect = connection.dialect
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    names = ", ".join(dialect.identifier_preparer.quote(name) for name in columns)
    sql = (
        f"INSERT INTO {dialect.identifier_preparer.format_table(table)} ({names}) "
        f"VALUES ({', '.join([mark] * len(columns))})"
    )
    if skip_conflicts_on:
        sql += f" ON CONFLICT ({skip_conflicts_on}) DO NOTHING"
    result = connection.exec_driver_sql(sql, list(rows))
    return (
        int(result.rowcount)
        if result.rowcount is not None and result.rowcount >= 0
        else len(rows)
    )


def time_column(connection: Connection, values: pd.Series) -> list[Any]:
    """Zone-aware datetimes in the driver's form for a UTC timestamp column."""
    if connection.dialect.name == "sqlite":
        return [
            None if v is None else v.astimezone(dt.UTC).strftime(SQLITE_TIME)
            for v in values
        ]
    return [
        None if v is None else v.astimezone(dt.UTC).replace(tzinfo=None) for v in values
    ]


def now_value(connection: Connection, moment: dt.datetime) -> Any:
    """One UTC moment in the driver's form."""
    if connection.dialect.name == "sqlite":
        return moment.astimezone(dt.UTC).strftime(SQLITE_TIME)
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


def json_column(values: Sequence[Any]) -> list[str]:
    """JSON text for a document column, keeping decimals exact."""
    return [_json(value) for value in values]


def _json(value: Any) -> str:
    # Most documents of an imported row are empty or lists of text, which the
    # standard library's C encoder writes far faster than the general path.
    if isinstance(value, list):
        if not value:
            return "[]"
        if all(type(item) is str for item in value):
            return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    elif isinstance(value, dict) and not value:
        return "{}"
    return dumps(value)


def binary_column(connection: Connection, values: Sequence[bytes | None]) -> list[Any]:
    return list(values)


def object_values(series: pd.Series) -> list[Any]:
    """A column as Python values with ``None`` for missing cells."""
    array = series.to_numpy(dtype=object)
    return [None if _missing(v) else v for v in array]


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))
