"""Marking texts for translation, in Python code.

``gettext`` (also ``_``) translates at once, into the current request's
language; the ``lazy_`` forms translate when the text is shown, for
module-level constants such as column headings. Variables are named:
``gettext("%(name)s was saved.", name=...)``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import flask_babel


def gettext(message: str, **values: Any) -> str:
    """``message`` in the current language, with ``values`` filled in."""
    return str(flask_babel.gettext(message, **values))


_ = gettext


def ngettext(singular: str, plural: str, num: int, **values: Any) -> str:
    """The singular or plural form for ``num`` (available as ``%(num)d``)."""
    return str(flask_babel.ngettext(singular, plural, num, **values))


def pgettext(context: str, message: str, **values: Any) -> str:
    """``message`` translated within ``context`` (a short word or two)."""
    return str(flask_babel.pgettext(context, message, **values))


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue only; translate it later with a translator.

    For texts that are translated outside the current request, such as
    e-mails in the recipient's language (see :func:`crm_core.i18n.translator`).
    """
    return message


@contextmanager
def in_locale(locale: str) -> Iterator[None]:
    """Translate into ``locale`` inside the block (a language just chosen, say)."""
    with flask_babel.force_locale(locale):
        yield


def lazy_gettext(message: str, **values: Any) -> Any:
    """A text translated each time it is shown."""
    return flask_babel.lazy_gettext(message, **values)


def lazy_pgettext(context: str, message: str, **values: Any) -> Any:
    """A text in ``context``, translated each time it is shown."""
    return flask_babel.lazy_pgettext(context, message, **values)
