"""tasks and reminders

Revision ID: d6118fbc9070
Revises: <base>
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text  # noqa: F401
from sqlalchemy.dialects import postgresql  # noqa: F401

import crm_core.storage.types  # noqa: F401

revision = "d6118fbc9070"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "core_tasks_task",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("notes", sa.Text(), server_default="", nullable=False),
        sa.Column(
            "customer_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("record_type", sa.String(length=80), nullable=True),
        sa.Column("record_id", sa.String(length=64), nullable=True),
        sa.Column(
            "assignee_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column(
            "team_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column(
            "created_by",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column(
            "status", sa.String(length=12), server_default="open", nullable=False
        ),
        sa.Column("due_at", crm_core.storage.types.UTCDateTime(), nullable=True),
        sa.Column("remind_before", sa.Integer(), nullable=True),
        sa.Column("remind_at", crm_core.storage.types.UTCDateTime(), nullable=True),
        sa.Column("reminded_at", crm_core.storage.types.UTCDateTime(), nullable=True),
        sa.Column(
            "reminder_job_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("completed_at", crm_core.storage.types.UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", crm_core.storage.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", crm_core.storage.types.UTCDateTime(), nullable=False),
        sa.Column("deleted_at", crm_core.storage.types.UTCDateTime(), nullable=True),
        sa.Column("deleted_by_cascade", sa.String(length=80), nullable=True),
        sa.ForeignKeyConstraint(
            ["assignee_id"],
            ["core_user.id"],
            name=op.f("fk_core_tasks_task_assignee_id_core_user"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["core_customer.id"],
            name=op.f("fk_core_tasks_task_customer_id_core_customer"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_tasks_task")),
    )
    op.create_index(
        "ix_core_tasks_task_assignee",
        "core_tasks_task",
        ["assignee_id", "status", "due_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_core_tasks_task_customer_id"),
        "core_tasks_task",
        ["customer_id"],
        unique=False,
    )
    op.create_index(
        "ix_core_tasks_task_record",
        "core_tasks_task",
        ["record_type", "record_id"],
        unique=False,
    )
    op.create_index(
        "ix_core_tasks_task_reminder",
        "core_tasks_task",
        ["status", "remind_at"],
        unique=False,
    )
    op.create_table(
        "core_tasks_reminder",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "task_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column(
            "user_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column("remind_at", crm_core.storage.types.UTCDateTime(), nullable=False),
        sa.Column("created_at", crm_core.storage.types.UTCDateTime(), nullable=False),
        sa.Column("email_status", sa.String(length=20), nullable=False),
        sa.Column("email_note", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["core_tasks_task.id"],
            name=op.f("fk_core_tasks_reminder_task_id_core_tasks_task"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_tasks_reminder")),
    )
    op.create_index(
        op.f("ix_core_tasks_reminder_task_id"),
        "core_tasks_reminder",
        ["task_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_core_tasks_reminder_task_id"), table_name="core_tasks_reminder"
    )
    op.drop_table("core_tasks_reminder")
    op.drop_index("ix_core_tasks_task_reminder", table_name="core_tasks_task")
    op.drop_index("ix_core_tasks_task_record", table_name="core_tasks_task")
    op.drop_index(op.f("ix_core_tasks_task_customer_id"), table_name="core_tasks_task")
    op.drop_index("ix_core_tasks_task_assignee", table_name="core_tasks_task")
    op.drop_table("core_tasks_task")
