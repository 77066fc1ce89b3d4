"""The mail service's tables, all prefixed ``core_mail_``.

Addresses are stored lower-cased so matching and suppression compare like
with like. A thread id is the Message-ID of the message that opened the
conversation, shared by every outbound and inbound message in it.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from ..storage import schema
from ..storage.schema import NAMING
from ..storage.types import Document, Id, UTCDateTime

metadata = MetaData(naming_convention=NAMING)

#: Longest Message-ID kept; RFC 5322 sets no limit, real ones stay well below.
MESSAGE_ID_LENGTH = 255

template = Table(
    "core_mail_template",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(120), nullable=False, unique=True),
    Column("description", String(500), nullable=False, server_default=""),
    Column("subject", String(500), nullable=False),
    Column("html_body", Text, nullable=False),
    Column("text_body", Text, nullable=False),
    # Names of caller-supplied variables the template expects (["order"]).
    Column("variables", Document, nullable=False),
    Column("version", Integer, nullable=False, server_default="1"),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

message = Table(
    "core_mail_message",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("message_id", String(MESSAGE_ID_LENGTH), nullable=False, unique=True),
    Column("thread_id", String(MESSAGE_ID_LENGTH), nullable=False, index=True),
    Column("in_reply_to", String(MESSAGE_ID_LENGTH), nullable=True),
    Column(
        "customer_id", Id, ForeignKey(schema.customer.c.id), nullable=True, index=True
    ),
    Column("to_address", String(320), nullable=True, index=True),
    Column("template", String(120), nullable=True),
    Column("purpose", String(20), nullable=False),
    Column("campaign", String(200), nullable=True, index=True),
    # queued, sending, sent, failed, skipped or bounced
    Column("status", String(12), nullable=False),
    Column("reason", String(500), nullable=True),
    Column("subject", String(500), nullable=False),
    Column("html_body", Text, nullable=False),
    Column("text_body", Text, nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime, nullable=True, index=True),
)
Index("ix_core_mail_message_status_id", message.c.status, message.c.id)

suppression = Table(
    "core_mail_suppression",
    metadata,
    Column("address", String(320), primary_key=True),
    # hard_bounce stops all mail; unsubscribed stops marketing mail.
    Column("reason", String(40), nullable=False),
    Column("detail", String(500), nullable=False, server_default=""),
    Column("message_id", String(MESSAGE_ID_LENGTH), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
)

bounce = Table(
    "core_mail_bounce",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("address", String(320), nullable=False, index=True),
    Column("message_id", String(MESSAGE_ID_LENGTH), nullable=True, index=True),
    Column("report_id", String(MESSAGE_ID_LENGTH), nullable=True),
    Column("status_code", String(12), nullable=False),
    Column("action", String(20), nullable=False),
    Column("permanent", Boolean, nullable=False),
    Column("diagnostic", String(1000), nullable=False, server_default=""),
    Column("received_at", UTCDateTime, nullable=False),
)

inbound = Table(
    "core_mail_inbound",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("message_id", String(MESSAGE_ID_LENGTH), nullable=False, unique=True),
    Column("thread_id", String(MESSAGE_ID_LENGTH), nullable=False, index=True),
    Column("in_reply_to", String(MESSAGE_ID_LENGTH), nullable=True),
    Column("reference_ids", Document, nullable=False),
    Column(
        "customer_id", Id, ForeignKey(schema.customer.c.id), nullable=True, index=True
    ),
    Column("from_address", String(320), nullable=True),
    Column("to_addresses", Document, nullable=False),
    Column("subject", String(500), nullable=False),
    Column("text_body", Text, nullable=False),
    Column("html_body", Text, nullable=False),
    # [{"name": ..., "type": ..., "size": ...}]; the files themselves are not kept.
    Column("attachments", Document, nullable=False),
    Column("activity_id", Id, nullable=True),
    Column("sent_at", UTCDateTime, nullable=True),
    Column("received_at", UTCDateTime, nullable=False),
)

TABLES = (template, message, suppression, bounce, inbound)
