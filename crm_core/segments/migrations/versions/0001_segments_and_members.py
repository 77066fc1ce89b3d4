"""segments and members

Revision ID: 3469bcb912fa
Revises: <base>
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text  # noqa: F401
from sqlalchemy.dialects import postgresql  # noqa: F401

import crm_core.storage.types  # noqa: F401

revision = "3469bcb912fa"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "core_segments_segment",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column(
            "rules",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "owner_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("member_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("refreshed_at", crm_core.storage.types.UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", crm_core.storage.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", crm_core.storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["core_user.id"],
            name=op.f("fk_core_segments_segment_owner_id_core_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_segments_segment")),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "core_segments_member",
        sa.Column(
            "segment_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column(
            "customer_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column("added_at", crm_core.storage.types.UTCDateTime(), nullable=False),
        sa.Column(
            "added_by",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["core_customer.id"],
            name=op.f("fk_core_segments_member_customer_id_core_customer"),
        ),
        sa.ForeignKeyConstraint(
            ["segment_id"],
            ["core_segments_segment.id"],
            name=op.f("fk_core_segments_member_segment_id_core_segments_segment"),
        ),
        sa.PrimaryKeyConstraint(
            "segment_id", "customer_id", name=op.f("pk_core_segments_member")
        ),
    )
    op.create_index(
        "ix_core_segments_member_customer",
        "core_segments_member",
        ["customer_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_core_segments_member_customer", table_name="core_segments_member")
    op.drop_table("core_segments_member")
    op.drop_table("core_segments_segment")
