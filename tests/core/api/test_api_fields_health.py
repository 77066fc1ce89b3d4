"""Custom fields through the API, and the public health endpoint."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine

from crm_core.app import create_app
from crm_core.config import Config
from crm_core.host import Host

API = "/api/v1"


def test_anyone_who_reads_customers_lists_their_fields(crm_api, declare):
    """GET /fields lists every custom field of customers with its type."""
    declare("tier", "choice", choices=("gold", "silver"), label="Tier")
    declare("income", "decimal", sensitive=True)
    response = crm_api("viewer").get(f"{API}/fields")
    items = {item["name"]: item for item in response.get_json()["items"]}
    assert response.status_code == 200
    assert items["tier"] == {
        "name": "tier",
        "type": "choice",
        "label": "Tier",
        "choices": ["gold", "silver"],
        "required": False,
        "sensitive": False,
    }
    assert items["income"]["sensitive"] is True


def test_admin_declares_a_field_that_customers_then_take(admin, new_customer):
    """POST /fields declares a field; customers accept and filter on it at once."""
    response = admin.post(
        f"{API}/fields", json={"name": "employees", "type": "integer", "label": "Staff"}
    )
    assert response.status_code == 201
    assert response.headers["Location"] == f"{API}/fields/employees"
    assert admin.get(f"{API}/fields/employees").get_json()["label"] == "Staff"
    new_customer(name="Big", attributes={"employees": 900})
    new_customer(name="Small", attributes={"employees": 9})
    items = admin.get(f"{API}/customers?employees__gt=100").get_json()["items"]
    assert [item["name"] for item in items] == ["Big"]


def test_declaring_needs_admin_fields(crm_api):
    """A manager may not declare fields; the 403 names the permission."""
    response = crm_api("manager").post(
        f"{API}/fields", json={"name": "x", "type": "text"}
    )
    assert response.status_code == 403
    assert "admin.fields" in response.get_json()["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x", "type": "colour"}, "type"),
        ({"type": "text"}, "name"),
        ({"name": "has space", "type": "text"}, "name"),
        ({"name": "a__b", "type": "text"}, "name"),
        ({"name": "email", "type": "text"}, "name"),
        ({"name": "tier", "type": "choice"}, "choices"),
        ({"name": "x", "type": "text", "searchable": True}, "searchable"),
    ],
)
def test_bad_declarations_are_422_naming_the_field(admin, body, field):
    """Each refused part of a declaration is named."""
    response = admin.post(f"{API}/fields", json=body)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_declaring_an_existing_field_is_409(admin, declare):
    """A field name can be declared once."""
    declare("tier", "text")
    response = admin.post(f"{API}/fields", json={"name": "tier", "type": "text"})
    assert response.status_code == 409
    assert "name" in response.get_json()["errors"]


def test_unknown_field_is_404(admin):
    """GET /fields/{name} of an undeclared field is a 404 problem."""
    assert admin.get(f"{API}/fields/nothing").status_code == 404


def test_health_is_public_and_reports_a_migrated_database(crm_app):
    """GET /health answers 200 without a token when the database is ready."""
    response = crm_app.test_client().get(f"{API}/health")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ok",
        "database": "ok",
        "pending_migrations": [],
    }


def test_other_routes_need_a_token(crm_app):
    """Without a token the API answers 401 as a problem."""
    response = crm_app.test_client().get(f"{API}/customers")
    assert response.status_code == 401
    assert response.content_type == "application/problem+json"


@pytest.mark.crm_sqlite_only
def test_health_is_503_while_migrations_are_pending(tmp_path):
    """A database behind its migrations is reported with 503 and the owners."""
    config = Config(
        database_url=f"sqlite:///{tmp_path / 'empty.sqlite3'}",
        secret_key="test",
        plugins=(),
        data_dir=tmp_path,
    )
    host = Host(config)
    try:
        response = create_app(host=host).test_client().get(f"{API}/health")
    finally:
        host.close()
    assert response.status_code == 503
    assert response.get_json()["status"] == "unavailable"
    pending = response.get_json()["pending_migrations"]
    assert pending[0] == "core" and "core_mail" in pending


@pytest.mark.crm_sqlite_only
def test_health_is_503_when_the_database_is_unreachable(crm_app, crm_host, tmp_path):
    """A database that cannot be opened is reported, without a traceback."""
    crm_host.db.engine = create_engine(f"sqlite:///{tmp_path}/missing/dir/x.db")
    response = crm_app.test_client().get(f"{API}/health")
    assert response.status_code == 503
    assert response.get_json() == {
        "status": "unavailable",
        "database": "unreachable",
        "pending_migrations": [],
    }
