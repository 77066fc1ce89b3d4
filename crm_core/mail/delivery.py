"""The delivery job: throttle, check consent again, claim, hand over, mark sent.

Delivery is at most once. The job claims its message by moving it from
``queued`` to ``sending`` in one UPDATE, hands it to the SMTP server, then
marks it ``sent``. A run that finds its message in any state but ``queued``
does nothing, so a retried job never sends twice. The price is one window:
if the worker stops after the server accepted the message but before it was
marked sent, the message stays ``sending``; the next run of its job marks it
``failed`` with the reason "outcome unknown", and nobody resends it
automatically. Look the Message-ID up in the SMTP server's log to find out.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from email.charset import QP, Charset
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.policy import compat32
from email.utils import format_datetime, formataddr
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, bindparam, func, insert, select, update

from ..activities import ActivityCreated
from ..events import Event
from ..storage import schema
from ..storage.types import UTCDateTime, utcnow
from . import consent, tables
from .events import MailSent
from .outbox import FAILED, QUEUED, SENDING, SENT, SKIPPED
from .transport import (
    DeliveryError,
    Envelope,
    PermanentFailure,
    TemporaryFailure,
)

if TYPE_CHECKING:
    from .service import MailService

log = logging.getLogger("crm_core.mail")

DELIVER_JOB = "mail.deliver"
#: Attempts at a temporary failure before the message is marked failed.
MAX_ATTEMPTS = 5
UNKNOWN_OUTCOME = (
    "outcome unknown: delivery was interrupted after the message was handed "
    "to the SMTP server; look up its Message-ID in the server's log before "
    "sending it again"
)

m = tables.message
_WIRE = compat32.clone(linesep="\r\n")
_UTF8 = Charset("utf-8")
_UTF8.body_encoding = QP


# The statements every delivery runs are built once: building one costs
# several times more than running it.
_NOW = bindparam("now", type_=UTCDateTime())
_THIS = m.c.id == bindparam("mail_id")
_CLAIM = (
    update(m)
    .where(_THIS, m.c.status == QUEUED)
    .values(status=SENDING, attempts=m.c.attempts + 1, updated_at=_NOW)
    .returning(*m.c)
)
_SETTLE = (
    update(m)
    .where(_THIS, m.c.status == bindparam("before"))
    .values(status=bindparam("after"), reason=bindparam("reason"), updated_at=_NOW)
)
_MARK_SENT = (
    update(m)
    .where(_THIS, m.c.status == SENDING)
    .values(status=SENT, reason=None, sent_at=_NOW, updated_at=_NOW)
)
_ACTIVITY = insert(schema.activity).returning(schema.activity.c.id)


class RetryLater(RuntimeError):
    """A temporary failure: the job runs again after the queue's backoff."""


def deliver(service: MailService, mail_id: int) -> None:
    """Run one delivery of message ``mail_id`` (the ``mail.deliver`` job)."""
    row = _claim(service, mail_id)
    if row is None:
        return
    db = service.host.db
    try:
        ready = envelope(service, row)
    except (ValueError, TypeError, LookupError) as error:
        # Nothing reached the server, so saying so is exact.
        _settle(db, mail_id, SENDING, FAILED, f"cannot be composed: {error}")
        log.error("message %s cannot be composed", mail_id, exc_info=error)
        return
    try:
        service.transport.send(ready)
    except TemporaryFailure as error:
        _temporary(db, row, error)
        return
    except DeliveryError as error:
        _settle(db, mail_id, SENDING, FAILED, str(error))
        level = logging.INFO if isinstance(error, PermanentFailure) else logging.ERROR
        log.log(level, "message %s not delivered: %s", mail_id, error)
        return
    _mark_sent(service, row)


def _claim(service: MailService, mail_id: int) -> Mapping[Any, Any] | None:
    """Move the message to ``sending`` and return it; ``None`` when not to send now."""
    with service.host.db.transaction() as connection:
        claimed = connection.execute(_CLAIM, {"mail_id": mail_id, "now": utcnow()})
        row = claimed.mappings().first()
        if row is None:
            _not_queued(connection, mail_id)
            return None
        return row if _ready(service, connection, row) else None


def _not_queued(connection: Connection, mail_id: int) -> None:
    """A run that finds its message in flight follows one that stopped mid-way."""
    status = connection.execute(select(m.c.status).where(m.c.id == mail_id)).scalar()
    if status is None:
        log.warning("message %s no longer exists; nothing to deliver", mail_id)
    elif status == SENDING:
        _settle_in(connection, mail_id, SENDING, FAILED, UNKNOWN_OUTCOME)
        log.warning("message %s: %s", mail_id, UNKNOWN_OUTCOME)


