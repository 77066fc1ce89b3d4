"""files on records

Revision ID: 50f889faf6de
Revises: <base>
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text  # noqa: F401
from sqlalchemy.dialects import postgresql  # noqa: F401

import crm_core.storage.types  # noqa: F401

revision = "50f889faf6de"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "core_files_file",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("record_type", sa.String(length=80), nullable=False),
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column(
            "customer_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("stored_name", sa.String(length=64), nullable=False),
        sa.Column("content_type", sa.String(length=120), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column(
            "uploaded_by",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("created_at", crm_core.storage.types.UTCDateTime(), nullable=False),
        sa.Column("deleted_at", crm_core.storage.types.UTCDateTime(), nullable=True),
        sa.Column(
            "deleted_by",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("deleted_by_cascade", sa.String(length=80), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["core_customer.id"],
            name=op.f("fk_core_files_file_customer_id_core_customer"),
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by"],
            ["core_user.id"],
            name=op.f("fk_core_files_file_uploaded_by_core_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_files_file")),
        sa.UniqueConstraint("stored_name"),
    )
    op.create_index(
        op.f("ix_core_files_file_customer_id"),
        "core_files_file",
        ["customer_id"],
        unique=False,
    )
    op.create_index(
        "ix_core_files_file_record",
        "core_files_file",
        ["record_type", "record_id", "id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_core_files_file_record", table_name="core_files_file")
    op.drop_index(op.f("ix_core_files_file_customer_id"), table_name="core_files_file")
    op.drop_table("core_files_file")
