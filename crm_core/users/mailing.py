"""The e-mails of the core's own flows, written in the recipient's language.

Every such e-mail goes out through :func:`send_notice`, which translates
the texts and hands the message to the mail service, inside the caller's
transaction (a rolled-back invitation sends nothing).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs
from markupsafe import Markup, escape
from sqlalchemy import Connection

from ..customers import NotFound
from ..i18n import N_, translator
from ..mail import MailService, mail_service
from ..mail.consent import TRANSACTIONAL
from ..security import SYSTEM

if TYPE_CHECKING:
    from ..host import Host


@attrs.frozen
class Notice:
    """An e-mail text: a name, a subject and a body with ``%(name)s`` values."""

    name: str
    subject: str
    body: str


INVITATION = Notice(
    "invitation",
    N_("%(inviter)s invited you to Strata CRM"),
    N_(
        "Hello %(name)s,\n\n"
        "%(inviter)s invited you to work in Strata CRM. Choose your password "
        "here to sign in:\n\n%(link)s\n\n"
        "The link works once and until %(expires)s. If you did not expect "
        "this invitation, you can ignore this e-mail."
    ),
)

PASSWORD_RESET = Notice(
    "password_reset",
    N_("Choose a new password for Strata CRM"),
    N_(
        "Hello %(name)s,\n\n"
        "Someone asked to reset the password of your Strata CRM account. "
        "Choose a new password here:\n\n%(link)s\n\n"
        "The link works once and until %(expires)s. If you did not ask for "
        "this, ignore this e-mail; your password stays as it is."
    ),
)


@attrs.frozen
class Message:
    """A notice written out for one recipient."""

    notice: str
    subject: str
    text: str
    locale: str


def write(
    host: Host, notice: Notice, locale: str, values: Mapping[str, Any]
) -> Message:
    """``notice`` in ``locale`` with ``values`` filled in."""
    texts = translator(host, locale)
    return Message(
        notice=notice.name,
        subject=texts.gettext(notice.subject) % values,
        text=texts.gettext(notice.body) % values,
        locale=locale,
    )


def send_notice(
    host: Host,
    connection: Connection,
    notice: Notice,
    *,
    locale: str,
    values: Mapping[str, Any],
    to_address: str,
    to_customer_id: int | None = None,
) -> Message:
    """Write ``notice`` for its recipient and hand it to the mail service."""
    message = write(host, notice, locale, values)
    deliver(
        host,
        connection,
        message,
        to_address=to_address,
        to_customer_id=to_customer_id,
    )
    return message


def deliver(
    host: Host,
    connection: Connection,
    message: Message,
    *,
    to_address: str,
    to_customer_id: int | None = None,
) -> None:
    """Queue one transactional message with the mail service (``crm_core.mail``)."""
    service = mail_service(host)
    _ensure_template(service, connection)
    service.send(
        connection,
        to_customer_id=to_customer_id,
        to_address=None if to_customer_id is not None else to_address,
        template=TEMPLATE,
        context={
            "subject": message.subject,
            "text": message.text,
            "html": as_html(message.text),
        },
        purpose=TRANSACTIONAL,
    )


#: The stored mail template the core's own e-mails go out with; an
#: administrator may change its frame (a signature, a logo) under Mail.
TEMPLATE = "core.notice"
TEMPLATE_PARTS = {
    "name": TEMPLATE,
    "description": (
        "The frame of the core's own e-mails (invitations, password resets, "
        "form confirmations); their text comes in the recipient's language."
    ),
    "subject": "{{ subject }}",
    "text_body": "{{ text }}",
    "html_body": "{{ html }}",
    "variables": ["subject", "text", "html"],
}


def _ensure_template(service: MailService, connection: Connection) -> None:
    try:
        service.templates.named(connection, TEMPLATE)
    except NotFound:
        service.templates.create(connection, SYSTEM, TEMPLATE_PARTS)


def as_html(text: str) -> Markup:
    """Plain text as HTML paragraphs; a line that is a link becomes one."""
    paragraphs = []
    for part in text.split("\n\n"):
        line = part.strip()
        if line.startswith(("https://", "http://")) and " " not in line:
            paragraphs.append(Markup('<p><a href="{0}">{0}</a></p>').format(line))
        else:
            lines = [escape(piece) for piece in line.splitlines()]
            paragraphs.append(Markup("<p>{}</p>").format(Markup("<br>").join(lines)))
    return Markup("\n").join(paragraphs)
