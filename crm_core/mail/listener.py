"""A small SMTP listener that hands every message it receives to the mail service.

It listens on 127.0.0.1 only: put it behind the installation's real mail
server (which does TLS, spam filtering and relaying) and forward the CRM's
addresses to it. A message that cannot be stored is answered with a
temporary error, so the forwarding server keeps it and tries again.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiosmtpd.controller import Controller

from .service import MailService

log = logging.getLogger("crm_core.mail")

LOOPBACK = "127.0.0.1"
DEFAULT_PORT = 8025


class InboundHandler:
    """The aiosmtpd handler: stores each message through :meth:`MailService.receive`."""

    def __init__(self, service: MailService) -> None:
        self.service = service

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or b""
        recipients = list(envelope.rcpt_tos)
        loop = asyncio.get_running_loop()
        try:
            result = await loop.run_in_executor(
                None, self.service.receive, raw, recipients
            )
        except Exception:
            log.exception("could not store a received message; asked to retry")
            return "451 Requested action aborted: local error in processing"
        log.info("received a message (%s)", result.kind)
        return "250 Message accepted"


def listener(service: MailService, port: int = DEFAULT_PORT) -> Controller:
    """A controller serving ``service`` on 127.0.0.1:``port``; call ``start()``."""
    return Controller(InboundHandler(service), hostname=LOOPBACK, port=port)
