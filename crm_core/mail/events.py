"""Events of the mail service; payloads carry ids, never addresses or bodies."""

from __future__ import annotations

from ..events import Event, event_type


@event_type("mail.received")
class MailReceived(Event):
    """A message arrived; ``message_id`` is its Message-ID header."""

    inbound_id: int
    message_id: str
    customer_id: int | None
    thread_id: str
    subject: str


@event_type("mail.sent")
class MailSent(Event):
    """The SMTP server accepted an outbound message."""

    mail_id: int
    message_id: str
    customer_id: int | None
    purpose: str
    campaign: str | None


@event_type("mail.bounced")
class MailBounced(Event):
    """A delivery report said a message failed; ``permanent`` for 5.x.x codes."""

    mail_id: int | None
    customer_id: int | None
    status_code: str
    permanent: bool


@event_type("mail.unsubscribed")
class MailUnsubscribed(Event):
    """A recipient withdrew from marketing mail through a message's link."""

    mail_id: int
    customer_id: int | None
    campaign: str | None
