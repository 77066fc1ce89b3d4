"""saved views

Revision ID: 07deb1e7649d
Revises: <base>
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text  # noqa: F401
from sqlalchemy.dialects import postgresql  # noqa: F401

import crm_core.storage.types  # noqa: F401

revision = "07deb1e7649d"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "core_views_view",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("record_type", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "owner_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column("shared", sa.Boolean(), server_default="0", nullable=False),
        sa.Column(
            "filters",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("sort", sa.String(length=300), nullable=True),
        sa.Column(
            "columns",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", crm_core.storage.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", crm_core.storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["core_user.id"],
            name=op.f("fk_core_views_view_owner_id_core_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_views_view")),
        sa.UniqueConstraint(
            "owner_id", "record_type", "name", name="uq_core_views_view_name"
        ),
    )


def downgrade() -> None:
    op.drop_table("core_views_view")
