"""Queueing outbound messages: one row per message, and its delivery job.

The row and the job are written in the caller's transaction, so a message
exists exactly when the change that sent it commits. Its Message-ID is fixed
here, before any attempt to deliver it.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
from sqlalchemy import Connection, bindparam, insert, select, union_all

from ..contactpoints import ContactPointError, normalise_email
from ..customers import InvalidInput
from ..storage import schema
from ..storage.types import utcnow
from . import tables

QUEUED = "queued"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
SKIPPED = "skipped"
BOUNCED = "bounced"
STATUSES = (QUEUED, SENDING, SENT, FAILED, SKIPPED, BOUNCED)

m = tables.message
c = schema.customer
MESSAGE_ID = re.compile(r"<[^<>\s]{1,250}>")

# Built once: a campaign runs these thousands of times, and building a
# statement costs several times more than running it.
_LIVE_CUSTOMER = select(c).where(
    c.c.id == bindparam("customer_id"), c.c.deleted_at.is_(None)
)
_INSERT = insert(m).returning(m.c.id)


@attrs.frozen
class OutgoingMail:
    """A message about to be queued, as the ``crm_mail_allowed`` hook sees it."""

    customer_id: int | None
    to_address: str | None
    template: str
    purpose: str
    campaign: str | None


def normalise_address(address: str, field: str = "to_address") -> str:
    """``address`` checked and lower-cased; :class:`InvalidInput` names ``field``."""
    try:
        return normalise_email(address)
    except ContactPointError as error:
        raise InvalidInput({field: [str(error)]}) from None


def new_message_id(domain: str) -> str:
    """A fresh, unguessable Message-ID in the sender's domain."""
    return f"<{uuid.uuid4().hex}@{domain}>"


def live_customer(connection: Connection, customer_id: int) -> Mapping[Any, Any] | None:
    row = connection.execute(_LIVE_CUSTOMER, {"customer_id": customer_id})
    return row.mappings().first()


def customer_by_address(
    connection: Connection, address: str
) -> Mapping[Any, Any] | None:
    """The live customer whose primary e-mail is ``address`` (the oldest if several)."""
    row = connection.execute(
        select(c)
        .where(c.c.email == address.lower(), c.c.deleted_at.is_(None))
        .order_by(c.c.id)
        .limit(1)
    ).mappings()
    return row.first()


def find_thread(connection: Connection, message_ids: Sequence[str]) -> str | None:
    """The thread of the first of ``message_ids`` this installation knows."""
    wanted = [value for value in message_ids if value]
    if not wanted:
        return None
    i = tables.inbound
    known = union_all(
        select(m.c.message_id, m.c.thread_id).where(m.c.message_id.in_(wanted)),
        select(i.c.message_id, i.c.thread_id).where(i.c.message_id.in_(wanted)),
    )
    found: dict[str, str] = dict(connection.execute(known).all())
    for value in wanted:
        if value in found:
            return str(found[value])
    return None


def queue_message(
    connection: Connection, values: Mapping[str, Any], *, refused: str | None
) -> int:
    """Insert a message row, queued or (when ``refused``) skipped; returns its id."""
    now = utcnow()
    row = {
        **values,
        "status": SKIPPED if refused else QUEUED,
        "reason": refused[:500] if refused else None,
        "attempts": 0,
        "created_at": now,
        "updated_at": now,
    }
    return int(connection.execute(_INSERT, row).scalar_one())


def check_request(
    *,
    to_customer_id: int | None,
    to_address: str | None,
    purpose: str,
    purposes: Sequence[str],
    context: Mapping[str, Any],
    reserved: Sequence[str],
    in_reply_to: str | None = None,
) -> None:
    """Refuse a send request that cannot be understood, naming each field."""
    errors: dict[str, list[str]] = {}
    if in_reply_to is not None and not MESSAGE_ID.fullmatch(in_reply_to):
        errors["in_reply_to"] = [
            f"{in_reply_to!r} is not a Message-ID such as <id@example.com>"
        ]
    if (to_customer_id is None) == (to_address is None):
        errors["to"] = ["give exactly one of to_customer_id and to_address"]
    if purpose not in purposes:
        errors["purpose"] = [f"{purpose!r} is not one of {', '.join(purposes)}"]
    taken = sorted(set(context) & set(reserved))
    if taken:
        errors["context"] = [
            f"{', '.join(taken)} is set by the mail service; rename the variable"
        ]
    if errors:
        raise InvalidInput(errors)


def message_row(connection: Connection, mail_id: int) -> Mapping[Any, Any] | None:
    return connection.execute(select(m).where(m.c.id == mail_id)).mappings().first()


def message_by_message_id(
    connection: Connection, message_id: str
) -> Mapping[Any, Any] | None:
    query = select(m).where(m.c.message_id == message_id)
    return connection.execute(query).mappings().first()
