"""Languages: translated texts, and dates, numbers and money in the reader's locale.

English and Simplified Chinese come with the core; each plugin adds its own
catalogue through the ``crm_translations`` hook. In Python, mark texts with
:func:`gettext` (``_``) or :func:`lazy_gettext`; in templates, with
``{{ _("...") }}``. Format values with :func:`format_moment`,
:func:`format_day`, :func:`format_number` and :func:`format_money`, or the
template filters ``crm_number``, ``crm_money``, ``crm_day`` and ``crm_when``.
"""

from .catalogues import (
    DEFAULT_LOCALE,
    LANGUAGES,
    Catalogue,
    supported_locale,
    translator,
)
from .formats import (
    current_locale,
    format_day,
    format_moment,
    format_money,
    format_number,
)
from .messages import (
    N_,
    _,
    gettext,
    in_locale,
    lazy_gettext,
    lazy_pgettext,
    ngettext,
    pgettext,
)
from .terms import term

__all__ = [
    "DEFAULT_LOCALE",
    "LANGUAGES",
    "Catalogue",
    "N_",
    "_",
    "current_locale",
    "format_day",
    "format_moment",
    "format_money",
    "format_number",
    "gettext",
    "in_locale",
    "lazy_gettext",
    "lazy_pgettext",
    "ngettext",
    "pgettext",
    "supported_locale",
    "term",
    "translator",
]
