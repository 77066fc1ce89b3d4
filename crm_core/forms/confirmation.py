"""The e-mail that confirms a form's consent, and how purposes are named."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Connection

from ..i18n import N_, format_moment, translator
from ..storage.types import utcnow
from ..users.mailing import Notice, send_notice
from .spec import FormSpec

if TYPE_CHECKING:
    from ..host import Host

#: What each consent purpose lets the business do, in a visitor's words.
PURPOSES = {
    "email_marketing": N_("news and offers by e-mail"),
    "sms_marketing": N_("news and offers by text message"),
    "phone_marketing": N_("calls about news and offers"),
    "profiling": N_("offers chosen from what you do with us"),
}
#: The consent box's label when the form gives none.
CONSENT_LABEL = N_("Yes, send me %(purpose)s. I can withdraw this at any time.")

CONFIRMATION = Notice(
    "form_confirmation",
    N_("Please confirm: %(purpose)s"),
    N_(
        "Hello,\n\n"
        'With the form "%(form)s" you asked us for %(purpose)s. Please '
        "confirm that this was you by opening this link:\n\n%(link)s\n\n"
        "The link works until %(expires)s. If it was not you, ignore this "
        "e-mail: nothing is kept, and the request is deleted then."
    ),
)


def purpose_text(host: Host, purpose: str, locale: str) -> str:
    """The consent purpose in the visitor's words and language."""
    return translator(host, locale).gettext(PURPOSES.get(purpose, purpose))


def send(
    host: Host,
    connection: Connection,
    spec: FormSpec,
    address: str,
    locale: str,
    link: str,
    hold: timedelta,
) -> None:
    """E-mail the confirmation link of a held submission to its address."""
    purpose = spec.consent_purpose or ""
    expires = format_moment(utcnow() + hold, None, locale) + " UTC"
    send_notice(
        host,
        connection,
        CONFIRMATION,
        locale=locale,
        values={
            "form": spec.title or spec.name,
            "purpose": purpose_text(host, purpose, locale),
            "link": link,
            "expires": expires,
        },
        to_address=address,
    )
