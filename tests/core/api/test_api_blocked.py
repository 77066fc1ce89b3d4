"""A plugin's veto on delete reaches API callers as 409, naming the plugin."""

from __future__ import annotations

import pytest

from crm_core import Problem
from crm_core.testing import make_plugin

pytestmark = pytest.mark.crm_plugins("billing")

API = "/api/v1"
PROTECTED: set[int] = set()


def keep_protected(record_type, ids):
    if record_type == "customer" and PROTECTED & set(ids):
        return [Problem("the customer has open invoices")]
    return []


@pytest.fixture
def crm_extra_plugins():
    return [make_plugin("billing", crm_before_delete=keep_protected)]


def test_vetoed_delete_is_409_and_changes_nothing(admin, new_customer, crm_events):
    """A refused delete is a 409; the customer stays and nothing is published."""
    customer = new_customer()
    PROTECTED.add(customer["id"])
    try:
        response = admin.delete(f"{API}/customers/{customer['id']}")
    finally:
        PROTECTED.discard(customer["id"])
    assert response.status_code == 409
    assert "open invoices" in response.get_json()["detail"]
    assert "billing" in response.get_json()["detail"]
    assert admin.get(f"{API}/customers/{customer['id']}").status_code == 200
    assert "customer.deleted" not in crm_events.names()
