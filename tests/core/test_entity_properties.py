"""Properties of the entities and the import pipeline's building blocks (Hypothesis)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_core.entities import Activity, Customer, CustomerKind, display_name
from crm_core.export import FORMULA_STARTS, neutralise
from crm_core.importing import row_digests

texts = st.one_of(st.none(), st.text(min_size=1, max_size=30))
lists = st.lists(st.text(min_size=1, max_size=20), max_size=3)


@given(name=texts, emails=lists, phones=lists, external_id=texts)
def test_customer_needs_one_identifying_value(name, emails, phones, external_id):
    """A customer exists only with a name, e-mail, phone or external id; its display name is the first."""
    if not (name or emails or phones or external_id):
        with pytest.raises(ValueError, match="at least one of name, email, phone"):
            Customer(
                kind="person",
                name=name,
                emails=emails,
                phones=phones,
                external_id=external_id,
            )
        return
    customer = Customer(
        kind="person", name=name, emails=emails, phones=phones, external_id=external_id
    )
    expected = next(v for v in (name, *emails[:1], *phones[:1], external_id) if v)
    assert (
        customer.display_name
        == expected
        == display_name(name, emails, phones, external_id)
    )


@given(st.sampled_from(list(CustomerKind)), st.integers(min_value=1))
def test_only_organisations_have_parents(kind, parent_id):
    """A parent organisation is refused on a person."""
    if kind is CustomerKind.PERSON:
        with pytest.raises(ValueError, match="only an organisation"):
            Customer(kind=kind, name="x", parent_id=parent_id)
    else:
        assert Customer(kind=kind, name="x", parent_id=parent_id).parent_id == parent_id


@given(st.datetimes())
def test_activity_times_need_a_zone(moment):
    """An activity with a naive time is refused; with a zone it is kept."""
    with pytest.raises(ValueError, match="needs a time zone"):
        Activity(channel="email", kind="sent", occurred_at=moment)
    aware = moment.replace(tzinfo=dt.UTC)
    assert (
        Activity(channel="email", kind="sent", occurred_at=aware).occurred_at == aware
    )


@given(st.text(max_size=40))
def test_neutralised_text_never_starts_a_formula(text):
    """Exported text never starts with a character a spreadsheet would evaluate."""
    safe = neutralise(text)
    assert not safe.startswith(FORMULA_STARTS)
    assert safe in (text, "'" + text)


rows = st.lists(
    st.tuples(st.sampled_from(["a", "b", "a,b", ""]), st.sampled_from(["1", "2"])),
    min_size=1,
    max_size=40,
)


@settings(max_examples=60)
@given(rows, st.integers(min_value=1, max_value=7))
def test_row_identities_are_unique_and_independent_of_batching(table, batch):
    """Every row gets a distinct identity, the same however the file is split into batches."""
    frame = pd.DataFrame(table, columns=["x", "y"], dtype=str)
    whole = list(row_digests(frame, {}))
    occurrences: dict[bytes, int] = {}
    pieces = []
    for start in range(0, len(frame), batch):
        pieces.extend(row_digests(frame.iloc[start : start + batch], occurrences))
    assert pieces == whole
    assert len(set(whole)) == len(whole)
