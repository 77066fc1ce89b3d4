"""Stored codes shown to readers: customer kinds, stages, channels, audit actions.

The code itself is the English text, so English pages read exactly as the
codes are stored; other languages translate each code within a context,
so ``lead`` the stage and any other ``lead`` stay apart.
"""

from __future__ import annotations

from typing import Any

from werkzeug.exceptions import HTTPException

from .messages import lazy_gettext, lazy_pgettext

# Contexts are written out in each call: extraction reads literals only.
TERMS: dict[str, Any] = {
    "person": lazy_pgettext("customer kind", "person"),
    "organisation": lazy_pgettext("customer kind", "organisation"),
    "subscriber": lazy_pgettext("lifecycle stage", "subscriber"),
    "lead": lazy_pgettext("lifecycle stage", "lead"),
    "prospect": lazy_pgettext("lifecycle stage", "prospect"),
    "customer": lazy_pgettext("lifecycle stage", "customer"),
    "former": lazy_pgettext("lifecycle stage", "former"),
    "other": lazy_pgettext("lifecycle stage", "other"),
    "email": lazy_pgettext("channel", "email"),
    "phone": lazy_pgettext("channel", "phone"),
    "sms": lazy_pgettext("channel", "sms"),
    "web": lazy_pgettext("channel", "web"),
    "chat": lazy_pgettext("channel", "chat"),
    "in_person": lazy_pgettext("channel", "in_person"),
    "mail": lazy_pgettext("channel", "mail"),
    "import": lazy_pgettext("channel", "import"),
    "system": lazy_pgettext("channel", "system"),
    "create": lazy_pgettext("audit action", "create"),
    "update": lazy_pgettext("audit action", "update"),
    "delete": lazy_pgettext("audit action", "delete"),
    "restore": lazy_pgettext("audit action", "restore"),
    "deactivate": lazy_pgettext("audit action", "deactivate"),
    "invite": lazy_pgettext("audit action", "invite"),
    "form_submission": lazy_pgettext("activity kind", "form_submission"),
    "language": lazy_pgettext("preference", "language"),
    "channel": lazy_pgettext("preference", "channel"),
}

#: Headings of the error page, by status code.
ERROR_NAMES: dict[int, Any] = {
    400: lazy_gettext("Bad Request"),
    401: lazy_gettext("Unauthorized"),
    403: lazy_gettext("Forbidden"),
    404: lazy_gettext("Not Found"),
    405: lazy_gettext("Method Not Allowed"),
    409: lazy_gettext("Conflict"),
    413: lazy_gettext("Request Entity Too Large"),
    429: lazy_gettext("Too Many Requests"),
    500: lazy_gettext("Internal Server Error"),
}

#: What the error page says when the error carries no message of its own.
ERROR_TEXTS: dict[int, Any] = {
    400: lazy_gettext("The request could not be understood."),
    401: lazy_gettext("Please sign in first."),
    403: lazy_gettext("You may not open this page."),
    404: lazy_gettext("There is no page at this address."),
    405: lazy_gettext("This page cannot be used that way."),
    409: lazy_gettext("The request clashes with the current state of the record."),
    413: lazy_gettext("What you sent is too large."),
    429: lazy_gettext("Too many requests; please wait a little and try again."),
    500: lazy_gettext("Something went wrong on our side; it has been logged."),
}

#: Messages of the CSRF check, which come from Flask-WTF in English.
CSRF_TEXTS: dict[str, Any] = {
    "The CSRF token is missing.": lazy_gettext(
        "The form is missing its security token; reload the page and try again."
    ),
    "The CSRF token has expired.": lazy_gettext(
        "The form has expired; reload the page and try again."
    ),
    "The CSRF tokens do not match.": lazy_gettext(
        "The form does not belong to this browser; reload the page and try again."
    ),
    "The CSRF token is invalid.": lazy_gettext(
        "The form's security token is not valid; reload the page and try again."
    ),
}


def term(code: Any) -> Any:
    """A stored code in the reader's language; unknown codes are shown as stored."""
    if not isinstance(code, str):
        return code
    found = TERMS.get(code)
    return str(found) if found is not None else code


def error_name(error: HTTPException) -> str:
    """The heading of an error page."""
    found = ERROR_NAMES.get(error.code or 500)
    return str(found) if found is not None else str(error.name)


def error_text(error: HTTPException) -> str:
    """The error's own message, or a translated default for its status."""
    description = str(error.description or "")
    if description in CSRF_TEXTS:
        return str(CSRF_TEXTS[description])
    if description and description != type(error).description:
        return description
    found = ERROR_TEXTS.get(error.code or 500)
    return str(found) if found is not None else description
