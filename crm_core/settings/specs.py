"""Declared settings: their types, and turning input into typed values.

A plugin declares each of its settings with a :class:`SettingSpec`. Values
arrive as JSON (the API) or as form text (the settings page); both are
checked against the declaration and refused with an :class:`InvalidSetting`
that names the key and what was expected.
"""

from __future__ import annotations

import enum
import ipaddress
import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs

#: ``plugin.name``: a prefix naming the owner, a dot, then the setting's name.
KEY_PATTERN = r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+"
TEXT_LIMIT = 2000
SECRET_LIMIT = 1000
HOSTS_LIMIT = 200
_HOST_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})


class SettingType(enum.Enum):
    """The types a setting can have."""

    TEXT = "text"
    INTEGER = "integer"
    DECIMAL = "decimal"
    BOOLEAN = "boolean"
    CHOICE = "choice"
    #: Never shown or returned once stored; only whether it is set.
    SECRET = "secret"
    #: A list of host names, IP addresses and CIDR networks.
    HOSTS = "hosts"


class InvalidSetting(ValueError):
    """A value a setting cannot take; the message names the key and the remedy."""

    def __init__(self, key: str, message: str) -> None:
        self.key = key
        self.reason = message
        super().__init__(f"setting {key!r}: {message}")


def _strings(values: Iterable[Any]) -> tuple[str, ...]:
    return tuple(str(value) for value in values)


@attrs.frozen
class SettingSpec:
    """A setting a plugin declares through the ``crm_settings`` hook.

    :param key: ``plugin.name``; a plugin's keys start with its own name (the
        core's shared services use their service name).
    :param type: a :class:`SettingType` or its value (``"integer"``, ...).
    :param default: the value while none is stored; checked like input.
        Secrets have no default.
    :param choices: the allowed values of a ``choice`` setting.
    :param minimum: the smallest allowed ``integer`` or ``decimal`` value.
    :param maximum: the largest allowed ``integer`` or ``decimal`` value.
    """

    key: str = attrs.field(validator=attrs.validators.matches_re(KEY_PATTERN))
    type: SettingType = attrs.field(converter=SettingType)
    default: Any = None
    label: str = ""
    help: str = ""
    choices: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    minimum: int | Decimal | None = None
    maximum: int | Decimal | None = None

    def __attrs_post_init__(self) -> None:
        if self.type is SettingType.CHOICE and not self.choices:
            raise ValueError(f"choice setting {self.key!r} needs at least one choice")
        if self.type is SettingType.SECRET and self.default is not None:
            raise ValueError(
                f"secret setting {self.key!r} cannot have a default; "
                "leave it out so the secret is only ever set by an administrator"
            )
        if self.default is not None:
            try:
                self.coerce(self.default)
            except InvalidSetting as error:
                raise ValueError(f"the default of {error}") from None

    @property
    def effective_default(self) -> Any:
        """The default as a typed value (``None`` for an unset secret)."""
        if self.default is None:
            return [] if self.type is SettingType.HOSTS else None
        return self.coerce(self.default)

    @property
    def title(self) -> str:
        return self.label or self.key

    # -- input -----------------------------------------------------------

    def coerce(self, value: Any) -> Any:
        """A JSON value as this setting's type, or :class:`InvalidSetting`."""
        kind = self.type
        if value is None:
            raise self._invalid("a value is needed; reset the setting to its default")
        if kind is SettingType.INTEGER:
            return self._bounded(_integer(self.key, value))
        if kind is SettingType.DECIMAL:
            return self._bounded(_decimal(self.key, value))
        if kind is SettingType.BOOLEAN:
            if isinstance(value, bool):
                return value
            raise self._invalid(f"expected true or false, got {value!r}")
        if kind is SettingType.HOSTS:
            return normalise_hosts(self.key, value)
        if not isinstance(value, str):
            raise self._invalid(f"expected text, got {type(value).__name__}")
        return self._text(value)

    def parse(self, text: str) -> Any:
        """Text from a form as this setting's type, or :class:`InvalidSetting`."""
        if self.type is SettingType.BOOLEAN:
            word = text.strip().lower()
            if word in _TRUE or word in _FALSE:
                return word in _TRUE
            raise self._invalid(f"expected yes or no, got {text!r}")
        if self.type is SettingType.HOSTS:
            return normalise_hosts(self.key, text)
        if self.type in (SettingType.INTEGER, SettingType.DECIMAL):
            return self.coerce(text.strip())
        return self.coerce(text)

    def _text(self, value: str) -> str:
        if "\x00" in value:
            raise self._invalid("NUL characters are not allowed")
        if self.type is SettingType.CHOICE:
            if value not in self.choices:
                allowed = ", ".join(repr(c) for c in self.choices)
                raise self._invalid(f"{value!r} is not one of {allowed}")
            return value
        if self.type is SettingType.SECRET:
            if not value.strip():
                raise self._invalid("a secret cannot be empty")
            if len(value) > SECRET_LIMIT:
                raise self._invalid(f"at most {SECRET_LIMIT} characters")
            return value
        if len(value) > TEXT_LIMIT:
            raise self._invalid(f"at most {TEXT_LIMIT} characters")
        return value

    def _bounded(self, number: int | Decimal) -> Any:
        if self.minimum is not None and number < self.minimum:
            raise self._invalid(f"{number} is below the minimum {self.minimum}")
        if self.maximum is not None and number > self.maximum:
            raise self._invalid(f"{number} is above the maximum {self.maximum}")
        return number

    def _invalid(self, message: str) -> InvalidSetting:
        return InvalidSetting(self.key, message)

    # -- storage and output ----------------------------------------------

    def dump(self, value: Any) -> Any:
        """A typed value as stored (decimals as text, to stay exact)."""
        return str(value) if self.type is SettingType.DECIMAL else value

    def load(self, stored: Any) -> Any:
        """A stored value as this setting's type."""
        if self.type is SettingType.DECIMAL:
            return Decimal(str(stored))
        if self.type is SettingType.HOSTS:
            return list(stored)
        return stored

    def public(self, value: Any) -> Any:
        """A typed value as the API shows it: secrets never, decimals as text."""
        if self.type is SettingType.SECRET:
            return None
        if self.type is SettingType.DECIMAL and value is not None:
            return str(value)
        return value


