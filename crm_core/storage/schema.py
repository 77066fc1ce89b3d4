"""The core's tables.

Every table belongs to one owner and carries its prefix (``core_`` here); the
owner's Alembic migrations are the only thing that creates or changes it.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from .types import Document, Id, UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)


def _timestamps() -> list[Column]:
    return [
        Column("created_at", UTCDateTime, nullable=False),
        Column("updated_at", UTCDateTime, nullable=False),
    ]


team = Table(
    "core_team",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("parent_id", Id, ForeignKey("core_team.id"), nullable=True),
    Column("kind", String(40), nullable=False, server_default="team"),
    *_timestamps(),
)

role = Table(
    "core_role",
    metadata,
    Column("name", String(80), primary_key=True),
    Column("label", String(200), nullable=False),
    # {"customer.read": "all", "customer.update": "team", ...}
    Column("grants", Document, nullable=False),
    Column("builtin", Boolean, nullable=False, server_default="0"),
)

user = Table(
    "core_user",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("email", String(320), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("password_hash", String(255), nullable=True),
    Column("is_active", Boolean, nullable=False, server_default="1"),
    Column("can_login", Boolean, nullable=False, server_default="1"),
    Column("team_id", Id, ForeignKey("core_team.id"), nullable=True),
    Column("role", String(80), ForeignKey("core_role.name"), nullable=False),
    Column("timezone", String(64), nullable=False, server_default="UTC"),
    Column("language", String(16), nullable=False, server_default="en"),
    Column("session_epoch", Integer, nullable=False, server_default="0"),
    *_timestamps(),
)

api_token = Table(
    "core_api_token",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("user_id", Id, ForeignKey("core_user.id"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("digest", LargeBinary(32), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=True),
    Column("revoked_at", UTCDateTime, nullable=True),
    Column("last_used_at", UTCDateTime, nullable=True),
)

customer = Table(
    "core_customer",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("kind", String(20), nullable=False),
    Column("name", String(300), nullable=True),
    Column("display_name", String(320), nullable=False),
    Column("external_id", String(200), nullable=True, unique=True),
    # The primary e-mail and phone, normalised, for matching and lookups.
    Column("email", String(320), nullable=True, index=True),
    Column("phone", String(32), nullable=True, index=True),
    Column("emails", Document, nullable=False),
    Column("phones", Document, nullable=False),
    Column("addresses", Document, nullable=False),
    Column("owner_id", Id, ForeignKey("core_user.id"), nullable=True, index=True),
    Column("team_id", Id, ForeignKey("core_team.id"), nullable=True, index=True),
    Column("lifecycle_stage", String(40), nullable=False, server_default="lead"),
    Column("tags", Document, nullable=False),
    Column("preferences", Document, nullable=False),
    Column("attributes", Document, nullable=False),
    Column("parent_id", Id, ForeignKey("core_customer.id"), nullable=True, index=True),
    # Identity of a row imported from a file without a key column.
    Column("row_digest", LargeBinary(16), nullable=True, unique=True),
    Column("import_id", Id, nullable=True, index=True),
    Column("version", Integer, nullable=False, server_default="1"),
    *_timestamps(),
    Column("deleted_at", UTCDateTime, nullable=True, index=True),
    Column("deleted_by_cascade", String(80), nullable=True),
)
Index("ix_core_customer_display_name_id", customer.c.display_name, customer.c.id)

consent = Table(
    "core_consent",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column(
        "customer_id", Id, ForeignKey("core_customer.id"), nullable=False, index=True
    ),
    Column("purpose", String(80), nullable=False),
    Column("granted", Boolean, nullable=False),
    Column("source", String(200), nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
    Column("evidence", Document, nullable=False),
)

relationship = Table(
    "core_relationship",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("person_id", Id, ForeignKey("core_customer.id"), nullable=False, index=True),
    Column(
        "organisation_id",
        Id,
        ForeignKey("core_customer.id"),
        nullable=False,
        index=True,
    ),
    Column("role", String(200), nullable=True),
    Column("started_on", String(10), nullable=True),
    Column("ended_on", String(10), nullable=True),
    Column("version", Integer, nullable=False, server_default="1"),
    *_timestamps(),
    Column("deleted_at", UTCDateTime, nullable=True),
    Column("deleted_by_cascade", String(80), nullable=True),
)

activity = Table(
    "core_activity",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column(
        "customer_id", Id, ForeignKey("core_customer.id"), nullable=True, index=True
    ),
    Column("channel", String(20), nullable=False),
    Column("kind", String(60), nullable=False),
    Column("occurred_at", UTCDateTime, nullable=False, index=True),
    Column("actor_id", Id, ForeignKey("core_user.id"), nullable=True),
    Column("subject", String(500), nullable=True),
    Column("body", Text, nullable=True),
    Column("source_type", String(80), nullable=True),
    Column("source_id", String(200), nullable=True),
    Column("source_key", LargeBinary(16), nullable=True, unique=True),
    Column("import_id", Id, nullable=True, index=True),
    Column("version", Integer, nullable=False, server_default="1"),
    *_timestamps(),
    Column("deleted_at", UTCDateTime, nullable=True),
    Column("deleted_by_cascade", String(80), nullable=True),
)

field = Table(
    "core_field",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("record_type", String(80), nullable=False),
    Column("name", String(120), nullable=False),
    Column("label", String(300), nullable=False),
    Column("type", String(20), nullable=False),
    Column("choices", Document, nullable=False),
    Column("required", Boolean, nullable=False, server_default="0"),
    Column("sensitive", Boolean, nullable=False, server_default="0"),
    Column("declared_by", String(120), nullable=False),
    Column("import_id", Id, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("record_type", "name", name="uq_core_field_record_type_name"),
)

audit = Table(
    "core_audit",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("actor_id", Id, nullable=True),
    Column("record_type", String(80), nullable=False),
    Column("record_id", String(64), nullable=False),
    Column("action", String(40), nullable=False),
    # {"field": [before, after], ...}
    Column("changes", Document, nullable=False),
    Column("import_id", Id, nullable=True),
)
Index("ix_core_audit_record", audit.c.record_type, audit.c.record_id, audit.c.id)

event = Table(
    "core_event",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(120), nullable=False),
    Column("schema_version", Integer, nullable=False),
    Column("payload", Document, nullable=False),
    Column("occurred_at", UTCDateTime, nullable=False),
)

delivery = Table(
    "core_delivery",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("event_id", String(36), ForeignKey("core_event.id"), nullable=False),
    Column("subscriber", String(200), nullable=False),
    Column("status", String(12), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("last_error", Text, nullable=True),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint(
        "event_id", "subscriber", name="uq_core_delivery_event_subscriber"
    ),
)
Index("ix_core_delivery_due", delivery.c.status, delivery.c.next_attempt_at)

job = Table(
    "core_job",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("args", Document, nullable=False),
    Column("status", String(12), nullable=False),
    Column("run_at", UTCDateTime, nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("max_attempts", Integer, nullable=False, server_default="5"),
    Column("last_error", Text, nullable=True),
    Column("schedule", String(200), nullable=True),
    Column("locked_until", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime, nullable=True),
)
Index("ix_core_job_due", job.c.status, job.c.run_at)

schedule = Table(
    "core_schedule",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("next_run_at", UTCDateTime, nullable=False),
    Column("last_run_at", UTCDateTime, nullable=True),
)

import_run = Table(
    "core_import",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("record_type", String(80), nullable=False),
    Column("file_name", String(500), nullable=False),
    Column("file_digest", String(64), nullable=False),
    Column("user_id", Id, nullable=True),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime, nullable=True),
    Column("status", String(20), nullable=False),
    Column("dry_run", Boolean, nullable=False),
    Column("created", Integer, nullable=False, server_default="0"),
    Column("updated", Integer, nullable=False, server_default="0"),
    Column("unchanged", Integer, nullable=False, server_default="0"),
    Column("error_count", Integer, nullable=False, server_default="0"),
    Column("options", Document, nullable=False),
)

idempotency = Table(
    "core_idempotency",
    metadata,
    Column("user_id", Id, primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("request_digest", String(64), nullable=False),
    Column("status", Integer, nullable=False),
    Column("body", Text, nullable=False),
    Column("headers", Document, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

#: Columns a writer never takes from input, on any record.
SYSTEM_FIELDS = frozenset(
    {
        "id",
        "version",
        "created_at",
        "updated_at",
        "deleted_at",
        "deleted_by_cascade",
        "row_digest",
        "source_key",
        "import_id",
    }
)

__all__ = ["Numeric", "metadata"]
