"""mail tables

Revision ID: fb38da4c1a2a
Revises: <base>
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text  # noqa: F401
from sqlalchemy.dialects import postgresql  # noqa: F401

import crm_core.storage.types  # noqa: F401

revision = "fb38da4c1a2a"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "core_mail_bounce",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=True),
        sa.Column("report_id", sa.String(length=255), nullable=True),
        sa.Column("status_code", sa.String(length=12), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("permanent", sa.Boolean(), nullable=False),
        sa.Column(
            "diagnostic", sa.String(length=1000), server_default="", nullable=False
        ),
        sa.Column("received_at", crm_core.storage.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_mail_bounce")),
    )
    op.create_index(
        op.f("ix_core_mail_bounce_address"),
        "core_mail_bounce",
        ["address"],
        unique=False,
    )
    op.create_index(
        op.f("ix_core_mail_bounce_message_id"),
        "core_mail_bounce",
        ["message_id"],
        unique=False,
    )
    op.create_table(
        "core_mail_suppression",
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("detail", sa.String(length=500), server_default="", nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=True),
        sa.Column("created_at", crm_core.storage.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("address", name=op.f("pk_core_mail_suppression")),
    )
    op.create_table(
        "core_mail_template",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column(
            "description", sa.String(length=500), server_default="", nullable=False
        ),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("html_body", sa.Text(), nullable=False),
        sa.Column("text_body", sa.Text(), nullable=False),
        sa.Column(
            "variables",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", crm_core.storage.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", crm_core.storage.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_mail_template")),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "core_mail_inbound",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("thread_id", sa.String(length=255), nullable=False),
        sa.Column("in_reply_to", sa.String(length=255), nullable=True),
        sa.Column(
            "reference_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "customer_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("from_address", sa.String(length=320), nullable=True),
        sa.Column(
            "to_addresses",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("text_body", sa.Text(), nullable=False),
        sa.Column("html_body", sa.Text(), nullable=False),
        sa.Column(
            "attachments",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "activity_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("sent_at", crm_core.storage.types.UTCDateTime(), nullable=True),
        sa.Column("received_at", crm_core.storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["core_customer.id"],
            name=op.f("fk_core_mail_inbound_customer_id_core_customer"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_mail_inbound")),
        sa.UniqueConstraint("message_id"),
    )
    op.create_index(
        op.f("ix_core_mail_inbound_customer_id"),
        "core_mail_inbound",
        ["customer_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_core_mail_inbound_thread_id"),
        "core_mail_inbound",
        ["thread_id"],
        unique=False,
    )
    op.create_table(
        "core_mail_message",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("thread_id", sa.String(length=255), nullable=False),
        sa.Column("in_reply_to", sa.String(length=255), nullable=True),
        sa.Column(
            "customer_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("to_address", sa.String(length=320), nullable=True),
        sa.Column("template", sa.String(length=120), nullable=True),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("campaign", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("html_body", sa.Text(), nullable=False),
        sa.Column("text_body", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", crm_core.storage.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", crm_core.storage.types.UTCDateTime(), nullable=False),
        sa.Column("sent_at", crm_core.storage.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["core_customer.id"],
            name=op.f("fk_core_mail_message_customer_id_core_customer"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_mail_message")),
        sa.UniqueConstraint("message_id"),
    )
    op.create_index(
        op.f("ix_core_mail_message_campaign"),
        "core_mail_message",
        ["campaign"],
        unique=False,
    )
    op.create_index(
        op.f("ix_core_mail_message_customer_id"),
        "core_mail_message",
        ["customer_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_core_mail_message_sent_at"),
        "core_mail_message",
        ["sent_at"],
        unique=False,
    )
    op.create_index(
        "ix_core_mail_message_status_id",
        "core_mail_message",
        ["status", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_core_mail_message_thread_id"),
        "core_mail_message",
        ["thread_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_core_mail_message_to_address"),
        "core_mail_message",
        ["to_address"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_core_mail_message_to_address"), table_name="core_mail_message"
    )
    op.drop_index(
        op.f("ix_core_mail_message_thread_id"), table_name="core_mail_message"
    )
    op.drop_index("ix_core_mail_message_status_id", table_name="core_mail_message")
    op.drop_index(op.f("ix_core_mail_message_sent_at"), table_name="core_mail_message")
    op.drop_index(
        op.f("ix_core_mail_message_customer_id"), table_name="core_mail_message"
    )
    op.drop_index(op.f("ix_core_mail_message_campaign"), table_name="core_mail_message")
    op.drop_table("core_mail_message")
    op.drop_index(
        op.f("ix_core_mail_inbound_thread_id"), table_name="core_mail_inbound"
    )
    op.drop_index(
        op.f("ix_core_mail_inbound_customer_id"), table_name="core_mail_inbound"
    )
    op.drop_table("core_mail_inbound")
    op.drop_table("core_mail_template")
    op.drop_table("core_mail_suppression")
    op.drop_index(op.f("ix_core_mail_bounce_message_id"), table_name="core_mail_bounce")
    op.drop_index(op.f("ix_core_mail_bounce_address"), table_name="core_mail_bounce")
    op.drop_table("core_mail_bounce")