def _integer(key: str, value: Any) -> int:
    if isinstance(value, bool):
        raise InvalidSetting(key, f"expected a whole number, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"[+-]?\d{1,18}", value.strip()):
        return int(value)
    raise InvalidSetting(key, f"expected a whole number, got {value!r}")


def _decimal(key: str, value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise InvalidSetting(key, f"expected a number such as 12.5, got {value!r}")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise InvalidSetting(
            key, f"expected a number such as 12.5, got {value!r}"
        ) from None
    if not number.is_finite():
        raise InvalidSetting(key, f"expected a finite number, got {value!r}")
    return number


def normalise_hosts(key: str, value: Any) -> list[str]:
    """Host names, addresses and networks, lower-cased and without repeats.

    Text is split on commas and white space; a list must hold text only.
    """
    if isinstance(value, str):
        items: list[Any] = re.split(r"[\s,]+", value)
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        raise InvalidSetting(key, f"expected a list of hosts, got {value!r}")
    found: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise InvalidSetting(key, f"expected host names as text, got {item!r}")
        entry = host_entry(key, item.strip())
        if entry and entry not in found:
            found.append(entry)
    if len(found) > HOSTS_LIMIT:
        raise InvalidSetting(key, f"at most {HOSTS_LIMIT} entries")
    return found


def host_entry(key: str, text: str) -> str:
    """One allow-list entry in its normal form; empty text gives ``""``."""
    if not text:
        return ""
    if "/" in text:
        try:
            return str(ipaddress.ip_network(text, strict=True))
        except ValueError:
            raise InvalidSetting(
                key,
                f"{text!r} is not a network; write it as 10.0.0.0/8 or "
                "fd00::/8 with no bits set after the prefix",
            ) from None
    try:
        return str(ipaddress.ip_address(text.strip("[]")))
    except ValueError:
        pass
    name = text.lower().rstrip(".")
    labels = name.split(".")
    if len(name) > 253 or not all(_HOST_LABEL.fullmatch(p) for p in labels):
        raise InvalidSetting(
            key,
            f"{text!r} is not a host name, an IP address or a network "
            "(examples: hooks.example.com, 192.0.2.10, 10.0.0.0/8)",
        )
    return name
