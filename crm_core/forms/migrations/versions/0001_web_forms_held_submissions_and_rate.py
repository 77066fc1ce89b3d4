"""web forms, held submissions and rate

Revision ID: 98f7a7f1ca99
Revises: <base>
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text  # noqa: F401
from sqlalchemy.dialects import postgresql  # noqa: F401

import crm_core.storage.types  # noqa: F401

revision = "98f7a7f1ca99"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "core_forms_rate",
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("window_start", crm_core.storage.types.UTCDateTime(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("client", "window_start", name="pk_core_forms_rate"),
    )
    op.create_table(
        "core_forms_submission",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("form", sa.String(length=80), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column(
            "raw",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("consent_purpose", sa.String(length=80), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column(
            "evidence",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", crm_core.storage.types.UTCDateTime(), nullable=False),
        sa.Column("expires_at", crm_core.storage.types.UTCDateTime(), nullable=False),
        sa.Column("confirmed_at", crm_core.storage.types.UTCDateTime(), nullable=True),
        sa.Column("record_id", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_forms_submission")),
    )
    op.create_index(
        "ix_core_forms_submission_due",
        "core_forms_submission",
        ["status", "expires_at"],
        unique=False,
    )
    op.create_table(
        "core_forms_form",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column(
            "spec",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("token_key", sa.String(length=32), nullable=False),
        sa.Column(
            "created_by",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("created_at", crm_core.storage.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", crm_core.storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["core_user.id"],
            name=op.f("fk_core_forms_form_created_by_core_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_forms_form")),
        sa.UniqueConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("core_forms_form")
    op.drop_index("ix_core_forms_submission_due", table_name="core_forms_submission")
    op.drop_table("core_forms_submission")
    op.drop_table("core_forms_rate")
