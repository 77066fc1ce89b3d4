"""The files service's table: one row per attachment; the bytes live on disk."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Index, MetaData, String, Table

from ..storage import schema
from ..storage.schema import NAMING
from ..storage.types import Id, UTCDateTime

metadata = MetaData(naming_convention=NAMING)

stored_file = Table(
    "core_files_file",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("record_type", String(80), nullable=False),
    Column("record_id", String(64), nullable=False),
    # Set for files on a customer, so deleting, restoring and merging the
    # customer carries its files along.
    Column(
        "customer_id", Id, ForeignKey(schema.customer.c.id), nullable=True, index=True
    ),
    Column("name", String(255), nullable=False),
    Column("stored_name", String(64), nullable=False, unique=True),
    Column("content_type", String(120), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("uploaded_by", Id, ForeignKey(schema.user.c.id), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("deleted_at", UTCDateTime, nullable=True),
    Column("deleted_by", Id, nullable=True),
    Column("deleted_by_cascade", String(80), nullable=True),
)
Index(
    "ix_core_files_file_record",
    stored_file.c.record_type,
    stored_file.c.record_id,
    stored_file.c.id,
)
