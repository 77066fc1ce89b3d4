"""Handing messages to the SMTP server, with a clear verdict on every failure.

A failure before the server starts receiving the message text is
temporary (4xx, connection trouble: try again later) or permanent (5xx: it
will not succeed). A failure while the text is in flight leaves the
outcome unknown: the server may have accepted it, so it is never sent again
automatically.

Each worker thread keeps its connection open across messages and checks one
that sat idle with NOOP before reuse.
"""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
import threading
import time

import attrs

from .settings import MailSettings

log = logging.getLogger("crm_core.mail")

#: Messages sent over one connection before it is renewed.
MESSAGES_PER_CONNECTION = 100
#: A connection idle for longer is checked with NOOP before it is reused.
IDLE_CHECK_SECONDS = 2.0
_LEADING_DOT = re.compile(rb"^\.", re.MULTILINE)
_ENHANCED = re.compile(r"[245]\.\d{1,3}\.\d{1,3}")


class DeliveryError(Exception):
    """The server did not take the message; ``str()`` says why, without addresses."""


class TemporaryFailure(DeliveryError):
    """Worth trying again later (4xx reply, server unreachable)."""


class PermanentFailure(DeliveryError):
    """Will not succeed as it is (5xx reply)."""


class UnknownOutcome(DeliveryError):
    """The connection failed while the server was receiving the message."""


@attrs.frozen
class Envelope:
    """What goes to the server: the envelope addresses and the message bytes."""

    sender: str
    recipient: str
    data: bytes


def _verdict(code: int, reply: bytes | str, step: str) -> DeliveryError:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    # The reply often quotes the address; keep only the codes.
    words = text.split()[:1]
    enhanced = words[0] if words and _ENHANCED.fullmatch(words[0]) else ""
    detail = f"{step} refused with {code} {enhanced}".rstrip()
    if 400 <= code < 500:
        return TemporaryFailure(detail)
    if 500 <= code < 600:
        return PermanentFailure(detail)
    return TemporaryFailure(f"{step}: unexpected reply {code}")


class SmtpTransport:
    """Sends :class:`Envelope` objects to the configured SMTP server."""

    def __init__(self, settings: MailSettings) -> None:
        self.settings = settings
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open: set[smtplib.SMTP] = set()

    def send(self, envelope: Envelope) -> None:
        """Deliver one message or raise a :class:`DeliveryError` subclass."""
        smtp = self._connection()
        try:
            self._transfer(smtp, envelope)
        except DeliveryError:
            self._reset(smtp)
            raise
        self._local.count = getattr(self._local, "count", 0) + 1
        if self._local.count >= MESSAGES_PER_CONNECTION:
            self._drop()

    def _transfer(self, smtp: smtplib.SMTP, envelope: Envelope) -> None:
        options: list[str] = []
        if not (envelope.sender + envelope.recipient).isascii():
            if not smtp.has_extn("smtputf8"):
                raise PermanentFailure(
                    "the address is not ASCII and the server lacks SMTPUTF8"
                )
            options.append("SMTPUTF8")
        try:
            code, reply = smtp.mail(envelope.sender, options)
            if code != 250:
                raise _verdict(code, reply, "MAIL FROM")
            code, reply = smtp.rcpt(envelope.recipient)
            if code not in (250, 251):
                raise _verdict(code, reply, "RCPT TO")
            smtp.putcmd("data")
            code, reply = smtp.getreply()
            if code != 354:
                raise _verdict(code, reply, "DATA")
        except (OSError, smtplib.SMTPException) as error:
            self._drop()
            raise TemporaryFailure(
                f"connection failed: {type(error).__name__}"
            ) from None
        self._finish(smtp, envelope.data)

    def _finish(self, smtp: smtplib.SMTP, data: bytes) -> None:
        """Send the text; from here on a broken connection leaves the outcome open."""
        payload = _LEADING_DOT.sub(b"..", data)
        if not payload.endswith(b"\r\n"):
            payload += b"\r\n"
        try:
            smtp.send(payload + b".\r\n")
            code, reply = smtp.getreply()
        except (OSError, smtplib.SMTPException) as error:
            self._drop()
            raise UnknownOutcome(
                "outcome unknown: the connection failed while the server was "
                f"receiving the message ({type(error).__name__})"
            ) from None
        if code != 250:
            raise _verdict(code, reply, "message text")

    # -- connections ---------------------------------------------------------

    def _connection(self) -> smtplib.SMTP:
        smtp: smtplib.SMTP | None = getattr(self._local, "smtp", None)
        if smtp is not None:
            if time.monotonic() - self._local.used < IDLE_CHECK_SECONDS:
                self._local.used = time.monotonic()
                return smtp
            try:
                if smtp.noop()[0] == 250:
                    self._local.used = time.monotonic()
                    return smtp
            except (OSError, smtplib.SMTPException):
                pass
            self._drop()
        try:
            smtp = self._connect()
        except (OSError, smtplib.SMTPException) as error:
            raise TemporaryFailure(
                f"cannot reach the SMTP server {self.settings.smtp_host}:"
                f"{self.settings.smtp_port} ({type(error).__name__})"
            ) from None
        self._local.smtp, self._local.count = smtp, 0
        self._local.used = time.monotonic()
        with self._lock:
            self._open.add(smtp)
        return smtp

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        smtp: smtplib.SMTP
        if s.smtp_security == "tls":
            context = ssl.create_default_context()
            smtp = smtplib.SMTP_SSL(
                s.smtp_host, s.smtp_port, timeout=s.smtp_timeout, context=context
            )
        else:
            smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout)
        smtp.ehlo()
        if s.smtp_security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
        if s.smtp_username:
            smtp.login(s.smtp_username, s.smtp_password)
        return smtp

    def _reset(self, smtp: smtplib.SMTP) -> None:
        try:
            smtp.rset()
        except (OSError, smtplib.SMTPException):
            self._drop()

    def _drop(self) -> None:
        smtp: smtplib.SMTP | None = getattr(self._local, "smtp", None)
        self._local.smtp = None
        if smtp is not None:
            self._quit(smtp)

    def _quit(self, smtp: smtplib.SMTP) -> None:
        with self._lock:
            self._open.discard(smtp)
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()

    def close(self) -> None:
        """Close every connection this transport opened, in every thread."""
        with self._lock:
            connections = list(self._open)
        for smtp in connections:
            self._quit(smtp)
        self._local = threading.local()
