"""Hook specifications of the forms service (re-exported by crm_core.hookspecs)."""

from __future__ import annotations

from typing import Any

from ..contract import collect

__all__ = ["crm_forms"]


@collect
def crm_forms() -> Any:
    """Web forms this plugin publishes.

    Kind: collect. Return :class:`crm_core.forms.FormSpec` objects. Each
    form is served at ``/f/<name>`` and can be embedded in other sites; a
    submission is checked with the import rules of the form's record type
    (``customers`` by default, matched on the e-mail address) and becomes
    a record. A form with a ``consent_purpose`` records consent only after
    the visitor confirms by e-mail. Two plugins declaring the same form
    name stop the host at start-up.

    .. versionadded:: 1.1
    """
