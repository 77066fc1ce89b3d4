"""Normalising e-mail addresses and phone numbers before they are stored or matched."""

from __future__ import annotations

import phonenumbers
from email_validator import EmailNotValidError, validate_email


class ContactPointError(ValueError):
    """An e-mail address or phone number that cannot be used."""


def normalise_email(value: str) -> str:
    """A checked e-mail address in the form used for matching: trimmed, lower case.

    The local part is lower-cased too: mail systems in practice treat it
    without case, and a CRM that keeps "Ana@x" and "ana@x" apart creates
    duplicates.
    """
    text = value.strip()
    try:
        checked = validate_email(text, check_deliverability=False)
    except EmailNotValidError as error:
        raise ContactPointError(
            f"{text!r} is not an e-mail address ({error})"
        ) from None
    return checked.normalized.lower()


def normalise_phone(value: str, region: str = "US") -> str:
    """A phone number in E.164 form (``+4930123456``), read in ``region`` when local."""
    text = value.strip()
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as error:
        raise ContactPointError(f"{text!r} is not a phone number ({error})") from None
    if not phonenumbers.is_possible_number(number):
        raise ContactPointError(
            f"{text!r} is not a possible phone number for region {region}"
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
