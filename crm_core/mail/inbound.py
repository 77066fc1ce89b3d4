"""Receiving mail: delivery reports, unsubscribe requests and customers' messages.

A message is matched to a customer by its sender's address; failing that, by
the thread it answers; failing that, by a recipient (mail a user sent a
customer with the CRM in copy). It is kept with its thread headers, logged on
the customer's timeline and announced as a ``mail.received`` event. Mail from
unknown senders is kept without a customer and without a timeline entry.

Receiving the same Message-ID twice (a sender retrying) stores it once.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from email import message_from_bytes, policy
from email.headerregistry import BaseHeader, HeaderRegistry
from email.message import EmailMessage
from email.utils import getaddresses, parsedate_to_datetime
from typing import TYPE_CHECKING, Any

import attrs
from sqlalchemy import Connection, insert, select, union_all, update

from ..activities import ActivityCreated
from ..storage import schema
from ..storage.types import utcnow
from . import bounces, outbox, tables
from .events import MailReceived

if TYPE_CHECKING:
    from .service import MailService

log = logging.getLogger("crm_core.mail")

MAX_TEXT = 1_000_000
#: References kept per message: the newest, which matter for threading.
MAX_REFERENCES = 50
_MSG_ID = re.compile(r"<[^<>\s]+>")
_UNSUBSCRIBE = re.compile(r"unsubscribe\s+(\S+)", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")
_HIDDEN = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)

i = tables.inbound


class _LenientHeaders(HeaderRegistry):
    """Headers read as text, but for the MIME ones the body parts need.

    The standard library's structured parsers fail on some malformed headers
    real mail carries (a Message-ID of "<<>>"); ids, addresses and dates are
    read leniently here instead.
    """

    def __getitem__(self, name: str) -> type[BaseHeader]:
        if name.lower() in _MIME_HEADERS:
            return super().__getitem__(name)
        return super().__getitem__("x-text")


_MIME_HEADERS = frozenset(
    {"content-type", "content-disposition", "content-transfer-encoding", "mime-version"}
)
_READING = policy.default.clone(header_factory=_LenientHeaders())


@attrs.frozen
class Received:
    """What :func:`receive` did with one message.

    ``kind`` is ``message``, ``duplicate``, ``bounce`` or ``unsubscribe``.
    """

    kind: str
    message_id: str
    inbound_id: int | None = None
    customer_id: int | None = None
    thread_id: str | None = None


def receive(
    service: MailService, raw: bytes, recipients: Sequence[str] = ()
) -> Received:
    """Parse and store one message; ``recipients`` are the SMTP envelope's."""
    message = message_from_bytes(raw, policy=_READING)
    assert isinstance(message, EmailMessage)
    message_id = _first_id(message.get("Message-ID")) or outbox.new_message_id(
        service.settings.domain
    )
    with service.host.db.transaction() as connection:
        if bounces.is_report(message):
            report = bounces.parse_report(message, message_id)
            bounces.apply_report(service, connection, report)
            return Received("bounce", message_id)
        if _unsubscribe(service, connection, message, recipients):
            return Received("unsubscribe", message_id)
        return _store(service, connection, message, message_id, recipients)


def _store(
    service: MailService,
    connection: Connection,
    message: EmailMessage,
    message_id: str,
    recipients: Sequence[str],
) -> Received:
    known = connection.execute(
        select(i.c.id, i.c.customer_id, i.c.thread_id).where(
            i.c.message_id == message_id
        )
    ).first()
    if known is not None:
        return Received("duplicate", message_id, *known)
    sender = _addresses(message, ("From",))[:1]
    to = _addresses(message, ("To", "Cc"), recipients)
    in_reply_to = _first_id(message.get("In-Reply-To"))
    references = [
        found
        for found in _MSG_ID.findall(str(message.get("References") or ""))
        if len(found) <= tables.MESSAGE_ID_LENGTH
    ][-MAX_REFERENCES:]
    thread = outbox.find_thread(connection, [in_reply_to or "", *references[::-1]])
    thread_id = thread or message_id
    customer_id = _customer(service, connection, sender, to, thread)
    text, body_html = _bodies(message)
    subject = " ".join(str(message.get("Subject") or "").split())[:500]
    values: dict[str, Any] = {
        "message_id": message_id,
        "thread_id": thread_id,
        "in_reply_to": in_reply_to,
        "reference_ids": references,
        "customer_id": customer_id,
        "from_address": sender[0] if sender else None,
        "to_addresses": to,
        "subject": subject,
        "text_body": text,
        "html_body": body_html,
        "attachments": _attachments(message),
        "sent_at": _date(message),
        "received_at": utcnow(),
    }
    inbound_id = int(
        connection.execute(insert(i).values(values).returning(i.c.id)).scalar_one()
    )
    if customer_id is not None:
        _log_activity(service, connection, inbound_id, values)
    service.host.events.publish(
        connection,
        MailReceived(
            inbound_id=inbound_id,
            message_id=message_id,
            customer_id=customer_id,
            thread_id=thread_id,
            subject=subject,
        ),
    )
    return Received("message", message_id, inbound_id, customer_id, thread_id)


