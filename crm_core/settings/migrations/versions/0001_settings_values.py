"""settings values

Revision ID: 5067c89674ff
Revises: <base>
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text  # noqa: F401
from sqlalchemy.dialects import postgresql  # noqa: F401

import crm_core.storage.types  # noqa: F401

revision = "5067c89674ff"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "core_settings_value",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column(
            "value",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("updated_at", crm_core.storage.types.UTCDateTime(), nullable=False),
        sa.Column(
            "updated_by",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_core_settings_value")),
    )


def downgrade() -> None:
    op.drop_table("core_settings_value")
