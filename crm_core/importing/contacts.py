"""Converting columns of e-mail addresses and phone numbers.

Both need a library call per value, so each distinct value is checked once
and the result is shared by every row that repeats it.

* E-mail addresses are checked for syntax only (no DNS lookups) and
  normalised by email-validator: the domain is lower-cased, the local part
  kept as written. :func:`email_match_keys` lower-cases the whole address for
  matching records, since mail systems treat addresses case-insensitively in
  practice.
* Phone numbers must be valid for their country and become E.164
  ("+442079460958"). Numbers without a ``+`` prefix are read in the default
  region. Numbers with an extension are refused, as E.164 cannot hold one.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
import phonenumbers
from email_validator import EmailNotValidError, validate_email

from .conversion import Conversion, distinct, object_array, spread
from .errors import MappingError

# Checked values are remembered across batches and columns: a file repeats
# the same few thousand addresses far more often than it holds new ones.
CACHE_SIZE = 100_000


def check_region(region: str) -> str:
    """The upper-cased region code, if phonenumbers knows it."""
    code = region.upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise MappingError(
            f"unknown phone region {region!r} (expected a two-letter country "
            f"code such as GB, DE or US)"
        )
    return code


def convert_email(values: pd.Series, *, required: bool = False) -> Conversion:
    """E-mail addresses, normalised; invalid ones carry the validator's reason."""
    cells = distinct(values)
    texts = cells.texts.to_numpy(dtype=object)
    parsed = object_array(len(texts))
    bad = np.zeros(len(texts), dtype=bool)
    why: dict[int, str] = {}
    for position in np.flatnonzero(~cells.blank):
        address, problem = _email(texts[position])
        if problem:
            bad[position] = True
            why[int(position)] = problem
        else:
            parsed[position] = address
    expected = "an address such as name@example.com"
    return spread(
        cells, parsed, bad, "an e-mail address", expected, why, required=required
    )


@lru_cache(maxsize=CACHE_SIZE)
def _email(text: str) -> tuple[str | None, str]:
    """The normalised address and an empty note, or ``None`` and why not."""
    try:
        checked = validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        return None, f"is not an e-mail address: {exc}"
    return checked.normalized, ""


def email_match_keys(addresses: pd.Series) -> pd.Series:
    """Lower-cased addresses to match records on; ``None`` stays ``None``."""
    keys = addresses.to_numpy(dtype=object).copy()
    present = pd.notna(keys)
    lowered = pd.Series(keys[present], dtype=object).str.lower()
    keys[present] = lowered.to_numpy(dtype=object)
    keys[~present] = None
    return pd.Series(keys, index=addresses.index, dtype=object)


def convert_phone(
    values: pd.Series, *, region: str | None = None, required: bool = False
) -> Conversion:
    """Phone numbers in E.164; ``region`` is the country of numbers without ``+``."""
    default = check_region(region) if region else None
    cells = distinct(values)
    texts = cells.texts.to_numpy(dtype=object)
    parsed = object_array(len(texts))
    bad = np.zeros(len(texts), dtype=bool)
    why: dict[int, str] = {}
    for position in np.flatnonzero(~cells.blank):
        number, problem = _phone(texts[position], default)
        if problem:
            bad[position] = True
            why[int(position)] = problem
        else:
            parsed[position] = number
    if default:
        expected = f"a number valid in {default}, or + and the country code"
    else:
        expected = "+ and the country code, e.g. +44 20 7946 0958"
    return spread(
        cells, parsed, bad, "a phone number", expected, why, required=required
    )


@lru_cache(maxsize=CACHE_SIZE)
def _phone(text: str, region: str | None) -> tuple[str | None, str]:
    """The E.164 form of ``text`` and an empty note, or ``None`` and why not."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        if region is None and not text.startswith("+"):
            return None, (
                "is not a phone number with a country code; start it with + "
                "or set a default phone region"
            )
        return None, "is not a phone number"
    if number.extension:
        return None, "has an extension, which an E.164 phone number cannot hold"
    if not phonenumbers.is_valid_number(number):
        where = phonenumbers.region_code_for_number(number) or region or "any country"
        return None, f"is not a valid phone number for {where}"
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), ""
