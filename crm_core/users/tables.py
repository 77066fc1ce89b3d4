"""The users service's tables: sign-in links and absences."""

from __future__ import annotations

from sqlalchemy import Column, Date, ForeignKey, Index, MetaData, String, Table

from ..storage import schema
from ..storage.schema import NAMING
from ..storage.types import Id, UTCDateTime

metadata = MetaData(naming_convention=NAMING)

#: Invitation and password-reset links; each can be used once, until it expires.
link = Table(
    "core_users_link",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("user_id", Id, ForeignKey(schema.user.c.id), nullable=False, index=True),
    Column("purpose", String(20), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("used_at", UTCDateTime, nullable=True),
    Column("created_by", Id, nullable=True),
)

#: Days a user is away; both ends are included, in the user's own calendar.
absence = Table(
    "core_users_absence",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("user_id", Id, ForeignKey(schema.user.c.id), nullable=False),
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date, nullable=False),
    Column("note", String(200), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", Id, nullable=True),
)
Index("ix_core_users_absence_user", absence.c.user_id, absence.c.ends_on)

TABLES = (link, absence)
