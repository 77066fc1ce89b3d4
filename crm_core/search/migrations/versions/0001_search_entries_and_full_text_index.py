"""search entries and full-text index

Revision ID: 2ff580e7384b
Revises: <base>

The entries table is portable; the full-text index over it is not, so it is
written per engine: an FTS5 table with external content on SQLite, and a
tsvector table with a GIN index on PostgreSQL. Triggers on the entries keep
either in step, so the application only writes entries.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text  # noqa: F401
from sqlalchemy.dialects import postgresql  # noqa: F401

import crm_core.storage.types  # noqa: F401

revision = "2ff580e7384b"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "core_search_entry",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("record_type", sa.String(length=80), nullable=False),
        sa.Column(
            "record_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("indexed_at", crm_core.storage.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_search_entry")),
        sa.UniqueConstraint(
            "record_type", "record_id", name="uq_core_search_entry_record"
        ),
    )
    for statement in _FULL_TEXT[op.get_bind().dialect.name]:
        op.execute(statement)


def downgrade() -> None:
    for statement in _DROP_FULL_TEXT[op.get_bind().dialect.name]:
        op.execute(statement)
    op.drop_table("core_search_entry")


_SQLITE = [
    """
    CREATE VIRTUAL TABLE core_search_fts USING fts5(
        title, body,
        content='core_search_entry', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2', prefix='2 3'
    )
    """,
    """
    CREATE TRIGGER core_search_fts_insert AFTER INSERT ON core_search_entry BEGIN
        INSERT INTO core_search_fts (rowid, title, body)
        VALUES (new.id, new.title, new.body);
    END
    """,
    """
    CREATE TRIGGER core_search_fts_delete AFTER DELETE ON core_search_entry BEGIN
        INSERT INTO core_search_fts (core_search_fts, rowid, title, body)
        VALUES ('delete', old.id, old.title, old.body);
    END
    """,
    """
    CREATE TRIGGER core_search_fts_update AFTER UPDATE ON core_search_entry BEGIN
        INSERT INTO core_search_fts (core_search_fts, rowid, title, body)
        VALUES ('delete', old.id, old.title, old.body);
        INSERT INTO core_search_fts (rowid, title, body)
        VALUES (new.id, new.title, new.body);
    END
    """,
]

# Words are the runs of letters and digits, as FTS5's unicode61 tokenizer
# sees them, so "ana@example.com" is found by "example" on both engines.
_POSTGRESQL = [
    """
    CREATE TABLE core_search_fts (
        entry_id BIGINT PRIMARY KEY
            REFERENCES core_search_entry (id) ON DELETE CASCADE,
        document TSVECTOR NOT NULL
    )
    """,
    "CREATE INDEX ix_core_search_fts_document ON core_search_fts USING gin (document)",
    r"""
    CREATE FUNCTION core_search_fts_sync() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO core_search_fts (entry_id, document)
        VALUES (
            NEW.id,
            setweight(to_tsvector('simple',
                regexp_replace(NEW.title, '[^[:alnum:]]+', ' ', 'g')), 'A')
            || setweight(to_tsvector('simple',
                regexp_replace(NEW.body, '[^[:alnum:]]+', ' ', 'g')), 'B')
        )
        ON CONFLICT (entry_id) DO UPDATE SET document = EXCLUDED.document;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER core_search_fts_sync
    AFTER INSERT OR UPDATE OF title, body ON core_search_entry
    FOR EACH ROW EXECUTE FUNCTION core_search_fts_sync()
    """,
]

_FULL_TEXT = {"sqlite": _SQLITE, "postgresql": _POSTGRESQL}

_DROP_FULL_TEXT = {
    "sqlite": [
        "DROP TRIGGER core_search_fts_update",
        "DROP TRIGGER core_search_fts_delete",
        "DROP TRIGGER core_search_fts_insert",
        "DROP TABLE core_search_fts",
    ],
    "postgresql": [
        "DROP TRIGGER core_search_fts_sync ON core_search_entry",
        "DROP FUNCTION core_search_fts_sync()",
        "DROP TABLE core_search_fts",
    ],
}