def _unsubscribe(
    service: MailService,
    connection: Connection,
    message: EmailMessage,
    recipients: Sequence[str],
) -> bool:
    """Act on a mail sent to the List-Unsubscribe mailto address."""
    mailbox = service.settings.unsubscribe_mailbox.lower()
    if mailbox not in _addresses(message, ("To",), recipients):
        return False
    found = _UNSUBSCRIBE.search(str(message.get("Subject") or ""))
    if found is None:
        return False
    return service.unsubscribe_in(connection, found.group(1), "mailto") is not None


def _customer(
    service: MailService,
    connection: Connection,
    sender: Sequence[str],
    to: Sequence[str],
    thread: str | None,
) -> int | None:
    for address in sender:
        row = outbox.customer_by_address(connection, address)
        if row is not None:
            return int(row["id"])
    if thread is not None:
        found = _thread_customer(connection, thread)
        if found is not None:
            return found
    ours = {service.settings.from_address.lower(), service.settings.unsubscribe_mailbox}
    for address in to:
        if address in ours:
            continue
        row = outbox.customer_by_address(connection, address)
        if row is not None:
            return int(row["id"])
    return None


def _thread_customer(connection: Connection, thread_id: str) -> int | None:
    m = tables.message
    found = union_all(
        select(m.c.customer_id).where(
            m.c.thread_id == thread_id, m.c.customer_id.is_not(None)
        ),
        select(i.c.customer_id).where(
            i.c.thread_id == thread_id, i.c.customer_id.is_not(None)
        ),
    )
    value = connection.execute(found.limit(1)).scalar()
    return int(value) if value is not None else None


def _log_activity(
    service: MailService,
    connection: Connection,
    inbound_id: int,
    values: Mapping[str, Any],
) -> None:
    now = utcnow()
    a = schema.activity
    activity_id = connection.execute(
        insert(a)
        .values(
            customer_id=values["customer_id"],
            channel="email",
            kind="email_received",
            occurred_at=values["sent_at"] or values["received_at"],
            subject=values["subject"],
            body=values["text_body"],
            source_type="mail",
            source_id=values["message_id"],
            version=1,
            created_at=now,
            updated_at=now,
        )
        .returning(a.c.id)
    ).scalar_one()
    connection.execute(
        update(i).where(i.c.id == inbound_id).values(activity_id=activity_id)
    )
    service.host.events.publish(
        connection,
        ActivityCreated(activity_id=activity_id, customer_id=values["customer_id"]),
    )


# -- reading the message ------------------------------------------------------


def _first_id(value: Any) -> str | None:
    found = _MSG_ID.search(str(value or ""))
    return found.group(0)[: tables.MESSAGE_ID_LENGTH] if found else None


def _addresses(
    message: EmailMessage, headers: Sequence[str], extra: Sequence[str] = ()
) -> list[str]:
    """Lower-cased addresses of ``headers`` and ``extra``, each once, in order."""
    values: list[str] = []
    for name in headers:
        values.extend(str(value) for value in message.get_all(name, []))
    found: dict[str, None] = {}
    for _name, address in getaddresses([*values, *extra]):
        address = address.strip().lower()
        if "@" in address and len(address) <= 320:
            found[address] = None
    return list(found)


def _bodies(message: EmailMessage) -> tuple[str, str]:
    """The text and HTML bodies; text made from the HTML when there is none."""
    text = _content(message.get_body(preferencelist=("plain",)))
    body_html = _content(message.get_body(preferencelist=("html",)))
    if not text and body_html:
        text = _text_of_html(body_html)
    return text[:MAX_TEXT], body_html[:MAX_TEXT]


def _content(part: Any) -> str:
    if part is None:
        return ""
    try:
        return str(part.get_content())
    except (LookupError, ValueError):
        payload = part.get_payload(decode=True) or b""
        return payload.decode("utf-8", "replace")


def _text_of_html(source: str) -> str:
    visible = _HIDDEN.sub(" ", source)
    text = html.unescape(_TAG.sub(" ", visible))
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def _attachments(message: EmailMessage) -> list[dict[str, Any]]:
    found = []
    for part in message.iter_attachments():
        payload = part.get_payload(decode=True)
        found.append(
            {
                "name": str(part.get_filename() or "")[:300],
                "type": part.get_content_type(),
                "size": len(payload) if isinstance(payload, bytes) else 0,
            }
        )
    return found


def _date(message: EmailMessage) -> datetime | None:
    try:
        moment = parsedate_to_datetime(str(message.get("Date") or ""))
    except (TypeError, ValueError, IndexError):
        return None
    return moment if moment.tzinfo is not None else None
