"""The search index: one entry per searchable record, whatever its type.

The full-text structure over these entries differs per engine and is built
by the migration only: an FTS5 table on SQLite and a ``tsvector`` table with a
GIN index on PostgreSQL, both named ``core_search_fts`` and kept in step with
the entries by triggers.
"""

from __future__ import annotations

from sqlalchemy import Column, MetaData, String, Table, Text, UniqueConstraint

from ..storage.schema import NAMING
from ..storage.types import Id, UTCDateTime

metadata = MetaData(naming_convention=NAMING)

entry = Table(
    "core_search_entry",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("record_type", String(80), nullable=False),
    Column("record_id", Id, nullable=False),
    Column("title", String(500), nullable=False),
    Column("body", Text, nullable=False),
    Column("indexed_at", UTCDateTime, nullable=False),
    UniqueConstraint("record_type", "record_id", name="uq_core_search_entry_record"),
)

TABLES = (entry,)
