"""Saved views of record lists: filters, sort and columns under a name."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)

from ..storage import schema
from ..storage.schema import NAMING
from ..storage.types import Document, Id, UTCDateTime

metadata = MetaData(naming_convention=NAMING)

view = Table(
    "core_views_view",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("record_type", String(80), nullable=False),
    Column("name", String(200), nullable=False),
    Column("owner_id", Id, ForeignKey(schema.user.c.id), nullable=False),
    Column("shared", Boolean, nullable=False, server_default="0"),
    # {"lifecycle_stage": "lead", "tenure__lt": "12", "q": "berlin"}
    Column("filters", Document, nullable=False),
    Column("sort", String(300), nullable=True),
    Column("columns", Document, nullable=False),
    Column("version", Integer, nullable=False, server_default="1"),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("owner_id", "record_type", "name", name="uq_core_views_view_name"),
)

TABLES = (view,)
