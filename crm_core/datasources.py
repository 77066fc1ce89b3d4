"""Reading the data sources plugins declare as pandas data frames.

The analytics layer reads everything through here, so the same code runs on
SQLite and PostgreSQL: each source is a SQLAlchemy selectable, compiled for
whichever engine the installation uses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from .contributions import DataSource

if TYPE_CHECKING:
    from .host import Host


class UnknownDataSource(LookupError):
    """No enabled plugin provides a data source of that name."""


def sources(host: Host) -> dict[str, DataSource]:
    found = host.unique(
        host.plugins.collect("crm_data_sources"), lambda s: s.name, "data source"
    )
    return {c.value.name: c.value for c in found}


def read_frame(host: Host, name: str, **where: Any) -> pd.DataFrame:
    """The rows of data source ``name`` as a data frame.

    ``where`` filters on the source's columns by equality.
    """
    available = sources(host)
    if name not in available:
        raise UnknownDataSource(
            f"no data source {name!r}; enabled plugins provide: "
            f"{', '.join(sorted(available)) or 'none'}"
        )
    query = available[name].query()
    for column, value in where.items():
        query = query.where(query.selected_columns[column] == value)
    with host.db.connect() as connection:
        return pd.read_sql(query, connection)
