"""E-mail addresses are normalised and phone numbers become E.164."""

from __future__ import annotations

import pandas as pd
import pytest

from crm_core.importing import (
    ColumnFormat,
    MappingError,
    convert,
    convert_email,
    convert_phone,
    email_match_keys,
)


def cells(*values: str) -> pd.Series:
    return pd.Series(values, index=range(1, len(values) + 1), dtype=str)


def test_email_domains_are_lower_cased_and_spaces_stripped():
    """The domain is lower-cased, the local part kept, surrounding spaces gone."""
    result = convert_email(cells(" John.Smith@Example.COM ", "anna@exämple.de", ""))
    assert result.values.tolist() == [
        "John.Smith@example.com",
        "anna@exämple.de",
        None,
    ]
    assert not result.invalid.any()


def test_email_match_keys_lower_case_the_whole_address():
    """Matching ignores case in the whole address; None stays None."""
    result = convert_email(
        cells("John.Smith@Example.COM", "", "john.smith@example.com")
    )
    keys = email_match_keys(result.values)
    assert keys.tolist() == ["john.smith@example.com", None, "john.smith@example.com"]
    assert keys.index.tolist() == [1, 2, 3]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("anna@", "There must be something after the @-sign"),
        ("anna smith@example.com", "invalid characters"),
        ("anna@localhost", "should have a period"),
        ("a..b@example.com", "two periods"),
    ],
)
def test_invalid_emails_carry_the_reason(text, reason):
    """An invalid address is refused with the validator's explanation."""
    raw = cells(text)
    result = convert_email(raw)
    assert result.invalid.tolist() == [True]
    (error,) = result.errors(raw, "email")
    assert str(error).startswith(f"row 1, column 'email': {text!r} is not an e-mail")
    assert reason in str(error)


def test_repeated_emails_share_one_check():
    """Thousands of rows with a few addresses convert consistently."""
    addresses = [f"Customer{i % 7}@Example.com" for i in range(5_000)]
    result = convert_email(pd.Series(addresses, dtype=str))
    assert result.values.nunique() == 7
    assert result.values.iloc[8] == "Customer1@example.com"


def test_phones_become_e164_in_the_default_region():
    """National numbers use the default region; international ones their own."""
    result = convert_phone(
        cells("020 7946 0958", "+1 202-555-0143", "0044 20 7946 0958", ""),
        region="gb",
    )
    assert result.values.tolist() == [
        "+442079460958",
        "+12025550143",
        "+442079460958",
        None,
    ]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("12", "is not a valid phone number for GB"),
        ("phone me", "is not a phone number"),
        ("+44 20 7946 0958 ext. 12", "has an extension"),
    ],
)
def test_invalid_phones_are_refused(text, reason):
    """Numbers that are not valid are errors, with why."""
    raw = cells(text)
    result = convert_phone(raw, region="GB")
    assert result.invalid.tolist() == [True]
    assert reason in str(result.errors(raw, "phone")[0])


def test_without_a_region_numbers_need_a_country_code():
    """With no default region, a national number asks for + or a region."""
    raw = cells("020 7946 0958", "+44 20 7946 0958")
    result = convert_phone(raw)
    assert result.values.tolist() == [None, "+442079460958"]
    assert "set a default phone region" in str(result.errors(raw, "phone")[0])


def test_phone_and_postcode_columns_keep_leading_zeros_as_text():
    """Codes read as text keep every leading zero."""
    result = convert(cells("01234", "0049"), ColumnFormat("text"))
    assert result.values.tolist() == ["01234", "0049"]


def test_unknown_phone_region_is_refused():
    """A region phonenumbers does not know is an error naming it."""
    with pytest.raises(MappingError, match="unknown phone region 'ZZ'"):
        convert_phone(cells("1"), region="ZZ")
