"""outbound delivery log

Revision ID: 0501889f49a1
Revises: <base>
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text  # noqa: F401
from sqlalchemy.dialects import postgresql  # noqa: F401

import crm_core.storage.types  # noqa: F401

revision = "0501889f49a1"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "core_outbound_delivery",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("purpose", sa.String(length=80), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("target", sa.String(length=2000), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("created_at", crm_core.storage.types.UTCDateTime(), nullable=False),
        sa.Column(
            "last_attempt_at", crm_core.storage.types.UTCDateTime(), nullable=True
        ),
        sa.Column(
            "next_attempt_at", crm_core.storage.types.UTCDateTime(), nullable=True
        ),
        sa.Column("finished_at", crm_core.storage.types.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_outbound_delivery")),
    )
    op.create_index(
        "ix_core_outbound_delivery_status",
        "core_outbound_delivery",
        ["status", "id"],
        unique=False,
    )
    op.create_table(
        "core_outbound_payload",
        sa.Column(
            "delivery_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column(
            "headers",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("secret", sa.String(length=1000), nullable=True),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["core_outbound_delivery.id"],
            name=op.f("fk_core_outbound_payload_delivery_id_core_outbound_delivery"),
        ),
        sa.PrimaryKeyConstraint("delivery_id", name=op.f("pk_core_outbound_payload")),
    )


def downgrade() -> None:
    op.drop_table("core_outbound_payload")
    op.drop_index(
        "ix_core_outbound_delivery_status", table_name="core_outbound_delivery"
    )
    op.drop_table("core_outbound_delivery")
