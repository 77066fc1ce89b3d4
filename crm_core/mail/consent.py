"""Who may be mailed: consent, suppressed addresses and unsubscribe links.

Marketing mail needs the customer's e-mail marketing consent not to be
withdrawn: the latest ``core_consent`` record for ``email_marketing``
decides. With no record at all, the installation's model decides: under
``opt-out`` (the default) existing customers may be mailed until they
withdraw; under ``opt-in`` they must have granted consent first.

An address that bounced permanently gets no mail of any kind; an address
without a customer that unsubscribed gets no marketing mail.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import Connection, Select, bindparam, insert, select

from ..storage import schema
from ..storage.types import utcnow
from . import tables

MARKETING = "marketing"
TRANSACTIONAL = "transactional"
PURPOSES = (MARKETING, TRANSACTIONAL)
CONSENT_PURPOSE = "email_marketing"
UNSUBSCRIBE_SOURCE = "unsubscribe link"

HARD_BOUNCE = "hard_bounce"
UNSUBSCRIBED = "unsubscribed"

_SALT = "crm.mail.unsubscribe"


def latest_consent(connection: Connection, customer_id: int) -> bool | None:
    """The latest e-mail marketing decision of a customer, or ``None`` if none."""
    c = schema.consent
    return connection.execute(
        select(c.c.granted)
        .where(c.c.customer_id == customer_id, c.c.purpose == CONSENT_PURPOSE)
        .order_by(c.c.recorded_at.desc(), c.c.id.desc())
        .limit(1)
    ).scalar()


def suppression_of(connection: Connection, address: str) -> str | None:
    """Why ``address`` is suppressed (``hard_bounce``, ``unsubscribed``), if it is."""
    s = tables.suppression
    return connection.execute(
        select(s.c.reason).where(s.c.address == address.lower())
    ).scalar()


def refusal(
    connection: Connection,
    *,
    customer_id: int | None,
    address: str | None,
    purpose: str,
    model: str,
) -> str | None:
    """Why this message may not go out, or ``None`` when it may."""
    if not address:
        return "the recipient has no e-mail address"
    reason, granted = _standing(connection, address, customer_id)
    if reason == HARD_BOUNCE:
        return "the address bounced permanently and is suppressed"
    if purpose != MARKETING:
        return None
    if reason == UNSUBSCRIBED:
        return "the address unsubscribed from marketing mail"
    if customer_id is None:
        return None
    if granted is False:
        return "the customer withdrew e-mail marketing consent"
    if granted is None and model == "opt-in":
        return "the customer has not given e-mail marketing consent (opt-in model)"
    return None


def _standing_query() -> Select[Any]:
    s, c = tables.suppression, schema.consent
    suppressed = (
        select(s.c.reason).where(s.c.address == bindparam("address")).scalar_subquery()
    )
    latest = (
        select(c.c.granted)
        .where(
            c.c.customer_id == bindparam("customer_id"),
            c.c.purpose == CONSENT_PURPOSE,
        )
        .order_by(c.c.recorded_at.desc(), c.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return select(suppressed, latest)


# Built once: building a statement costs several times more than running it.
_STANDING = _standing_query()


def _standing(
    connection: Connection, address: str, customer_id: int | None
) -> tuple[str | None, bool | None]:
    """The address's suppression and the customer's latest decision, in one query."""
    params = {"address": address.lower(), "customer_id": customer_id}
    row = connection.execute(_STANDING, params).one()
    granted = None if row[1] is None else bool(row[1])
    return row[0], granted


def suppress(
    connection: Connection,
    address: str,
    reason: str,
    *,
    detail: str = "",
    message_id: str | None = None,
) -> bool:
    """Suppress ``address``; a hard bounce overrides an unsubscribe. True if new."""
    s = tables.suppression
    address = address.lower()
    current = suppression_of(connection, address)
    if current == reason or current == HARD_BOUNCE:
        return False
    values = {
        "reason": reason,
        "detail": detail[:500],
        "message_id": message_id,
        "created_at": utcnow(),
    }
    if current is None:
        connection.execute(insert(s).values(address=address, **values))
    else:
        connection.execute(s.update().where(s.c.address == address).values(values))
    return True


def withdraw(connection: Connection, message: Mapping[Any, Any], method: str) -> bool:
    """Record an unsubscribe from ``message``; False when already withdrawn.

    A customer gets a consent record (source "unsubscribe link") so a later
    opt-in can undo it; an address without a customer is suppressed.
    """
    customer_id = message["customer_id"]
    if customer_id is None:
        if not message["to_address"]:
            return False
        return suppress(
            connection,
            message["to_address"],
            UNSUBSCRIBED,
            detail=f"unsubscribed ({method})",
            message_id=message["message_id"],
        )
    if latest_consent(connection, customer_id) is False:
        return False
    connection.execute(
        insert(schema.consent).values(
            customer_id=customer_id,
            purpose=CONSENT_PURPOSE,
            granted=False,
            source=UNSUBSCRIBE_SOURCE,
            recorded_at=utcnow(),
            evidence={
                "message_id": message["message_id"],
                "campaign": message["campaign"],
                "method": method,
            },
        )
    )
    return True


class UnsubscribeTokens:
    """Signed, unguessable tokens naming the message an unsubscribe link came in."""

    def __init__(self, secret_key: str) -> None:
        if not secret_key:
            raise ValueError("unsubscribe tokens need a secret key")
        self._serializer = URLSafeSerializer(secret_key, salt=_SALT)

    def make(self, message_id: str) -> str:
        token: str = self._serializer.dumps(message_id.strip("<>"))
        return token

    def read(self, token: str) -> str | None:
        """The Message-ID a token was made for, or ``None`` for a forged one."""
        try:
            value = self._serializer.loads(token)
        except BadSignature:
            return None
        return f"<{value}>" if isinstance(value, str) else None
