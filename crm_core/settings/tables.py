"""The settings service's table: one row per setting changed from its default."""

from __future__ import annotations

from sqlalchemy import Column, MetaData, String, Table

from ..storage.schema import NAMING
from ..storage.types import Document, Id, UTCDateTime

metadata = MetaData(naming_convention=NAMING)

setting_value = Table(
    "core_settings_value",
    metadata,
    Column("key", String(200), primary_key=True),
    # The typed value as JSON; decimals as text so they stay exact.
    Column("value", Document, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("updated_by", Id, nullable=True),
)
