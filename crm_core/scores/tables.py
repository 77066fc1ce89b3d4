"""The score store's tables: every score written, and the latest of each."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    ForeignKey,
    Index,
    MetaData,
    Numeric,
    PrimaryKeyConstraint,
    String,
    Table,
)

from ..storage import schema
from ..storage.schema import NAMING
from ..storage.types import Document, Id, UTCDateTime

metadata = MetaData(naming_convention=NAMING)

#: Scores keep six decimal places: probabilities, money-like values and ranks fit.
VALUE = Numeric(24, 6)

#: Every score ever written, for history and audit of models.
score = Table(
    "core_scores_score",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("customer_id", Id, ForeignKey(schema.customer.c.id), nullable=False),
    Column("name", String(120), nullable=False),
    Column("value", VALUE, nullable=False),
    Column("computed_at", UTCDateTime, nullable=False),
    Column("model_version", String(120), nullable=False),
    # [{"factor": "tenure", "impact": -0.42}, ...], strongest first.
    Column("factors", Document, nullable=False),
)
Index(
    "ix_core_scores_score_customer",
    score.c.customer_id,
    score.c.name,
    score.c.computed_at,
)

#: One row per customer and score name: the newest value, read without sorting.
latest = Table(
    "core_scores_latest",
    metadata,
    Column("customer_id", Id, ForeignKey(schema.customer.c.id), nullable=False),
    Column("name", String(120), nullable=False),
    Column("value", VALUE, nullable=False),
    Column("computed_at", UTCDateTime, nullable=False),
    Column("model_version", String(120), nullable=False),
    Column("factors", Document, nullable=False),
    PrimaryKeyConstraint("customer_id", "name"),
)
Index("ix_core_scores_latest_name", latest.c.name, latest.c.value)

TABLES = (score, latest)
