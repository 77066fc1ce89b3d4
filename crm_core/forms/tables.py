"""The forms service's tables: stored forms, held submissions and the rate window."""

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
)

from ..storage import schema
from ..storage.schema import NAMING
from ..storage.types import Document, Id, UTCDateTime

metadata = MetaData(naming_convention=NAMING)

#: Forms administrators made on the Forms page (plugins declare theirs in code).
form = Table(
    "core_forms_form",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(80), nullable=False, unique=True),
    Column("spec", Document, nullable=False),
    # Part of the embedding token; a new key invalidates copies of the form.
    Column("token_key", String(32), nullable=False),
    Column("created_by", Id, ForeignKey(schema.user.c.id), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

#: Submissions held until their consent is confirmed by e-mail.
submission = Table(
    "core_forms_submission",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("form", String(80), nullable=False),
    Column("status", String(12), nullable=False),
    Column("email", String(320), nullable=False),
    # What the visitor typed, field by field; checked again on confirmation.
    Column("raw", Document, nullable=False),
    Column("consent_purpose", String(80), nullable=False),
    Column("locale", String(16), nullable=False),
    Column("evidence", Document, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("confirmed_at", UTCDateTime, nullable=True),
    Column("record_id", String(64), nullable=True),
)
Index("ix_core_forms_submission_due", submission.c.status, submission.c.expires_at)

#: Submissions per client address and time window, shared by every worker.
rate = Table(
    "core_forms_rate",
    metadata,
    Column("client", String(64), nullable=False),
    Column("window_start", UTCDateTime, nullable=False),
    Column("hits", Integer, nullable=False),
    PrimaryKeyConstraint("client", "window_start", name="pk_core_forms_rate"),
)

TABLES = (form, submission, rate)
