"""The mail service: templates, sending as jobs, bounces, unsubscribes, receiving.

Get the service of a host with :func:`mail_service`; plugins queue mail with
:meth:`MailService.send` inside their own transaction and act on the
``mail.received``, ``mail.sent``, ``mail.bounced`` and ``mail.unsubscribed``
events.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from .events import MailBounced, MailReceived, MailSent, MailUnsubscribed
from .inbound import Received
from .outbox import STATUSES, OutgoingMail
from .rendering import RenderedMail, TemplateProblem
from .service import UNSUBSCRIBE_PATH, MailService
from .settings import MailSettings, MailSettingsError
from .template_store import MailTemplate
from .transport import DeliveryError, PermanentFailure, TemporaryFailure, UnknownOutcome

if TYPE_CHECKING:
    from ..host import Host

_lock = threading.Lock()


def mail_service(host: Host) -> MailService:
    """The mail service of ``host``, made on first use."""
    found = host.extensions.get("mail")
    if found is None:
        with _lock:
            found = host.extensions.get("mail")
            if found is None:
                found = host.extensions["mail"] = MailService(host)
    assert isinstance(found, MailService)
    return found


def receive(host: Host, raw: bytes) -> Received:
    """Store one received message (raw RFC 5322 bytes) on ``host``."""
    return mail_service(host).receive(raw)


__all__ = [
    "STATUSES",
    "UNSUBSCRIBE_PATH",
    "DeliveryError",
    "MailBounced",
    "MailReceived",
    "MailSent",
    "MailService",
    "MailSettings",
    "MailSettingsError",
    "MailTemplate",
    "MailUnsubscribed",
    "OutgoingMail",
    "PermanentFailure",
    "Received",
    "RenderedMail",
    "TemplateProblem",
    "TemporaryFailure",
    "UnknownOutcome",
    "mail_service",
    "receive",
]
