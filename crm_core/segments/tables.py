"""The segment engine's tables: segments and their members."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

from ..storage import schema
from ..storage.schema import NAMING
from ..storage.types import Document, Id, UTCDateTime

metadata = MetaData(naming_convention=NAMING)

DYNAMIC = "dynamic"
STATIC = "static"

segment = Table(
    "core_segments_segment",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("description", Text, nullable=False),
    # "dynamic": members are the customers its rules match; "static": a list.
    Column("kind", String(20), nullable=False),
    Column("rules", Document, nullable=True),
    Column("owner_id", Id, ForeignKey(schema.user.c.id), nullable=True),
    Column("member_count", Integer, nullable=False, server_default="0"),
    Column("refreshed_at", UTCDateTime, nullable=True),
    Column("version", Integer, nullable=False, server_default="1"),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

#: A static list's members, or a dynamic segment's members at its last refresh.
member = Table(
    "core_segments_member",
    metadata,
    Column("segment_id", Id, ForeignKey(segment.c.id), nullable=False),
    Column("customer_id", Id, ForeignKey(schema.customer.c.id), nullable=False),
    Column("added_at", UTCDateTime, nullable=False),
    Column("added_by", Id, nullable=True),
    PrimaryKeyConstraint("segment_id", "customer_id"),
)
Index("ix_core_segments_member_customer", member.c.customer_id)

TABLES = (segment, member)
