"""Hook specifications of the mail service (re-exported by crm_core.hookspecs)."""

from __future__ import annotations

from typing import Any

from ..contract import collect, veto

# ruff: noqa: ARG001  (specifications declare arguments they do not use)

__all__ = ["crm_mail_allowed", "crm_mail_variables"]


@collect
def crm_mail_variables(customer: Any, purpose: str, campaign: Any) -> Any:
    """Variables this plugin adds to the context of every mail template.

    Kind: collect. ``customer`` is the mapping a template sees as
    ``customer`` (a sample customer while a template is checked or
    previewed), ``purpose`` is ``marketing`` or ``transactional`` and
    ``campaign`` the campaign name or ``None``. Return a mapping of variable
    names to values, such as ``{"account_manager": "Mira"}``. A name the mail
    service sets (``customer``, ``unsubscribe_url``, ``campaign``) or another
    plugin adds is refused. A template may print a variable without a
    fallback only if the hook gives it for the sample customer. Called once
    per message: keep it cheap.

    .. versionadded:: 1.1
    """


@veto
def crm_mail_allowed(mail: Any) -> Any:
    """Refuse to send a message that consent and suppression would allow.

    Kind: veto. ``mail`` is a :class:`~crm_core.mail.OutgoingMail` with the
    customer id, address, template name, purpose and campaign. Return
    :class:`~crm_core.Problem` objects to refuse; the message is stored as
    ``skipped`` with the problems as its reason and is never delivered. Use
    it for contact-frequency caps, quiet periods or treatment policies.

    .. versionadded:: 1.1
    """
