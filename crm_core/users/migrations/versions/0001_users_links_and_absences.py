"""users links and absences

Revision ID: 1b1ef0d4ff0c
Revises: <base>
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text  # noqa: F401
from sqlalchemy.dialects import postgresql  # noqa: F401

import crm_core.storage.types  # noqa: F401

revision = "1b1ef0d4ff0c"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "core_users_absence",
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
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("created_at", crm_core.storage.types.UTCDateTime(), nullable=False),
        sa.Column(
            "created_by",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["core_user.id"],
            name=op.f("fk_core_users_absence_user_id_core_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_users_absence")),
    )
    op.create_index(
        "ix_core_users_absence_user",
        "core_users_absence",
        ["user_id", "ends_on"],
        unique=False,
    )
    op.create_table(
        "core_users_link",
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
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("created_at", crm_core.storage.types.UTCDateTime(), nullable=False),
        sa.Column("expires_at", crm_core.storage.types.UTCDateTime(), nullable=False),
        sa.Column("used_at", crm_core.storage.types.UTCDateTime(), nullable=True),
        sa.Column(
            "created_by",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["core_user.id"],
            name=op.f("fk_core_users_link_user_id_core_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_users_link")),
    )
    op.create_index(
        op.f("ix_core_users_link_user_id"), "core_users_link", ["user_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_core_users_link_user_id"), table_name="core_users_link")
    op.drop_table("core_users_link")
    op.drop_index("ix_core_users_absence_user", table_name="core_users_absence")
    op.drop_table("core_users_absence")
