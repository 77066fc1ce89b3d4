"""Delivery status reports (RFC 3464): reading them and acting on them.

A report names each recipient with an action and a status code. A failed
delivery with a 5.x.x code is a hard bounce: the address is suppressed and
the message marked ``bounced``. A 4.x.x code (a delay, a full mailbox) is a
soft bounce and is only recorded.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from email.message import EmailMessage, Message
from email.parser import HeaderParser
from typing import TYPE_CHECKING, Any

import attrs
from sqlalchemy import Connection, insert, select, update

from ..storage.types import utcnow
from . import consent, tables
from .events import MailBounced
from .outbox import BOUNCED, SENT, m

if TYPE_CHECKING:
    from .service import MailService

log = logging.getLogger("crm_core.mail")

_REPORTED_ACTIONS = ("failed", "delayed")


@attrs.frozen
class RecipientStatus:
    """What a report says about one recipient."""

    address: str
    action: str
    status: str
    diagnostic: str

    @property
    def permanent(self) -> bool:
        return self.action == "failed" and self.status.startswith("5.")


@attrs.frozen
class BounceReport:
    """A parsed delivery status report."""

    report_id: str | None
    original_message_id: str | None
    recipients: tuple[RecipientStatus, ...]


def is_report(message: EmailMessage) -> bool:
    report_type = str(message.get_param("report-type", "") or "")
    return (
        message.get_content_type() == "multipart/report"
        and report_type.lower() == "delivery-status"
    )


def parse_report(message: EmailMessage, report_id: str | None) -> BounceReport:
    """The recipients and original Message-ID of a ``multipart/report``."""
    statuses: list[RecipientStatus] = []
    original: str | None = None
    for part in message.iter_parts():
        kind = part.get_content_type()
        if kind == "message/delivery-status":
            statuses.extend(_recipients(part))
        elif kind in ("message/rfc822", "text/rfc822-headers"):
            original = original or _original_id(part)
    return BounceReport(report_id, original, tuple(statuses))


def _recipients(part: Message) -> list[RecipientStatus]:
    payload = part.get_payload()
    blocks = (
        [b for b in payload if isinstance(b, Message)]
        if isinstance(payload, list)
        else []
    )
    found = []
    # The first block describes the report as a whole; the rest, one recipient each.
    for block in blocks[1:]:
        recipient = str(block.get("Final-Recipient") or block.get("Original-Recipient"))
        address = recipient.partition(";")[2].strip().strip("<>").lower()
        action = str(block.get("Action", "")).strip().lower()
        status = (str(block.get("Status", "")).split() or [""])[0]
        if address and action in _REPORTED_ACTIONS and status[:1] in ("4", "5"):
            diagnostic = " ".join(str(block.get("Diagnostic-Code", "")).split())
            found.append(RecipientStatus(address, action, status, diagnostic[:1000]))
    return found


def _original_id(part: Message) -> str | None:
    headers: Message | None = None
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        headers = payload[0]
    else:
        text = part.get_payload(decode=True)
        if isinstance(text, bytes):
            headers = HeaderParser().parsestr(text.decode("utf-8", "replace"))
    value = headers.get("Message-ID") if headers is not None else None
    return str(value).strip() if value else None


def apply_report(
    service: MailService, connection: Connection, report: BounceReport
) -> int:
    """Record each bounce in ``report``; returns how many were recorded."""
    now = utcnow()
    for status in report.recipients:
        mail = _bounced_message(connection, report.original_message_id, status)
        connection.execute(
            insert(tables.bounce).values(
                address=status.address,
                message_id=mail["message_id"] if mail else report.original_message_id,
                report_id=report.report_id,
                status_code=status.status,
                action=status.action,
                permanent=status.permanent,
                diagnostic=status.diagnostic,
                received_at=now,
            )
        )
        if status.permanent:
            _hard_bounce(service, connection, status, mail)
    log.info(
        "delivery report: %d bounce(s), %d permanent",
        len(report.recipients),
        sum(1 for s in report.recipients if s.permanent),
    )
    return len(report.recipients)


def _bounced_message(
    connection: Connection, original: str | None, status: RecipientStatus
) -> Mapping[Any, Any] | None:
    """The message reported on: by Message-ID, else the latest to the address."""
    query = select(m.c.id, m.c.message_id, m.c.customer_id).where(
        m.c.to_address == status.address
    )
    if original:
        found = connection.execute(query.where(m.c.message_id == original))
        row = found.mappings().first()
        if row is not None:
            return row
    latest = query.where(m.c.status == SENT).order_by(m.c.id.desc()).limit(1)
    return connection.execute(latest).mappings().first()


def _hard_bounce(
    service: MailService,
    connection: Connection,
    status: RecipientStatus,
    mail: Mapping[Any, Any] | None,
) -> None:
    consent.suppress(
        connection,
        status.address,
        consent.HARD_BOUNCE,
        detail=f"{status.status} {status.diagnostic}".strip(),
        message_id=mail["message_id"] if mail else None,
    )
    if mail is not None:
        connection.execute(
            update(m)
            .where(m.c.id == mail["id"], m.c.status == SENT)
            .values(
                status=BOUNCED,
                reason=f"hard bounce {status.status}",
                updated_at=utcnow(),
            )
        )
    service.host.events.publish(
        connection,
        MailBounced(
            mail_id=mail["id"] if mail else None,
            customer_id=mail["customer_id"] if mail else None,
            status_code=status.status,
            permanent=True,
        ),
    )
