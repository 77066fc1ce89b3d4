"""core tables

Revision ID: d8f857108ce9
Revises: <base>
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text  # noqa: F401
from sqlalchemy.dialects import postgresql  # noqa: F401

import crm_core.storage.types  # noqa: F401

revision = "d8f857108ce9"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "core_audit",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("at", crm_core.storage.types.UTCDateTime(), nullable=False),
        sa.Column(
            "actor_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("record_type", sa.String(length=80), nullable=False),
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column(
            "changes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "import_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_audit")),
    )
    op.create_index(
        "ix_core_audit_record",
        "core_audit",
        ["record_type", "record_id", "id"],
        unique=False,
    )
    op.create_table(
        "core_event",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("schema_version", sa.Integer(), nullable=False),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("occurred_at", crm_core.storage.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_event")),
    )
    op.create_table(
        "core_field",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("record_type", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("label", sa.String(length=300), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column(
            "choices",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("required", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("sensitive", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("declared_by", sa.String(length=120), nullable=False),
        sa.Column(
            "import_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("created_at", crm_core.storage.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_field")),
        sa.UniqueConstraint(
            "record_type", "name", name="uq_core_field_record_type_name"
        ),
    )
    op.create_table(
        "core_idempotency",
        sa.Column(
            "user_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("request_digest", sa.String(length=64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "headers",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", crm_core.storage.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "key", name=op.f("pk_core_idempotency")),
    )
    op.create_table(
        "core_import",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("record_type", sa.String(length=80), nullable=False),
        sa.Column("file_name", sa.String(length=500), nullable=False),
        sa.Column("file_digest", sa.String(length=64), nullable=False),
        sa.Column(
            "user_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("started_at", crm_core.storage.types.UTCDateTime(), nullable=False),
        sa.Column("finished_at", crm_core.storage.types.UTCDateTime(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("created", sa.Integer(), server_default="0", nullable=False),
        sa.Column("updated", sa.Integer(), server_default="0", nullable=False),
        sa.Column("unchanged", sa.Integer(), server_default="0", nullable=False),
        sa.Column("error_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "options",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_import")),
    )
    op.create_table(
        "core_job",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "args",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("run_at", crm_core.storage.types.UTCDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("max_attempts", sa.Integer(), server_default="5", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("schedule", sa.String(length=200), nullable=True),
        sa.Column("locked_until", crm_core.storage.types.UTCDateTime(), nullable=True),
        sa.Column("created_at", crm_core.storage.types.UTCDateTime(), nullable=False),
        sa.Column("finished_at", crm_core.storage.types.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_job")),
    )
    op.create_index("ix_core_job_due", "core_job", ["status", "run_at"], unique=False)
    op.create_table(
        "core_role",
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column(
            "grants",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("builtin", sa.Boolean(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_core_role")),
    )
    op.create_table(
        "core_schedule",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("next_run_at", crm_core.storage.types.UTCDateTime(), nullable=False),
        sa.Column("last_run_at", crm_core.storage.types.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_core_schedule")),
    )
    op.create_table(
        "core_team",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "parent_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("kind", sa.String(length=40), server_default="team", nullable=False),
        sa.Column("created_at", crm_core.storage.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", crm_core.storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["core_team.id"],
            name=op.f("fk_core_team_parent_id_core_team"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_team")),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "core_delivery",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("subscriber", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "next_attempt_at", crm_core.storage.types.UTCDateTime(), nullable=False
        ),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("updated_at", crm_core.storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["core_event.id"],
            name=op.f("fk_core_delivery_event_id_core_event"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_delivery")),
        sa.UniqueConstraint(
            "event_id", "subscriber", name="uq_core_delivery_event_subscriber"
        ),
    )
    op.create_index(
        "ix_core_delivery_due",
        "core_delivery",
        ["status", "next_attempt_at"],
        unique=False,
    )
    op.create_table(
        "core_user",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default="1", nullable=False),
        sa.Column("can_login", sa.Boolean(), server_default="1", nullable=False),
        sa.Column(
            "team_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("role", sa.String(length=80), nullable=False),
        sa.Column(
            "timezone", sa.String(length=64), server_default="UTC", nullable=False
        ),
        sa.Column(
            "language", sa.String(length=16), server_default="en", nullable=False
        ),
        sa.Column("session_epoch", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", crm_core.storage.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", crm_core.storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["role"], ["core_role.name"], name=op.f("fk_core_user_role_core_role")
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["core_team.id"], name=op.f("fk_core_user_team_id_core_team")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_user")),
        sa.UniqueConstraint("email"),
    )
    op.create_table(
        "core_api_token",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "user_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("digest", sa.LargeBinary(length=32), nullable=False),
        sa.Column("created_at", crm_core.storage.types.UTCDateTime(), nullable=False),
        sa.Column("expires_at", crm_core.storage.types.UTCDateTime(), nullable=True),
        sa.Column("revoked_at", crm_core.storage.types.UTCDateTime(), nullable=True),
        sa.Column("last_used_at", crm_core.storage.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["core_user.id"],
            name=op.f("fk_core_api_token_user_id_core_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_api_token")),
        sa.UniqueConstraint("digest"),
    )
    op.create_table(
        "core_customer",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=True),
        sa.Column("display_name", sa.String(length=320), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column(
            "emails",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "phones",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "addresses",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "owner_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column(
            "team_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column(
            "lifecycle_stage",
            sa.String(length=40),
            server_default="lead",
            nullable=False,
        ),
        sa.Column(
            "tags",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "preferences",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "attributes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "parent_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("row_digest", sa.LargeBinary(length=16), nullable=True),
        sa.Column(
            "import_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", crm_core.storage.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", crm_core.storage.types.UTCDateTime(), nullable=False),
        sa.Column("deleted_at", crm_core.storage.types.UTCDateTime(), nullable=True),
        sa.Column("deleted_by_cascade", sa.String(length=80), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["core_user.id"],
            name=op.f("fk_core_customer_owner_id_core_user"),
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["core_customer.id"],
            name=op.f("fk_core_customer_parent_id_core_customer"),
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["core_team.id"],
            name=op.f("fk_core_customer_team_id_core_team"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_customer")),
        sa.UniqueConstraint("external_id"),
        sa.UniqueConstraint("row_digest"),
    )
    op.create_index(
        op.f("ix_core_customer_deleted_at"),
        "core_customer",
        ["deleted_at"],
        unique=False,
    )
    op.create_index(
        "ix_core_customer_display_name_id",
        "core_customer",
        ["display_name", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_core_customer_email"), "core_customer", ["email"], unique=False
    )
    op.create_index(
        op.f("ix_core_customer_import_id"), "core_customer", ["import_id"], unique=False
    )
    op.create_index(
        op.f("ix_core_customer_owner_id"), "core_customer", ["owner_id"], unique=False
    )
    op.create_index(
        op.f("ix_core_customer_parent_id"), "core_customer", ["parent_id"], unique=False
    )
    op.create_index(
        op.f("ix_core_customer_phone"), "core_customer", ["phone"], unique=False
    )
    op.create_index(
        op.f("ix_core_customer_team_id"), "core_customer", ["team_id"], unique=False
    )
    op.create_table(
        "core_activity",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "customer_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("occurred_at", crm_core.storage.types.UTCDateTime(), nullable=False),
        sa.Column(
            "actor_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("subject", sa.String(length=500), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("source_type", sa.String(length=80), nullable=True),
        sa.Column("source_id", sa.String(length=200), nullable=True),
        sa.Column("source_key", sa.LargeBinary(length=16), nullable=True),
        sa.Column(
            "import_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", crm_core.storage.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", crm_core.storage.types.UTCDateTime(), nullable=False),
        sa.Column("deleted_at", crm_core.storage.types.UTCDateTime(), nullable=True),
        sa.Column("deleted_by_cascade", sa.String(length=80), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["core_user.id"],
            name=op.f("fk_core_activity_actor_id_core_user"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["core_customer.id"],
            name=op.f("fk_core_activity_customer_id_core_customer"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_activity")),
        sa.UniqueConstraint("source_key"),
    )
    op.create_index(
        op.f("ix_core_activity_customer_id"),
        "core_activity",
        ["customer_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_core_activity_import_id"), "core_activity", ["import_id"], unique=False
    )
    op.create_index(
        op.f("ix_core_activity_occurred_at"),
        "core_activity",
        ["occurred_at"],
        unique=False,
    )
    op.create_table(
        "core_consent",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "customer_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column("purpose", sa.String(length=80), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", crm_core.storage.types.UTCDateTime(), nullable=False),
        sa.Column(
            "evidence",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["core_customer.id"],
            name=op.f("fk_core_consent_customer_id_core_customer"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_consent")),
    )
    op.create_index(
        op.f("ix_core_consent_customer_id"),
        "core_consent",
        ["customer_id"],
        unique=False,
    )
    op.create_table(
        "core_relationship",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "person_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column(
            "organisation_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column("role", sa.String(length=200), nullable=True),
        sa.Column("started_on", sa.String(length=10), nullable=True),
        sa.Column("ended_on", sa.String(length=10), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", crm_core.storage.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", crm_core.storage.types.UTCDateTime(), nullable=False),
        sa.Column("deleted_at", crm_core.storage.types.UTCDateTime(), nullable=True),
        sa.Column("deleted_by_cascade", sa.String(length=80), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["core_customer.id"],
            name=op.f("fk_core_relationship_organisation_id_core_customer"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["core_customer.id"],
            name=op.f("fk_core_relationship_person_id_core_customer"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_relationship")),
    )
    op.create_index(
        op.f("ix_core_relationship_organisation_id"),
        "core_relationship",
        ["organisation_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_core_relationship_person_id"),
        "core_relationship",
        ["person_id"],
        unique=False,
    )
    if op.get_bind().dialect.name == "postgresql":
        # Custom fields are filtered in SQL; GIN serves containment filters.
        op.create_index(
            "ix_core_customer_attributes",
            "core_customer",
            ["attributes"],
            postgresql_using="gin",
            postgresql_ops={"attributes": "jsonb_path_ops"},
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_core_customer_attributes", table_name="core_customer")
    op.drop_index(
        op.f("ix_core_relationship_person_id"), table_name="core_relationship"
    )
    op.drop_index(
        op.f("ix_core_relationship_organisation_id"), table_name="core_relationship"
    )
    op.drop_table("core_relationship")
    op.drop_index(op.f("ix_core_consent_customer_id"), table_name="core_consent")
    op.drop_table("core_consent")
    op.drop_index(op.f("ix_core_activity_occurred_at"), table_name="core_activity")
    op.drop_index(op.f("ix_core_activity_import_id"), table_name="core_activity")
    op.drop_index(op.f("ix_core_activity_customer_id"), table_name="core_activity")
    op.drop_table("core_activity")
    op.drop_index(op.f("ix_core_customer_team_id"), table_name="core_customer")
    op.drop_index(op.f("ix_core_customer_phone"), table_name="core_customer")
    op.drop_index(op.f("ix_core_customer_parent_id"), table_name="core_customer")
    op.drop_index(op.f("ix_core_customer_owner_id"), table_name="core_customer")
    op.drop_index(op.f("ix_core_customer_import_id"), table_name="core_customer")
    op.drop_index(op.f("ix_core_customer_email"), table_name="core_customer")
    op.drop_index("ix_core_customer_display_name_id", table_name="core_customer")
    op.drop_index(op.f("ix_core_customer_deleted_at"), table_name="core_customer")
    op.drop_table("core_customer")
    op.drop_table("core_api_token")
    op.drop_table("core_user")
    op.drop_index("ix_core_delivery_due", table_name="core_delivery")
    op.drop_table("core_delivery")
    op.drop_table("core_team")
    op.drop_table("core_schedule")
    op.drop_table("core_role")
    op.drop_index("ix_core_job_due", table_name="core_job")
    op.drop_table("core_job")
    op.drop_table("core_import")
    op.drop_table("core_idempotency")
    op.drop_table("core_field")
    op.drop_table("core_event")
    op.drop_index("ix_core_audit_record", table_name="core_audit")
    op.drop_table("core_audit")
