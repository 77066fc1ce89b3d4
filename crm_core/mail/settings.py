"""The mail service's settings, read from the configuration and the environment.

Each setting has one name: ``smtp_host`` in the mapping given to
:meth:`Config.load <crm_core.config.Config.load>`, ``CRM_SMTP_HOST`` in the
environment; the environment wins, as it does for every Strata setting.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from email.utils import parseaddr
from typing import Any

import attrs

from ..config import Config

SECURITY_MODES = ("none", "starttls", "tls")
CONSENT_MODELS = ("opt-out", "opt-in")
_LOOPBACK = {"localhost", "127.0.0.1", "::1"}


class MailSettingsError(ValueError):
    """A mail setting has a value the service cannot use; the message names it."""


@attrs.frozen
class MailSettings:
    """How the installation sends and receives mail."""

    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_security: str = "none"
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_timeout: float = 30.0
    mail_from: str = "Strata CRM <crm@localhost>"
    base_url: str = "http://localhost:8000"
    rate_per_minute: int = 600
    marketing_consent: str = "opt-out"
    unsubscribe_address: str = ""

    @property
    def from_address(self) -> str:
        """The bare address of :attr:`mail_from`, for the SMTP envelope."""
        return parseaddr(self.mail_from)[1]

    @property
    def domain(self) -> str:
        """The domain Message-IDs are made in: the sender's."""
        return self.from_address.rpartition("@")[2] or "localhost"

    @property
    def unsubscribe_mailbox(self) -> str:
        """Where mail clients send mailto unsubscribe requests."""
        return self.unsubscribe_address or f"unsubscribe@{self.domain}"

    @property
    def sender(self) -> tuple[str, str]:
        """The display name and address of :attr:`mail_from`."""
        return parseaddr(self.mail_from)


def _read(config: Config, name: str) -> Any:
    value = os.environ.get(f"CRM_{name.upper()}")
    if value is None:
        value = config.extra.get(name)
    return value


def _number(name: str, raw: Any, kind: type[int] | type[float]) -> Any:
    try:
        value = kind(raw)
    except (TypeError, ValueError):
        raise MailSettingsError(
            f"CRM_{name.upper()} must be a number, not {raw!r}"
        ) from None
    if value < 0:
        raise MailSettingsError(f"CRM_{name.upper()} must not be negative")
    return value


def _choice(name: str, raw: Any, choices: tuple[str, ...]) -> str:
    value = str(raw).strip().lower()
    if value not in choices:
        raise MailSettingsError(
            f"CRM_{name.upper()} is {raw!r}; use one of {', '.join(choices)}"
        )
    return value


#: The setting name of each field, where it differs from the field's name.
_SETTING_NAMES = {
    "rate_per_minute": "mail_rate_per_minute",
    "marketing_consent": "mail_marketing_consent",
    "unsubscribe_address": "mail_unsubscribe_address",
}


def load_settings(config: Config) -> MailSettings:
    """The mail settings of ``config``, checked; defaults where a setting is unset."""
    values: dict[str, Any] = {}
    for field in attrs.fields(MailSettings):
        raw = _read(config, _SETTING_NAMES.get(field.name, field.name))
        if raw is not None and raw != "":
            values[field.name] = raw
    return _checked(MailSettings(), values)


def _checked(defaults: MailSettings, values: Mapping[str, Any]) -> MailSettings:
    clean = dict(values)
    for name, kind in (
        ("smtp_port", int),
        ("rate_per_minute", int),
        ("smtp_timeout", float),
    ):
        if name in clean:
            setting = _SETTING_NAMES.get(name, name)
            clean[name] = _number(setting, clean[name], kind)
    if "smtp_security" in clean:
        clean["smtp_security"] = _choice(
            "smtp_security", clean["smtp_security"], SECURITY_MODES
        )
    if "marketing_consent" in clean:
        clean["marketing_consent"] = _choice(
            "mail_marketing_consent", clean["marketing_consent"], CONSENT_MODELS
        )
    settings = attrs.evolve(defaults, **clean)
    if "@" not in settings.from_address:
        raise MailSettingsError(
            f"CRM_MAIL_FROM is {settings.mail_from!r}; give an address such as "
            "'Acme <crm@acme.example>'"
        )
    if (
        settings.smtp_username
        and settings.smtp_security == "none"
        and settings.smtp_host not in _LOOPBACK
    ):
        raise MailSettingsError(
            "CRM_SMTP_USERNAME is set but CRM_SMTP_SECURITY is 'none': the password "
            f"would cross the network to {settings.smtp_host!r} in clear; "
            "set CRM_SMTP_SECURITY to 'starttls' or 'tls'"
        )
    return settings