def _ready(
    service: MailService, connection: Connection, row: Mapping[Any, Any]
) -> bool:
    """Whether the limit and consent allow sending now; defers or skips if not."""
    now = utcnow()
    wait = _throttle(service, connection, now)
    if wait is not None:
        connection.execute(
            update(m)
            .where(m.c.id == row["id"])
            .values(status=QUEUED, attempts=row["attempts"] - 1)
        )
        service.host.jobs.enqueue(
            DELIVER_JOB, run_at=now + wait, connection=connection, mail_id=row["id"]
        )
        return False
    refused = consent.refusal(
        connection,
        customer_id=row["customer_id"],
        address=row["to_address"],
        purpose=row["purpose"],
        model=service.settings.marketing_consent,
    )
    if refused:
        _settle_in(connection, row["id"], SENDING, SKIPPED, refused)
        return False
    return True


def _temporary(db: Any, row: Mapping[Any, Any], error: TemporaryFailure) -> None:
    attempts = row["attempts"]
    if attempts >= MAX_ATTEMPTS:
        _settle(db, row["id"], SENDING, FAILED, f"gave up after {attempts}: {error}")
        log.error("message %s failed %d times; giving up", row["id"], attempts)
        return
    _settle(db, row["id"], SENDING, QUEUED, f"will retry: {error}")
    raise RetryLater(f"message {row['id']}: {error}")


def _settle(db: Any, mail_id: int, before: str, after: str, reason: str) -> None:
    with db.transaction() as connection:
        _settle_in(connection, mail_id, before, after, reason)


def _settle_in(
    connection: Connection, mail_id: int, before: str, after: str, reason: str
) -> None:
    connection.execute(
        _SETTLE,
        {
            "mail_id": mail_id,
            "before": before,
            "after": after,
            "reason": reason[:500],
            "now": utcnow(),
        },
    )


def _mark_sent(service: MailService, row: Mapping[Any, Any]) -> None:
    now = utcnow()
    with service.host.db.transaction() as connection:
        done = connection.execute(_MARK_SENT, {"mail_id": row["id"], "now": now})
        if done.rowcount != 1:
            return
        events: list[Event] = [
            MailSent(
                mail_id=row["id"],
                message_id=row["message_id"],
                customer_id=row["customer_id"],
                purpose=row["purpose"],
                campaign=row["campaign"],
            )
        ]
        if row["customer_id"] is not None:
            events.append(_log_activity(connection, row, now))
        service.host.events.publish_many(connection, events)


def _log_activity(
    connection: Connection, row: Mapping[Any, Any], now: datetime
) -> ActivityCreated:
    """Put the sent message on the customer's timeline; returns the event to publish."""
    values = {
        "customer_id": row["customer_id"],
        "channel": "email",
        "kind": "email_sent",
        "occurred_at": now,
        "subject": row["subject"],
        "source_type": "mail",
        "source_id": row["message_id"],
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }
    result = connection.execute(_ACTIVITY, values)
    return ActivityCreated(
        activity_id=int(result.scalar_one()), customer_id=row["customer_id"]
    )


def _throttle(
    service: MailService, connection: Connection, now: datetime
) -> timedelta | None:
    """How long to wait before the per-minute limit allows another message."""
    limit = service.settings.rate_per_minute
    if limit <= 0:
        return None
    since = now - timedelta(minutes=1)
    count, oldest = connection.execute(
        select(func.count(), func.min(m.c.sent_at)).where(m.c.sent_at > since)
    ).one()
    if count < limit or oldest is None:
        return None
    return max(oldest + timedelta(minutes=1) - now, timedelta(seconds=1))


def envelope(service: MailService, row: Mapping[Any, Any]) -> Envelope:
    """The bytes and envelope addresses of a stored message."""
    settings = service.settings
    message = _bodies(row["text_body"], row["html_body"])
    message["Message-ID"] = row["message_id"]
    message["Date"] = format_datetime(utcnow())
    message["From"] = formataddr(settings.sender, "utf-8")
    message["To"] = row["to_address"]
    if row["subject"].isascii():
        message["Subject"] = row["subject"]
    else:
        # Header folds into encoded words of legal length; compat32 takes it as is.
        message["Subject"] = Header(row["subject"], "utf-8")  # type: ignore[assignment]
    if row["in_reply_to"]:
        message["In-Reply-To"] = row["in_reply_to"]
        message["References"] = row["in_reply_to"]
    if row["purpose"] == consent.MARKETING:
        url, mailto = service.unsubscribe_links(row["message_id"])
        message["List-Unsubscribe"] = f"<{url}>, <{mailto}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return Envelope(
        sender=settings.from_address,
        recipient=row["to_address"],
        data=message.as_bytes(policy=_WIRE),
    )


def _bodies(text: str, html: str) -> Message:
    """The body parts; the classic MIME classes are several times faster to write."""
    parts: list[Message] = []
    for body, subtype in ((text, "plain"), (html, "html")):
        if body.strip():
            part = MIMENonMultipart("text", subtype)
            part.set_payload(body, _UTF8)
            parts.append(part)
    if len(parts) == 1:
        return parts[0]
    # A random boundary cannot occur in the text; spares scanning the parts.
    both = MIMEMultipart("alternative", boundary=f"=_{uuid.uuid4().hex}")
    for each in parts:
        both.attach(each)
    return both
