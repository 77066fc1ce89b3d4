"""The outbound service's tables: the delivery log, and bodies waiting to be sent.

The log keeps where a call went, how it ended and how long it took, never
what it carried. A queued call's body waits in ``core_outbound_payload``
and is removed once the call is delivered or given up.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

from ..storage.schema import NAMING
from ..storage.types import Document, Id, UTCDateTime

metadata = MetaData(naming_convention=NAMING)

delivery = Table(
    "core_outbound_delivery",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("purpose", String(80), nullable=False),
    Column("method", String(10), nullable=False),
    # scheme://host[:port]/path: no query string and no credentials.
    Column("target", String(2000), nullable=False),
    Column("host", String(255), nullable=False),
    Column("status", String(12), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("max_attempts", Integer, nullable=False),
    Column("response_status", Integer, nullable=True),
    Column("last_error", String(500), nullable=True),
    Column("duration_ms", Integer, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_attempt_at", UTCDateTime, nullable=True),
    Column("next_attempt_at", UTCDateTime, nullable=True),
    Column("finished_at", UTCDateTime, nullable=True),
)
Index("ix_core_outbound_delivery_status", delivery.c.status, delivery.c.id)

payload = Table(
    "core_outbound_payload",
    metadata,
    Column("delivery_id", Id, ForeignKey(delivery.c.id), primary_key=True),
    Column("url", Text, nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("headers", Document, nullable=False),
    # A secret the caller chose for this target (a webhook subscription's).
    Column("secret", String(1000), nullable=True),
)
