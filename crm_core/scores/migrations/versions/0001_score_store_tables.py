"""score store tables

Revision ID: 92b16c8adb77
Revises: <base>
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text  # noqa: F401
from sqlalchemy.dialects import postgresql  # noqa: F401

import crm_core.storage.types  # noqa: F401

revision = "92b16c8adb77"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "core_scores_latest",
        sa.Column(
            "customer_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("value", sa.Numeric(precision=24, scale=6), nullable=False),
        sa.Column("computed_at", crm_core.storage.types.UTCDateTime(), nullable=False),
        sa.Column("model_version", sa.String(length=120), nullable=False),
        sa.Column(
            "factors",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["core_customer.id"],
            name=op.f("fk_core_scores_latest_customer_id_core_customer"),
        ),
        sa.PrimaryKeyConstraint(
            "customer_id", "name", name=op.f("pk_core_scores_latest")
        ),
    )
    op.create_index(
        "ix_core_scores_latest_name",
        "core_scores_latest",
        ["name", "value"],
        unique=False,
    )
    op.create_table(
        "core_scores_score",
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
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("value", sa.Numeric(precision=24, scale=6), nullable=False),
        sa.Column("computed_at", crm_core.storage.types.UTCDateTime(), nullable=False),
        sa.Column("model_version", sa.String(length=120), nullable=False),
        sa.Column(
            "factors",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["core_customer.id"],
            name=op.f("fk_core_scores_score_customer_id_core_customer"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_scores_score")),
    )
    op.create_index(
        "ix_core_scores_score_customer",
        "core_scores_score",
        ["customer_id", "name", "computed_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_core_scores_score_customer", table_name="core_scores_score")
    op.drop_table("core_scores_score")
    op.drop_index("ix_core_scores_latest_name", table_name="core_scores_latest")
    op.drop_table("core_scores_latest")
